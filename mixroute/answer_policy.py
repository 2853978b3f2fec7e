"""Planning a request and what to do with its answer: the decisions both adapters share.

:func:`plan_request` turns the options of one call into a :class:`PlannedRequest`: the body
to send and the :class:`AnswerPolicy` the clients apply to the answer. Two decisions live
here, once, for the core and both adapters:

- a forcing ``tool_choice`` the model's profile cannot take is sent as the strongest form
  it takes (:mod:`mixroute.tool_choice`); if the answer then calls no tool, the client
  asks once more with a short instruction naming the tools, then raises
  :class:`~mixroute.ToolCallNotMadeError`;
- a ``response_format`` with a JSON schema, on a model without native ``json_schema``, is
  carried out by the best method the profile supports, and the JSON comes back as the
  message content. With the user's tools bound, a schema tool is offered beside them (a
  call to it becomes the content and leaves ``tool_calls``). Alone, the profile's
  :attr:`~mixroute.ModelProfile.structured_output_method` decides: a schema tool forced
  as strongly as the model allows (``"function_calling"``), or JSON mode with the schema
  in the system prompt (``"json_mode"``: no tool calling, or no forcing ``tool_choice``
  while JSON mode is there, as on GLM and Kimi).
  ``emulate_response_format=False`` sends ``response_format`` as given.

>>> planned = plan_request("glm-5", [{"role": "user", "content": "Hi"}])
>>> planned.policy.active
False
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mixroute import jsonsafe
from mixroute.errors import InvalidRequestError, ToolCallNotMadeError
from mixroute.profiles import ModelProfile, get_profile
from mixroute.request import wire_body
from mixroute.response import ChatCompletion, Choice
from mixroute.structured import json_answer_instruction, normalize_response_format
from mixroute.tool_choice import ToolChoiceFallback, check_fallback
from mixroute.tools import function_tool_names, normalize_tool_choice, normalize_tools

__all__ = ["NO_POLICY", "AnswerPolicy", "PlannedRequest", "plan_request"]


@dataclass(frozen=True, slots=True)
class AnswerPolicy:
    """What the client does with the answer to a planned request.

    Attributes:
        model: the model asked (named in errors).
        schema_tool: the tool whose call becomes the message content (an emulated
            ``response_format``): its arguments are the content, it leaves ``tool_calls``,
            and ``finish_reason`` ``"tool_calls"`` becomes ``"stop"`` when no other call
            is left.
        must_call: the tools one of which the answer must call (a forcing ``tool_choice``
            sent in a weaker form); an answer without a tool call is asked for once more,
            then :class:`~mixroute.ToolCallNotMadeError` is raised.

    """

    model: str = ""
    schema_tool: str | None = None
    must_call: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        """Whether the answer needs anything done to it (most requests: no)."""
        return self.schema_tool is not None or bool(self.must_call)

    def retry_body(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``body`` once more, with a user message saying which tool to call."""
        retried = dict(body)
        retried["messages"] = [*body["messages"], {"role": "user", "content": self.instruction()}]
        return retried

    def instruction(self) -> str:
        """The short instruction added when the model answered without the tool call."""
        if self.schema_tool is not None:
            return (
                f"Call the tool {self.schema_tool!r} now, with your answer as its arguments; "
                "do not answer in text."
            )
        names = self.must_call
        if len(names) == 1:
            return f"Call the tool {names[0]!r} now; do not answer in text."
        listed = ", ".join(repr(name) for name in names)
        return f"Answer by calling one of these tools now: {listed}; do not answer in text."

    def needs_retry(self, completion: ChatCompletion) -> bool:
        """Whether the answer lacks the tool call :attr:`must_call` asks for.

        An answer cut off at the token limit is left as it is, and so is one that, for a
        schema tool, gives a JSON object as its text (the shape asked for, without a call).
        """
        if not self.must_call or not completion.choices:
            return False
        choice = completion.choices[0]
        if choice.finish_reason == "length":
            return False
        message = choice.message
        if message.tool_calls or message.invalid_tool_calls:
            return False
        return not (self.schema_tool is not None and is_json_object(message.content))

    def finish(self, completion: ChatCompletion) -> ChatCompletion:
        """Apply :attr:`schema_tool` to every answer of ``completion`` (changed in place)."""
        if self.schema_tool is not None:
            for choice in completion.choices:
                self._schema_call_to_content(choice)
        return completion

    def settle(
        self,
        body: Mapping[str, Any],
        completion: ChatCompletion,
        resend: Callable[[dict[str, Any]], ChatCompletion],
    ) -> ChatCompletion:
        """The answer to give: ``completion``, or the answer asked for once more."""
        if self.needs_retry(completion):
            completion = resend(self.retry_body(body))
            self.check_retried(completion)
        return self.finish(completion)

    async def asettle(
        self,
        body: Mapping[str, Any],
        completion: ChatCompletion,
        resend: Callable[[dict[str, Any]], Awaitable[ChatCompletion]],
    ) -> ChatCompletion:
        """The async :meth:`settle`."""
        if self.needs_retry(completion):
            completion = await resend(self.retry_body(body))
            self.check_retried(completion)
        return self.finish(completion)

    def check_retried(self, completion: ChatCompletion) -> None:
        """Raise :class:`~mixroute.ToolCallNotMadeError` if the second answer lacks the call."""
        if self.needs_retry(completion):
            raise ToolCallNotMadeError(self.model, self.must_call, raw=completion)

    def _schema_call_to_content(self, choice: Choice) -> None:
        name = self.schema_tool
        message = choice.message
        calls = [call for call in message.tool_calls if call.name == name]
        broken = [call for call in message.invalid_tool_calls if call.name == name]
        if not calls and not broken:
            return
        if calls:
            first = calls[0]
            raw = first.raw_arguments
            message.content = raw if raw is not None else json.dumps(first.arguments)
        else:
            message.content = broken[0].arguments or ""
        message.tool_calls = [call for call in message.tool_calls if call.name != name]
        message.invalid_tool_calls = [c for c in message.invalid_tool_calls if c.name != name]
        if not (message.tool_calls or message.invalid_tool_calls) and choice.finish_reason in (
            "tool_calls",
            "function_call",
        ):
            choice.finish_reason = "stop"


