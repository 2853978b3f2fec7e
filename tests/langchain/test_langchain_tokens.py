"""Token counting on ChatMixroute: the core's estimate, so ``trim_messages`` needs no tokenizer."""

from __future__ import annotations

import subprocess
import sys

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, trim_messages
from langchain_core.tools import tool
from scripted_mixroute import API_KEY

from langchain_mixroute import ChatMixroute
from mixroute import SystemMessage as CoreSystem
from mixroute import UserMessage
from mixroute.tokens import count_message_tokens, count_text_tokens

# Made at import, before any fixture: every setting explicit, none from the environment.
LLM = ChatMixroute(model="gpt-4o", api_key=API_KEY, base_url="https://console.mixroute.io/v1")


@tool
def get_weather(city: str) -> str:
    """Get weather information by city"""
    return "sunny"


def test_counts_are_the_cores_estimate() -> None:
    messages = [SystemMessage("Be brief"), HumanMessage("Briefly introduce AI")]
    expected = count_message_tokens([CoreSystem("Be brief"), UserMessage("Briefly introduce AI")])
    assert LLM.get_num_tokens_from_messages(messages) == expected
    assert LLM.get_num_tokens("Briefly introduce AI") == count_text_tokens("Briefly introduce AI")


def test_tools_count_too() -> None:
    messages = [HumanMessage("Weather in Paris?")]
    assert LLM.get_num_tokens_from_messages(messages, tools=[get_weather]) > (
        LLM.get_num_tokens_from_messages(messages) + 10
    )


def test_trim_messages_uses_the_model_as_counter() -> None:
    history = [
        SystemMessage("You are a helpful assistant"),
        HumanMessage("first question " * 20),
        AIMessage("first answer " * 20),
        HumanMessage("What now?"),
    ]
    kept = trim_messages(
        history, max_tokens=40, token_counter=LLM, strategy="last", include_system=True
    )
    assert kept == [history[0], history[3]]


def test_no_tokenizer_is_imported() -> None:
    code = (
        "import sys; from langchain_mixroute import ChatMixroute; "
        "from langchain_core.messages import HumanMessage; "
        "m = ChatMixroute(model='gpt-4o', api_key='sk-x-0000000000000000'); "
        "m.get_num_tokens_from_messages([HumanMessage('hi')]); "
        "print(sorted(n for n in ('transformers', 'tiktoken') if n in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_custom_get_token_ids_counts_text_and_messages_as_langchain_does() -> None:
    def words(text: str) -> list[int]:
        return list(range(len(text.split())))

    counted = LLM.model_copy(update={"custom_get_token_ids": words})
    assert counted.get_num_tokens("one two three") == 3
    messages = [SystemMessage("Be brief"), HumanMessage("Briefly introduce AI")]
    # LangChain's own count: each message's "Role: text" through the tokenizer given
    assert counted.get_num_tokens_from_messages(messages) == 3 + 4
    assert LLM.get_num_tokens_from_messages(messages) != 7  # the estimate, otherwise
