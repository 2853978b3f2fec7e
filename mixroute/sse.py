"""An incremental server-sent-events decoder: bytes in, events out, no I/O.

It follows the WHATWG event-stream rules: lines end in LF, CRLF or a lone CR (also when
the CR and LF arrive in different reads), ``data:`` lines of one event are joined with
LF, lines starting with ``:`` are comments (keep-alives), ``event:``, ``id:`` and
``retry:`` are kept, and a blank line dispatches the event. The byte stream may be split
anywhere, even inside a UTF-8 character: lines are cut on bytes first and decoded whole.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SSEDecoder", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"


@dataclass(slots=True)
class ServerSentEvent:
    """One dispatched event: its type (``message`` unless named), data, id and retry."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    r"""Turn chunks of a byte stream into :class:`ServerSentEvent` values.

    >>> decoder = SSEDecoder()
    >>> decoder.feed(b'data: {"a": 1}\n\ndata: [DO')
    [ServerSentEvent(data='{"a": 1}', event='message', id=None, retry=None)]
    >>> decoder.feed(b"NE]\n\n")[0].data
    '[DONE]'
    """

    __slots__ = ("_buffer", "_data", "_event", "_id", "_retry", "_skip_lf", "_started")

    def __init__(self) -> None:
        self._buffer = b""
        self._skip_lf = False
        self._started = False
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume the next bytes of the stream; return the events they complete."""
        if (
            # The usual read: exactly one whole "data: ...\n\n" event and nothing pending.
            chunk[-2:] == b"\n\n"
            and chunk[:6] == b"data: "
            and not self._buffer
            and not self._data
            and self._started
            and not self._skip_lf
            and not self._event
            and chunk.count(b"\n") == 2
            and b"\r" not in chunk
        ):
            data = chunk[6:-2].decode("utf-8", errors="replace")
            return [ServerSentEvent(data, "message", self._id, self._retry)]
        if self._skip_lf and chunk:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        buffer = self._buffer + chunk if self._buffer else chunk
        if not self._started:
            # The BOM may itself arrive split: hold its first bytes until it is whole.
            if len(buffer) < 3 and _BOM.startswith(buffer):
                self._buffer = buffer
                return []
            self._started = True
            if buffer.startswith(_BOM):
                buffer = buffer[3:]
        if b"\r" in buffer:
            if buffer.endswith(b"\r"):
                self._skip_lf = True
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buffer.split(b"\n")
        self._buffer = lines.pop()
        events: list[ServerSentEvent] = []
        for line in lines:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: a last unterminated line is taken as complete.

        An event still missing its blank line is dispatched too: real servers sometimes
        close right after the final ``data:`` line, and its content should not be lost.
        """
        events: list[ServerSentEvent] = []
        if self._buffer:
            line, self._buffer = self._buffer, b""
            event = self._line(line)
            if event is not None:
                events.append(event)
        event = self._line(b"")
        if event is not None:
            events.append(event)
        return events

    def _line(self, raw: bytes) -> ServerSentEvent | None:
        if not raw:
            return self._dispatch()
        line = raw.decode("utf-8", errors="replace")
        if line.startswith("data:"):
            value = line[5:]
            self._data.append(value[1:] if value[:1] == " " else value)
            return None
        if line[0] == ":":
            return None
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = ""
            return None
        data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
        event = ServerSentEvent(data, self._event or "message", self._id, self._retry)
        self._data = []
        self._event = ""
        return event
