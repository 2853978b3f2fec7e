"""Bad input fails before anything is sent, as an InvalidRequestError that says what to fix.

Two halves: the invalid inputs a user really writes (each through the four ways of calling
the core, against the fault server, which must see no request), and property tests that
feed the request builder JSON-ish garbage in every field (it builds a body or raises
InvalidRequestError, never anything untyped) and check that what the client sends is
strict JSON. The SSE decoder and the stream accumulator have their own property tests in
``tests/core``.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import math
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixroute import (
    AssistantMessage,
    AsyncMixrouteClient,
    BadRequestError,
    ImagePart,
    InvalidRequestError,
    MixrouteClient,
    TextPart,
    ToolCall,
    ToolMessage,
    UserMessage,
    build_request_body,
)
from reliability.drivers.base import API_KEY
from reliability.fault_server import FaultServer

USER = {"role": "user", "content": "What is the weather in Paris?"}
LOOKUP_CALL = ToolCall(id="call_1", name="lookup", arguments={"when": datetime.date(2025, 1, 1)})


def bad(
    id: str, fix: str, messages: list[Any] | None = None, model: str = "gpt-4o", **options: Any
) -> Any:
    return pytest.param(model, messages or [USER], options, fix, id=id)


INVALID_INPUTS = [
    bad("unknown_role", "unknown role 'wizard'; use one of", [{"role": "wizard", "content": "x"}]),
    bad(
        "image_without_url_or_data",
        "an image part needs a url",
        [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
    ),
    bad(
        "unknown_content_part",
        "unknown content part type 'picture'; use one of",
        [{"role": "user", "content": [{"type": "picture", "url": "https://x/y.png"}]}],
    ),
    bad(
        "tool_parameters_not_an_object_schema",
        "must be a JSON object schema",
        tools=[
            {"type": "function", "function": {"name": "lookup", "parameters": {"type": "array"}}}
        ],
    ),
    bad(
        "tool_parameters_not_a_schema",
        "must be a JSON schema dict",
        tools=[{"type": "function", "function": {"name": "lookup", "parameters": "city: str"}}],
    ),
    bad(
        "reasoning_effort_not_a_string",
        "reasoning_effort must be a string such as 'low'",
        model="grok-3-mini",
        reasoning_effort=3,
    ),
    bad(
        "reasoning_effort_level_not_in_profile",
        "use one of low, high",
        model="grok-3-mini",
        reasoning_effort="medium",
    ),
    bad("reasoning_effort_not_taken", "does not take reasoning_effort", reasoning_effort="high"),
    bad("negative_max_tokens", "max_tokens must be a positive int", max_tokens=-5),
    bad("temperature_out_of_range", "temperature must be a number from 0.0 to 2.0", temperature=3),
    bad(
        "non_serialisable_tool_argument",
        "must be JSON-serialisable",
        [
            USER,
            AssistantMessage(tool_calls=[LOOKUP_CALL]),
            ToolMessage("sunny", tool_call_id="call_1"),
        ],
    ),
    bad("non_serialisable_extra_body", "JSON", extra_body={"trace": object()}),
    bad("nan_in_extra_body", "JSON", extra_body={"bias": math.nan}),
    bad(
        "non_serialisable_field_in_a_dict_message",
        "JSON",
        [{**USER, "tags": {"a", "b"}}],
    ),
    bad(
        "unknown_option", "pass vendor fields that have no typed option through extra_body", top_k=5
    ),
    bad("tool_choice_names_no_tool", "lookup", tool_choice="lookup"),
]


def _sync(stream: bool) -> Callable[[str, str, list[Any], dict[str, Any]], None]:
    def call(url: str, model: str, messages: list[Any], options: dict[str, Any]) -> None:
        with MixrouteClient(API_KEY, base_url=url, max_retries=0, timeout=1.0) as client:
            if stream:
                with client.stream(model, messages, **options) as deltas:
                    list(deltas)
            else:
                client.create(model, messages, **options)

    return call


def _async(stream: bool) -> Callable[[str, str, list[Any], dict[str, Any]], None]:
    async def acall(url: str, model: str, messages: list[Any], options: dict[str, Any]) -> None:
        async with AsyncMixrouteClient(API_KEY, base_url=url, max_retries=0, timeout=1.0) as c:
            if stream:
                async with await c.stream(model, messages, **options) as deltas:
                    async for _ in deltas:
                        pass
            else:
                await c.create(model, messages, **options)

    return lambda *args: asyncio.run(acall(*args))


WAYS = [
    pytest.param(_sync(False), id="core-sync"),
    pytest.param(_async(False), id="core-async"),
    pytest.param(_sync(True), id="core-sync-stream"),
    pytest.param(_async(True), id="core-async-stream"),
]


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(("model", "messages", "options", "fix"), INVALID_INPUTS)
def test_invalid_input_fails_before_sending_and_says_what_to_fix(
    way: Callable[..., None],
    model: str,
    messages: list[Any],
    options: dict[str, Any],
    fix: str,
    fault_server: FaultServer,
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        way(fault_server.base_url, model, messages, options)
    assert fix in str(caught.value)
    assert fault_server.request_count == 0
    assert fault_server.connections_opened == 0


def test_an_image_part_needs_a_url_or_data_when_it_is_made() -> None:
    with pytest.raises(InvalidRequestError, match="needs a url"):
        ImagePart("")


# -- JSON-ish garbage -------------------------------------------------------------------------

KEYS = [
    "role", "content", "type", "text", "image_url", "url", "file", "file_data", "input_audio",
    "tool_calls", "function", "name", "arguments", "id", "tool_call_id", "refusal",
    "reasoning_content", "parameters", "properties", "json_schema", "schema", "strict",
]  # fmt: skip
ROLES = ["system", "developer", "user", "assistant", "tool", "function", "wizard"]
PART_TYPES = ["text", "image_url", "file", "input_audio", "refusal", "picture"]
MODELS = ["gpt-4o", "grok-3-mini", "o3-mini", "deepseek-r1", "qwq-32b", "kimi-k2.5", "unknown-x"]

leaves = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)
keys = st.sampled_from(KEYS) | st.text(max_size=6)
garbage = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=10,
)
parts = (
    st.fixed_dictionaries(
        {"type": st.sampled_from(PART_TYPES) | garbage},
        optional={key: garbage for key in ("text", "image_url", "file", "input_audio")},
    )
    | st.builds(TextPart, st.text(max_size=8))
    | garbage
)
contents = st.none() | st.text(max_size=8) | st.lists(parts, max_size=3) | garbage
tool_calls = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "id": garbage,
            "type": st.just("function") | garbage,
            "function": st.fixed_dictionaries(
                {}, optional={"name": st.text(max_size=5) | garbage, "arguments": garbage}
            )
            | garbage,
        },
    ),
    max_size=2,
)
dict_messages = st.fixed_dictionaries(
    {"role": st.sampled_from(ROLES) | garbage},
    optional={
        "content": contents,
        "tool_calls": tool_calls | garbage,
        "tool_call_id": st.text(max_size=5) | garbage,
        "name": garbage,
        "reasoning_content": garbage,
    },
)
messages = st.lists(
    dict_messages
    | st.builds(UserMessage, contents)
    | st.builds(ToolMessage, contents, st.text(max_size=5))
    | garbage,
    max_size=4,
)
tools = st.lists(
    st.fixed_dictionaries(
        {"type": st.just("function") | garbage},
        optional={
            "function": st.fixed_dictionaries(
                {"name": st.text(max_size=5) | garbage},
                optional={"parameters": garbage, "strict": garbage, "description": garbage},
            )
            | garbage
        },
    )
    | garbage,
    max_size=2,
)
OPTION_NAMES = [
    "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed", "n",
    "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "user",
    "metadata", "service_tier", "stream_options", "tool_choice", "parallel_tool_calls",
    "strict", "response_format", "reasoning_effort", "enable_thinking", "enable_search",
    "search_options", "search_parameters", "extra_body",
]  # fmt: skip
options = st.fixed_dictionaries(
    {}, optional={"tools": tools | garbage, **{name: garbage for name in OPTION_NAMES}}
)
models = st.sampled_from(MODELS) | st.text(max_size=5)

GARBAGE_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@GARBAGE_SETTINGS
@given(model=models, messages=messages | garbage, options=options, stream=st.booleans())
def test_request_builder_takes_garbage_without_an_untyped_error(
    model: Any, messages: Any, options: dict[str, Any], stream: bool
) -> None:
    try:
        body = build_request_body(model, messages, stream=stream, **options)
    except InvalidRequestError as exc:
        message = str(exc)
    else:
        message = None
    if message is not None:
        assert message  # it says what to fix
        return
    assert body["model"] == model
    assert isinstance(body["messages"], list)
    json.dumps(body)  # only JSON values came in, so only JSON values go out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=st.sampled_from(MODELS), messages=messages, options=options)
def test_what_the_client_sends_is_strict_json_or_nothing(
    model: str, messages: list[Any], options: dict[str, Any]
) -> None:
    sent: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return httpx.Response(400, json={"error": {"message": "rejected by the test"}})

    http = httpx.Client(transport=httpx.MockTransport(answer))
    client = MixrouteClient(API_KEY, base_url="http://127.0.0.1:9/v1", http_client=http)
    error: Exception | None = None
    try:
        client.create(model, messages or [USER], **options)
    except Exception as exc:
        error = exc
    finally:
        http.close()
    if isinstance(error, InvalidRequestError):
        assert sent == []
    else:  # it was sent, and the 400 the transport answers came back typed
        assert isinstance(error, BadRequestError), repr(error)
        assert len(sent) == 1
        json.loads(sent[0], parse_constant=_reject_constant)  # no NaN or Infinity on the wire


def _reject_constant(name: str) -> None:
    raise AssertionError(f"the client sent {name}, which is not JSON")
