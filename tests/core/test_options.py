"""mixroute.options: the option names, the close-name errors, and how a call's options merge."""

from __future__ import annotations

from typing import Any

import pytest

from mixroute import ChatOptions, ConfigurationError, InvalidRequestError, build_request_body
from mixroute.client import DEFAULT
from mixroute.options import (
    CLIENT_ARGUMENTS,
    OPTION_NAMES,
    merge_options,
    option_defaults,
    option_fields,
    split_call,
    unknown_name_error,
)

HI = [{"role": "user", "content": "Hi"}]


# --- names -------------------------------------------------------------------------------


def test_option_names_are_the_keys_of_chat_options() -> None:
    assert frozenset(ChatOptions.__annotations__) == OPTION_NAMES
    assert {"temperature", "tools", "extra_body", "tool_choice_fallback"} <= OPTION_NAMES
    assert {"emulate_response_format"} <= OPTION_NAMES
    assert frozenset({"timeout", "extra_headers", "deadline"}) == CLIENT_ARGUMENTS
    assert not OPTION_NAMES & CLIENT_ARGUMENTS


def test_a_misspelt_name_gets_the_closest_real_one() -> None:
    error = unknown_name_error("temprature", OPTION_NAMES, who="Here")
    assert isinstance(error, InvalidRequestError)
    assert "Here: unknown option 'temprature'; did you mean 'temperature'?" in str(error)
    assert "extra_body" in str(error)


def test_a_name_close_to_nothing_gets_only_the_advice() -> None:
    error = unknown_name_error("safe_prompt", OPTION_NAMES, who="Here")
    assert str(error) == (
        "Here: unknown option 'safe_prompt'; pass vendor fields that have no typed option "
        "through extra_body={...}."
    )


def test_the_error_class_kind_and_advice_are_the_callers() -> None:
    error = unknown_name_error(
        "timout",
        ["timeout", "model"],
        who="Thing",
        error=ConfigurationError,
        kind="setting",
        advice="see the docs.",
    )
    assert isinstance(error, ConfigurationError)
    assert str(error) == "Thing: unknown setting 'timout'; did you mean 'timeout'? Or see the docs."


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("use_responses_api", ["emulate_response_format", "response_format"]),
        ("tiktoken_model_name", ["model_name", "model"]),
    ],
)
def test_a_name_from_another_integration_gets_no_far_fetched_guess(
    name: str, known: list[str]
) -> None:
    error = unknown_name_error(name, known, who="Thing", advice="see the docs.")
    assert str(error) == f"Thing: unknown option {name!r}; see the docs."


# --- one call's keyword arguments --------------------------------------------------------


def test_split_call_sorts_options_from_client_arguments() -> None:
    options, client = split_call(
        {"temperature": 0.2, "tools": [], "timeout": 5, "extra_headers": {"X": "1"}}, who="c"
    )
    assert options == {"temperature": 0.2, "tools": []}
    assert client == {"timeout": 5, "extra_headers": {"X": "1"}}


def test_split_call_without_arguments_is_empty() -> None:
    assert split_call({}, who="c") == ({}, {})


@pytest.mark.parametrize(
    ("name", "guess"),
    [("temperaturee", "temperature"), ("tool_choise", "tool_choice"), ("timout", "timeout")],
)
def test_split_call_refuses_a_misspelt_name_naming_the_real_one(name: str, guess: str) -> None:
    with pytest.raises(
        InvalidRequestError, match=f"unknown option '{name}'; did you mean '{guess}'"
    ):
        split_call({"temperature": 1, name: 1}, who="Model call")


def test_split_call_suggests_the_callers_own_names_too() -> None:
    with pytest.raises(InvalidRequestError, match="did you mean 'stream_usage'"):
        split_call({"stream_usag": True}, who="c", also=("stream_usage",))


