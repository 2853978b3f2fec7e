"""What the frameworks' own observers see: every LangChain callback, every LlamaIndex event.

The adapters' drivers run with these attached, and the catalogue scans what they recorded
for the key, as a tracing backend would have received it.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent

SEEN: list[str] = []
"""Every callback's arguments and every event, as text, while ``RECORDING`` is on."""

RECORDING = [False]
"""Switched on by the catalogue for each case; off elsewhere, so memory tests stay flat."""


class RecordingCallbacks(BaseCallbackHandler):
    """A LangChain handler that writes down everything every callback is given."""

    def _record(self, callback: str, /, *args: Any, **kwargs: Any) -> None:
        if RECORDING[0]:
            SEEN.append(f"{callback}: {args!r} {kwargs!r}")

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self._record("on_chat_model_start", *args, **kwargs)

    def on_llm_new_token(self, *args: Any, **kwargs: Any) -> None:
        self._record("on_llm_new_token", *args, **kwargs)

    def on_llm_end(self, *args: Any, **kwargs: Any) -> None:
        self._record("on_llm_end", *args, **kwargs)

    def on_llm_error(self, *args: Any, **kwargs: Any) -> None:
        self._record("on_llm_error", *args, **kwargs)


class _RecordingEvents(BaseEventHandler):
    @classmethod
    def class_name(cls) -> str:
        return "RecordingEvents"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        if RECORDING[0]:
            SEEN.append(f"{event.class_name()}: {event.model_dump()!r}")


_installed = False


def record_llama_index_events() -> None:
    """Attach the event recorder to LlamaIndex's root dispatcher (once)."""
    global _installed
    if not _installed:
        get_dispatcher().add_event_handler(_RecordingEvents())
        _installed = True
