"""Specification of the capability warnings: a request carries what its profile refuses.

Tools to a model without tool calling (their ``tool_choice`` named in the same warning),
``enable_thinking=True`` to a model without the switch, and image, file (PDF) or audio
parts to a model without those inputs are sent as given, with one ``MixrouteWarning`` per
model and kind in a process: it names what was sent, the model, the profile field, and the
override. ``enable_thinking=False`` warns nothing. A model whose profile takes it, or a profile
corrected by an override, gets none. The stand-in gateway (support/plausible_gateway.py)
answers on a real socket, and records what it was sent.
"""

from __future__ import annotations

import asyncio
import base64
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.capability_kinds import (
    AUDIO,
    IMAGE,
    KINDS,
    PDF,
    THINKING,
    TOOLS,
    Kind,
    assert_quiet,
    assert_warned_once,
    bodies,
    mixroute_warnings,
)
from support.local_server import LocalServer

from mixroute import (
    AsyncMixrouteClient,
    AudioPart,
    FilePart,
    ImagePart,
    MixrouteClient,
    MixrouteWarning,
    SystemMessage,
    TextPart,
    UserMessage,
    get_profile,
)
from mixroute.tool_choice import forget_warnings
from mixroute.tools import function_tool

KEY = "sk-capability-test-0123456789abcdef"
WEATHER = function_tool(
    "get_weather", {"type": "object", "properties": {"city": {"type": "string"}}}
)
ASK = [UserMessage("What is the weather in Paris?")]
WAV = base64.b64encode(b"RIFF0000WAVE").decode()
GUIDES = Path(__file__).resolve().parents[2] / "docs" / "guides"


def with_part(part: Any) -> list[UserMessage]:
    return [UserMessage([TextPart("What is this?"), part])]


# Per kind: the messages and the options of a request that carries it.
REQUESTS: dict[str, tuple[list[Any], dict[str, Any]]] = {
    TOOLS.field: (ASK, {"tools": [WEATHER]}),
    THINKING.field: (ASK, {"enable_thinking": True}),
    IMAGE.field: (with_part(ImagePart("https://example.com/a.png")), {}),
    PDF.field: (with_part(FilePart(url="https://example.com/a.pdf")), {}),
    AUDIO.field: (with_part(AudioPart(WAV, format="wav")), {}),
}


@pytest.fixture(autouse=True)
def _fresh_warnings() -> Iterator[None]:
    forget_warnings()
    yield
    forget_warnings()


@pytest.fixture
def served(plausible_server: LocalServer) -> Iterator[tuple[MixrouteClient, LocalServer]]:
    with MixrouteClient(KEY, base_url=plausible_server.base_url, max_retries=0) as client:
        yield client, plausible_server


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_each_kind_warns_once_per_model_and_the_request_is_sent_as_given(
    served: tuple[MixrouteClient, LocalServer], kind: Kind
) -> None:
    client, server = served
    messages, options = REQUESTS[kind.field]
    assert_warned_once(server, kind, lambda: client.create(kind.refused_by, messages, **options))


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_no_warning_where_the_profile_takes_it_or_is_corrected(
    served: tuple[MixrouteClient, LocalServer], kind: Kind
) -> None:
    client, server = served
    messages, options = REQUESTS[kind.field]
    corrected = get_profile(kind.refused_by, {kind.field: True})
    assert_quiet(
        server,
        kind,
        lambda: client.create(kind.taken_by, messages, **options),
        lambda: client.create(kind.refused_by, messages, profile=corrected, **options),
    )


