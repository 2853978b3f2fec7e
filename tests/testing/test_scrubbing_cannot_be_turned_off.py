"""No habit of a pytest-recording user records the key.

pytest-recording passes ``vcr_config`` and ``@pytest.mark.vcr(...)`` arguments to
``VCR.use_cassette`` as the cassette's options, and vcrpy lets a cassette's option replace
the VCR's (``VCR._build_before_record_request``: ``options.get("before_record_request",
self.before_record_request)``). So the plugin scrubs after whatever filters vcrpy built
from both. Here a scratch project records from a server that gzips its answers and echoes
the ``Authorization`` header it got, with each habit in its own module.
"""

from __future__ import annotations

import pytest
import yaml
from user_project import UserProject, gateway

from mixroute.testing import CASSETTE_SOURCE_HEADER

pytest_plugins = ["pytester"]


def chain(name: str, marker: str = "@pytest.mark.vcr", config: str = "") -> str:
    """A test module asking one question; ``config`` is its ``vcr_config`` fixture's dict."""
    source = f"""
    import os

    import pytest
    from mixroute import MixrouteClient, UserMessage
    from mixroute.testing import mixroute_vcr_config


    def copy_credential(request):
        request.headers["x-copied-credential"] = request.headers.get("authorization", "none")
        return request


    def add_note(response):
        response["headers"]["x-their-note"] = ["Bearer " + os.environ["MIXROUTE_API_KEY"]]
        return response


    {marker}
    def test_{name}():
        with MixrouteClient() as client:
            answer = client.create("glm-5", [UserMessage("Capital of France?")], temperature=0)
        assert answer.message.content.startswith("Paris.")
    """
    if config:
        source += f"""

    @pytest.fixture
    def vcr_config():
        return {config}
    """
    return source


HABITS = {
    "test_plain": chain("plain"),
    "test_record_mode": chain("record_mode", config='{"record_mode": "once"}'),
    "test_kit_options": chain("kit_options", config='mixroute_vcr_config(record_mode="once")'),
    "test_no_filter_headers": chain("no_filter_headers", config='{"filter_headers": []}'),
    "test_their_hooks": chain(
        "their_hooks",
        config='{"before_record_request": copy_credential, "before_record_response": add_note, '
        '"decode_compressed_response": False}',
    ),
    "test_marker_arguments": chain(
        "marker_arguments",
        marker="@pytest.mark.vcr(filter_headers=[], before_record_request=copy_credential, "
        "before_record_response=add_note)",
    ),
}


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> UserProject:
    project = UserProject(pytester, monkeypatch)
    project.write(**HABITS)
    return project


@pytest.mark.parametrize("mode", ["once", "all", "rewrite", "new_episodes"])
def test_no_habit_records_the_key(project: UserProject, mode: str) -> None:
    with gateway(compress=True, echo=True) as server:
        project.record(server, f"--record-mode={mode}").assert_outcomes(passed=len(HABITS))

    project.assert_no_credential()
    cassettes = project.cassettes()
    assert len(cassettes) == len(HABITS)
    for path, text in cassettes.items():
        (interaction,) = yaml.safe_load(text)["interactions"]
        response = interaction["response"]
        # Stored decoded, so the echoed key could be found and replaced.
        assert "you sent Bearer REDACTED" in response["body"]["string"], path
        assert "content-encoding" not in {name.lower() for name in response["headers"]}, path
        assert response["headers"][CASSETTE_SOURCE_HEADER] == ["host:127.0.0.1"], path


def test_their_filters_run_first_and_ours_last(project: UserProject) -> None:
    with gateway(compress=True, echo=True) as server:
        project.record(server).assert_outcomes(passed=len(HABITS))

    for module in ("test_their_hooks", "test_marker_arguments"):
        text = project.cassettes()[f"cassettes/{module}/{module}.yaml"]
        (interaction,) = yaml.safe_load(text)["interactions"]
        # Theirs saw the credential (ours had not run yet), and ours scrubbed their copy.
        assert interaction["request"]["headers"]["x-copied-credential"] == ["Bearer REDACTED"]
        assert interaction["response"]["headers"]["x-their-note"] == ["Bearer REDACTED"]


def test_what_was_recorded_replays_offline(project: UserProject) -> None:
    with gateway(compress=True, echo=True) as server:
        project.record(server).assert_outcomes(passed=len(HABITS))

    project.replay().assert_outcomes(passed=len(HABITS))