NO_POLICY = AnswerPolicy()
"""The policy of a request whose answer is used as it comes."""


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """A checked request body and the :class:`AnswerPolicy` for its answer."""

    body: dict[str, Any]
    policy: AnswerPolicy = NO_POLICY


def plan_request(
    model: str,
    messages: Sequence[Any],
    *,
    stream: bool = False,
    include_usage: bool = True,
    profile: ModelProfile | None = None,
    **options: Any,
) -> PlannedRequest:
    """Plan one request: the body to send and what to do with the answer.

    The arguments are those of :func:`~mixroute.build_request_body`, whose result is
    ``plan_request(...).body``; ``tool_choice_fallback`` (``"degrade"`` or ``"refuse"``)
    and ``emulate_response_format`` (default true) shape the plan and are not sent.

    >>> planned = plan_request(
    ...     "deepseek-chat", [{"role": "user", "content": "Weather?"}],
    ...     response_format={"title": "Weather", "type": "object",
    ...                      "properties": {"city": {"type": "string"}}},
    ... )
    >>> planned.body["tool_choice"], planned.policy.schema_tool
    ({'type': 'function', 'function': {'name': 'Weather'}}, 'Weather')
    """
    fallback = check_fallback(options.pop("tool_choice_fallback", None))
    emulate = options.pop("emulate_response_format", None)
    if emulate is not None and not isinstance(emulate, bool):
        raise InvalidRequestError(
            f"emulate_response_format must be true or false, got {emulate!r}."
        )
    if isinstance(model, str):
        profile = _in_this_request(profile or get_profile(model), options)
    response_format = options.get("response_format")
    if emulate is not False and response_format is not None and profile is not None:
        native = profile.structured_output and (
            profile.structured_output_with_tools or not options.get("tools")
        )
        if not native:
            wire_format = normalize_response_format(response_format, strict=options.get("strict"))
            if wire_format.get("type") == "json_schema":
                return _emulated(
                    model, messages, stream, include_usage, profile, fallback, options, wire_format
                )
    body, must_call = wire_body(
        model,
        messages,
        stream=stream,
        include_usage=include_usage,
        profile=profile,
        fallback=fallback,
        **options,
    )
    if not must_call:
        return PlannedRequest(body)
    return PlannedRequest(body, AnswerPolicy(model, must_call=must_call))


