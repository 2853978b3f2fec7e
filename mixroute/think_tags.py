"""Splitting reasoning written inline as ``<think>…</think>`` out of a model's content.

Some open models (Qwen3 and DeepSeek-R1 distills behind some hosts) put their thinking at
the start of ``content`` instead of in ``reasoning_content``. Only a block at the very
start counts (after white space): a ``<think>`` later in an answer is content.
"""

from __future__ import annotations

__all__ = ["ThinkTagSplitter", "split_think_tags"]

_OPEN = "<think>"
_CLOSE = "</think>"


def split_think_tags(text: str) -> tuple[str | None, str]:
    r"""Return ``(reasoning, content)`` for a whole answer.

    >>> split_think_tags("<think>2+2 is 4</think>\n\nIt is 4.")
    ('2+2 is 4', 'It is 4.')
    >>> split_think_tags("No thinking here.")
    (None, 'No thinking here.')
    """
    splitter = ThinkTagSplitter()
    reasoning, content = splitter.feed(text)
    tail_reasoning, tail_content = splitter.flush()
    reasoning += tail_reasoning
    content += tail_content
    return (reasoning if splitter.saw_think else None), content


class ThinkTagSplitter:
    """The streaming form: feed content deltas, get ``(reasoning, content)`` deltas.

    Text that might still turn out to be the start of a tag is held back until the next
    delta decides it, so no delta ever carries half a tag. White space between the closing
    tag and the answer is dropped, so the streamed and the whole forms agree.
    """

    __slots__ = ("_held", "_state", "saw_think")

    def __init__(self) -> None:
        self._state = "start"  # start → thinking → after (white space) → done
        self._held = ""
        self.saw_think = False

    def feed(self, delta: str) -> tuple[str, str]:
        """Consume a content delta; return the reasoning and content it releases."""
        if self._state == "done":
            return "", delta
        text = self._held + delta
        self._held = ""
        if self._state == "start":
            stripped = text.lstrip()
            if len(stripped) < len(_OPEN) and _OPEN.startswith(stripped):
                self._held = text
                return "", ""
            if not stripped.startswith(_OPEN):
                self._state = "done"
                return "", text
            self._state = "thinking"
            self.saw_think = True
            text = stripped[len(_OPEN) :]
        if self._state == "after":
            return "", self._after(text)
        end = text.find(_CLOSE)
        if end >= 0:
            self._state = "after"
            return text[:end], self._after(text[end + len(_CLOSE) :])
        keep = _partial_suffix(text, _CLOSE)
        if keep:
            self._held = text[-keep:]
            text = text[:-keep]
        return text, ""

    def _after(self, text: str) -> str:
        text = text.lstrip()
        if text:
            self._state = "done"
        return text

    def flush(self) -> tuple[str, str]:
        """End of the answer: release what was held back."""
        held, self._held = self._held, ""
        if self._state == "thinking":
            return held, ""
        return "", held


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is a proper start of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0
