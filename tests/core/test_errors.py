"""Specification of mixroute.errors: one typed hierarchy, openai-python's attribute names."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mixroute.errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    InvalidRequestError,
    MixrouteError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    error_message,
    parse_error_body,
    status_error_from_response,
)

URL = "https://console.mixroute.io/v1/chat/completions"


def error_for(
    status: int, body: Any = None, *, headers: dict[str, str] | None = None, text: str = ""
) -> APIStatusError:
    """The typed error for a response as the transport would have read it."""
    request = httpx.Request("POST", URL)
    if body is not None:
        response = httpx.Response(status, json=body, headers=headers, request=request)
    else:
        response = httpx.Response(status, text=text, headers=headers, request=request)
    return status_error_from_response(response)


OPENAI_BODY = {
    "error": {
        "message": "The model `glm-9` does not exist",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }
}


# --- status -> class -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (504, InternalServerError),
        (529, InternalServerError),
    ],
)
def test_each_status_maps_to_its_class(status: int, cls: type[APIStatusError]) -> None:
    error = error_for(status, OPENAI_BODY)
    assert type(error) is cls
    assert error.status_code == status
    assert isinstance(error, APIStatusError)
    assert isinstance(error, APIError)
    assert isinstance(error, MixrouteError)


@pytest.mark.parametrize("status", [402, 405, 408, 410, 413, 418, 451])
def test_other_4xx_is_a_plain_status_error(status: int) -> None:
    error = error_for(status, OPENAI_BODY)
    assert type(error) is APIStatusError
    assert not isinstance(error, InternalServerError)
    assert error.status_code == status


# --- attributes ----------------------------------------------------------------------------


def test_attributes_follow_openai_python() -> None:
    error = error_for(404, OPENAI_BODY, headers={"x-request-id": "req_123"})
    assert error.status_code == 404
    assert error.body == OPENAI_BODY
    assert error.request_id == "req_123"
    assert isinstance(error.response, httpx.Response)
    assert error.response.status_code == 404
    assert error.request is error.response.request
    assert error.code == "model_not_found"
    assert error.type == "invalid_request_error"
    assert error.param == "model"
    assert "The model `glm-9` does not exist" in error.message
    assert str(error) == error.message == "Error code: 404 - The model `glm-9` does not exist"


def test_missing_fields_are_none() -> None:
    error = error_for(400, {"error": {"message": "bad"}})
    assert error.request_id is None
    assert (error.code, error.type, error.param) == (None, None, None)


def test_a_numeric_code_is_kept_as_text() -> None:
    error = error_for(429, {"error": {"message": "slow down", "code": 429}})
    assert error.code == "429"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({}, None),
        ({"retry-after": "soon"}, None),
    ],
)
def test_rate_limit_error_reads_retry_after(
    headers: dict[str, str], expected: float | None
) -> None:
    error = error_for(429, {"error": {"message": "Rate limit reached"}}, headers=headers)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == expected


# --- the server's message, whatever its shape ----------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(OPENAI_BODY, "The model `glm-9` does not exist", id="openai"),
        pytest.param({"message": "Invalid token"}, "Invalid token", id="top-level-message"),
        pytest.param({"detail": "Not authenticated"}, "Not authenticated", id="fastapi-detail"),
        pytest.param({"error": "model not found"}, "model not found", id="error-string"),
        pytest.param({"msg": "quota exhausted", "code": 1113}, "quota exhausted", id="msg"),
        pytest.param(
            {"error": {"message": "Rate limit exceeded", "code": 429, "metadata": {"x": 1}}},
            "Rate limit exceeded",
            id="openrouter",
        ),
        pytest.param(
            {
                "error": {"message": "Provider returned error", "code": 429},
                "user_id": "u1",
            },
            "Provider returned error",
            id="openrouter-no-metadata",
        ),
    ],
)
def test_server_message_is_in_str(body: Any, message: str) -> None:
    error = error_for(429, body)
    assert message in str(error)
    assert str(error).startswith("Error code: 429 - ")


def test_openrouter_upstream_detail_is_shown() -> None:
    body = {
        "error": {
            "message": "Provider returned error",
            "code": 400,
            "metadata": {"raw": "context length exceeded", "provider_name": "Vendor"},
        }
    }
    error = error_for(400, body)
    assert "Provider returned error" in str(error)
    assert "context length exceeded" in str(error)


def test_html_proxy_page_is_an_internal_server_error_with_its_text() -> None:
    html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    error = error_for(502, text=html, headers={"content-type": "text/html"})
    assert type(error) is InternalServerError
    assert error.status_code == 502
    assert "502 Bad Gateway" in str(error)
    assert error.body == html
    assert (error.code, error.type, error.param) == (None, None, None)


def test_an_empty_body_falls_back_to_the_reason_phrase() -> None:
    error = error_for(503, text="")
    assert type(error) is InternalServerError
    assert str(error) == "Error code: 503 - Service Unavailable"
    assert error.body is None


def test_a_long_text_body_is_shortened() -> None:
    error = error_for(500, text="x" * 5000)
    assert len(str(error)) < 600


def test_an_unknown_json_shape_still_says_something() -> None:
    error = error_for(400, {"detail": [{"loc": ["body", "model"], "msg": "field required"}]})
    assert "field required" in str(error)


def test_parse_error_body() -> None:
    assert parse_error_body(b"") is None
    assert parse_error_body(b'{"a": 1}') == {"a": 1}
    assert parse_error_body(b"<html>oops</html>") == "<html>oops</html>"
    assert parse_error_body(b"\xff\xfe bad") == "\ufffd\ufffd bad"


def test_error_message_of_nothing_is_none() -> None:
    assert error_message(None) is None
    assert error_message("   ") is None


# --- the hierarchy ---------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [InvalidRequestError, ConfigurationError])
def test_input_errors_are_value_errors(cls: type[MixrouteError]) -> None:
    error = cls("bad")
    assert isinstance(error, MixrouteError)
    assert isinstance(error, ValueError)
    assert not isinstance(error, APIError)
    with pytest.raises(ValueError, match="bad"):
        raise error


def test_timeout_is_a_connection_error() -> None:
    request = httpx.Request("POST", URL)
    error = APITimeoutError(request=request)
    assert isinstance(error, APIConnectionError)
    assert isinstance(error, APIError)
    assert error.request is request
    assert str(error) == "Request timed out."
    assert str(APIConnectionError()) == "Connection error."


def test_stream_and_validation_errors_are_api_errors_with_a_body() -> None:
    body = {"error": {"message": "overloaded", "type": "server_error", "code": "busy"}}
    stream_error = APIStreamError("overloaded", body=body)
    assert isinstance(stream_error, APIError)
    assert (stream_error.code, stream_error.type) == ("busy", "server_error")
    validation = APIResponseValidationError("not a completion", body=[1, 2])
    assert isinstance(validation, APIError)
    assert validation.body == [1, 2]
    assert validation.code is None


def test_partial_is_none_until_a_stream_sets_it() -> None:
    assert APIConnectionError().partial is None


def test_repr_is_the_class_and_the_message() -> None:
    error = error_for(401, {"error": {"message": "Invalid API key"}})
    assert repr(error) == "AuthenticationError('Error code: 401 - Invalid API key')"
    assert json.dumps(error.body)  # the body stays plain JSON data
