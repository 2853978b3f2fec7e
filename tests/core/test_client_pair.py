"""``ClientPair``: one model's sync and async core clients, checked at construction, opened
on first use (once, however many threads race), and copied and pickled by one rule: a copy
opens its own pools and shares your httpx clients; a pickle holds neither the key nor your
httpx clients, and the unpickled pair reads ``MIXROUTE_API_KEY`` when first used."""

from __future__ import annotations

import asyncio
import copy
import pickle
import threading
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any, ClassVar

import httpx
import pytest
from pydantic import PrivateAttr
from support.gateway_paths import ApiAtV1
from support.local_server import LocalServer

import mixroute
from mixroute import ConfigurationError, MixrouteWarning, RetryPolicy, UserMessage
from mixroute.client_pair import ClientPair, HoldsClientPair

KEY = "sk-pair-test-0123456789abcdef"
WORKER_KEY = "sk-from-the-environment-0000"
HI = [UserMessage("Hi")]


@pytest.fixture
def gateway() -> Iterator[LocalServer]:
    with LocalServer(ApiAtV1()) as server:
        yield server


def pair(gateway: LocalServer | None = None, **settings: Any) -> ClientPair:
    base_url = gateway.base_url if gateway is not None else "http://127.0.0.1:9/v1"
    return ClientPair(KEY, base_url=base_url, integration="tests/1", **settings)


def call_both(clients: ClientPair) -> None:
    """One sync and one async call, each answered by the gateway."""
    assert clients.sync_client.create("gpt-4o", HI).message.content == "Hello!"
    assert asyncio.run(clients.async_client.create("gpt-4o", HI)).message.content == "Hello!"


def keys_sent(gateway: LocalServer) -> list[str]:
    return [
        request.headers["authorization"].removeprefix("Bearer ") for request in gateway.received
    ]


# --- construction ------------------------------------------------------------------------


def test_it_is_exported_lazily_from_the_package() -> None:
    assert mixroute.ClientPair is ClientPair


def test_a_missing_key_fails_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="MIXROUTE_API_KEY"):
        ClientPair(base_url="http://127.0.0.1:9/v1")


def test_a_bad_url_fails_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="base_url must be an http"):
        ClientPair(KEY, base_url="ftp://example.com/v1")


