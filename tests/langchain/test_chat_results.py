"""A parsed completion into LangChain's ChatResult and AIMessage (results.py)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage
from scripted_mixroute import Script, completion, model_for

from langchain_mixroute.results import chat_result, usage_metadata
from mixroute import Usage, parse_completion


def test_usage_details_map_to_langchains_keys() -> None:
    usage = Usage(
        prompt_tokens=30,
        completion_tokens=70,
        total_tokens=100,
        cached_tokens=12,
        reasoning_tokens=40,
        extra={
            "prompt_tokens_details": {"cached_tokens": 12, "audio_tokens": 3},
            "completion_tokens_details": {"reasoning_tokens": 40, "audio_tokens": 5},
        },
    )
    assert usage_metadata(usage) == {
        "input_tokens": 30,
        "output_tokens": 70,
        "total_tokens": 100,
        "input_token_details": {"cache_read": 12, "audio": 3},
        "output_token_details": {"reasoning": 40, "audio": 5},
    }
    assert usage_metadata(Usage(1, 2, 3)) == {
        "input_tokens": 1,
        "output_tokens": 2,
        "total_tokens": 3,
    }


def test_deepseek_cache_hits_are_cache_reads() -> None:
    raw = {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "prompt_cache_hit_tokens": 8,
    }
    message = model_for(Script(completion({"content": "ok"}, usage=raw))).invoke("Hi")
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_token_details"] == {"cache_read": 8}


def test_every_choice_is_a_generation() -> None:
    body: dict[str, Any] = completion({"content": "one"})
    body["choices"].append(
        {"index": 1, "message": {"role": "assistant", "content": "two"}, "finish_reason": "length"}
    )
    result = model_for(Script(body), n=2).generate([[HumanMessage("Hi")]])
    [generations] = result.generations
    assert [g.text for g in generations] == ["one", "two"]
    assert [g.message.response_metadata["finish_reason"] for g in generations] == ["stop", "length"]


def test_logprobs_system_fingerprint_and_name() -> None:
    logprobs = {"content": [{"token": "ok", "logprob": -0.1, "top_logprobs": []}]}
    body = completion({"content": "ok", "name": "helper"}, system_fingerprint="fp_9")
    body["choices"][0]["logprobs"] = logprobs
    message = model_for(Script(body)).invoke("Hi", logprobs=True)
    assert message.response_metadata["logprobs"] == logprobs
    assert message.response_metadata["system_fingerprint"] == "fp_9"
    assert message.name == "helper"


def test_no_usage_and_no_text() -> None:
    result = chat_result(
        parse_completion(
            {"id": None, "model": None, "choices": [{"index": 0, "message": {"content": None}}]}
        )
    )
    [generation] = result.generations
    assert generation.message.content == ""
    assert generation.message.usage_metadata is None  # type: ignore[attr-defined]
    assert generation.message.response_metadata == {"model_provider": "mixroute"}
    assert generation.generation_info is None
