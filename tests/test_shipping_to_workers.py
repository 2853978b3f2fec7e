"""Models shipped to worker processes, as Ray and Dask ship callables: pickled, sent to a
``spawn``-started process, unpickled and called there against a real local server.

The key never travels in the pickle: each worker reads ``MIXROUTE_API_KEY`` from its own
environment (set here by the pool's initializer, as a deployment sets it on its workers),
and a worker without it gets a ConfigurationError that says what to set, at the first call.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from support.gateway_paths import ApiAtV1
from support.local_server import LocalServer

PARENT_KEY = "sk-parent-only-0123456789abcdef"
WORKER_KEY = "sk-worker-environment-fedcba9876"


def set_worker_key(key: str) -> None:
    """The pool's initializer: the worker's own environment holds its key."""
    os.environ["MIXROUTE_API_KEY"] = key


def call_chat_model(llm: Any) -> list[str]:
    """In a worker: ``invoke`` and ``ainvoke`` on the shipped ``ChatMixroute``."""
    return [str(llm.invoke("Hi").content), str(asyncio.run(llm.ainvoke("Hi")).content)]


def call_llm(llm: Any) -> list[str]:
    """In a worker: ``chat`` and ``achat`` on the shipped ``Mixroute``."""
    from llama_index.core.base.llms.types import ChatMessage

    hi = [ChatMessage(role="user", content="Hi")]
    return [str(llm.chat(hi).message.content), str(asyncio.run(llm.achat(hi)).message.content)]


def call_without_the_key(llm: Any) -> str:
    """In a worker whose environment lacks the key: the error the first call raises."""
    from mixroute import ConfigurationError

    key = os.environ.pop("MIXROUTE_API_KEY")
    try:
        llm.invoke("Hi")
    except ConfigurationError as error:
        return str(error)
    finally:
        os.environ["MIXROUTE_API_KEY"] = key
    return "no error"


@pytest.fixture(scope="module")
def gateway() -> Iterator[LocalServer]:
    with LocalServer(ApiAtV1()) as server:
        yield server


@pytest.fixture(scope="module")
def workers() -> Iterator[ProcessPoolExecutor]:
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=2, mp_context=spawn, initializer=set_worker_key, initargs=(WORKER_KEY,)
    ) as pool:
        yield pool


def keys_sent(server: LocalServer) -> list[str]:
    return [r.headers["authorization"].removeprefix("Bearer ") for r in server.received]


def test_a_chat_mixroute_and_a_mixroute_answer_in_workers_with_the_workers_key(
    gateway: LocalServer, workers: ProcessPoolExecutor
) -> None:
    from langchain_mixroute import ChatMixroute
    from llama_index_mixroute import Mixroute

    chat_model = ChatMixroute(model="gpt-4o", api_key=PARENT_KEY, base_url=gateway.base_url)
    llm = Mixroute("gpt-4o", api_key=PARENT_KEY, base_url=gateway.base_url)
    chat_model.invoke("Hi")  # used first: its pools are open when it is shipped
    asyncio.run(llm.achat([{"role": "user", "content": "Hi"}]))
    for model in (chat_model, llm):
        assert PARENT_KEY.encode() not in pickle.dumps(model)
    gateway.received.clear()

    shipped = [workers.submit(call_chat_model, chat_model), workers.submit(call_llm, llm)]
    assert [future.result(timeout=60) for future in shipped] == [["Hello!", "Hello!"]] * 2
    assert keys_sent(gateway) == [WORKER_KEY] * 4


def test_a_worker_without_the_key_is_told_what_to_set_at_the_first_call(
    gateway: LocalServer, workers: ProcessPoolExecutor
) -> None:
    from langchain_mixroute import ChatMixroute

    chat_model = ChatMixroute(model="gpt-4o", api_key=PARENT_KEY, base_url=gateway.base_url)
    message = workers.submit(call_without_the_key, chat_model).result(timeout=60)
    assert "MIXROUTE_API_KEY is not set in this process" in message
    assert PARENT_KEY not in message
