"""An :class:`~mixroute.answer_policy.AnswerPolicy` applied to a stream, as it streams.

:class:`PolicyChatStream` and :class:`AsyncPolicyStream` wrap the core's streams with the
same interface (iterate :class:`~mixroute.ChunkDelta` values, ``completion``, ``message``,
close, context managers). For the first answer:

- a schema tool's argument fragments become content deltas, and its call leaves the
  tool calls (``finish_reason`` ``"tool_calls"`` becomes ``"stop"``); text the model
  writes before that call is held back and dropped, so the content is the JSON alone;
- while a weakened forcing ``tool_choice`` is undecided, text (and the finish reason) is
  held back until a tool-call delta arrives, then handed out; a stream that ends without
  a call is asked for once more, its held text dropped, and a second such answer raises
  :class:`~mixroute.ToolCallNotMadeError`. Nothing handed out is handed out twice or lost:
  held text was never handed out, and what was is the content of ``message``.

Reasoning deltas pass at once (a thinking model may think for minutes).
:class:`PolicyFilter` is the state machine, without I/O, that both wrappers share.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Protocol

from mixroute.accumulator import ChunkDelta
from mixroute.answer_policy import AnswerPolicy, is_json_object
from mixroute.errors import ToolCallNotMadeError
from mixroute.response import AssistantMessage, ChatCompletion
from mixroute.streaming import AsyncChatStream, ChatStream

__all__ = ["AsyncPolicyStream", "PolicyChatStream", "PolicyFilter", "open_async_policy_stream"]


class _Assembling(Protocol):
    """A stream whose ``completion`` is the answer assembled so far (sync or async)."""

    @property
    def completion(self) -> ChatCompletion: ...


class PolicyFilter:
    """Apply a policy to the deltas of one stream's first answer (no I/O).

    Feed each delta to :meth:`feed`; at the end of an attempt call :meth:`end`, which
    says whether to ask once more; then :meth:`next_attempt` for the new stream.
    """

    __slots__ = (
        "_ended",
        "_final",
        "_finish",
        "_held",
        "_other_call",
        "_schema",
        "_schema_call",
        "_seen_call",
        "policy",
        "retried",
        "yielded",
    )

    def __init__(self, policy: AnswerPolicy) -> None:
        self.policy = policy
        self.retried = False
        self.yielded: list[str] = []  # the first answer's content handed out, in order
        self.next_attempt()

    def next_attempt(self) -> None:
        """Start over on a new stream (what was handed out is kept)."""
        self._held: list[str] = []
        self._finish: str | None = None
        self._schema: set[int] = set()  # positions of the schema tool's calls
        self._seen_call = False
        self._schema_call = False
        self._other_call = False
        self._ended = False  # the attempt's end was seen and did not ask again
        self._final: ChatCompletion | None = None

    @property
    def _holding(self) -> bool:
        # Undecided: no call yet, and text might be a preamble or an answer without a call.
        return not self._seen_call

    def feed(self, delta: ChunkDelta) -> ChunkDelta | None:
        """The delta to hand out for ``delta`` (changed in place), or ``None``."""
        if delta.index:
            return delta
        if delta.content:
            if self._holding:
                self._held.append(delta.content)
                delta.content = None
            elif self._schema_call and not self._other_call:
                delta.content = None  # text beside the schema call: the content is the JSON
        if delta.tool_calls:
            self._calls(delta)
        finish = delta.finish_reason
        if finish is not None:
            if self._holding:
                self._finish = finish
                delta.finish_reason = None
            else:
                delta.finish_reason = self._finish_reason(finish)
        if delta.content:
            self.yielded.append(delta.content)
        return delta if _carries(delta) else None

    def _calls(self, delta: ChunkDelta) -> None:
        schema_name = self.policy.schema_tool
        kept = []
        text = []
        for call in delta.tool_calls or ():
            if call.name is not None and call.name == schema_name:
                self._schema.add(call.index)
            if call.index in self._schema:
                self._schema_call = True
                if call.arguments:
                    text.append(call.arguments)
            else:
                self._other_call = True
                kept.append(call)
        if not self._seen_call:
            self._seen_call = True
            if self._other_call and self._held:
                # A real tool call: the text before it is part of the answer.
                text.insert(0, "".join(self._held))
            self._held = []  # before a schema call: a preamble, not the JSON
            if self._finish is not None:
                delta.finish_reason = delta.finish_reason or self._finish
                self._finish = None
        delta.tool_calls = kept or None
        if text:
            delta.content = "".join(text) + (delta.content or "")

    def _finish_reason(self, finish: str) -> str:
        if self._schema_call and not self._other_call and finish in ("tool_calls", "function_call"):
            return "stop"
        return finish

    def end(self) -> tuple[ChunkDelta | None, bool]:
        """At the end of an attempt: a last delta to hand out, and whether to ask again.

        Raises:
            ToolCallNotMadeError: the second answer called no tool either.

        """
        if not self._holding:
            self._ended = True
            return None, False
        held = "".join(self._held)
        policy = self.policy
        missing = (
            policy.must_call
            and self._finish != "length"
            and not (policy.schema_tool is not None and is_json_object(held))
        )
        if missing:
            if self.retried:
                raise ToolCallNotMadeError(policy.model, policy.must_call)
            self.retried = True
            return None, True
        last = ChunkDelta(content=held or None, finish_reason=self._finish)
        self._held, self._finish = [], None
        self._seen_call = True  # decided: nothing more is held
        self._ended = True
        if last.content:
            self.yielded.append(last.content)
        return (last if _carries(last) else None), False

    def completion(self, stream: _Assembling) -> ChatCompletion:
        """The completion ``stream`` assembles, as handed out: the schema call as content.

        Until the stream ends it is the answer so far, shaped anew at each call; once it
        has ended it is shaped once, and every later call returns that same completion
        without reading ``stream``. (A stream, not a function reading it: a framework reads
        this once per chunk, and a function made per read would cost an allocation.)
        """
        final = self._final
        if final is not None:
            return final
        completion = self._shaped(stream.completion)
        if self._ended:
            self._final = completion
        return completion

    def _shaped(self, completion: ChatCompletion) -> ChatCompletion:
        self.policy.finish(completion)
        if completion.choices:
            choice = completion.choices[0]
            yielded = self.yielded
            if len(yielded) > 1:  # read after every delta: join only what came since
                yielded[:] = ("".join(yielded),)
            choice.message.content = yielded[0] if yielded else None
            if self._holding:
                choice.finish_reason = None  # undecided yet
        return completion


def _carries(delta: ChunkDelta) -> bool:
    return not (
        delta.content is None
        and delta.reasoning is None
        and delta.tool_calls is None
        and delta.refusal is None
        and delta.finish_reason is None
        and delta.usage is None
        and delta.citations is None
        and delta.id is None
        and delta.model is None
    )


class PolicyChatStream(ChatStream):
    """A sync stream with an answer policy; the interface of :class:`~mixroute.ChatStream`.

    Attributes not named here (``response``, ...) are those of the stream now read.
    """

    def __init__(  # the base's own state is the inner stream's: not initialised here
        self,
        stream: ChatStream,
        policy: AnswerPolicy,
        body: Mapping[str, Any],
        reopen: Callable[[dict[str, Any]], ChatStream],
    ) -> None:
        self._inner = stream
        self._filter = PolicyFilter(policy)
        self._body = body
        self._reopen_with = reopen
        self._closed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_inner"], name)

    def __iter__(self) -> Any:
        policy_filter = self._filter
        while not self._closed:
            for delta in self._inner:
                out = policy_filter.feed(delta)
                if out is not None:
                    yield out
                if self._closed:
                    return
            last, again = policy_filter.end()
            if not again:
                if last is not None:
                    yield last
                return
            self._inner.close()
            policy_filter.next_attempt()
            self._inner = self._reopen_with(policy_filter.policy.retry_body(self._body))

    @property
    def completion(self) -> ChatCompletion:
        """The assembled completion, as handed out.

        Complete once iteration has ended; from then on every read returns the same one.
        """
        return self._filter.completion(self._inner)

    @property
    def message(self) -> AssistantMessage:
        """The assembled first answer so far, as handed out."""
        return self.completion.message

    def close(self) -> None:
        """Close the stream now read."""
        self._closed = True
        self._inner.close()

    def __enter__(self) -> PolicyChatStream:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncPolicyStream(AsyncChatStream):
    """An async stream with an answer policy; the interface of ``AsyncChatStream``."""

    def __init__(  # the base's own state is the inner stream's: not initialised here
        self,
        stream: AsyncChatStream,
        policy: AnswerPolicy,
        body: Mapping[str, Any],
        reopen: Callable[[dict[str, Any]], Awaitable[AsyncChatStream]],
    ) -> None:
        self._inner = stream
        self._filter = PolicyFilter(policy)
        self._body = body
        self._reopen_with = reopen
        self._closed = False
        self._done = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_inner"], name)

    def __aiter__(self) -> AsyncPolicyStream:
        return self

    async def __anext__(self) -> ChunkDelta:
        policy_filter = self._filter
        while not (self._closed or self._done):
            try:
                delta = await self._inner.__anext__()
            except StopAsyncIteration:
                last, again = policy_filter.end()
                if not again:
                    self._done = True
                    if last is not None:
                        return last
                    break
                await self._inner.aclose()
                policy_filter.next_attempt()
                self._inner = await self._reopen_with(policy_filter.policy.retry_body(self._body))
                continue
            out = policy_filter.feed(delta)
            if out is not None:
                return out
        raise StopAsyncIteration

    @property
    def completion(self) -> ChatCompletion:
        """The assembled completion, as handed out.

        Complete once iteration has ended; from then on every read returns the same one.
        """
        return self._filter.completion(self._inner)

    @property
    def message(self) -> AssistantMessage:
        """The assembled first answer so far, as handed out."""
        return self.completion.message

    async def aclose(self) -> None:
        """Close the stream now read."""
        self._closed = True
        await self._inner.aclose()

    async def __aenter__(self) -> AsyncPolicyStream:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


async def open_async_policy_stream(
    policy: AnswerPolicy,
    body: Mapping[str, Any],
    open_body: Callable[[Mapping[str, Any]], Awaitable[AsyncChatStream]],
) -> AsyncChatStream:
    """Open ``body`` with ``open_body`` and wrap it in the policy (for ``StreamOpener``)."""
    stream = await open_body(body)
    return AsyncPolicyStream(stream, policy, body, open_body)
