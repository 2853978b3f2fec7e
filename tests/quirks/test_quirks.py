"""Vendor habits seen in real traffic, each as a small fixture of our own, through all three layers.

``../shared/realdata/MANIFEST.md`` lists what real providers send that the documented
format does not. Each test here reproduces one of those habits with an answer written by
hand (``@pytest.mark.wire_answers``), recorded into ``cassettes/quirks/test_quirks/`` from
the scripted server (``MIXROUTE_CASSETTE_SOURCE=wire-format``), and replayed through the
core client, ``ChatMixroute`` and LlamaIndex's ``Mixroute``: each must give the same,
right result. Re-record with::

    MIXROUTE_CASSETTE_SOURCE=wire-format .venv/bin/pytest --record-mode=all tests/quirks
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from quirk_layers import LAYERS, Ask, Usage
from support.cassettes import Endpoint

from mixroute import (
    APIStatusError,
    APIStreamError,
    BadRequestError,
    NotFoundError,
    RateLimitError,
)

pytestmark = pytest.mark.vcr

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture(params=sorted(LAYERS))
def ask(request: pytest.FixtureRequest) -> Ask:
    """Each test runs through the core, ChatMixroute and Mixroute (one cassette each)."""
    return LAYERS[request.param]


# --- writing answers in the wire format ---------------------------------------------------


def chunk(
    delta: dict[str, Any] | None = None,
    *,
    finish: str | None = None,
    model: str = "glm-4.7",
    choices: bool = True,
    **fields: Any,
) -> dict[str, Any]:
    """One ``chat.completion.chunk``."""
    body: dict[str, Any] = {
        "id": "chatcmpl-quirk",
        "object": "chat.completion.chunk",
        "created": 1767225600,
        "model": model,
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}] if choices else [],
    }
    return {**body, **fields}


def sse(*events: dict[str, Any] | str, done: bool = True) -> str:
    """An event stream: a dict is a ``data:`` event, a string is written as it is."""
    text = "".join(
        event if isinstance(event, str) else f"data: {json.dumps(event)}\n\n" for event in events
    )
    return text + ("data: [DONE]\n\n" if done else "")


def completion(message: dict[str, Any], *, model: str, **fields: Any) -> dict[str, Any]:
    """One whole ``chat.completion``."""
    return {
        "id": "chatcmpl-quirk",
        "object": "chat.completion",
        "created": 1767225600,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", **message},
                "finish_reason": fields.pop("finish_reason", "stop"),
            }
        ],
        **fields,
    }


USAGE = {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}

# --- reasoning ----------------------------------------------------------------------------


@pytest.mark.wire_answers(
    [
        sse(
            chunk({"role": "assistant", "content": "", "reasoning": "Two plus"}, model="gpt-oss"),
            chunk(
                {
                    "reasoning": " two is four.",
                    "channel": "analysis",
                    "reasoning_details": [{"type": "reasoning.text", "text": " two is four."}],
                },
                model="gpt-oss",
            ),
            chunk({"content": "It is ", "channel": "final"}, model="gpt-oss"),
            chunk({"content": "4."}, model="gpt-oss"),
            chunk(finish="stop", model="gpt-oss", usage=USAGE),
        )
    ]
)
def test_reasoning_streamed_as_reasoning_not_reasoning_content(
    ask: Ask, mixroute_endpoint: Endpoint
) -> None:
    # Groq and OpenRouter call it ``reasoning``; DeepSeek and GLM ``reasoning_content``.
    answer = ask(mixroute_endpoint, "gpt-oss", stream=True)
    assert answer.error is None
    assert answer.thinking == ["Two plus", " two is four."]
    assert answer.reasoning == "Two plus two is four."
    assert answer.pieces == ["It is ", "4."]
    assert answer.content == "It is 4."


@pytest.mark.wire_answers(
    [
        completion(
            {"content": "It is 4.", "reasoning": "Two plus two is four."},
            model="gpt-oss",
            usage=USAGE,
        )
    ]
)
def test_reasoning_whole_as_reasoning(ask: Ask, mixroute_endpoint: Endpoint) -> None:
    answer = ask(mixroute_endpoint, "gpt-oss", stream=False)
    assert (answer.reasoning, answer.content) == ("Two plus two is four.", "It is 4.")


@pytest.mark.wire_answers(
    [
        sse(
            chunk({"role": "assistant", "reasoning_content": "The user greets."}),
            chunk({"role": "assistant", "reasoning_content": " Greet back."}),
            chunk({"role": "assistant", "content": "Hello"}),
            chunk({"role": "assistant", "content": " there!"}),
            chunk({"role": "assistant", "content": ""}, finish="stop", usage=USAGE),
        )
    ]
)
def test_role_repeated_in_every_chunk(ask: Ask, mixroute_endpoint: Endpoint) -> None:
    # GLM repeats ``"role": "assistant"`` in each chunk: one answer, not five.
    answer = ask(mixroute_endpoint, "glm-4.7", stream=True)
    assert answer.error is None
    assert answer.reasoning == "The user greets. Greet back."
    assert answer.pieces == ["Hello", " there!"]
    assert answer.content == "Hello there!"
    assert answer.usage == Usage(12, 9)


# --- the event stream itself --------------------------------------------------------------


@pytest.mark.wire_answers(
    [
        sse(
            ": OPENROUTER PROCESSING\n\n",
            ": OPENROUTER PROCESSING\n\n",
            chunk({"role": "assistant", "content": "Ready"}, model="deepseek-chat"),
            ": OPENROUTER PROCESSING\n\n",
            chunk({"content": " now."}, model="deepseek-chat"),
            chunk(finish="stop", model="deepseek-chat"),
        )
    ]
)
def test_sse_comment_lines_are_skipped(ask: Ask, mixroute_endpoint: Endpoint) -> None:
    answer = ask(mixroute_endpoint, "deepseek-chat", stream=True)
    assert answer.error is None
    assert answer.pieces == ["Ready", " now."]
    assert answer.content == "Ready now."


GROQ_TOOL_ERROR = {
    "error": {
        "message": "Tool call validation failed: parameters for tool get_weather did not "
        "match schema: missing properties: 'city'",
        "type": "invalid_request_error",
        "code": "tool_use_failed",
        "failed_generation": '{"name": "get_weather", "arguments": {}}',
        "status_code": 400,
    }
}


@pytest.mark.wire_answers(
    [
        sse(
            chunk({"role": "assistant", "content": "Let me"}, model="gpt-oss"),
            chunk({"content": " check."}, model="gpt-oss"),
            f"event: error\ndata: {json.dumps(GROQ_TOOL_ERROR)}\n\n",
            done=False,
        )
    ]
)
def test_error_event_without_done(ask: Ask, mixroute_endpoint: Endpoint) -> None:
    # Groq ends a failed stream with ``event: error`` and no [DONE].
    answer = ask(mixroute_endpoint, "gpt-oss", stream=True, tools=[WEATHER])
    assert answer.pieces == ["Let me", " check."]  # what arrived, then the typed error
    assert isinstance(answer.error, APIStreamError)
    assert "Tool call validation failed" in answer.error.message
    assert answer.error.code == "tool_use_failed"


@pytest.mark.wire_answers(
    [
        sse(
            ": OPENROUTER PROCESSING\n\n",
            chunk({"role": "assistant", "content": "", "reasoning": "We need"}, model="minimax"),
            chunk({"content": "", "reasoning": " to greet."}, model="minimax"),
            chunk(
                {"role": "assistant", "content": ""},
                model="minimax",
                error={"code": 400, "message": "Token limit reached"},
                usage=USAGE,
            ),
        )
    ]
)
def test_error_inside_a_chunk_then_done(ask: Ask, mixroute_endpoint: Endpoint) -> None:
    # OpenRouter puts an ``error`` object into an ordinary chunk, then sends [DONE].
    answer = ask(mixroute_endpoint, "minimax", stream=True)
    assert answer.thinking == ["We need", " to greet."]
    assert isinstance(answer.error, APIStreamError)
    assert answer.error.message == "Token limit reached"


# --- usage --------------------------------------------------------------------------------

DETAILED_USAGE = {
    "prompt_tokens": 120,
    "completion_tokens": 48,
    "total_tokens": 168,
    "cost": 0.00042,
    "is_byok": False,
    "prompt_tokens_details": {"cached_tokens": 64, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 30, "image_tokens": 0},
}


@pytest.mark.wire_answers(
    [
        sse(
            chunk({"role": "assistant", "content": "Done."}, model="gpt-4o-mini"),
            chunk(finish="stop", model="gpt-4o-mini"),
            chunk(model="gpt-4o-mini", choices=False, usage=DETAILED_USAGE),
        )
    ]
)
def test_usage_only_final_chunk(ask: Ask, mixroute_endpoint: Endpoint) -> None:
    # The last chunk has ``"choices": []`` and only the usage, with vendor extras.
    answer = ask(mixroute_endpoint, "gpt-4o-mini", stream=True)
    assert answer.error is None
    assert answer.content == "Done."
    assert answer.usage == Usage(120, 48, cached=64, reasoning=30)


@pytest.mark.wire_answers(
    [
        completion(
            {"content": "Done.", "reasoning_content": "Quick."},
            model="deepseek-reasoner",
            usage={
                "prompt_tokens": 120,
                "completion_tokens": 48,
                "total_tokens": 168,
                "prompt_cache_hit_tokens": 64,
                "prompt_cache_miss_tokens": 56,
                "completion_tokens_details": {"reasoning_tokens": 30},
            },
        ),
        completion(
            {"content": "Done."},
            model="openai/o3",
            usage=DETAILED_USAGE,
        ),
    ]
)
def test_usage_with_cached_and_reasoning_tokens(ask: Ask, mixroute_endpoint: Endpoint) -> None:
    # DeepSeek reports cache hits at the top level; OpenAI-style vendors in the details,
    # with extras such as OpenRouter's ``cost`` beside them.
    deepseek = ask(mixroute_endpoint, "deepseek-reasoner", stream=False)
    assert deepseek.usage == Usage(120, 48, cached=64, reasoning=30)
    openrouter = ask(mixroute_endpoint, "openai/o3", stream=False)
    assert openrouter.usage == Usage(120, 48, cached=64, reasoning=30)
    if ask is LAYERS["core"]:  # the core's Usage keeps what it does not know in .extra
        assert openrouter.usage_extra["cost"] == 0.00042


# --- citations ----------------------------------------------------------------------------


def url_citation(url: str, title: str, start: int, end: int) -> dict[str, Any]:
    return {
        "type": "url_citation",
        "url_citation": {"url": url, "title": title, "start_index": start, "end_index": end},
    }


ANNOTATIONS = [
    url_citation("https://example.org/launch", "Launch day", 0, 22),
    url_citation("https://example.org/review", "First review", 23, 45),
]


@pytest.mark.wire_answers(
    [
        sse(
            chunk({"role": "assistant", "content": "The probe launched."}, model="deepseek-chat"),
            chunk({"content": " Reviews are good."}, model="deepseek-chat"),
            chunk({"content": "", "annotations": ANNOTATIONS}, model="deepseek-chat"),
            chunk(finish="stop", model="deepseek-chat", usage=USAGE),
        ),
        completion(
            {"content": "The probe launched. Reviews are good.", "annotations": ANNOTATIONS},
            model="deepseek-chat",
            usage=USAGE,
        ),
    ]
)
def test_url_citation_annotations(ask: Ask, mixroute_endpoint: Endpoint) -> None:
    # OpenRouter's web search puts ``annotations`` on the message (streamed: on a late delta).
    urls = ["https://example.org/launch", "https://example.org/review"]
    streamed = ask(mixroute_endpoint, "deepseek-chat", stream=True)
    assert streamed.error is None
    assert streamed.content == "The probe launched. Reviews are good."
    assert streamed.citations == urls
    whole = ask(mixroute_endpoint, "deepseek-chat", stream=False)
    assert (whole.content, whole.citations) == (streamed.content, urls)


# --- tool calls and refusals --------------------------------------------------------------


@pytest.mark.wire_answers(
    [
        sse(
            chunk({"role": "assistant", "content": None}, model="gpt-4o"),
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_paris",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": ""},
                        }
                    ]
                },
                model="gpt-4o",
            ),
            chunk(
                {"tool_calls": [{"index": 0, "function": {"arguments": '{"ci'}}]}, model="gpt-4o"
            ),
            chunk(
                {"tool_calls": [{"index": 0, "function": {"arguments": 'ty": "Paris"}'}}]},
                model="gpt-4o",
            ),
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": 1,
                            "id": "call_rome",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city"'},
                        }
                    ]
                },
                model="gpt-4o",
            ),
            chunk(
                {"tool_calls": [{"index": 1, "function": {"arguments": ': "Rome"}'}}]},
                model="gpt-4o",
            ),
            chunk(finish="tool_calls", model="gpt-4o", usage=USAGE),
        )
    ]
)
def test_tool_call_fragments_with_id_and_name_only_first(
    ask: Ask, mixroute_endpoint: Endpoint
) -> None:
    answer = ask(mixroute_endpoint, "gpt-4o", stream=True, tools=[WEATHER])
    assert answer.error is None
    assert answer.tool_calls == [
        ("call_paris", "get_weather", {"city": "Paris"}),
        ("call_rome", "get_weather", {"city": "Rome"}),
    ]
    assert answer.content == ""


@pytest.mark.wire_answers(
    [
        sse(
            chunk({"role": "assistant", "content": None, "refusal": ""}, model="gpt-4o"),
            chunk({"refusal": "I can't help"}, model="gpt-4o"),
            chunk({"refusal": " with that."}, model="gpt-4o"),
            chunk(finish="stop", model="gpt-4o", usage=USAGE),
        )
    ]
)
def test_refusal_deltas(ask: Ask, mixroute_endpoint: Endpoint) -> None:
    answer = ask(mixroute_endpoint, "gpt-4o", stream=True)
    assert answer.error is None
    assert answer.refusal == "I can't help with that."
    assert (answer.content, answer.pieces) == ("", [])


# --- vendor error bodies ------------------------------------------------------------------


def error_case(
    status: int, body: dict[str, Any], error_type: type[APIStatusError], says: str, id: str
) -> Any:
    """A vendor's error answer: the scripted server replies with ``status`` and ``body``."""
    return pytest.param(
        status,
        body,
        error_type,
        says,
        id=id,
        marks=pytest.mark.wire_answers([(status, body)]),
    )


