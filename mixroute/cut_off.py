"""An answer cut off at the token limit: the limit its request sent, and the error naming it.

Both adapters decide it here, from the body they sent: the limit is read from the wire
(:func:`sent_token_limit`), so a ``max_tokens`` sent as ``max_completion_tokens``, one
given in ``model_kwargs`` or ``additional_kwargs`` and one given for a single call are
each named as they went out. The wording is :func:`mixroute.errors.cut_off_text`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from mixroute.errors import CutOffPart, OutputTruncatedError, cut_off_text
from mixroute.response import ChatCompletion, is_truncated

__all__ = [
    "TOKEN_LIMIT",
    "CutOffPart",
    "TokenLimit",
    "cut_off_error",
    "kept_token_limit",
    "sent_token_limit",
]


class TokenLimit(NamedTuple):
    """The token limit a request sent: the body's field and its value."""

    name: str
    """``max_completion_tokens`` or ``max_tokens``."""
    value: int

    def to_wire(self) -> dict[str, int]:
        """The limit as the body sent it, such as ``{"max_completion_tokens": 50}``."""
        return {self.name: self.value}


_TOKEN_LIMIT_FIELDS = ("max_completion_tokens", "max_tokens")

TOKEN_LIMIT = "token_limit"
"""The key under which both adapters keep, with an answer cut off at the token limit, the
limit its request sent (LangChain in ``response_metadata``, LlamaIndex in
``additional_kwargs``): :func:`kept_token_limit`'s value."""


def sent_token_limit(body: Mapping[str, Any] | None) -> TokenLimit | None:
    """The token limit a request body sent, or ``None`` if it sent none.

    ``max_completion_tokens`` where the body has it, else ``max_tokens``: the limit named
    as it went out (the core sends ``max_tokens`` as ``max_completion_tokens`` where the
    model's profile says so, and a call may give either). ``body`` may also be the part
    of a body an adapter keeps with a cut-off answer (:meth:`TokenLimit.to_wire`).

    >>> sent_token_limit({"model": "o3-mini", "max_completion_tokens": 50})
    TokenLimit(name='max_completion_tokens', value=50)
    >>> sent_token_limit({"model": "gpt-4o"}) is None
    True
    """
    if body:
        for name in _TOKEN_LIMIT_FIELDS:
            value = body.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                return TokenLimit(name, value)
    return None


def kept_token_limit(
    finish_reason: object, sent: Mapping[str, Any] | None
) -> dict[str, int] | None:
    """The token limit a cut-off answer keeps: the sent body's field and value, or ``None``.

    ``None`` also for an answer that was not cut off.

    >>> kept_token_limit("length", {"model": "o3-mini", "max_completion_tokens": 50})
    {'max_completion_tokens': 50}
    >>> kept_token_limit("stop", {"model": "o3-mini", "max_completion_tokens": 50}) is None
    True
    """
    if not is_truncated(finish_reason):
        return None
    limit = sent_token_limit(sent)
    return None if limit is None else limit.to_wire()


def cut_off_error(
    answer: ChatCompletion | str | None,
    *,
    sent: Mapping[str, Any] | None,
    expected: CutOffPart,
    raw: object = None,
) -> OutputTruncatedError | None:
    """The error for an answer cut off at the token limit, or ``None`` if it was not.

    Both adapters raise it where a cut-off answer cannot be used. ``answer`` is the
    completion or its finish reason; ``sent`` the request body that got it (or the part
    kept with the answer, see :func:`sent_token_limit`), whose limit the message names
    (none: the model's own applied); ``expected`` what the answer was to give; ``raw``
    the answer as the caller's framework returned it.

    >>> sent = {"model": "gpt-4o", "max_tokens": 200}
    >>> print(cut_off_error("length", sent=sent, expected="structured output"))
    The structured output was cut off at the token limit (max_tokens=200) before the JSON \
was complete (finish_reason 'length'); raise max_tokens (on the model or in the call) or \
shorten the schema or the prompt.
    >>> cut_off_error("stop", sent=sent, expected="tool call") is None
    True
    """
    finish = answer.finish_reason if isinstance(answer, ChatCompletion) else answer
    if not is_truncated(finish):
        return None
    limit = sent_token_limit(sent)
    name, value = limit if limit is not None else ("max_tokens", None)
    return OutputTruncatedError(cut_off_text(expected, name, value), max_tokens=value, raw=raw)