@pytest.mark.parametrize(
    ("misspelt", "meant"),
    [("dealine", "deadline"), ("max_retry", "max_retries"), ("http_clint", "http_client")],
)
def test_a_misspelt_setting_is_a_configuration_error_naming_the_setting_meant(
    misspelt: str, meant: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ClientPair(KEY, **{misspelt: 3})  # type: ignore[arg-type]
    assert str(caught.value).startswith(
        f"ClientPair: unknown setting {misspelt!r}; did you mean {meant!r}?"
    )


def test_an_unknown_setting_lists_the_settings() -> None:
    with pytest.raises(ConfigurationError, match="unknown setting 'colour'; choose from") as caught:
        ClientPair(KEY, colour="blue")  # type: ignore[call-arg]
    assert "deadline, default_headers" in str(caught.value)


def test_a_misspelt_setting_in_replace_is_named_too() -> None:
    with pytest.raises(ConfigurationError, match="did you mean 'timeout'"):
        pair().replace(timout=3)


@pytest.mark.parametrize("name", ["http_client", "http_async_client"])
def test_an_http_client_of_the_wrong_kind_fails_at_construction(name: str) -> None:
    wrong: Any = httpx.AsyncClient() if name == "http_client" else httpx.Client()
    with pytest.raises(ConfigurationError, match=f"{name} must be an httpx"):
        ClientPair(KEY, **{name: wrong})


def test_the_key_comes_from_the_environment_when_not_given(
    monkeypatch: pytest.MonkeyPatch, gateway: LocalServer
) -> None:
    monkeypatch.setenv("MIXROUTE_API_KEY", WORKER_KEY)
    ClientPair(base_url=gateway.base_url).sync_client.create("gpt-4o", HI)
    assert keys_sent(gateway) == [WORKER_KEY]


def test_the_settings_reach_both_clients() -> None:
    clients = pair(deadline=9.0, max_retries=4, async_transport="httpx", timeout=30)
    assert clients.async_client.settings == clients.settings
    # The sync client has no async_transport; every other setting is the same.
    assert replace(clients.sync_client.settings, async_transport="httpx") == clients.settings
    assert clients.settings.deadline == 9.0
    assert clients.sync_client.retry_policy.max_retries == 4
    assert clients.async_client.transport == "httpx"
    assert clients.settings.user_agent.endswith(" tests/1")
    assert clients.base_url == "http://127.0.0.1:9/v1"


def test_the_key_is_in_no_repr() -> None:
    clients = pair()
    clients.sync_client  # noqa: B018  (opened: its repr too)
    assert KEY not in repr(clients)
    assert "sync_open=True" in repr(clients)


# --- opened on first use, once -----------------------------------------------------------


def test_nothing_is_opened_until_used_and_then_the_same_client_is_kept(
    gateway: LocalServer,
) -> None:
    clients = pair(gateway)
    assert "sync_open=False, async_open=False" in repr(clients)
    assert gateway.received == []
    assert clients.sync_client is clients.sync_client
    assert "sync_open=True, async_open=False" in repr(clients)
    assert clients.async_client is clients.async_client


@pytest.mark.parametrize("side", ["sync_client", "async_client"])
def test_threads_racing_to_the_first_use_share_one_client(side: str) -> None:
    clients = pair()
    start = threading.Barrier(8)
    seen: list[object] = []

    def first_use() -> None:
        start.wait()
        seen.append(getattr(clients, side))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8
    assert len({id(client) for client in seen}) == 1


def test_closing_opens_a_new_pool_on_the_next_call_and_leaves_yours_open(
    gateway: LocalServer,
) -> None:
    with httpx.Client() as http:
        clients = pair(gateway, http_client=http)
        first = clients.sync_client
        call_both(clients)
        clients.close()
        asyncio.run(clients.aclose())
        assert clients.sync_client is not first
        call_both(clients)
        assert not http.is_closed
    assert len(gateway.received) == 4


# --- copies --------------------------------------------------------------------------------


@pytest.mark.parametrize("how", [copy.copy, copy.deepcopy, ClientPair.copy])
def test_a_copy_keeps_the_settings_and_opens_its_own_pools(gateway: LocalServer, how: Any) -> None:
    clients = pair(gateway)
    call_both(clients)
    duplicate = how(clients)
    assert duplicate.settings == clients.settings
    assert duplicate.sync_client is not clients.sync_client
    assert duplicate.sync_client.http_client is not clients.sync_client.http_client
    clients.close()  # the original's pools, not the copy's
    asyncio.run(clients.aclose())
    call_both(duplicate)
    assert keys_sent(gateway) == [KEY] * 4
    first, then = gateway.received[:2], gateway.received[2:]
    assert {r.client_port for r in first}.isdisjoint(r.client_port for r in then)


@pytest.mark.parametrize("how", [copy.copy, copy.deepcopy])
def test_a_copy_shares_your_httpx_clients_and_retry_policy(how: Any) -> None:
    policy = RetryPolicy(max_retries=1)
    with httpx.Client() as http:
        ahttp = httpx.AsyncClient()
        clients = pair(http_client=http, http_async_client=ahttp, retry_policy=policy)
        duplicate = how(clients)
        assert duplicate.sync_client.http_client is http
        assert duplicate.async_client.http_client is ahttp
        assert duplicate.sync_client.retry_policy is policy


def test_share_in_makes_a_deepcopy_of_a_holder_share_them() -> None:
    policy = RetryPolicy(max_retries=1)
    with httpx.Client() as http:
        clients = pair(http_client=http, retry_policy=policy)
        memo: dict[int, Any] = {}
        clients.share_in(memo)
        holder = copy.deepcopy({"http": http, "policy": policy, "pair": clients}, memo)
        assert holder["http"] is http
        assert holder["policy"] is policy
        assert holder["pair"] is not clients


def test_replace_changes_a_setting_keeps_the_key_and_checks_the_change() -> None:
    clients = pair(deadline=9.0)
    other = clients.replace(stream_deadline=45.0)
    assert (other.settings.deadline, other.settings.stream_deadline) == (9.0, 45.0)
    assert other.settings.api_key.get_secret_value() == KEY
    assert clients.settings.stream_deadline is None
    with pytest.raises(ConfigurationError, match="max_body_bytes"):
        clients.replace(max_body_bytes=0)
    with pytest.raises(TypeError, match="keeps the key"):
        clients.replace(api_key="sk-other")


# --- pickles -------------------------------------------------------------------------------


@pytest.mark.parametrize("used", [False, True], ids=["unused", "after-calls"])
def test_a_pickle_holds_no_key_and_the_unpickled_pair_reads_the_environment(
    gateway: LocalServer, monkeypatch: pytest.MonkeyPatch, used: bool
) -> None:
    clients = pair(gateway, deadline=12.0, async_transport="httpx")
    if used:
        call_both(clients)
    data = pickle.dumps(clients)
    assert KEY.encode() not in data
    monkeypatch.setenv("MIXROUTE_API_KEY", WORKER_KEY)
    again = pickle.loads(data)
    assert again.base_url == gateway.base_url
    call_both(again)
    assert again.settings.deadline == 12.0
    assert again.async_client.transport == "httpx"
    assert again.settings.user_agent == clients.settings.user_agent
    assert keys_sent(gateway)[-2:] == [WORKER_KEY] * 2


def test_without_the_key_in_the_environment_unpickling_works_and_the_first_call_says_what_to_set(
    gateway: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    again = pickle.loads(pickle.dumps(pair(gateway)))
    assert again.base_url == gateway.base_url
    for use in (lambda: again.sync_client, lambda: again.async_client, lambda: again.settings):
        with pytest.raises(ConfigurationError, match=r"unpickled.*MIXROUTE_API_KEY"):
            use()
    copied = copy.deepcopy(again)  # a copy of it waits for the key too
    monkeypatch.setenv("MIXROUTE_API_KEY", WORKER_KEY)  # set later, as an initializer may
    call_both(again)
    call_both(copied)
    assert keys_sent(gateway) == [WORKER_KEY] * 4


def test_your_httpx_clients_are_left_out_of_a_pickle_with_one_warning(
    gateway: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with httpx.Client(headers={"User-Agent": "their-client/1"}) as http:
        clients = pair(gateway, http_client=http, http_async_client=httpx.AsyncClient())
        clients.sync_client.create("gpt-4o", HI)
        with pytest.warns(
            MixrouteWarning, match="httpx sync and async clients you passed"
        ) as caught:
            data = pickle.dumps(clients)
        assert len(caught) == 1
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            pickle.dumps(clients)  # once per pair: Dask ships a model to many tasks
    monkeypatch.setenv("MIXROUTE_API_KEY", WORKER_KEY)
    again = pickle.loads(data)
    again.sync_client.create("gpt-4o", HI)
    agents = [request.headers["user-agent"] for request in gateway.received]
    assert agents[0] == "their-client/1"
    assert agents[1] == clients.settings.user_agent  # a pool of its own


def test_a_pair_without_your_httpx_clients_pickles_silently() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pickle.dumps(pair())


def test_the_warning_names_the_one_httpx_client_left_out() -> None:
    with httpx.Client() as http, pytest.warns(MixrouteWarning, match="httpx sync client you"):
        pickle.dumps(pair(http_client=http))


# --- a model that holds a pair --------------------------------------------------------------


class Holder(HoldsClientPair):
    """The smallest model made on a pair: one client setting, one other field."""

    deadline: float | None = 30.0
    label: str = "a"
    _pair: ClientPair | None = PrivateAttr(default=None)
    _client_fields: ClassVar[frozenset[str]] = frozenset({"deadline"})
    _changed: list[str] = PrivateAttr(default_factory=list)

    def _client_pair(self) -> ClientPair | None:
        return self._pair

    def _use_client_pair(self, clients: ClientPair) -> None:
        self._pair = clients

    def _new_client_pair(self, current: ClientPair) -> ClientPair:
        return current.replace(deadline=self.deadline)

    def _settings_changed(self, names: Iterable[str]) -> None:
        self._changed.extend(names)
        super()._settings_changed(names)


def holder(**settings: Any) -> Holder:
    made = Holder(**settings)
    made._pair = pair(deadline=made.deadline)
    return made


def test_a_holder_reopens_its_clients_when_a_client_setting_changes() -> None:
    model = holder()
    before = model._pair
    model.label = "b"
    assert model._pair is before  # not a client setting
    model.deadline = 9.0
    assert model._pair is not before
    assert model._pair is not None
    assert model._pair.settings.deadline == 9.0
    assert model._changed == ["label", "deadline"]


def test_a_holder_keeps_the_old_value_when_the_clients_refuse_the_new_one() -> None:
    model = holder()
    before = model._pair
    with pytest.raises(ConfigurationError, match="deadline"):
        model.deadline = -1.0
    assert model.deadline == 30.0
    assert model._pair is before


@pytest.mark.parametrize(
    "how",
    [copy.copy, copy.deepcopy, lambda m: m.model_copy(), lambda m: m.model_copy(deep=True)],
    ids=["copy", "deepcopy", "model_copy", "model_copy-deep"],
)
def test_a_copy_of_a_holder_gets_a_pair_of_its_own_sharing_your_httpx_client(how: Any) -> None:
    with httpx.Client() as http:
        model = holder()
        model._pair = pair(http_client=http)
        duplicate = how(model)
        assert duplicate._pair is not None
        assert duplicate._pair is not model._pair
        assert duplicate._pair.sync_client.http_client is http


@pytest.mark.parametrize("deep", [False, True])
def test_model_copy_applies_the_updated_settings_to_the_copy(deep: bool) -> None:
    model = holder()
    duplicate = model.model_copy(update={"deadline": 45.0}, deep=deep)
    assert duplicate._pair is not None
    assert duplicate._pair.settings.deadline == 45.0
    assert model._pair is not None
    assert model._pair.settings.deadline == 30.0
