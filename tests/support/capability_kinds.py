"""The kinds of the capability warnings, shared by the core's and both adapters' tests.

Each kind is a profile field, a model whose profile refuses it, one whose profile takes
it, and how to see in a request body that it was sent as given. The tests make the call
their own way (the core's parts, LangChain's blocks, LlamaIndex's blocks) and check it
with :func:`assert_warned_once` and :func:`assert_quiet` against a stand-in server.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from mixroute import MixrouteWarning
from mixroute.tool_choice import forget_warnings
from support.local_server import LocalServer

JSON = dict[str, Any]
M = TypeVar("M")


@dataclass(frozen=True)
class Kind:
    """One kind: the profile field, a model that refuses it, one that takes it."""

    field: str
    refused_by: str
    taken_by: str
    sent: Callable[[JSON], bool]

    def __str__(self) -> str:
        return self.field


def part_types(body: JSON) -> list[str]:
    """The types of the first message's content parts."""
    return [part["type"] for part in body["messages"][0]["content"]]


TOOLS = Kind(
    "tool_calling",
    "o1-mini",
    "gpt-4o",
    lambda body: body["tools"][0]["function"]["name"] == "get_weather",
)
THINKING = Kind("enable_thinking", "gpt-4o", "qwen-plus", lambda b: b["enable_thinking"] is True)
IMAGE = Kind("image_inputs", "o1-mini", "gpt-4o", lambda b: part_types(b) == ["text", "image_url"])
PDF = Kind("pdf_inputs", "o3-mini", "gpt-4o", lambda b: part_types(b) == ["text", "file"])
AUDIO = Kind(
    "audio_inputs",
    "gpt-4o",
    "gemini-2.5-pro",
    lambda body: part_types(body) == ["text", "input_audio"],
)
KINDS = (TOOLS, THINKING, IMAGE, PDF, AUDIO)


def mixroute_warnings(caught: Any) -> list[str]:
    """The texts of the ``MixrouteWarning``s among recorded warnings."""
    return [str(w.message) for w in caught if issubclass(w.category, MixrouteWarning)]


def bodies(server: LocalServer) -> list[JSON]:
    """The JSON bodies the server received, in order."""
    return [received.json() for received in server.received]


@pytest.fixture
def fresh_warnings() -> Iterator[None]:
    """The process's record of warnings forgotten before and after the test, even if it fails."""
    forget_warnings()
    yield
    forget_warnings()


def assert_warned_once(server: LocalServer, kind: Kind, call: Callable[[], object]) -> None:
    """``call`` (to ``kind.refused_by``) twice: one warning, then none; both sent as given.

    The process's record of warnings is forgotten before and after.
    """
    forget_warnings()
    try:
        _warned_once(server, kind, call)
    finally:
        forget_warnings()


def _warned_once(server: LocalServer, kind: Kind, call: Callable[[], object]) -> None:
    with pytest.warns(MixrouteWarning) as caught:
        call()
    (said,) = mixroute_warnings(caught)
    assert f"Model {kind.refused_by!r} was sent" in said
    assert f"({kind.field}=False)" in said
    assert f'profile_overrides={{"{kind.field}": True}}' in said
    with warnings.catch_warnings():
        warnings.simplefilter("error", MixrouteWarning)  # the same model and kind again
        call()
    assert len(bodies(server)) == 2
    assert all(kind.sent(body) for body in bodies(server))


def assert_quiet(server: LocalServer, kind: Kind, *calls: Callable[[], object]) -> None:
    """Each of ``calls`` warns nothing, and sends what ``kind`` looks for."""
    before = len(server.received)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MixrouteWarning)
        for call in calls:
            call()
    sent = bodies(server)[before:]
    assert len(sent) == len(calls)
    assert all(kind.sent(body) for body in sent)


def assert_warned_where_refused(
    server: LocalServer, kind: Kind, make: Callable[..., M], call: Callable[[M], object]
) -> None:
    """The whole story of ``kind`` for an adapter: ``make(model, **settings)`` builds its
    chat model, ``call`` sends the kind with it. The model that refuses it warns once and
    then not; the one that takes it, and the refusing one with ``profile_overrides``
    saying it takes it, warn nothing; every request is sent as given."""
    refused = make(kind.refused_by)
    assert_warned_once(server, kind, lambda: call(refused))
    corrected = {kind.field: True}
    assert_quiet(
        server,
        kind,
        lambda: call(make(kind.taken_by)),
        lambda: call(make(kind.refused_by, profile_overrides=corrected)),
    )
