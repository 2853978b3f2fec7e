"""Replaying needs no key: CI runs plain ``pytest`` with no ``MIXROUTE_API_KEY``."""

from __future__ import annotations

import os

import pytest
from user_project import KEY, UserProject, gateway

from mixroute.testing import REPLAY_API_KEY

pytest_plugins = ["pytester"]

# Clients made at import time, in a module fixture and in the test, as users write them.
CHAIN = """
    import os

    import pytest
    from langchain_mixroute import ChatMixroute
    from mixroute import MixrouteClient, UserMessage

    AT_IMPORT = MixrouteClient()
    LLM = ChatMixroute(model="glm-5", temperature=0)


    @pytest.fixture(scope="module")
    def client():
        with MixrouteClient() as client:
            yield client


    @pytest.mark.vcr
    def test_client_made_at_import():
        answer = AT_IMPORT.create("glm-5", [UserMessage("Capital of France?")], temperature=0)
        assert answer.message.content == "Paris."


    @pytest.mark.vcr
    def test_client_from_a_module_fixture(client):
        answer = client.create("glm-5", [UserMessage("Capital of France?")], temperature=0)
        assert answer.message.content == "Paris."


    @pytest.mark.vcr
    def test_chat_model_made_at_import():
        assert LLM.invoke("Capital of France?").content == "Paris."


    def test_the_key_seen_by_the_tests():
        print("KEY SEEN:", os.environ.get("MIXROUTE_API_KEY"))
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> UserProject:
    project = UserProject(pytester, monkeypatch)
    project.write(test_chain=CHAIN)
    return project


def test_recorded_with_a_key_replays_without_one(project: UserProject) -> None:
    with gateway() as server:
        project.record(server).assert_outcomes(passed=4)
    assert len(server.received) == 3

    result = project.replay("-s")

    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([f"*KEY SEEN: {REPLAY_API_KEY}*"])
    assert "MIXROUTE_API_KEY" not in os.environ, "the placeholder outlived the session"


def test_the_placeholder_is_never_sent_anywhere_it_could_be_recorded(project: UserProject) -> None:
    with gateway() as server:
        project.record(server).assert_outcomes(passed=4)
    assert all(request.headers["authorization"] == f"Bearer {KEY}" for request in server.received)
    project.replay().assert_outcomes(passed=4)
    assert REPLAY_API_KEY not in "".join(project.cassettes().values())


def test_a_key_of_your_own_is_kept_on_replay(
    project: UserProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    with gateway() as server:
        project.record(server).assert_outcomes(passed=4)
    monkeypatch.setenv("MIXROUTE_API_KEY", "sk-my-own-ci-key-000000")

    result = project.run("--block-network", "-s")

    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*KEY SEEN: sk-my-own-ci-key-000000*"])
    assert os.environ["MIXROUTE_API_KEY"] == "sk-my-own-ci-key-000000"


def test_recording_without_a_key_still_says_so(
    project: UserProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MIXROUTE_API_KEY", raising=False)

    result = project.run("--record-mode=once")

    result.stdout.fnmatch_lines(["*ConfigurationError: No Mixroute API key*"])
    assert project.cassettes() == {}
