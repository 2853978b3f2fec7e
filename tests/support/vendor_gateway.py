"""A scripted gateway that plays one model family as its vendor does: rules, then answers.

:class:`VendorGateway` is an ``httpx.MockTransport`` handler (one handler serves an
``httpx.Client`` and an ``httpx.AsyncClient``). Every request body is kept in ``bodies``;
each outcome in ``outcomes`` (an :class:`~support.vendor_answers.Answer`, or the text of
a 400).

Vendor rules, checked before the model "thinks" (a broken rule is a 400 with an
OpenAI-style error body):

- GLM takes no ``tool_choice`` but ``"auto"``; Kimi ``"auto"`` and ``"none"``; a model
  whose profile refuses ``tool_choice`` (deepseek-r1) refuses the field; the others take
  the forms their profile lists (``"function"`` being the named-tool dict).
- Claude ignores ``response_format`` of every type (its OpenAI-compatible layer drops
  it); with thinking on (``thinking: {"type": "enabled"}`` or ``reasoning_effort``) it
  takes only ``"auto"`` and ``"none"``.
- ``response_format`` ``json_schema`` on a model whose profile has no native structured
  output is a 400 (DeepSeek's "This response_format type is unavailable now", GLM, Kimi,
  Doubao and Qwen likewise document ``json_object`` only); ``json_object`` on a model
  without JSON mode (deepseek-r1, QwQ) is a 400 too.
- Gemini 2.x answers 400 to function tools together with a ``json_schema``
  ``response_format`` (the Gemini API refuses function calling with a JSON mime type).
- DeepSeek V3.1+/V3.2 and Kimi K2 in thinking mode answer 400 when an assistant turn with
  ``tool_calls`` in the history lacks its ``reasoning_content``; deepseek-r1 answers 400
  when any input message carries ``reasoning_content``.
- QwQ answers only streamed requests: a body without ``stream: true`` is a 400, as
  DashScope answers it.
- Profile facts: ``tools`` to a model without tool calling, ``parallel_tool_calls`` where
  the profile refuses it, ``temperature`` to a model that takes none, ``max_tokens`` to a
  model that wants ``max_completion_tokens``, a ``reasoning_effort`` outside the
  profile's levels: each a 400.

The model, deterministic. Tools named in ``user_tools`` (``get_weather`` by default) are
the user's; any other function tool is a structured-output tool. With a named
``tool_choice`` it calls that tool. Otherwise it picks a tool: one the last message
instructs it to call (a system or user message naming the tool and saying "call" or
"tool"); else a user tool when the last message is the user's and no tool has answered
yet; else a structured-output tool once a tool result is in the conversation. With
``"required"`` it calls what it picked (or the first structured-output tool); with
``"auto"`` (or no ``tool_choice``) it calls what it picked or answers in text. Text is
JSON when a ``json_schema`` format is honoured (a value of the schema, see
:mod:`support.schema_values`), or when JSON mode or the prompt asks for JSON and a schema
is in the prompt; else prose. So a forcing choice downgraded to ``"auto"`` with only a
structured-output tool gets prose first, and an instruction naming the tool gets the call.
Thinking models add ``reasoning_content``; streamed answers are SSE (see
:mod:`support.vendor_answers`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from mixroute.profiles import ModelProfile, get_profile
from support.schema_values import schemas_in_text, value_for
from support.vendor_answers import Answer, ToolCall, completion_body, error_body, sse_body

__all__ = ["VendorGateway", "VendorRules", "rules_for"]

PROSE = "It is sunny in Paris today."
PROSE_AFTER_TOOL = "According to the forecast tool, it is sunny in Paris."
REASONING = "The user wants the weather; I will answer from what I know."
DEEPSEEK_REASONING_MISSING = (
    "The reasoning_content in the thinking mode must be passed back to the API."
)
STREAM_REQUIRED = "This model only supports stream mode; set the stream parameter to true."


@dataclass(frozen=True)
class VendorRules:
    """What one model's vendor accepts and how it answers (see the module docstring)."""

    model: str
    profile: ModelProfile
    thinking: bool
    only_tool_choices: frozenset[str] | None
    ignores_response_format: bool
    tool_turns_need_reasoning: bool
    history_refuses_reasoning: bool
    no_tools_with_json_schema: bool
    streaming_only: bool


def rules_for(model: str, *, thinking: bool | None = None) -> VendorRules:
    """The rules the gateway plays ``model`` by; ``thinking`` forces thinking mode on or off."""
    name = model.lower()
    profile = get_profile(model)
    always_thinks = any(part in name for part in ("deepseek-r1", "deepseek-reasoner", "qwq"))
    always_thinks = always_thinks or ("kimi" in name and "thinking" in name)
    thinking = always_thinks if thinking is None else thinking
    only: frozenset[str] | None = None
    if "glm" in name:
        only = frozenset({"auto"})
    elif "kimi" in name:
        only = frozenset({"auto", "none"})
    hybrid_deepseek = re.search(r"deepseek-(v3\.[1-9]|v4|reasoner)", name) is not None
    return VendorRules(
        model=model,
        profile=profile,
        thinking=thinking,
        only_tool_choices=only,
        ignores_response_format="claude" in name,
        tool_turns_need_reasoning="kimi" in name or hybrid_deepseek,
        history_refuses_reasoning="deepseek-r1" in name,
        no_tools_with_json_schema=re.search(r"gemini-2(\.|-)", name) is not None,
        streaming_only="qwq" in name,
    )


