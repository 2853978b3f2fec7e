"""What each model family behind Mixroute can do, kept as one table of data.

The request builder and both framework adapters read capabilities here instead of testing
model names. Values come from the vendors' own model and API documentation; a caller who
knows better passes ``overrides``.

>>> get_profile("o3-mini").uses_max_completion_tokens
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import Any, Literal, get_args

from mixroute.errors import InvalidRequestError

__all__ = ["DEFAULT_PROFILE", "ModelProfile", "ReasoningOnHistory", "get_profile", "known_families"]

ReasoningOnHistory = Literal["tool_calls", "always", "never"]
StructuredOutputMethod = Literal["json_schema", "function_calling", "json_mode"]
"""When an assistant turn in the history sends its ``reasoning_content`` back."""


@dataclass(frozen=True, slots=True)
class ModelProfile:
    """The capabilities of one model family, as the request builder needs them.

    Frozen: get one with :func:`get_profile` (overrides included), or make a variant with
    ``dataclasses.replace``. Both adapters take corrections as ``profile_overrides={...}``.

    ```python
    from mixroute import get_profile

    profile = get_profile("deepseek-r1")
    print(profile.structured_output_method, profile.strongest_tool_choice())
    print(get_profile("my-new-model", {"image_inputs": True}).image_inputs)
    ```

    Attributes:
        max_input_tokens: the context window, ``None`` when unknown.
        max_output_tokens: the largest completion the model may be asked for.
        tool_calling: whether function tools are accepted.
        tool_choice: whether a ``tool_choice`` field is accepted at all.
        tool_choice_forms: which ``tool_choice`` values work; ``"function"`` is a named
            function (``{"type": "function", "function": {"name": …}}``).
        thinking_tool_choice_forms: the forms that work while the model thinks (Claude's
            extended thinking takes only ``"auto"`` and ``"none"``); ``None``: the same.
        parallel_tool_calls: whether the ``parallel_tool_calls`` field is accepted.
        image_inputs: image parts are accepted in user content.
        pdf_inputs: PDF file parts are accepted in user content.
        audio_inputs: audio parts are accepted in user content.
        reasoning_output: a reasoning model; its thinking comes back as
            ``reasoning_content`` where the vendor exposes it.
        reasoning_effort_levels: accepted ``reasoning_effort`` values; ``None`` means
            unknown (any string is passed through), ``()`` means the field is refused.
        structured_output: native ``response_format`` of type ``json_schema``.
        structured_output_with_tools: ``json_schema`` works with function tools in the same
            request (Gemini 2.x refuses the pair).
        json_mode: ``response_format`` of type ``json_object``.
        reasoning_on_history: when an earlier assistant turn sends its
            ``reasoning_content`` back: only on turns with ``tool_calls`` (Kimi, DeepSeek
            V3.2+ and GLM thinking need it there, plain turns drop it), ``"always"`` or
            ``"never"``.
        inline_think_tags: content may open with ``<think>…</think>``, to be split out.
        uses_max_completion_tokens: send ``max_completion_tokens``, not ``max_tokens``.
        supports_temperature: whether ``temperature`` is accepted.
        enable_thinking: accepts the Qwen-style ``enable_thinking`` flag.
        web_search: the search dialect the family speaks: ``"enable_search"`` (Qwen),
            ``"server_tool"`` (Claude ``web_search_20250305``), ``"search_parameters"``
            (Grok) or ``None``.
        streaming_only: the vendor answers only streamed requests (QwQ upstream refuses
            a request without ``stream: true``); the clients send a plain call
            (``create``, ``invoke``, ``chat``) to such a model streamed and hand back the
            assembled stream, the same ``ChatCompletion`` a plain call gives.

    """

    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    tool_calling: bool = True
    tool_choice: bool = True
    tool_choice_forms: frozenset[str] = frozenset({"auto", "none", "required", "function"})
    thinking_tool_choice_forms: frozenset[str] | None = None
    parallel_tool_calls: bool = True
    image_inputs: bool = False
    pdf_inputs: bool = False
    audio_inputs: bool = False
    reasoning_output: bool = False
    reasoning_effort_levels: tuple[str, ...] | None = None
    structured_output: bool = False
    structured_output_with_tools: bool = True
    json_mode: bool = True
    reasoning_on_history: ReasoningOnHistory = "tool_calls"
    inline_think_tags: bool = False
    uses_max_completion_tokens: bool = False
    supports_temperature: bool = True
    enable_thinking: bool = False
    web_search: str | None = None
    streaming_only: bool = False

    @property
    def accepted_tool_choices(self) -> frozenset[str]:
        """The ``tool_choice`` forms the model takes; empty when it takes none at all.

        Forms are ``"auto"``, ``"none"``, ``"required"`` and ``"function"`` (a named tool):
        ``tool_choice_forms``, or none when ``tool_choice`` is false.

        >>> sorted(get_profile("glm-5").accepted_tool_choices)
        ['auto']
        """
        return self.tool_choice_forms if self.tool_choice else frozenset()

    def strongest_tool_choice(self, name: str | None = None) -> str | dict[str, Any] | None:
        """The strongest ``tool_choice`` the model takes for "must call a tool".

        With ``name``, for "must call this tool": the named dict where the model takes it;
        then ``"required"``, then ``"auto"``; ``None`` when it takes no ``tool_choice``.
        A forcing choice the model cannot take is sent as this
        (``tool_choice_fallback="degrade"``).

        Args:
            name: the tool that must be called, or ``None`` for any tool.

        Returns:
            The ``tool_choice`` value to send, or ``None`` to send none.

        >>> get_profile("gpt-4o").strongest_tool_choice("get_weather")
        {'type': 'function', 'function': {'name': 'get_weather'}}
        >>> get_profile("glm-5").strongest_tool_choice("get_weather")
        'auto'
        """
        forms = self.accepted_tool_choices
        if name is not None and "function" in forms:
            return {"type": "function", "function": {"name": name}}
        if "required" in forms:
            return "required"
        if "auto" in forms:
            return "auto"
        return None

    @property
    def structured_output_method(self) -> StructuredOutputMethod:
        """How to get JSON that fits a schema: the best method the model supports.

        Native ``json_schema`` where supported, else a forced function call where tools
        and a forcing ``tool_choice`` work, else JSON mode (the schema goes in the prompt).
        Both adapters' structured output uses it when no method is given.

        >>> get_profile("gpt-4o").structured_output_method
        'json_schema'
        >>> get_profile("deepseek-r1").structured_output_method
        'function_calling'
        """
        if self.structured_output:
            return "json_schema"
        if self.tool_calling and (
            not self.tool_choice or self.tool_choice_forms & {"required", "function"}
        ):
            return "function_calling"
        if self.tool_calling and not self.json_mode:
            return "function_calling"
        return "json_mode"


DEFAULT_PROFILE = ModelProfile()
"""The profile of a model the table does not know: tools on, any ``reasoning_effort``
passed through, and no native JSON schema, so structured output falls back to tools."""

_LOW_MED_HIGH = ("low", "medium", "high")


def _no_tools(profile: ModelProfile) -> ModelProfile:
    return replace(profile, tool_calling=False, tool_choice=False, tool_choice_forms=frozenset())


# Family bases; each table row below refines one with dataclasses.replace.
_GPT = ModelProfile(
    image_inputs=True, pdf_inputs=True, structured_output=True, reasoning_effort_levels=()
)
# OpenAI reasoning-model docs: no temperature, max_completion_tokens, 200k/100k, and no
# reasoning_content in Chat Completions, so nothing to send back.
_O_SERIES = ModelProfile(
    max_input_tokens=200_000,
    max_output_tokens=100_000,
    parallel_tool_calls=False,  # o1/o3/o3-mini/o4-mini answer 400 "unsupported parameter"
    image_inputs=True,
    pdf_inputs=True,
    reasoning_output=True,
    reasoning_effort_levels=_LOW_MED_HIGH,
    structured_output=True,
    reasoning_on_history="never",
    uses_max_completion_tokens=True,
    supports_temperature=False,
)
# gpt-5: 400k total = 272k in + 128k out, parallel tool calls accepted again.
_GPT5 = replace(
    _O_SERIES, max_input_tokens=272_000, max_output_tokens=128_000, parallel_tool_calls=True
)
# Anthropic docs: 200k context, vision, PDF, thinking from 3.7 on; the OpenAI-compatible
# layer ignores response_format, and replayed thinking needs a signature we never have.
_CLAUDE = ModelProfile(
    max_input_tokens=200_000,
    image_inputs=True,
    pdf_inputs=True,
    reasoning_output=True,
    json_mode=False,
    reasoning_on_history="never",
    web_search="server_tool",
    thinking_tool_choice_forms=frozenset({"auto", "none"}),  # extended thinking
)
# DeepSeek API docs: 128k context, JSON Output (json_object) but no json_schema.
_DEEPSEEK = ModelProfile(
    max_input_tokens=131_072, max_output_tokens=8_192, reasoning_effort_levels=()
)
_DEEPSEEK_THINKING = replace(_DEEPSEEK, max_output_tokens=None, reasoning_output=True)
_DEEPSEEK_HYBRID = replace(_DEEPSEEK_THINKING, reasoning_effort_levels=None)
# Gemini API docs: 1M context, image/PDF/audio input, json_schema; Gemini 3 keeps its
# thought context in thought signatures, not in reasoning_content.
_GEMINI = ModelProfile(
    max_input_tokens=1_048_576,
    max_output_tokens=65_536,
    image_inputs=True,
    pdf_inputs=True,
    audio_inputs=True,
    reasoning_output=True,
    structured_output=True,
    structured_output_with_tools=False,  # Gemini 2.x: no function calling with JSON output
    reasoning_on_history="never",
)
# Zhipu docs: thinking via thinking.type (reasoning_content), tool_choice only "auto",
# response_format json_object only.
_GLM = ModelProfile(
    max_input_tokens=128_000, reasoning_output=True, tool_choice_forms=frozenset({"auto"})
)
# Moonshot docs: tool_choice "required" is not supported; json_object mode.
_KIMI = ModelProfile(max_input_tokens=131_072, tool_choice_forms=frozenset({"auto", "none"}))
_KIMI_THINKING = replace(_KIMI, max_input_tokens=262_144, reasoning_output=True)
# Volcengine Ark docs: Seed 1.6+ is multimodal with 256k context and deep thinking.
_DOUBAO_SEED = ModelProfile(
    max_input_tokens=256_000, max_output_tokens=32_768, image_inputs=True, reasoning_output=True
)
# Alibaba Model Studio docs: enable_search web search, enable_thinking on hybrid models,
# json_object mode (json_schema only on some qwen-plus snapshots).
_QWEN = ModelProfile(max_input_tokens=131_072, web_search="enable_search")
_QWEN_HYBRID = replace(_QWEN, reasoning_output=True, enable_thinking=True)
# xAI docs: 131k context, structured outputs, Live Search via search_parameters, and
# reasoning_effort refused by every model but grok-3-mini.
_GROK = ModelProfile(
    max_input_tokens=131_072,
    structured_output=True,
    reasoning_effort_levels=(),
    web_search="search_parameters",
)
_GROK_REASONING = replace(_GROK, reasoning_output=True, reasoning_on_history="never")

_TABLE: tuple[tuple[str, ModelProfile], ...] = (
    # --- OpenAI (platform model pages) ---
    ("gpt-4o", replace(_GPT, max_input_tokens=128_000, max_output_tokens=16_384)),
    ("gpt-4o-mini", replace(_GPT, max_input_tokens=128_000, max_output_tokens=16_384)),
    ("gpt-4.1", replace(_GPT, max_input_tokens=1_047_576, max_output_tokens=32_768)),
    ("gpt-5", replace(_GPT5, reasoning_effort_levels=("minimal", *_LOW_MED_HIGH))),
    # gpt-5.1+ changed the effort scale ("none", "xhigh"); pass values through unchecked.
    ("gpt-5.*", replace(_GPT5, reasoning_effort_levels=None)),
    ("o1", _O_SERIES),
    # o1-mini: 128k/65k, no tools, no response_format, no images, no reasoning_effort.
    (
        "o1-mini",
        replace(
            _no_tools(_O_SERIES),
            max_input_tokens=128_000,
            max_output_tokens=65_536,
            image_inputs=False,
            pdf_inputs=False,
            reasoning_effort_levels=(),
            structured_output=False,
            json_mode=False,
        ),
    ),
    ("o3", _O_SERIES),
    ("o3-mini", replace(_O_SERIES, image_inputs=False, pdf_inputs=False)),  # text only
    ("o4-mini", _O_SERIES),
    # --- Anthropic (models overview) ---
    ("claude", _CLAUDE),
    ("claude-3-5-haiku", replace(_CLAUDE, max_output_tokens=8_192, reasoning_output=False)),
    ("claude-3-7", replace(_CLAUDE, max_output_tokens=64_000)),
    ("claude-haiku-4", replace(_CLAUDE, max_output_tokens=64_000)),
    ("claude-sonnet-4", replace(_CLAUDE, max_output_tokens=64_000)),
    ("claude-opus-4", replace(_CLAUDE, max_output_tokens=32_000)),  # Opus 4 and 4.1
    ("claude-opus-4-5", replace(_CLAUDE, max_output_tokens=64_000)),
    # 4.6: 128k output; the 1M window is vendor-side, so keep the safe 200k here.
    ("claude-opus-4-6", replace(_CLAUDE, max_output_tokens=128_000)),
    ("claude-sonnet-4-6", replace(_CLAUDE, max_output_tokens=128_000)),
    # --- DeepSeek (API docs and model cards) ---
    ("deepseek", _DEEPSEEK),
    ("deepseek-chat", _DEEPSEEK),
    ("deepseek-v3", _DEEPSEEK),
    # V3.1/V3.2 are hybrid thinkers; in thinking mode a tool-call turn must carry its
    # reasoning_content back (400 otherwise), plain turns may drop it.
    ("deepseek-v3.*", _DEEPSEEK_HYBRID),
    ("deepseek-v4", replace(_DEEPSEEK_HYBRID, max_input_tokens=None)),
    ("deepseek-reasoner", replace(_DEEPSEEK_THINKING, max_output_tokens=65_536)),
    # R1: reasoning_content, rejected (400) on any input message, tool-call turns included;
    # no JSON mode. Function calling came with R1-0528, which hosts now serve as
    # deepseek-r1; tool_choice is undocumented.
    (
        "deepseek-r1",
        replace(
            _DEEPSEEK_THINKING,
            tool_choice=False,
            parallel_tool_calls=False,
            json_mode=False,
            reasoning_on_history="never",
        ),
    ),
    # The distilled Llama/Qwen checkpoints write <think> inline and have no tool template.
    (
        "deepseek-r1-distill",
        replace(_no_tools(_DEEPSEEK_THINKING), json_mode=False, inline_think_tags=True),
    ),
    # --- Google Gemini (Gemini API docs, OpenAI compatibility page) ---
    ("gemini", _GEMINI),
    (
        "gemini-2.0-flash",
        replace(
            _GEMINI, max_output_tokens=8_192, reasoning_output=False, reasoning_effort_levels=()
        ),
    ),
    # The experimental thinking model: no function calling, JSON mode or thinking budget.
    (
        "gemini-2.0-flash-thinking",
        replace(
            _no_tools(_GEMINI),
            pdf_inputs=False,
            audio_inputs=False,
            structured_output=False,
            json_mode=False,
            reasoning_effort_levels=(),
        ),
    ),
    ("gemini-2.5", replace(_GEMINI, reasoning_effort_levels=_LOW_MED_HIGH)),
    # Flash can switch thinking off ("none"); Pro cannot.
    ("gemini-2.5-flash", replace(_GEMINI, reasoning_effort_levels=("none", *_LOW_MED_HIGH))),
    # Gemini 3 thinking levels: Pro rejects "medium"; Flash answers 400 to "minimal".
    # Gemini 3 takes function tools together with a JSON schema.
    (
        "gemini-3-pro",
        replace(
            _GEMINI, reasoning_effort_levels=("low", "high"), structured_output_with_tools=True
        ),
    ),
    (
        "gemini-3-flash",
        replace(
            _GEMINI,
            reasoning_effort_levels=("none", *_LOW_MED_HIGH),
            structured_output_with_tools=True,
        ),
    ),
    # --- Zhipu GLM (open.bigmodel.cn docs) ---
    ("glm", _GLM),
    ("glm-4.5", replace(_GLM, max_input_tokens=131_072, max_output_tokens=98_304)),
    ("glm-4.6", replace(_GLM, max_input_tokens=200_000, max_output_tokens=131_072)),
    ("glm-4.7", replace(_GLM, max_input_tokens=200_000, max_output_tokens=131_072)),
    ("glm-5", replace(_GLM, max_input_tokens=200_000, max_output_tokens=131_072)),
    ("glm-*v", replace(_GLM, max_input_tokens=65_536, image_inputs=True)),  # 4v/4.5v/4.6v
    # --- Moonshot Kimi (platform docs) ---
    ("kimi", _KIMI),
    ("kimi-k2", _KIMI),
    ("kimi-k2-0905", replace(_KIMI, max_input_tokens=262_144)),
    ("kimi-k2-turbo", replace(_KIMI, max_input_tokens=262_144)),
    ("kimi-k2-thinking", _KIMI_THINKING),
    # K2.5: multimodal, thinking on by default, temperature fixed by the vendor.
    ("kimi-k2.5", replace(_KIMI_THINKING, image_inputs=True, supports_temperature=False)),
    # --- ByteDance Doubao (Volcengine Ark docs) ---
    ("doubao-seed", _DOUBAO_SEED),
    ("doubao-seed-1-8", replace(_DOUBAO_SEED, reasoning_effort_levels=("minimal", *_LOW_MED_HIGH))),
    # --- Alibaba Qwen (Model Studio docs) ---
    ("qwen", _QWEN),
    ("qwen-max", replace(_QWEN, max_input_tokens=32_768, max_output_tokens=8_192)),
    ("qwen-plus", replace(_QWEN_HYBRID, max_output_tokens=16_384)),
    ("qwen-turbo", replace(_QWEN_HYBRID, max_input_tokens=1_000_000, max_output_tokens=16_384)),
    ("qwen3-max", replace(_QWEN_HYBRID, max_input_tokens=262_144, max_output_tokens=65_536)),
    ("qwen3-coder", replace(_QWEN, max_input_tokens=262_144, max_output_tokens=65_536)),
    # Open-weight Qwen3 may arrive with its <think> block inline, depending on the host.
    ("qwen3", replace(_QWEN_HYBRID, inline_think_tags=True)),
    # QwQ: thinking only and streaming only upstream (stream=True is required), no JSON mode.
    (
        "qwq",
        replace(
            _QWEN_HYBRID,
            max_output_tokens=8_192,
            json_mode=False,
            inline_think_tags=True,
            streaming_only=True,
        ),
    ),
    # --- xAI Grok (docs.x.ai) ---
    ("grok", _GROK),
    ("grok-3", _GROK),
    # The one Grok that returns reasoning_content and takes reasoning_effort: low or high.
    ("grok-3-mini", replace(_GROK_REASONING, reasoning_effort_levels=("low", "high"))),
    # grok-4 reasons but returns no reasoning_content and refuses reasoning_effort.
    ("grok-4", replace(_GROK_REASONING, max_input_tokens=256_000, image_inputs=True)),
)


def _compile(pattern: str) -> re.Pattern[str]:
    # A pattern matches at the start of the id or after a "us.anthropic." or "openai:"
    # prefix, and must end at a boundary so that "o1" misses "o10".
    body = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.compile(rf"(?:^|[.:]){body}(?![a-z0-9])")


_MATCHERS = tuple(
    (pattern, _compile(pattern), len(pattern.replace("*", "")), profile)
    for pattern, profile in _TABLE
)
_FIELD_NAMES = tuple(field.name for field in fields(ModelProfile))
_HISTORY_MODES = frozenset(get_args(ReasoningOnHistory))


@lru_cache(maxsize=1024)
def _match(model: str) -> tuple[str | None, ModelProfile]:
    """Find the winning table row for a model id: its pattern and profile."""
    # Path-style vendor prefixes go first: "qwen/qwq-32b" is QwQ, not the qwen family.
    model_id = model.strip().lower().rsplit("/", 1)[-1]
    best: tuple[str | None, ModelProfile] = (None, DEFAULT_PROFILE)
    best_weight = -1
    for pattern, regex, weight, profile in _MATCHERS:
        if weight > best_weight and regex.search(model_id):
            best, best_weight = (pattern, profile), weight
    return best


def _apply(profile: ModelProfile, overrides: Mapping[str, Any]) -> ModelProfile:
    unknown = sorted(str(key) for key in overrides if key not in _FIELD_NAMES)
    if unknown:
        raise InvalidRequestError(
            f"unknown model profile field(s) {', '.join(map(repr, unknown))} in overrides; "
            f"valid fields are: {', '.join(_FIELD_NAMES)}"
        )
    changes = dict(overrides)
    if changes.get("reasoning_effort_levels") is not None:  # a list from JSON or TOML
        changes["reasoning_effort_levels"] = tuple(changes["reasoning_effort_levels"])
    if "tool_choice_forms" in changes:
        changes["tool_choice_forms"] = frozenset(changes["tool_choice_forms"])
    if changes.get("thinking_tool_choice_forms") is not None:
        changes["thinking_tool_choice_forms"] = frozenset(changes["thinking_tool_choice_forms"])
    history = changes.get("reasoning_on_history", profile.reasoning_on_history)
    if history not in _HISTORY_MODES:
        raise InvalidRequestError(
            f"reasoning_on_history must be one of {sorted(_HISTORY_MODES)}, got {history!r}"
        )
    return replace(profile, **changes)


def get_profile(
    model: str, overrides: Mapping[str, Any] | ModelProfile | None = None
) -> ModelProfile:
    """Look up the profile for a model id and apply the caller's overrides.

    The id is lower-cased and matched against the table's family patterns; the most
    specific pattern wins (``gpt-4o-mini`` over ``gpt-4o``) and vendor prefixes such as
    ``openai/`` or ``deepseek-ai/`` are tolerated. Unknown models get
    :data:`DEFAULT_PROFILE`. ``overrides`` is either a mapping of field names to values,
    laid over the table's profile, or a whole :class:`ModelProfile` that replaces it.

    >>> get_profile("deepseek-ai/DeepSeek-R1").reasoning_output
    True

    Args:
        model: the model id, as sent (``"gpt-4o"``, ``"openai/gpt-4o-mini"``).
        overrides: fields to change, or a whole profile to use instead.

    Returns:
        The profile: the table's, :data:`DEFAULT_PROFILE`, or the table's with the
        overrides laid over it.

    Raises:
        InvalidRequestError: an override names a field that does not exist, or gives
            ``reasoning_on_history`` a value outside ``ReasoningOnHistory``.

    """
    profile = _match(model)[1]
    if overrides is None:
        return profile
    if isinstance(overrides, ModelProfile):
        return overrides
    return _apply(profile, overrides)


def known_families() -> list[str]:
    """List the patterns of the table's rows, in table order (for docs and tests).

    A pattern is a model id prefix (``"gpt-4o"``) or has ``*`` for any text
    (``"glm-*v"``).

    Returns:
        The patterns, a new list.

    >>> known_families()[:2]
    ['gpt-4o', 'gpt-4o-mini']
    """
    return [pattern for pattern, _ in _TABLE]
