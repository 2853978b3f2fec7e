"""``x-cassette-source`` says where a recorded answer came from.

``live`` only for the Mixroute gateway's host, ``host:<name>`` for any other server, and
``MIXROUTE_CASSETTE_SOURCE`` over both (this project's own cassettes say ``local-server``
or ``wire-format`` that way). The gateway is reached through ``httpx.MockTransport``,
which vcrpy patches like any transport, so no test leaves this machine.
"""

from __future__ import annotations

import pytest
import yaml
from user_project import UserProject, gateway

from mixroute.settings import DEFAULT_BASE_URL
from mixroute.testing import CASSETTE_SOURCE_HEADER, cassette_source

pytest_plugins = ["pytester"]

CHAINS = """
    import httpx
    import pytest
    from mixroute import MixrouteClient, UserMessage
    from mixroute.settings import DEFAULT_BASE_URL

    ANSWER = {
        "id": "c", "object": "chat.completion", "created": 1, "model": "glm-5",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "Paris."},
             "finish_reason": "stop"}
        ],
    }


    def ask(client):
        with client:
            answer = client.create("glm-5", [UserMessage("Capital of France?")], temperature=0)
        assert answer.message.content == "Paris."


    @pytest.mark.vcr
    def test_local_server():
        ask(MixrouteClient())


    @pytest.mark.vcr
    def test_gateway():
        gateway = httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(200, json=ANSWER)))
        ask(MixrouteClient(base_url=DEFAULT_BASE_URL, http_client=gateway))
"""


def sources(project: UserProject) -> dict[str, list[str]]:
    found = {}
    for path, text in project.cassettes().items():
        for interaction in yaml.safe_load(text)["interactions"]:
            found[path] = interaction["response"]["headers"][CASSETTE_SOURCE_HEADER]
    return found


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> UserProject:
    monkeypatch.delenv("MIXROUTE_CASSETTE_SOURCE", raising=False)
    project = UserProject(pytester, monkeypatch)
    project.write(test_chains=CHAINS)
    return project


def test_live_only_for_the_gateway_and_the_host_for_any_other_server(project: UserProject) -> None:
    with gateway() as server:
        project.record(server).assert_outcomes(passed=2)

    assert sources(project) == {
        "cassettes/test_chains/test_gateway.yaml": ["live"],
        "cassettes/test_chains/test_local_server.yaml": ["host:127.0.0.1"],
    }


def test_the_environment_variable_wins(
    project: UserProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIXROUTE_CASSETTE_SOURCE", "wire-format")
    with gateway() as server:
        project.record(server).assert_outcomes(passed=2)

    assert set(map(tuple, sources(project).values())) == {("wire-format",)}


def test_the_source_of_a_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIXROUTE_CASSETTE_SOURCE", raising=False)
    gateway_host = DEFAULT_BASE_URL.split("/")[2]
    assert cassette_source(gateway_host) == "live"
    assert cassette_source("console.mixroute.io.example") == "host:console.mixroute.io.example"
    assert cassette_source("localhost") == "host:localhost"
    assert cassette_source(None) == "unknown"
    monkeypatch.setenv("MIXROUTE_CASSETTE_SOURCE", "local-server")
    assert cassette_source(gateway_host) == "local-server"
