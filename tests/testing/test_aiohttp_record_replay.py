"""The async client's aiohttp pool records and replays through vcrpy's aiohttp patch.

vcrpy patches ``aiohttp.ClientSession._request``, under ``mixroute/aiohttp_transport.py``.
The answer here is gzip-compressed: that transport reads bodies raw (``auto_decompress``
off), so the cassette would hold gzip bytes if the plugin did not store them decoded.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import vcr
import yaml
from support.local_server import LocalServer, Received, Reply
from user_project import UserProject, gateway

from mixroute import AsyncMixrouteClient, MixrouteClient, RateLimitError, UserMessage
from mixroute.defaults import AsyncTransportName
from mixroute.testing import configure_vcr

pytest_plugins = ["pytester"]

CHAINS = """
    import asyncio

    import pytest
    from langchain_mixroute import ChatMixroute
    from mixroute import AsyncMixrouteClient, UserMessage


    @pytest.mark.vcr
    def test_async_client():
        async def ask():
            async with AsyncMixrouteClient() as client:
                assert client.transport == "aiohttp"
                return await client.create("glm-5", [UserMessage("Capital of France?")])

        assert asyncio.run(ask()).message.content == "Paris."


    @pytest.mark.vcr
    def test_chat_model_ainvoke():
        llm = ChatMixroute(model="glm-5", temperature=0)
        assert asyncio.run(llm.ainvoke("Capital of France?")).content == "Paris."
"""


def test_recorded_through_aiohttp_and_replayed_offline(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = UserProject(pytester, monkeypatch)
    project.write(test_chains=CHAINS)
    with gateway(compress=True) as server:
        project.record(server).assert_outcomes(passed=2)
    assert len(server.received) == 2

    project.assert_no_credential()
    for path, text in project.cassettes().items():
        (interaction,) = yaml.safe_load(text)["interactions"]
        assert json.loads(interaction["response"]["body"]["string"])["id"] == "chatcmpl-user", path
    project.replay().assert_outcomes(passed=2)


def _rate_limited(_: Received) -> Reply:
    body = {"error": {"message": "slow down", "type": "rate_limit_error"}}
    return Reply(429, body, {"x-request-id": "req-42", "Retry-After": "7"})


def _sync(base_url: str) -> Any:
    with MixrouteClient(
        api_key="sk-headers-0000000000", base_url=base_url, max_retries=0
    ) as client:
        client.create("glm-5", [UserMessage("hi")])


def _async(transport: AsyncTransportName) -> Any:
    async def ask(base_url: str) -> None:
        async with AsyncMixrouteClient(
            api_key="sk-headers-0000000000",
            base_url=base_url,
            max_retries=0,
            async_transport=transport,
        ) as client:
            await client.create("glm-5", [UserMessage("hi")])

    return lambda base_url: asyncio.run(ask(base_url))


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(_sync, id="sync"),
        pytest.param(_async("httpx"), id="async-httpx"),
        pytest.param(_async("aiohttp"), id="async-aiohttp"),
    ],
)
def test_a_replayed_answer_keeps_its_headers(tmp_path: Path, send: Any) -> None:
    recorder = configure_vcr(vcr.VCR(record_mode="once"))
    path = str(tmp_path / "rate_limited.yaml")
    with (
        LocalServer(_rate_limited) as server,
        recorder.use_cassette(path),
        pytest.raises(RateLimitError) as recorded,
    ):
        send(server.base_url)
    assert recorded.value.request_id == "req-42"

    with (
        recorder.use_cassette(path, record_mode="none"),
        pytest.raises(RateLimitError) as replayed,
    ):
        send("https://console.mixroute.io/v1")

    assert replayed.value.request_id == "req-42"
    assert replayed.value.retry_after == 7.0