class VendorGateway:
    """A ``MockTransport`` handler playing one model; ``bodies`` and ``outcomes`` kept."""

    def __init__(
        self,
        model: str,
        *,
        thinking: bool | None = None,
        user_tools: Iterable[str] = ("get_weather",),
    ) -> None:
        self.rules = rules_for(model, thinking=thinking)
        self.user_tools = frozenset(user_tools)
        self.bodies: list[dict[str, Any]] = []
        self.outcomes: list[Answer | str] = []
        self._calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        refusal = self.refusal(body)
        if refusal is not None:
            self.outcomes.append(refusal)
            return httpx.Response(400, json=error_body(refusal))
        answer = self.answer(body)
        self.outcomes.append(answer)
        model = str(body.get("model", self.rules.model))
        if body.get("stream"):
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            text = sse_body(answer, model, include_usage=usage)
            return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=completion_body(answer, model))

    def transport(self) -> httpx.MockTransport:
        """A transport for an ``httpx.Client`` or ``httpx.AsyncClient``."""
        return httpx.MockTransport(self)

    @property
    def refusals(self) -> list[str]:
        """The 400s sent, in order."""
        return [outcome for outcome in self.outcomes if isinstance(outcome, str)]

    @property
    def answers(self) -> list[Answer]:
        """The answers sent, in order."""
        return [outcome for outcome in self.outcomes if isinstance(outcome, Answer)]

    # --- the vendor's rules --------------------------------------------------------

    def refusal(self, body: Mapping[str, Any]) -> str | None:
        """Why the vendor answers ``body`` with a 400, or ``None`` when it takes it."""
        rules, profile, model = self.rules, self.rules.profile, self.rules.model
        if rules.streaming_only and body.get("stream") is not True:
            return STREAM_REQUIRED
        tools = _function_tools(body)
        if tools and not profile.tool_calling:
            return f"{model} does not support function calling (tools)."
        if "tool_choice" in body:
            problem = self._tool_choice_problem(body, tools)
            if problem:
                return problem
        if "parallel_tool_calls" in body and not profile.parallel_tool_calls:
            return f"Unsupported parameter: 'parallel_tool_calls' is not supported with {model}."
        if "temperature" in body and not profile.supports_temperature:
            return f"Unsupported parameter: 'temperature' is not supported with {model}."
        if "max_tokens" in body and profile.uses_max_completion_tokens:
            return "Unsupported parameter: 'max_tokens'; use 'max_completion_tokens' instead."
        levels = profile.reasoning_effort_levels
        effort = body.get("reasoning_effort")
        if effort is not None and levels is not None and effort not in levels:
            return f"reasoning_effort={effort!r} is not supported by {model}."
        kind = _format_type(body)
        if kind is not None and not rules.ignores_response_format:
            if kind == "json_schema" and not profile.structured_output:
                return "This response_format type is unavailable now (json_schema)."
            if kind == "json_object" and not profile.json_mode:
                return f"{model} does not support response_format json_object."
            if kind == "json_schema" and tools and rules.no_tools_with_json_schema:
                return (
                    "Function calling with a response mime type 'application/json' is unsupported."
                )
        return self._history_problem(body.get("messages") or [], self.thinks(body))

    def thinks(self, body: Mapping[str, Any]) -> bool:
        """Whether the model thinks for ``body`` (its own mode, or switched on in the body)."""
        switched = (body.get("thinking") or {}).get("type") == "enabled"
        claude_thinks = "claude" in self.rules.model.lower() and "reasoning_effort" in body
        return self.rules.thinking or switched or claude_thinks or bool(body.get("enable_thinking"))

    def _accepted_choices(self, body: Mapping[str, Any]) -> frozenset[str]:
        rules = self.rules
        if "claude" in rules.model.lower() and self.thinks(body):
            return frozenset({"auto", "none"})
        if rules.only_tool_choices is not None:
            return rules.only_tool_choices
        if not rules.profile.tool_choice:
            return frozenset()
        return rules.profile.tool_choice_forms

    def _tool_choice_problem(self, body: Mapping[str, Any], tools: list[str]) -> str | None:
        choice = body["tool_choice"]
        accepted = self._accepted_choices(body)
        if not accepted:
            return f"{self.rules.model} does not support the tool_choice parameter."
        if isinstance(choice, dict):
            form = "function"
            name = (choice.get("function") or {}).get("name")
            if name not in tools:
                return f"tool_choice names {name!r}, which is not among the tools."
        elif choice in ("auto", "none", "required"):
            form = str(choice)
        else:
            return f"Invalid value for tool_choice: {choice!r}."
        if form not in accepted:
            return (
                f"{self.rules.model} does not support tool_choice={choice!r}; "
                f"it takes {', '.join(sorted(accepted))}."
            )
        if form != "none" and not tools:
            return "tool_choice is set but no tools are given."
        return None

    def _history_problem(self, messages: list[dict[str, Any]], thinking: bool) -> str | None:
        rules = self.rules
        needs_reasoning = thinking and rules.tool_turns_need_reasoning
        for index, message in enumerate(messages):
            if rules.history_refuses_reasoning and "reasoning_content" in message:
                return f"messages[{index}]: reasoning_content is not accepted in input messages."
            if (
                needs_reasoning
                and message.get("role") == "assistant"
                and message.get("tool_calls")
                and not message.get("reasoning_content")
            ):
                return f"messages[{index}]: {DEEPSEEK_REASONING_MISSING}"
        return None

    # --- the model -----------------------------------------------------------------

    def answer(self, body: Mapping[str, Any]) -> Answer:
        """What the model says to an accepted ``body`` (see the module docstring)."""
        reasoning = REASONING if self.thinks(body) else None
        tools = {t["function"]["name"]: t["function"] for t in body.get("tools") or [] if _is_fn(t)}
        choice = body.get("tool_choice", "auto")
        messages: list[dict[str, Any]] = body.get("messages") or []
        if tools and choice != "none":
            if isinstance(choice, dict):
                name = choice["function"]["name"]
                return self._call(tools[name], "forced", reasoning)
            picked = self._pick(messages, tools)
            if picked is None and choice == "required":
                outputs = [n for n in tools if n not in self.user_tools]
                picked = (outputs or list(tools))[0]
            if picked is not None:
                return self._call(tools[picked], str(choice), reasoning)
        return self._text(body, messages, reasoning)

    def _pick(self, messages: list[dict[str, Any]], tools: Mapping[str, Any]) -> str | None:
        answered = any(message.get("role") == "tool" for message in messages)
        users = [name for name in tools if name in self.user_tools]
        outputs = [name for name in tools if name not in self.user_tools]
        last = messages[-1] if messages else {}
        instructed = _instructed(last, tools)
        if instructed:
            preferred = [n for n in instructed if n in users and not answered]
            return (preferred or [n for n in instructed if n in outputs] or instructed)[0]
        if last.get("role") == "user" and users and not answered:
            return users[0]
        if answered and outputs:
            return outputs[0]
        return None

    def _call(self, function: Mapping[str, Any], why: str, reasoning: str | None) -> Answer:
        self._calls += 1
        schema = function.get("parameters") or {"type": "object", "properties": {}}
        arguments = json.dumps(value_for(schema))
        call = ToolCall(id=f"call_{self._calls}", name=function["name"], arguments=arguments)
        return Answer(
            kind=f"tool:{function['name']}:{why}", reasoning=reasoning, tool_calls=(call,)
        )

    def _text(
        self, body: Mapping[str, Any], messages: list[dict[str, Any]], reasoning: str | None
    ) -> Answer:
        kind = None if self.rules.ignores_response_format else _format_type(body)
        if kind == "json_schema":
            schema = body["response_format"]["json_schema"]["schema"]
            return Answer("json:response_format", json.dumps(value_for(schema)), reasoning)
        prompt = "\n".join(_text_of(m) for m in messages if m.get("role") in ("system", "user"))
        schemas = schemas_in_text(prompt)
        if schemas and (kind == "json_object" or "json" in prompt.lower()):
            return Answer("json:prompt_schema", json.dumps(value_for(schemas[-1])), reasoning)
        if kind == "json_object":
            return Answer("json:no_schema", json.dumps({"answer": PROSE}), reasoning)
        answered = any(message.get("role") == "tool" for message in messages)
        return Answer("prose", PROSE_AFTER_TOOL if answered else PROSE, reasoning)


def _is_fn(tool: Mapping[str, Any]) -> bool:
    return tool.get("type") == "function" and isinstance(tool.get("function"), dict)


def _function_tools(body: Mapping[str, Any]) -> list[str]:
    return [t["function"]["name"] for t in body.get("tools") or [] if _is_fn(t)]


def _format_type(body: Mapping[str, Any]) -> str | None:
    response_format = body.get("response_format")
    if not isinstance(response_format, dict):
        return None
    kind = response_format.get("type")
    return kind if kind in ("json_schema", "json_object") else None


def _text_of(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _instructed(message: Mapping[str, Any], tools: Mapping[str, Any]) -> list[str]:
    """The tools a system or user message tells the model to call, in the tools' order."""
    if message.get("role") not in ("system", "user"):
        return []
    text = _text_of(message)
    if not re.search(r"\b(call|tool)", text, re.IGNORECASE):
        return []
    return [name for name in tools if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)]
