"""A user's pytest project that turns the cassette kit on, and a gateway stand-in it records.

The project runs in this process (pytester's ``runpytest_inprocess``) with pytest-recording
and vcrpy's real patching, recording from a :class:`~support.local_server.LocalServer` on
127.0.0.1 and replaying with the server stopped and sockets blocked, as CI would.
"""

from __future__ import annotations

import gzip
import json
import textwrap
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import vcr.serializers.yamlserializer
import vcr.stubs.aiohttp_stubs
import yaml
from support.local_server import LocalServer, Received, Reply

import langchain_mixroute

# Imported here, so every in-process run shares them: pytester drops the modules a run
# imported when it ends, and a second import of PyYAML or vcrpy beside the first breaks
# loading cassettes.
_SHARED_WITH_THE_RUNS = (aiohttp, langchain_mixroute, vcr, yaml)

KEY = "sk-user-project-0123456789abcdef"
CONFTEST = 'pytest_plugins = ["mixroute.testing"]\n'


def completion(content: str) -> dict[str, Any]:
    """A chat completion answering ``content``."""
    return {
        "id": "chatcmpl-user",
        "object": "chat.completion",
        "created": 1767225600,
        "model": "glm-5",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    }


def gateway(*, compress: bool = False, echo: bool = False) -> LocalServer:
    """A stand-in for the gateway answering "Paris." with a cookie.

    ``compress`` gzips the answer; ``echo`` appends the ``Authorization`` header it
    received to the answer's text, as a debugging proxy or a careless server might.
    """

    def respond(received: Received) -> Reply:
        content = "Paris."
        if echo:
            content += f" (you sent {received.headers.get('authorization')})"
        body = json.dumps(completion(content)).encode()
        headers = {"Content-Type": "application/json", "Set-Cookie": "session=abc123"}
        if compress:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        return Reply(200, body, headers)

    return LocalServer(respond)


class UserProject:
    """The scratch project: write its files, record, replay, and read its cassettes."""

    def __init__(self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pytester = pytester
        self.monkeypatch = monkeypatch
        pytester.makeconftest(CONFTEST)

    def write(self, **modules: str) -> None:
        """Write test modules, each given by name and (indented) source."""
        for name, source in modules.items():
            self.pytester.makepyfile(**{name: textwrap.dedent(source)})

    def record(self, server: LocalServer, *args: str) -> pytest.RunResult:
        """Record with the key and the server's URL in the environment (``once`` by default)."""
        self.monkeypatch.setenv("MIXROUTE_API_KEY", KEY)
        self.monkeypatch.setenv("MIXROUTE_BASE_URL", server.base_url)
        if not any(arg.startswith("--record-mode") for arg in args):
            args = ("--record-mode=once", *args)
        return self.run(*args)

    def replay(self, *args: str) -> pytest.RunResult:
        """Replay as CI does: no key, no base URL, sockets blocked, plain ``pytest``."""
        self.monkeypatch.delenv("MIXROUTE_API_KEY", raising=False)
        self.monkeypatch.delenv("MIXROUTE_BASE_URL", raising=False)
        return self.run("--block-network", *args)

    def run(self, *args: str) -> pytest.RunResult:
        """Run the project's tests in this process, with pytest-recording as the only add-on.

        The other installed plugins would be imported afresh by every run (pytester drops
        what a run imported), which costs seconds and tests nothing of ours.
        """
        self.monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        return self.pytester.runpytest_inprocess("-p", "recording", "-p", "no:cacheprovider", *args)

    def cassettes(self) -> dict[str, str]:
        """Every cassette the project wrote, by path relative to the project."""
        root = Path(self.pytester.path)
        return {
            str(path.relative_to(root)): path.read_text(encoding="utf-8")
            for path in sorted(root.rglob("cassettes/**/*.yaml"))
        }

    def assert_no_credential(self) -> None:
        """No cassette holds the key, an ``authorization`` header, or a cookie."""
        cassettes = self.cassettes()
        assert cassettes, "nothing was recorded"
        for path, text in cassettes.items():
            assert KEY not in text, path
            assert KEY[-8:] not in text, path
            assert "authorization" not in text.lower(), path
            assert "abc123" not in text, path