def test_the_record_is_per_model_and_kind_and_points_at_the_caller(
    served: tuple[MixrouteClient, LocalServer],
) -> None:
    client, _ = served
    image = REQUESTS[IMAGE.field][0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.create("o1-mini", image)
        client.create("o3-mini", image)  # another model
        client.create("o1-mini", image)  # said already
        client.create("o1-mini", image, enable_thinking=True)  # another kind
    said = mixroute_warnings(caught)
    assert [text.split(" was sent ")[0] for text in said] == [
        "Model 'o1-mini'",
        "Model 'o3-mini'",
        "Model 'o1-mini'",
    ]
    assert "was sent enable_thinking=True" in said[2]
    assert {w.filename for w in caught} == {__file__}


def test_the_async_client_and_streams_warn_the_same(plausible_server: LocalServer) -> None:
    async def run(base_url: str) -> str:
        async with (
            AsyncMixrouteClient(KEY, base_url=base_url, max_retries=0) as client,
            client.stream("gpt-4o", ASK, enable_thinking=True) as stream,
        ):
            return "".join([delta.content or "" async for delta in stream])

    with pytest.warns(MixrouteWarning, match="'gpt-4o' was sent enable_thinking=True"):
        text = asyncio.run(run(plausible_server.base_url))
    assert text
    assert plausible_server.received[0].json()["enable_thinking"] is True


@pytest.mark.parametrize(
    ("guide", "said", "kind"),
    [
        (
            "multimodal.md",
            "Parts are sent as you give them: the gateway's vendor decides what it accepts. "
            "A kind the model's profile says it does not take brings one `MixrouteWarning` "
            "per model and kind",
            IMAGE,
        ),
        (
            "tools-and-agents.md",
            "Tools for a model whose profile says it calls none (`tool_calling`, false for "
            "`o1-mini`) are sent as given, with one `MixrouteWarning` per model",
            TOOLS,
        ),
        (
            "reasoning.md",
            "the flag is sent to any model you give it to (the profile's `enable_thinking` "
            "says which models take it). `enable_thinking=True` to a model whose profile has "
            "no switch brings one `MixrouteWarning` per model",
            THINKING,
        ),
    ],
    ids=["multimodal", "tools", "reasoning"],
)
def test_the_guides_say_what_is_sent_and_the_correction_the_warning_names(
    guide: str, said: str, kind: Kind
) -> None:
    text = " ".join((GUIDES / guide).read_text(encoding="utf-8").split())
    assert said in text
    correction = f'profile_overrides={{"{kind.field}": True}}'
    assert f"(`{correction}`)" in text
    assert not getattr(get_profile(kind.refused_by), kind.field)
    messages, options = REQUESTS[kind.field]
    with pytest.warns(MixrouteWarning) as caught:
        body = MixrouteClient(KEY).build_request(kind.refused_by, messages, **options)
    assert correction in mixroute_warnings(caught)[0]
    assert kind.sent(body)


FORCED = (
    "(the tool_choice left out; an answer without a tool call is asked for once more, "
    "then ToolCallNotMadeError is raised)"
)


@pytest.mark.parametrize(
    ("choice", "notes"),
    [
        ("required", FORCED),
        ("get_weather", FORCED),
        (True, FORCED),
        ("auto", "(the tool_choice left out)"),
    ],
    ids=["required", "named", "true", "auto"],
)
def test_tools_and_their_choice_to_a_model_without_tool_calling_bring_one_warning(
    served: tuple[MixrouteClient, LocalServer], choice: object, notes: str
) -> None:
    client, server = served
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        answer = client.create(TOOLS.refused_by, ASK, tools=[WEATHER], tool_choice=choice)
    (said,) = mixroute_warnings(caught)
    assert said.startswith(f"Model 'o1-mini' was sent tools and tool_choice={choice!r} {notes}")
    assert "(tool_calling=False)" in said
    assert 'profile_overrides={"tool_calling": True}' in said
    (sent,) = bodies(server)  # the stand-in calls the tool: nothing is asked again
    assert TOOLS.sent(sent)
    assert "tool_choice" not in sent
    assert [call.name for call in answer.message.tool_calls] == ["get_weather"]
    guide = " ".join((GUIDES / "tools-and-agents.md").read_text(encoding="utf-8").split())
    assert (
        "A `tool_choice` given with them is named in that warning, not in one of its own." in guide
    )


def test_switching_thinking_off_warns_nothing_and_is_sent(
    served: tuple[MixrouteClient, LocalServer],
) -> None:
    client, server = served
    with warnings.catch_warnings():
        warnings.simplefilter("error", MixrouteWarning)
        client.create(THINKING.refused_by, ASK, enable_thinking=False)
        client.create("o1-mini", ASK, enable_thinking=False)  # a reasoning model: the same
    assert [body["enable_thinking"] for body in bodies(server)] == [False, False]
    guide = " ".join((GUIDES / "reasoning.md").read_text(encoding="utf-8").split())
    assert '(`profile_overrides={"enable_thinking": True}`); `False` warns nothing.' in guide


def test_parts_are_found_in_wire_dicts_and_text_parts_warn_nothing(
    served: tuple[MixrouteClient, LocalServer],
) -> None:
    client, server = served
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    as_dicts = [{"role": "user", "content": [{"type": "text", "text": "What is this?"}, image]}]
    assert_warned_once(server, IMAGE, lambda: client.create(IMAGE.refused_by, as_dicts))
    text_parts = [
        SystemMessage([TextPart("Be brief.")]),
        UserMessage([TextPart("Hi"), TextPart("there")]),
        {"role": "assistant", "content": [{"type": "text", "text": "Hello"}]},
        {"role": "user", "content": "And now?"},
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error", MixrouteWarning)
        client.create(IMAGE.refused_by, text_parts)
    assert bodies(server)[-1]["messages"][1]["content"][1] == {"type": "text", "text": "there"}
