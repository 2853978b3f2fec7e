"""Approximate token counts without a tokenizer: for budgets and trimming, not for billing.

The gateway serves many vendors, each with its own tokenizer, and none of them is
needed to decide whether a history fits a context window. The estimate follows the
shape of the byte-pair tokenizers most of them use (OpenAI's cl100k/o200k, and the
Llama, Qwen and DeepSeek vocabularies are alike on prose), erring slightly high:

- a word in ASCII letters is one token per started eight letters (``"the"`` 1,
  ``"intelligence"`` 2); a word in other letters (accented, Cyrillic, Greek, Arabic, …)
  one per two letters;
- each CJK ideograph, kana or hangul syllable is one token;
- a run of digits is one token per three digits (``"2026"`` 2);
- a run of punctuation or symbols is one token per two characters (``'{"'`` 1);
- spaces are free (they ride on the next word); a line break, or a run of them, is one.

A message adds 3 tokens of framing (one more with a ``name``), an answer is primed with
3, a tool call costs its name and arguments plus 3, and a tool definition its JSON text.
Parts whose size only the server knows count flat: an image 765 tokens (a 1024 px image
at high detail; 85 at ``detail: "low"``), a file or audio part 1,000.

>>> count_text_tokens("Briefly introduce artificial intelligence")
7
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from mixroute.messages import message_to_wire
from mixroute.tools import normalize_tools

__all__ = [
    "FILE_TOKENS",
    "IMAGE_TOKENS",
    "IMAGE_TOKENS_LOW_DETAIL",
    "count_message_tokens",
    "count_text_tokens",
]

IMAGE_TOKENS = 765
"""An image of unknown size: OpenAI's price of a 1024 x 1024 image at high detail."""
IMAGE_TOKENS_LOW_DETAIL = 85
"""An image sent with ``detail: "low"``: a fixed 85 tokens on OpenAI models."""
FILE_TOKENS = 1_000
"""A file or audio part: its content is read by the server, so a flat guess."""

_PER_MESSAGE = 3
_PER_NAME = 1
_PER_TOOL_CALL = 3
_REPLY_PRIMING = 3

_CJK_CLASS = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]"
_PIECES_PATTERN = r"(\d+)|([^\W\d_]+)|([^\w\s]+|_+)|(\s+)"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    # Compiled on first use: a few milliseconds that an import should not pay.
    return re.compile(_CJK_CLASS), re.compile(_PIECES_PATTERN)


def count_text_tokens(text: str) -> int:
    """Estimate the tokens of a text (see the module docstring for the rules).

    >>> count_text_tokens("人工智能"), count_text_tokens('{"city": "Shanghai"}')
    (4, 6)
    """
    if not text:
        return 0
    tokens = 0
    cjk_pattern, pieces = _patterns()
    if not text.isascii():
        text, cjk = cjk_pattern.subn(" ", text)
        tokens += cjk
    for digits, word, symbols, space in pieces.findall(text):
        if word:
            size = len(word)
            tokens += 1 + (size - 1) // 8 if word.isascii() else (size + 1) // 2
        elif digits:
            tokens += (len(digits) + 2) // 3
        elif symbols:
            tokens += (len(symbols) + 1) // 2
        elif "\n" in space:
            tokens += 1
    return tokens


def count_message_tokens(messages: Sequence[Any], *, tools: Sequence[object] | None = None) -> int:
    """Estimate the prompt tokens of a request: its messages and its tool definitions.

    ``messages`` are what :func:`~mixroute.build_request_body` accepts (typed messages
    or wire dicts); ``tools`` what its ``tools`` option accepts. An assistant turn's
    reasoning counts only if it is in the wire dict, as it then would be sent.

    >>> count_message_tokens([{"role": "user", "content": "Hello"}])
    8
    """
    total = _REPLY_PRIMING
    for index, message in enumerate(messages):
        wire = message_to_wire(message, index, send_reasoning=True)
        total += _PER_MESSAGE + count_text_tokens(str(wire.get("role", "")))
        if wire.get("name"):
            total += _PER_NAME + count_text_tokens(str(wire["name"]))
        total += _content_tokens(wire.get("content"))
        reasoning = wire.get("reasoning_content")
        if isinstance(reasoning, str):
            total += count_text_tokens(reasoning)
        for call in wire.get("tool_calls") or ():
            function = call.get("function") or {}
            total += _PER_TOOL_CALL + count_text_tokens(str(function.get("name", "")))
            total += count_text_tokens(str(function.get("arguments", "")))
    for tool in normalize_tools(tools) or ():
        total += count_text_tokens(json.dumps(tool, ensure_ascii=False, separators=(",", ":")))
    return total


def _content_tokens(content: object) -> int:
    if isinstance(content, str):
        return count_text_tokens(content)
    if not isinstance(content, list):
        return 0
    total = 0
    for part in content:
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text":
            total += count_text_tokens(str(part.get("text", "")))
        elif kind == "refusal":
            total += count_text_tokens(str(part.get("refusal", "")))
        elif kind == "image_url":
            image = part.get("image_url")
            low = isinstance(image, Mapping) and image.get("detail") == "low"
            total += IMAGE_TOKENS_LOW_DETAIL if low else IMAGE_TOKENS
        elif kind in ("file", "input_audio"):
            total += FILE_TOKENS
    return total