def test_split_call_checks_the_deadline_and_keeps_none_and_default() -> None:
    with pytest.raises(InvalidRequestError, match="deadline must be a positive number"):
        split_call({"deadline": -1}, who="c")
    assert split_call({"deadline": None}, who="c") == ({}, {"deadline": None})
    assert split_call({"deadline": DEFAULT}, who="c")[1]["deadline"] is DEFAULT
    assert split_call({"deadline": 3}, who="c")[1] == {"deadline": 3.0}


# --- merging -----------------------------------------------------------------------------


def test_a_call_is_laid_over_the_defaults_and_none_unsets() -> None:
    defaults = {"temperature": 0.1, "seed": 7, "stop": ["END"]}
    merged = merge_options(defaults, {"temperature": 0.9, "seed": None, "max_tokens": 5})
    assert merged == {"temperature": 0.9, "stop": ["END"], "max_tokens": 5}
    assert defaults == {"temperature": 0.1, "seed": 7, "stop": ["END"]}  # unchanged


def test_an_empty_stop_unsets_the_default_stop() -> None:
    assert merge_options({"stop": ["END"], "n": 1}, {"stop": []}) == {"n": 1}


def test_extra_body_dicts_merge_with_the_call_winning() -> None:
    defaults = {"extra_body": {"top_k": 5, "repetition_penalty": 1.1}}
    merged = merge_options(defaults, {"extra_body": {"top_k": 9}})
    assert merged["extra_body"] == {"top_k": 9, "repetition_penalty": 1.1}
    assert defaults["extra_body"] == {"top_k": 5, "repetition_penalty": 1.1}


def test_a_calls_tools_come_before_the_tools_every_request_sends() -> None:
    search = {"type": "web_search"}
    lookup = {"type": "function", "function": {"name": "lookup"}}
    assert merge_options({"tools": [search]}, {"tools": [lookup]})["tools"] == [lookup, search]
    assert merge_options({}, {"tools": [lookup]})["tools"] == [lookup]
    assert "tools" not in merge_options({"tools": [search]}, {"tools": None})


def test_no_call_options_return_the_defaults_without_a_copy() -> None:
    defaults: dict[str, Any] = {"temperature": 0.1}
    assert merge_options(defaults, {}) is defaults


def test_a_bad_extra_body_in_a_call_is_left_for_the_builder_to_refuse() -> None:
    merged = merge_options({"extra_body": {"a": 1}}, {"extra_body": "oops"})
    with pytest.raises(InvalidRequestError, match="extra_body must be a dict"):
        build_request_body("gpt-4o", HI, **merged)


# --- defaults from an adapter's settings -------------------------------------------------


def test_option_defaults_split_more_fields_into_options_and_body_fields() -> None:
    defaults = option_defaults(
        {"temperature": 0.2, "seed": None, "stop": []},
        {"presence_penalty": 0.5, "top_k": 20, "extra_body": {"a": 1}, "user": None},
        {"b": 2},
    )
    assert defaults == {
        "temperature": 0.2,
        "presence_penalty": 0.5,
        "extra_body": {"top_k": 20, "a": 1, "b": 2},
    }


def test_option_defaults_of_nothing_is_empty() -> None:
    assert option_defaults({"temperature": None}) == {}


# --- the core's own check ----------------------------------------------------------------


def test_build_request_body_names_the_closest_option() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        build_request_body("gpt-4o", HI, temprature=0.5)
    message = str(caught.value)
    assert "unknown option 'temprature'; did you mean 'temperature'?" in message
    assert "pass vendor fields that have no typed option through extra_body" in message


def test_build_request_body_without_a_close_name_says_extra_body() -> None:
    with pytest.raises(
        InvalidRequestError, match="unknown option 'safe_prompt'; pass vendor fields"
    ):
        build_request_body("gpt-4o", HI, safe_prompt=True)


def test_option_fields_are_the_names_of_options_without_extra_body() -> None:
    fields = ["model", "temperature", "timeout", "extra_body", "seed", "api_key", "n"]
    assert option_fields(fields) == ("temperature", "seed", "n")