ERROR_BODIES = [
    error_case(
        400,
        {
            "error": {
                "code": "unsupported_value",
                "message": "Unsupported value: 'messages[0].role' does not support 'system' "
                "with this model.",
                "param": "messages[0].role",
                "type": "invalid_request_error",
            }
        },
        BadRequestError,
        "does not support 'system'",
        "openai-400",
    ),
    error_case(
        400,
        {
            "error": {
                "code": "tool_use_failed",
                "failed_generation": "maybe",
                "message": "Tool choice is required, but model did not call a tool",
                "type": "invalid_request_error",
            }
        },
        BadRequestError,
        "Tool choice is required",
        "groq-400",
    ),
    error_case(
        404,
        {
            "error": {
                "code": "model_not_found",
                "message": "The model `no-such-model` does not exist or you do not have access "
                "to it.",
                "type": "invalid_request_error",
            }
        },
        NotFoundError,
        "does not exist",
        "groq-404",
    ),
    error_case(
        429,
        {
            "error": {
                "code": 429,
                "message": "Provider returned error",
                "metadata": {
                    "provider_name": "Google",
                    "raw": "gemini-flash is temporarily rate-limited upstream.",
                },
            },
            "user_id": "user_quirk",
        },
        RateLimitError,
        "rate-limited upstream",  # the vendor's own words, from metadata.raw
        "openrouter-429",
    ),
]


@pytest.mark.parametrize(("status", "body", "error_type", "says"), ERROR_BODIES)
def test_vendor_error_body(
    ask: Ask,
    mixroute_endpoint: Endpoint,
    status: int,
    body: dict[str, Any],
    error_type: type[APIStatusError],
    says: str,
) -> None:
    answer = ask(mixroute_endpoint, "gpt-4o", stream=False)
    assert isinstance(answer.error, error_type)
    assert answer.error.status_code == status
    assert says in answer.error.message
    assert answer.error.body == body
