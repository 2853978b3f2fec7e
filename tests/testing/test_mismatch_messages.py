"""A changed request fails its replay with the field that changed, the right way round.

vcrpy calls a matcher as ``matcher(request, stored_request)`` (``vcr/matchers.py``,
``get_matchers_results``): the request being sent first, the recorded one second. These
tests go through that real call: record, change the request, replay, read the failure.
"""

from __future__ import annotations

import json

import pytest
from user_project import UserProject, gateway

pytest_plugins = ["pytester"]

CHAIN = """
    import json
    import os

    import pytest
    from mixroute import MixrouteClient, UserMessage

    OPTIONS = json.loads(os.environ["CHAIN_OPTIONS"])


    @pytest.mark.vcr
    def test_capital():
        with MixrouteClient() as client:
            answer = client.create("glm-5", [UserMessage("Capital of France?")], **OPTIONS)
        assert answer.message.content == "Paris."
"""

# A user's own match_on is used as given: this one leaves the body out.
LENIENT = (
    CHAIN.replace("def test_capital", "def test_lenient_capital")
    + """

    @pytest.fixture
    def vcr_config():
        return {"match_on": ["method", "path"]}
"""
)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> UserProject:
    project = UserProject(pytester, monkeypatch)
    project.write(test_chain=CHAIN, test_lenient=LENIENT)
    monkeypatch.setenv("CHAIN_OPTIONS", json.dumps({"temperature": 0}))
    with gateway() as server:
        project.record(server).assert_outcomes(passed=2)
    return project


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"temperature": 0.5}, "body.temperature differs: recorded 0, sent 0.5"),
        ({"temperature": 0, "top_p": 0.9}, "body.top_p is new in the request: 0.9"),
        ({}, "body.temperature was recorded but is no longer sent"),
    ],
    ids=["changed", "added", "removed"],
)
def test_a_changed_request_names_the_field_and_both_values(
    project: UserProject, monkeypatch: pytest.MonkeyPatch, options: dict[str, float], message: str
) -> None:
    monkeypatch.setenv("CHAIN_OPTIONS", json.dumps(options))

    result = project.replay()

    result.assert_outcomes(passed=1, failed=1)  # test_chain fails; test_lenient ignores bodies
    result.stdout.fnmatch_lines(["*json_body_matcher - assertion failure*", f"*{message}*"])


def test_the_same_request_replays(project: UserProject) -> None:
    project.replay().assert_outcomes(passed=2)