def _in_this_request(profile: ModelProfile, options: Mapping[str, Any]) -> ModelProfile:
    """The profile for this request: the thinking-mode ``tool_choice`` forms if it thinks."""
    forms = profile.thinking_tool_choice_forms
    if forms is None or not _thinks(options):
        return profile
    return replace(profile, tool_choice_forms=forms)


def _thinks(options: Mapping[str, Any]) -> bool:
    if options.get("reasoning_effort") is not None or options.get("enable_thinking"):
        return True
    extra = options.get("extra_body")
    thinking = extra.get("thinking") if isinstance(extra, Mapping) else None
    return isinstance(thinking, Mapping) and thinking.get("type") == "enabled"


def _emulated(
    model: str,
    messages: Sequence[Any],
    stream: bool,
    include_usage: bool,
    profile: ModelProfile,
    fallback: ToolChoiceFallback,
    options: dict[str, Any],
    wire_format: dict[str, Any],
) -> PlannedRequest:
    """``response_format`` by a schema tool or by JSON mode, on a model without json_schema."""
    spec = wire_format["json_schema"]
    schema = spec["schema"]
    del options["response_format"]
    sending: dict[str, Any] = {"stream": stream, "include_usage": include_usage, "profile": profile}
    user_tools = options.get("tools")
    by_tool = profile.tool_calling and schema.get("type", "object") == "object"
    if not (by_tool and (user_tools or profile.structured_output_method == "function_calling")):
        # No tool calling, or no way to force a tool while JSON mode is there (GLM, Kimi):
        # the profile's method is JSON mode, the schema in the prompt.
        if profile.json_mode:
            options["response_format"] = {"type": "json_object"}
        body, must_call = wire_body(model, messages, fallback=fallback, **sending, **options)
        body["messages"] = _with_instruction(body["messages"], json_answer_instruction(schema))
        policy = AnswerPolicy(model, must_call=must_call) if must_call else NO_POLICY
        return PlannedRequest(body, policy)
    taken = set(function_tool_names(normalize_tools(user_tools, strict=options.get("strict"))))
    name = spec["name"]
    while name in taken:  # a user tool of the same name keeps its name
        name = f"{name[:57]}_answer"
    function: dict[str, Any] = {
        "name": name,
        "description": spec.get("description") or "Give the final answer in this shape.",
        "parameters": schema,
    }
    if "strict" in spec:
        function["strict"] = spec["strict"]
    tool = {"type": "function", "function": function}
    if user_tools:
        # Offered beside the user's tools, unforced: the model calls theirs, or answers.
        options["tools"] = [*user_tools, tool]
        body, must_call = wire_body(model, messages, fallback=fallback, **sending, **options)
    else:
        choice = options.get("tool_choice")
        if choice is not None:
            normalize_tool_choice(choice, None)  # a forcing choice without tools: refused
        options["tools"] = [tool]
        options["tool_choice"] = name
        # The forcing choice is ours, not the caller's: weakened quietly where it must be.
        body, must_call = wire_body(
            model, messages, fallback="degrade", warn=False, **sending, **options
        )
    return PlannedRequest(body, AnswerPolicy(model, schema_tool=name, must_call=must_call))


def _with_instruction(messages: list[dict[str, Any]], instruction: str) -> list[dict[str, Any]]:
    """The messages with ``instruction`` in the system prompt (a new one first if none)."""
    first = messages[0] if messages else None
    if first is not None and first.get("role") in ("system", "developer"):
        content = first.get("content")
        if isinstance(content, str):
            joined = f"{content}\n\n{instruction}" if content else instruction
            return [{**first, "content": joined}, *messages[1:]]
    return [{"role": "system", "content": instruction}, *messages]


def is_json_object(text: str | None) -> bool:
    """Whether ``text`` is a JSON object (what an emulated ``response_format`` asks for)."""
    if not text:
        return False
    stripped = text.strip()
    if not stripped.startswith("{"):
        return False
    try:
        return isinstance(jsonsafe.loads(stripped), dict)
    except ValueError:
        return False
