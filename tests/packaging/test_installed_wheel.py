"""The built wheel, installed as users install it, imported the way users import it.

One fresh environment per way of installing (the wheel alone, ``[testing]``,
``[langchain]``, ``[llama-index]``): each public import path works where its extra is
installed, fails with an ImportError where it is not, and PYPI.md's examples run as
written against a stand-in gateway on 127.0.0.1.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable

import pytest
from fresh_environments import ROOT, Environment, minimal_env
from stand_in_gateway import ANSWER
from support.local_server import LocalServer

pytestmark = pytest.mark.packaging

Environments = Callable[[str], Environment]

PLAIN = pytest.mark.xdist_group("plain")
LANGCHAIN = pytest.mark.xdist_group("langchain")
LLAMA_INDEX = pytest.mark.xdist_group("llama-index")

FRAMEWORKS = {"langchain-core", "langchain", "llama-index-core", "aiohttp"}


@PLAIN
def test_the_wheel_alone_installs_the_core_and_its_three_dependencies(
    environment: Environments,
) -> None:
    env = environment("")
    installed = env.distributions()
    assert {"mixroute", "httpx", "httpcore", "pydantic"} <= installed
    assert not installed & (FRAMEWORKS | {"pytest", "vcrpy"})


@PLAIN
def test_the_core_imports_from_the_wheel_with_every_public_name(environment: Environments) -> None:
    env = environment("")
    printed = env.check(
        "import mixroute\n"
        "missing = [name for name in mixroute.__all__ if not hasattr(mixroute, name)]\n"
        "assert not missing, missing\n"
        "from mixroute import MixrouteClient, AsyncMixrouteClient, UserMessage\n"
        "print(mixroute.__file__)"
    )
    assert printed.startswith(str(env.path))


@PLAIN
@pytest.mark.parametrize(
    ("statement", "extra"),
    [
        ("import langchain_mixroute", "mixroute[langchain]"),
        ("import llama_index_mixroute", "mixroute[llama-index]"),
        ("from llama_index.llms.mixroute import Mixroute", "mixroute[llama-index]"),
    ],
)
def test_an_adapter_without_its_extra_is_an_import_error_naming_the_extra(
    environment: Environments, statement: str, extra: str
) -> None:
    done = environment("").run(statement)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert re.match(r"(ModuleNotFound|Import)Error: ", last), done.stderr
    assert extra in last


@PLAIN
def test_the_testing_extra_records_and_replays_a_cassette(
    environment: Environments, gateway: LocalServer
) -> None:
    # docs/guides/testing-with-cassettes.md's "record once, replay forever", with the
    # plugin from the wheel.
    env = environment("testing")
    tests = env.path / "work" / "cassette_test"
    tests.mkdir(parents=True)
    (tests / "conftest.py").write_text('pytest_plugins = ["mixroute.testing"]\n')
    (tests / "test_capital.py").write_text(
        textwrap.dedent(
            """
            import pytest
            from mixroute import MixrouteClient, UserMessage


            @pytest.mark.vcr
            def test_capital():
                client = MixrouteClient()
                answer = client.create("glm-5", [UserMessage("Capital of France?")])
                assert answer.message.content.startswith("Hello")
            """
        )
    )

    def pytest_in_env(*options: str, **variables: str) -> None:
        args = ["-q", "-p", "no:cacheprovider", *options, str(tests)]
        env.check(f"import sys, pytest; sys.exit(pytest.main({args!r}))", minimal_env(**variables))

    key = "sk-packaging-0000000000000000"
    pytest_in_env("--record-mode=once", MIXROUTE_API_KEY=key, MIXROUTE_BASE_URL=gateway.base_url)
    assert len(gateway.received) == 1
    assert key not in next(tests.rglob("*.yaml")).read_text()
    # Replayed with no key and nothing listening: the answer comes from the cassette.
    pytest_in_env(MIXROUTE_BASE_URL="http://127.0.0.1:9/v1")


@LANGCHAIN
def test_chat_mixroute_imports_from_the_langchain_extra(environment: Environments) -> None:
    env = environment("langchain")
    installed = env.distributions()
    assert {"langchain-core", "aiohttp"} <= installed
    assert "llama-index-core" not in installed
    env.check(
        "from langchain_core.language_models import BaseChatModel\n"
        "from langchain_mixroute import ChatMixroute\n"
        "assert issubclass(ChatMixroute, BaseChatModel)\n"
        "import aiohttp, mixroute\n"
    )


@LLAMA_INDEX
def test_mixroute_imports_from_the_llama_index_extra_by_both_paths(
    environment: Environments,
) -> None:
    env = environment("llama-index")
    installed = env.distributions()
    assert {"llama-index-core", "aiohttp"} <= installed
    assert "langchain-core" not in installed
    env.check(
        "from llama_index.core.llms.function_calling import FunctionCallingLLM\n"
        "from llama_index_mixroute import Mixroute\n"
        "from llama_index.llms.mixroute import Mixroute as FromNamespace\n"
        "assert FromNamespace is Mixroute and issubclass(Mixroute, FunctionCallingLLM)\n"
        "import aiohttp, mixroute\n"
    )


def pypi_examples() -> list[tuple[str, str]]:
    """PYPI.md's Python blocks, each with the extra its imports need."""
    text = (ROOT / "PYPI.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    found = []
    for block in blocks:
        if "langchain_mixroute" in block:
            found.append(("langchain", block))
        elif "llama_index" in block:
            found.append(("llama-index", block))
        else:
            found.append(("", block))
    return found


def test_pypi_md_has_an_example_for_the_core_and_each_framework() -> None:
    assert sorted(extra for extra, _ in pypi_examples()) == ["", "langchain", "llama-index"]


@pytest.mark.parametrize(
    ("extra", "example"),
    [
        pytest.param(
            extra, block, id=extra or "core", marks=pytest.mark.xdist_group(extra or "plain")
        )
        for extra, block in pypi_examples()
    ],
)
def test_pypi_md_examples_run_as_written(
    environment: Environments, gateway: LocalServer, extra: str, example: str
) -> None:
    env = environment(extra)
    key = "sk-packaging-0000000000000000"
    printed = env.check(
        example, minimal_env(MIXROUTE_API_KEY=key, MIXROUTE_BASE_URL=gateway.base_url)
    )
    assert ANSWER in printed  # the plain answer
    assert printed.count(ANSWER) == 2  # and the streamed one, pieced together
    assert gateway.received
    assert all(request.headers["authorization"] == f"Bearer {key}" for request in gateway.received)
