"""The vendor gateway the matrix runs against: its rules and its answers, checked on the wire.

The matrix is only as good as the vendors it plays; these tests pin the rules the issue
names (GLM, Claude, DeepSeek and Kimi thinking, deepseek-r1), the deterministic model,
and the SSE shape, by posting bodies through an ``httpx.Client`` on the gateway.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from support.schema_values import schemas_in_text, value_for
from support.vendor_gateway import STREAM_REQUIRED, VendorGateway

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
ANSWER_TOOL = {
    "type": "function",
    "function": {
        "name": "Answer",
        "parameters": {
            "type": "object",
            "properties": {"kind": {"enum": ["a", "b"]}, "n": {"type": "integer"}},
        },
    },
}
QUESTION = [{"role": "user", "content": "What is the weather in Paris?"}]
SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}}


def post(gateway: VendorGateway, **body: Any) -> httpx.Response:
    with httpx.Client(transport=gateway.transport()) as client:
        return client.post("https://gw.test/v1/chat/completions", json=body)


def message(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()["choices"][0]["message"]  # type: ignore[no-any-return]


def tool_turn(reasoning: str | None) -> list[dict[str, Any]]:
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    assistant: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [call]}
    if reasoning is not None:
        assistant["reasoning_content"] = reasoning
    return [*QUESTION, assistant, {"role": "tool", "tool_call_id": "c1", "content": "Sunny"}]


@pytest.mark.parametrize(
    "choice", ["required", "none", {"type": "function", "function": {"name": "get_weather"}}]
)
def test_glm_takes_no_tool_choice_but_auto(choice: object) -> None:
    gateway = VendorGateway("glm-5")
    response = post(
        gateway, model="glm-5", messages=QUESTION, tools=[WEATHER_TOOL], tool_choice=choice
    )
    assert response.status_code == 400
    assert "tool_choice" in response.json()["error"]["message"]
    auto = post(gateway, model="glm-5", messages=QUESTION, tools=[WEATHER_TOOL], tool_choice="auto")
    assert message(auto)["tool_calls"][0]["function"]["name"] == "get_weather"


def test_claude_ignores_response_format_and_thinking_narrows_tool_choice() -> None:
    gateway = VendorGateway("claude-sonnet-4-5-20250929")
    schema_format = {"type": "json_schema", "json_schema": {"name": "x", "schema": SCHEMA}}
    ignored = post(
        gateway, model="claude-sonnet-4-5", messages=QUESTION, response_format=schema_format
    )
    assert not message(ignored)["content"].startswith("{")
    forced = {"model": "claude-sonnet-4-5", "messages": QUESTION, "tools": [WEATHER_TOOL]}
    assert post(gateway, **forced, tool_choice="required").status_code == 200
    thinking = {**forced, "thinking": {"type": "enabled", "budget_tokens": 1024}}
    assert post(gateway, **thinking, tool_choice="required").status_code == 400
    assert message(post(gateway, **thinking, tool_choice="auto"))["reasoning_content"]


@pytest.mark.parametrize(
    ("model", "body"),
    [
        ("deepseek-v3.2", {"thinking": {"type": "enabled"}}),
        ("kimi-k2-thinking", {}),
    ],
)
def test_thinking_tool_turns_need_their_reasoning(model: str, body: dict[str, Any]) -> None:
    gateway = VendorGateway(model)
    missing = post(gateway, model=model, messages=tool_turn(None), tools=[WEATHER_TOOL], **body)
    assert missing.status_code == 400
    assert "reasoning_content" in missing.json()["error"]["message"]
    kept = post(gateway, model=model, messages=tool_turn("I should look it up."), **body)
    assert message(kept)["reasoning_content"]


def test_deepseek_v3_2_without_thinking_drops_reasoning_freely() -> None:
    gateway = VendorGateway("deepseek-v3.2")
    assert post(gateway, model="deepseek-v3.2", messages=tool_turn(None)).status_code == 200


def test_deepseek_r1_refuses_reasoning_in_input_and_any_tool_choice() -> None:
    gateway = VendorGateway("deepseek-r1")
    assert post(gateway, model="deepseek-r1", messages=tool_turn("thought")).status_code == 400
    assert message(post(gateway, model="deepseek-r1", messages=tool_turn(None)))[
        "reasoning_content"
    ]
    auto = post(
        gateway, model="deepseek-r1", messages=QUESTION, tools=[WEATHER_TOOL], tool_choice="auto"
    )
    assert auto.status_code == 400


def test_json_schema_format_is_a_400_without_native_structured_output() -> None:
    schema_format = {"type": "json_schema", "json_schema": {"name": "x", "schema": SCHEMA}}
    assert (
        post(
            VendorGateway("deepseek-chat"),
            model="deepseek-chat",
            messages=QUESTION,
            response_format=schema_format,
        ).status_code
        == 400
    )
    native = post(
        VendorGateway("gpt-4o"), model="gpt-4o", messages=QUESTION, response_format=schema_format
    )
    assert json.loads(message(native)["content"]) == {"ok": True}


def test_the_model_calls_the_user_tool_then_the_output_tool_and_follows_instructions() -> None:
    gateway = VendorGateway("gpt-4o")
    tools = [WEATHER_TOOL, ANSWER_TOOL]
    first = message(post(gateway, model="gpt-4o", messages=QUESTION, tools=tools))
    assert first["tool_calls"][0]["function"]["name"] == "get_weather"
    after = message(post(gateway, model="gpt-4o", messages=tool_turn(None), tools=tools))
    call = after["tool_calls"][0]["function"]
    assert (call["name"], json.loads(call["arguments"])) == ("Answer", {"kind": "a", "n": 42})
    alone = message(post(gateway, model="gpt-4o", messages=QUESTION, tools=[ANSWER_TOOL]))
    assert "tool_calls" not in alone
    assert alone["content"]
    told = [*QUESTION, {"role": "user", "content": "Call the Answer tool now."}]
    assert message(post(gateway, model="gpt-4o", messages=told, tools=[ANSWER_TOOL]))["tool_calls"]
    required = post(
        gateway, model="gpt-4o", messages=QUESTION, tools=[ANSWER_TOOL], tool_choice="required"
    )
    assert message(required)["tool_calls"][0]["function"]["name"] == "Answer"


def test_json_mode_answers_the_schema_in_the_prompt() -> None:
    prompt = [
        {"role": "system", "content": f"Answer in JSON matching {json.dumps(SCHEMA)}"},
        *QUESTION,
    ]
    answer = message(
        post(
            VendorGateway("glm-5"),
            model="glm-5",
            messages=prompt,
            response_format={"type": "json_object"},
        )
    )
    assert json.loads(answer["content"]) == {"ok": True}


def test_a_stream_sends_fragments_then_finish_usage_and_done() -> None:
    gateway = VendorGateway("kimi-k2-thinking")
    body = {
        "model": "kimi-k2-thinking",
        "messages": QUESTION,
        "tools": [WEATHER_TOOL],
        "stream": True,
    }
    response = post(gateway, **body, stream_options={"include_usage": True})
    events = [line[6:] for line in response.text.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] == 125
    deltas = [c["choices"][0]["delta"] for c in chunks[:-2]]
    fragments = [d["tool_calls"][0]["function"]["arguments"] for d in deltas if "tool_calls" in d]
    assert len(fragments) > 2
    assert json.loads("".join(fragments)) == {"city": "city-value"}
    assert "".join(d.get("reasoning_content", "") for d in deltas)
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_qwq_answers_only_a_streamed_request() -> None:
    gateway = VendorGateway("qwq-32b")
    refused = post(gateway, model="qwq-32b", messages=QUESTION)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == STREAM_REQUIRED
    assert post(gateway, model="qwq-32b", messages=QUESTION, stream=False).status_code == 400
    answered = post(gateway, model="qwq-32b", messages=QUESTION, stream=True)
    assert answered.status_code == 200
    assert answered.text.endswith("data: [DONE]\n\n")
    assert post(VendorGateway("qwen-plus"), model="qwen-plus", messages=QUESTION).status_code == 200


def test_values_follow_refs_enums_arrays_and_doubled_braces() -> None:
    schema = {
        "$defs": {"W": {"type": "object", "properties": {"d": {"enum": ["N", "S"]}}}},
        "type": "object",
        "properties": {
            "w": {"$ref": "#/$defs/W"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "maybe": {"anyOf": [{"type": "null"}, {"type": "number"}]},
        },
    }
    assert value_for(schema) == {"w": {"d": "N"}, "tags": ["tags-value"], "maybe": 21.5}
    text = "Follow " + json.dumps(SCHEMA).replace("{", "{{").replace("}", "}}")
    assert schemas_in_text(text) == [SCHEMA]
