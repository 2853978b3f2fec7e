"""Specification of mixroute.client (sync) and mixroute.transport: one POST, retried, typed.

Requests are counted at the transport (``httpx.MockTransport``) or at a real local socket
(:mod:`local_server`); sleeps are recorded by an injected ``RetryPolicy.sleep``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from support.local_server import LocalServer, Received, Reply
from support.stalling_server import StallingServer, sse_opening
from support.vendor_answers import Answer, sse_body
from support.vendor_gateway import PROSE, REASONING, STREAM_REQUIRED, VendorGateway

from mixroute import (
    APIConnectionError,
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
    MixrouteClient,
    MixrouteError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    SystemMessage,
    UnprocessableEntityError,
    UserMessage,
    get_profile,
)

KEY = "sk-client-test-0123456789abcdefSECRET"
BASE = "https://gw.test/v1"

# The documented glm-5 example of mixroute-api-seed.txt: its request and its answer.
DOCUMENTED_BODY = {
    "model": "glm-5",
    "messages": [
        {"role": "system", "content": "You are a helpful assistant"},
        {"role": "user", "content": "Briefly introduce artificial intelligence"},
    ],
    "temperature": 0.7,
}
DOCUMENTED_ANSWER: dict[str, Any] = {
    "id": "chatcmpl-xxx",
    "object": "chat.completion",
    "created": 1234567890,
    "model": "glm-5",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Artificial intelligence is a new technical science that researches "
                "and develops theories, methods, techniques, and application systems for "
                "simulating, extending, and expanding human intelligence...",
            },
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 25, "completion_tokens": 100, "total_tokens": 125},
}
MESSAGES = [
    SystemMessage("You are a helpful assistant"),
    UserMessage("Briefly introduce artificial intelligence"),
]

Step = httpx.Response | Exception


class Script:
    """A MockTransport handler: answers with its steps in order (the last one repeats)."""

    def __init__(self, *steps: Step) -> None:
        self.steps = steps
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps[min(len(self.requests), len(self.steps)) - 1]
        if isinstance(step, Exception):
            raise step
        return step

    @property
    def count(self) -> int:
        return len(self.requests)

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def ok(body: Any = DOCUMENTED_ANSWER) -> httpx.Response:
    return httpx.Response(200, json=body)


def status(code: int, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
    return httpx.Response(
        code, json={"error": {"message": f"failed {code}", **body}}, headers=headers
    )


def policy(retries: int, sleeps: list[float], jitter: float = 0.0) -> RetryPolicy:
    return RetryPolicy(max_retries=retries, jitter=lambda: jitter, sleep=sleeps.append)


def make_client(
    script: Script, *, retries: int = 2, sleeps: list[float] | None = None, **kwargs: Any
) -> MixrouteClient:
    return MixrouteClient(
        api_key=kwargs.pop("api_key", KEY),
        base_url=kwargs.pop("base_url", BASE),
        http_client=httpx.Client(transport=httpx.MockTransport(script)),
        retry_policy=policy(retries, sleeps if sleeps is not None else []),
        **kwargs,
    )


def create(client: MixrouteClient, **kwargs: Any) -> Any:
    return client.create("glm-5", MESSAGES, temperature=0.7, **kwargs)


# --- retries ---------------------------------------------------------------------------------

RETRIED = [
    (429, RateLimitError),
    (500, InternalServerError),
    (502, InternalServerError),
    (503, InternalServerError),
    (408, APIStatusError),
    (409, ConflictError),
]


@pytest.mark.parametrize(("code", "cls"), RETRIED)
@pytest.mark.parametrize("retries", [0, 1, 3])
def test_retryable_status_is_retried_exactly_max_retries_times(
    code: int, cls: type[APIStatusError], retries: int
) -> None:
    script = Script(status(code))
    sleeps: list[float] = []
    client = make_client(script, retries=retries, sleeps=sleeps)
    with pytest.raises(cls) as info:
        create(client)
    assert type(info.value) is cls
    assert info.value.status_code == code
    assert script.count == retries + 1
    expected = policy(retries, []).delay
    assert sleeps == [expected(n) for n in range(1, retries + 1)]


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (422, UnprocessableEntityError),
        (402, APIStatusError),
    ],
)
def test_final_status_is_never_retried(code: int, cls: type[APIStatusError]) -> None:
    script = Script(status(code), ok())
    sleeps: list[float] = []
    with pytest.raises(cls) as info:
        create(make_client(script, retries=5, sleeps=sleeps))
    assert type(info.value) is cls
    assert f"failed {code}" in str(info.value)
    assert script.count == 1
    assert sleeps == []


def test_sleeps_follow_the_policy_with_jitter() -> None:
    script = Script(status(503))
    sleeps: list[float] = []
    client = make_client(script, retries=4, sleeps=sleeps)
    client.retry_policy = RetryPolicy(
        max_retries=4, initial_delay=0.1, jitter=lambda: 0.6, sleep=sleeps.append
    )
    with pytest.raises(InternalServerError):
        create(client)
    assert sleeps == pytest.approx([0.085, 0.17, 0.34, 0.68])


def test_success_after_retries_returns_the_parsed_completion() -> None:
    script = Script(status(503), httpx.ConnectError("refused"), ok())
    sleeps: list[float] = []
    completion = create(make_client(script, retries=2, sleeps=sleeps))
    assert completion.message.content == DOCUMENTED_ANSWER["choices"][0]["message"]["content"]
    assert completion.usage.total_tokens == 125
    assert completion.id == "chatcmpl-xxx"
    assert script.count == 3
    assert len(sleeps) == 2
    # every attempt sends the same request
    assert script.body(0) == script.body(1) == script.body(2) == DOCUMENTED_BODY


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after-ms": "1250"}, 1.25),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "120"}, None),  # beyond a minute: the policy's own delay
        ({"retry-after": "whenever"}, None),
    ],
)
@pytest.mark.parametrize("code", [429, 503])
def test_retry_after_is_honoured_end_to_end(
    code: int, headers: dict[str, str], expected: float | None
) -> None:
    script = Script(status(code, headers), ok())
    sleeps: list[float] = []
    completion = create(make_client(script, retries=2, sleeps=sleeps))
    assert completion.message.content
    assert sleeps == [expected if expected is not None else policy(2, []).delay(1)]


def test_rate_limit_error_carries_retry_after_when_retries_run_out() -> None:
    script = Script(status(429, {"retry-after": "7", "x-request-id": "req_9"}))
    with pytest.raises(RateLimitError) as info:
        create(make_client(script, retries=1))
    assert info.value.retry_after == 7.0
    assert info.value.request_id == "req_9"


def test_max_retries_argument_reaches_the_policy() -> None:
    script = Script(status(429, {"retry-after": "0"}))
    client = MixrouteClient(
        api_key=KEY,
        base_url=BASE,
        max_retries=1,
        http_client=httpx.Client(transport=httpx.MockTransport(script)),
    )
    assert client.retry_policy.max_retries == 1
    with pytest.raises(RateLimitError):
        create(client)
    assert script.count == 2


# --- transport failures: typed, retried, never a bare httpx exception -------------------------


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), APIConnectionError),
        (httpx.ReadError("connection reset"), APIConnectionError),
        (httpx.WriteError("broken pipe"), APIConnectionError),
        (httpx.RemoteProtocolError("server disconnected"), APIConnectionError),
        (httpx.ProxyError("proxy refused"), APIConnectionError),
        (httpx.ReadTimeout("read timed out"), APITimeoutError),
        (httpx.ConnectTimeout("connect timed out"), APITimeoutError),
        (httpx.WriteTimeout("write timed out"), APITimeoutError),
        (httpx.PoolTimeout("pool timed out"), APITimeoutError),
    ],
)
def test_transport_failures_are_typed_and_retried(
    exc: httpx.HTTPError, cls: type[APIConnectionError]
) -> None:
    script = Script(exc)
    sleeps: list[float] = []
    with pytest.raises(MixrouteError) as info:
        create(make_client(script, retries=2, sleeps=sleeps))
    error = info.value
    assert type(error) is cls
    assert not isinstance(error, httpx.HTTPError)
    assert error.__cause__ is exc  # the httpx detail is kept for debugging
    assert error.request is not None
    assert error.request.url == f"{BASE}/chat/completions"
    assert script.count == 3
    assert sleeps == [policy(2, []).delay(1), policy(2, []).delay(2)]


def test_timeout_is_a_connection_error_for_callers() -> None:
    script = Script(httpx.ReadTimeout("slow"))
    with pytest.raises(APIConnectionError) as info:
        create(make_client(script, retries=0))
    assert isinstance(info.value, APITimeoutError)
    assert script.count == 1


def test_a_body_cut_while_reading_an_error_is_a_connection_error() -> None:
    class Broken(httpx.SyncByteStream):
        def __iter__(self) -> Any:
            yield b'{"error": '
            raise httpx.ReadError("reset while reading")

    script = Script(*(httpx.Response(500, stream=Broken()) for _ in range(2)))
    with pytest.raises(APIConnectionError):
        create(make_client(script, retries=1))
    assert script.count == 2


# --- what is sent ----------------------------------------------------------------------------


def test_body_sent_is_build_request_and_the_documented_body() -> None:
    script = Script(ok())
    client = make_client(script)
    create(client)
    assert script.body() == client.build_request("glm-5", MESSAGES, temperature=0.7)
    assert script.body() == DOCUMENTED_BODY
    request = script.requests[0]
    assert request.method == "POST"
    assert request.url == "https://gw.test/v1/chat/completions"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_send_sends_a_prebuilt_body_as_it_is() -> None:
    script = Script(ok())
    client = make_client(script)
    body = client.build_request("glm-5", MESSAGES, temperature=0.7)
    assert client.send(body).message.content
    assert script.body() == body == DOCUMENTED_BODY


def test_non_ascii_text_is_sent_as_utf8_json() -> None:
    script = Script(ok())
    make_client(script).create("glm-5", [UserMessage("简要介绍人工智能")])
    assert script.requests[0].content.decode("utf-8").count("简要介绍人工智能") == 1


def test_bad_input_fails_before_anything_is_sent() -> None:
    script = Script(ok())
    with pytest.raises(InvalidRequestError):
        make_client(script).create("glm-5", [])
    assert script.count == 0


# --- settings, end to end --------------------------------------------------------------------


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIXROUTE_API_KEY", "sk-env-key-1234")
    script = Script(ok())
    client = MixrouteClient(
        base_url=BASE, http_client=httpx.Client(transport=httpx.MockTransport(script))
    )
    create(client)
    assert script.requests[0].headers["authorization"] == "Bearer sk-env-key-1234"


def test_missing_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIXROUTE_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="MIXROUTE_API_KEY"):
        MixrouteClient()


@pytest.mark.parametrize(
    ("argument", "env", "url"),
    [
        (None, None, "https://console.mixroute.io/v1/chat/completions"),
        (None, "https://env.test/v1", "https://env.test/v1/chat/completions"),
        ("https://arg.test/v1/", "https://env.test/v1", "https://arg.test/v1/chat/completions"),
        ("http://127.0.0.1:9/api/v1/", None, "http://127.0.0.1:9/api/v1/chat/completions"),
    ],
)
def test_request_goes_to_base_url_chat_completions(
    monkeypatch: pytest.MonkeyPatch, argument: str | None, env: str | None, url: str
) -> None:
    if env is None:
        monkeypatch.delenv("MIXROUTE_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("MIXROUTE_BASE_URL", env)
    script = Script(ok())
    client = MixrouteClient(
        api_key=KEY,
        base_url=argument,
        http_client=httpx.Client(transport=httpx.MockTransport(script)),
    )
    create(client)
    assert str(script.requests[0].url) == url


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (None, httpx.Timeout(600.0, connect=5.0)),
        (12.5, httpx.Timeout(12.5)),
        ((2.0, 30.0), httpx.Timeout(30.0, connect=2.0)),
        (httpx.Timeout(7.0, read=70.0), httpx.Timeout(7.0, read=70.0)),
    ],
)
def test_client_timeout_reaches_the_request(timeout: Any, expected: httpx.Timeout) -> None:
    script = Script(ok())
    create(make_client(script, timeout=timeout))
    assert script.requests[0].extensions["timeout"] == expected.as_dict()


def test_per_call_timeout_overrides_the_client_timeout() -> None:
    script = Script(ok())
    client = make_client(script, timeout=60.0)
    create(client, timeout=(1.0, 5.0))
    create(client)
    assert script.requests[0].extensions["timeout"] == httpx.Timeout(5.0, connect=1.0).as_dict()
    assert script.requests[1].extensions["timeout"] == httpx.Timeout(60.0).as_dict()


def test_injected_client_keeps_its_own_timeout_unless_one_is_given() -> None:
    script = Script(ok())
    http = httpx.Client(transport=httpx.MockTransport(script), timeout=httpx.Timeout(42.0))
    create(MixrouteClient(api_key=KEY, base_url=BASE, http_client=http))
    create(MixrouteClient(api_key=KEY, base_url=BASE, http_client=http, timeout=9.0))
    assert script.requests[0].extensions["timeout"] == httpx.Timeout(42.0).as_dict()
    assert script.requests[1].extensions["timeout"] == httpx.Timeout(9.0).as_dict()


def test_default_and_extra_headers_are_sent_once() -> None:
    script = Script(ok())
    client = make_client(
        script, default_headers={"X-Team": "research", "X-Trace": "default", "accept": "x/y"}
    )
    create(client, extra_headers={"x-trace": "per-call", "X-Call": "1"})
    create(client)
    first, second = script.requests[0].headers, script.requests[1].headers
    assert first["x-team"] == "research"
    assert first.get_list("x-trace") == ["per-call"]
    assert first["x-call"] == "1"
    assert first.get_list("accept") == ["application/json"]
    assert first.get_list("authorization") == [f"Bearer {KEY}"]
    assert second.get_list("x-trace") == ["default"]
    assert "x-call" not in second


def test_extra_headers_that_cannot_be_sent_are_an_invalid_request() -> None:
    script = Script(ok())
    with pytest.raises(InvalidRequestError, match="X-Note"):
        create(make_client(script), extra_headers={"X-Note": "caf\u00e9"})
    assert script.count == 0


def test_injected_client_is_used_keeps_its_headers_and_stays_open() -> None:
    script = Script(ok())
    http = httpx.Client(
        transport=httpx.MockTransport(script), headers={"X-Proxy-Token": "p-1", "User-Agent": "me"}
    )
    client = MixrouteClient(api_key=KEY, base_url=BASE, http_client=http)
    assert client.http_client is http
    create(client)
    assert script.count == 1
    headers = script.requests[0].headers
    assert headers["x-proxy-token"] == "p-1"
    assert headers["user-agent"] == "me"
    assert headers["authorization"] == f"Bearer {KEY}"
    client.close()
    with client:
        pass
    assert not http.is_closed
    create(client)
    assert script.count == 2


def test_owned_client_is_closed_by_close_and_by_the_context_manager() -> None:
    client = MixrouteClient(api_key=KEY, base_url=BASE)
    assert not client.http_client.is_closed
    client.close()
    assert client.http_client.is_closed
    with MixrouteClient(api_key=KEY, base_url=BASE) as managed:
        http = managed.http_client
        assert not http.is_closed
    assert http.is_closed


# --- answers that are not completions --------------------------------------------------------


def assert_redacted_copy(seen: httpx.Request | None, sent: httpx.Request) -> None:
    """An error points to the request that was sent, with its key masked."""
    assert seen is not None
    assert (seen.method, seen.url) == (sent.method, sent.url)
    assert seen.headers["authorization"] == "Bearer **********"
    assert sent.headers["authorization"] != seen.headers["authorization"]


def test_non_json_200_is_a_validation_error() -> None:
    script = Script(httpx.Response(200, text="<html>maintenance</html>"))
    with pytest.raises(APIResponseValidationError, match="maintenance") as info:
        create(make_client(script))
    assert_redacted_copy(info.value.request, script.requests[0])
    assert info.value.body == "<html>maintenance</html>"
    assert script.count == 1


def test_empty_200_is_a_validation_error() -> None:
    with pytest.raises(APIResponseValidationError):
        create(make_client(Script(httpx.Response(200, content=b""))))


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"message": "upstream quota exhausted", "code": 429}},
        {"error": "upstream quota exhausted"},
    ],
)
def test_error_object_in_a_200_is_a_typed_error_with_the_server_message(body: Any) -> None:
    script = Script(ok(body))
    with pytest.raises(APIResponseValidationError, match="upstream quota exhausted") as info:
        create(make_client(script))
    assert info.value.body == body
    assert script.count == 1


@pytest.mark.parametrize("body", [{"id": "x", "choices": []}, [1, 2], {"object": "list"}])
def test_json_that_is_not_a_completion_is_a_validation_error(body: Any) -> None:
    script = Script(ok(body))
    with pytest.raises(APIResponseValidationError) as info:
        create(make_client(script))
    assert_redacted_copy(info.value.request, script.requests[0])


# --- secrets ---------------------------------------------------------------------------------


def echo_key_401(_: Any = None) -> httpx.Response:
    return httpx.Response(
        401,
        json={"error": {"message": f"Incorrect API key provided: {KEY}.", "key": KEY}},
    )


def test_key_never_in_repr_of_client_or_settings() -> None:
    client = make_client(Script(ok()))
    for text in (repr(client), str(client), repr(client.settings), str(client.settings)):
        assert KEY not in text
        assert KEY[-8:] not in text


def test_key_echoed_in_a_401_is_redacted_from_the_error() -> None:
    script = Script(echo_key_401())
    with pytest.raises(AuthenticationError) as info:
        create(make_client(script))
    error = info.value
    assert "Incorrect API key provided" in str(error)
    for text in (str(error), repr(error), error.message, repr(error.args), json.dumps(error.body)):
        assert KEY not in text
        assert KEY[-8:] not in text
    assert script.count == 1


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text=f"bad gateway config for {KEY}"),
        httpx.Response(200, json={"error": {"message": f"key {KEY} is out of credit"}}),
    ],
)
def test_key_echoed_in_a_200_is_redacted_from_the_error(answer: httpx.Response) -> None:
    with pytest.raises(APIResponseValidationError) as info:
        create(make_client(Script(answer)))
    assert "**********" in str(info.value)
    for text in (str(info.value), repr(info.value), str(info.value.body)):
        assert KEY not in text


def test_key_never_in_configuration_or_connection_errors() -> None:
    with pytest.raises(ConfigurationError) as config:
        MixrouteClient(api_key=KEY, base_url="not a url")
    with pytest.raises(APIConnectionError) as connection:
        create(make_client(Script(httpx.ConnectError("refused")), retries=1))
    for error in (config.value, connection.value):
        assert KEY not in str(error)
        assert KEY not in repr(error)


def _serve(replies: list[Reply]) -> Callable[[Received], Reply]:
    def respond(_: Received) -> Reply:
        return replies.pop(0) if len(replies) > 1 else replies[0]

    return respond


def test_key_never_in_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    for name in ("mixroute", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    replies = [
        Reply(200, DOCUMENTED_ANSWER),  # a request
        Reply(500, {"error": {"message": "boom"}}),  # a retry
        Reply(200, DOCUMENTED_ANSWER),
        Reply(401, {"error": {"message": f"Incorrect API key provided: {KEY}"}}),  # a failure
    ]
    with LocalServer(_serve(replies)) as server:
        sleeps: list[float] = []
        with MixrouteClient(
            api_key=KEY, base_url=server.base_url, retry_policy=policy(2, sleeps)
        ) as client:
            create(client)
            create(client)
            with pytest.raises(AuthenticationError):
                create(client)
    assert server.received[0].headers["authorization"] == f"Bearer {KEY}"  # it was sent
    assert len(server.received) == 4
    assert len(sleeps) == 1
    loggers = {record.name.split(".")[0] for record in caplog.records}
    assert {"mixroute", "httpx", "httpcore"} <= loggers  # the loggers really spoke
    for record in caplog.records:
        text = f"{record.getMessage()} {record.args!r} {record.__dict__!r}"
        assert KEY not in text, record.name
        assert KEY[-8:] not in text, record.name


# --- a real socket ---------------------------------------------------------------------------


def test_real_socket_round_trip_reuses_one_connection() -> None:
    with LocalServer(lambda _: Reply(200, DOCUMENTED_ANSWER)) as server:
        with MixrouteClient(api_key=KEY, base_url=server.base_url) as client:
            for _ in range(3):
                assert create(client).message.content
        assert [r.path for r in server.received] == ["/v1/chat/completions"] * 3
        assert server.received[0].json() == DOCUMENTED_BODY
        assert len(server.connections) == 1


def test_connection_refused_is_typed_on_a_real_socket() -> None:
    server = LocalServer().start()
    url = server.base_url
    server.stop()  # nothing listens on that port any more
    sleeps: list[float] = []
    client = MixrouteClient(api_key=KEY, base_url=url, retry_policy=policy(1, sleeps))
    with pytest.raises(APIConnectionError) as info:
        create(client)
    assert not isinstance(info.value, APITimeoutError)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert len(sleeps) == 1
    client.close()


# --- a model that answers only when streamed (QwQ) --------------------------------------------

QUESTION = [UserMessage("What is the weather in Paris?")]


def gateway_client(gateway: VendorGateway, **kwargs: Any) -> MixrouteClient:
    http = httpx.Client(transport=gateway.transport())
    return MixrouteClient(api_key=KEY, base_url=BASE, http_client=http, max_retries=0, **kwargs)


def streamed(text: str) -> httpx.Response:
    return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})


def broken_stream() -> httpx.Response:
    """Three events of "Hello, world" (role, "Hell", "o, w"), then an error event."""
    events = sse_body(Answer("prose", "Hello, world"), "qwq-32b", include_usage=True)
    head = "\n\n".join(events.split("\n\n")[:3])
    return streamed(head + '\n\ndata: {"error": {"message": "upstream overloaded"}}\n\n')


def test_a_plain_call_to_a_streaming_only_model_is_streamed_and_assembled() -> None:
    gateway = VendorGateway("qwq-32b")  # refuses a request without stream: true
    with gateway_client(gateway) as client:
        answer = client.create("qwq-32b", QUESTION, enable_thinking=True)
        with client.stream("qwq-32b", QUESTION, enable_thinking=True) as stream:
            for _ in stream:
                pass
    assert gateway.refusals == []
    plain_body, stream_body = gateway.bodies
    assert plain_body["stream"] is True
    assert plain_body["stream_options"] == {"include_usage": True}
    assert plain_body == stream_body
    assert answer == stream.completion
    assert (answer.message.content, answer.message.reasoning) == (PROSE, REASONING)
    assert answer.usage is not None
    assert answer.usage.total_tokens == 125


def test_the_profile_flag_decides_and_can_be_overridden() -> None:
    gateway = VendorGateway("qwq-32b")
    plain = get_profile("qwq-32b", {"streaming_only": False})
    with gateway_client(gateway) as client, pytest.raises(BadRequestError, match="stream mode"):
        client.create("qwq-32b", QUESTION, profile=plain)
    assert gateway.refusals == [STREAM_REQUIRED]
    assert "stream" not in gateway.bodies[0]
    script = Script(streamed(sse_body(Answer("prose", "Hi"), "glm-5", include_usage=True)))
    answer = make_client(script).create(
        "glm-5", MESSAGES, profile=get_profile("glm-5", {"streaming_only": True})
    )
    assert script.body()["stream"] is True
    assert answer.message.content == "Hi"


def test_send_streams_a_prebuilt_body_and_keeps_its_stream_options() -> None:
    gateway = VendorGateway("qwq-32b")
    with gateway_client(gateway) as client:
        body = client.build_request("qwq-32b", QUESTION, stream_options={"include_usage": False})
        answer = client.send(body)
    assert gateway.bodies[0]["stream"] is True
    assert gateway.bodies[0]["stream_options"] == {"include_usage": False}
    assert "stream" not in body  # the caller's body is left as it was
    assert answer.message.content == PROSE
    assert answer.usage is None  # not asked for


def test_a_streaming_only_call_is_retried_like_a_plain_call() -> None:
    answer_stream = streamed(sse_body(Answer("prose", "Hi"), "qwq-32b", include_usage=True))
    script = Script(status(503), httpx.ConnectError("refused"), answer_stream)
    sleeps: list[float] = []
    answer = make_client(script, retries=2, sleeps=sleeps).create("qwq-32b", QUESTION)
    assert answer.message.content == "Hi"
    assert script.count == 3
    assert sleeps == [policy(2, []).delay(n) for n in (1, 2)]
    with pytest.raises(AuthenticationError):
        make_client(Script(status(401)), retries=2).create("qwq-32b", QUESTION)


def test_an_error_mid_stream_is_the_stream_error_with_what_arrived() -> None:
    script = Script(broken_stream())
    client = make_client(script)
    with pytest.raises(APIStreamError) as plain:
        client.create("qwq-32b", QUESTION)
    with pytest.raises(APIStreamError) as in_stream, client.stream("qwq-32b", QUESTION) as stream:
        for _ in stream:
            pass
    assert str(plain.value) == str(in_stream.value) == "upstream overloaded"
    assert plain.value.partial is not None
    assert plain.value.partial == in_stream.value.partial
    assert plain.value.partial.content == "Hello, w"


def test_the_plain_deadline_bounds_a_streaming_only_call() -> None:
    first = {"choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]}
    # A stream that never ends: a keep-alive line every 0.05 s, never the answer's end.
    with StallingServer(sse_opening(first), drip=b"\n", every=0.05) as server:
        client = MixrouteClient(
            api_key=KEY, base_url=server.base_url, deadline=0.3, stream_deadline=None
        )
        with client, pytest.raises(APITimeoutError, match=r"deadline of 0\.3 s") as info:
            client.create("qwq-32b", QUESTION)
    assert info.value.partial is not None
    assert info.value.partial.content == "Hel"
