"""An incremental server-sent-events decoder: bytes in, events out, no I/O.

It follows the WHATWG event-stream rules: lines end in LF, CRLF or a lone CR (also when
the CR and LF arrive in different reads), ``data:`` lines of one event are joined with
LF, lines starting with ``:`` are comments (keep-alives), ``event:``, ``id:`` and
``retry:`` are kept, and a blank line dispatches the event. The byte stream may be split
anywhere, even inside a UTF-8 character: lines are cut on bytes first and decoded whole.

Work and memory are bounded: each read is scanned once (a partial line waits as a list of
pieces, joined once when its line ends), and a line, or the data of an event not yet
dispatched, longer than ``max_line_bytes`` raises :class:`LineTooLong`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LineTooLong", "SSEDecoder", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"
_IN_PLACE = 64 * 1024  # data lines this long are decoded through a memoryview


class LineTooLong(Exception):
    """A line, or one event's data, grew past the decoder's ``max_line_bytes``."""

    def __init__(self, limit: int, what: str = "a line") -> None:
        super().__init__(f"server-sent events: {what} is longer than the limit of {limit} bytes")
        self.limit = limit


@dataclass(slots=True)
class ServerSentEvent:
    """One dispatched event: its type (``message`` unless named), data, id and retry."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    r"""Turn chunks of a byte stream into :class:`ServerSentEvent` values.

    ``max_line_bytes`` bounds one line and the data lines of one event (the default fits
    a base64 image sent as one line); past it :meth:`feed` raises :class:`LineTooLong`,
    after which the decoder is mid-line and must not be fed again.

    >>> decoder = SSEDecoder()
    >>> decoder.feed(b'data: {"a": 1}\n\ndata: [DO')
    [ServerSentEvent(data='{"a": 1}', event='message', id=None, retry=None)]
    >>> decoder.feed(b"NE]\n\n")[0].data
    '[DONE]'
    """

    __slots__ = (
        "_data",
        "_data_size",
        "_event",
        "_id",
        "_max_line_bytes",
        "_pending",
        "_pending_size",
        "_retry",
        "_skip_lf",
        "_started",
    )

    def __init__(self, max_line_bytes: int = 32 * 1024 * 1024) -> None:
        self._max_line_bytes = max_line_bytes
        # The unterminated tail of the stream, in the pieces it arrived in: joining them
        # on every read would make one long line cost quadratic time.
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._skip_lf = False
        self._started = False
        self._data: list[str] = []
        self._data_size = 0
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None

    @property
    def max_line_bytes(self) -> int:
        """The longest line, or data of one event, this decoder accepts (in bytes)."""
        return self._max_line_bytes

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume the next bytes of the stream; return the events they complete."""
        if (
            # The usual read: exactly one whole "data: ...\n\n" event and nothing pending.
            chunk[-2:] == b"\n\n"
            and chunk[:6] == b"data: "
            and not self._pending
            and not self._data
            and self._started
            and not self._skip_lf
            and not self._event
            and chunk.count(b"\n") == 2
            and b"\r" not in chunk
            and len(chunk) <= self._max_line_bytes
        ):
            data = chunk[6:-2].decode("utf-8", errors="replace")
            return [ServerSentEvent(data, "message", self._id, self._retry)]
        if self._skip_lf and chunk:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if not self._started:
            chunk = self._start(chunk)
            if not self._started:
                return []
        if b"\r" in chunk:
            if chunk[-1:] == b"\r":
                self._skip_lf = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = chunk.split(b"\n")
        rest = lines.pop()
        events: list[ServerSentEvent] = []
        if lines:
            limit = self._max_line_bytes
            pending = self._pending_size
            # Only a read that brings the pending tail past the limit can end a long line.
            if pending + len(chunk) > limit and (
                pending + len(lines[0]) > limit or max(map(len, lines)) > limit
            ):
                raise LineTooLong(limit)
            if pending:
                lines[0] = b"".join((*self._pending, lines[0]))
                self._pending = []
                self._pending_size = 0
            for line in lines:
                event = self._line(line)
                if event is not None:
                    events.append(event)
        if rest:
            self._pending.append(rest)
            self._pending_size += len(rest)
            if self._pending_size > self._max_line_bytes:
                raise LineTooLong(self._max_line_bytes)
        return events

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: a last unterminated line is taken as complete.

        An event still missing its blank line is dispatched too: real servers sometimes
        close right after the final ``data:`` line, and its content should not be lost.
        """
        events: list[ServerSentEvent] = []
        if self._pending:
            line = b"".join(self._pending)
            self._pending = []
            self._pending_size = 0
            event = self._line(line)
            if event is not None:
                events.append(event)
        event = self._line(b"")
        if event is not None:
            events.append(event)
        return events

    def _start(self, chunk: bytes) -> bytes:
        # The BOM may itself arrive split: hold its first bytes until it is whole.
        if self._pending:
            chunk = b"".join((*self._pending, chunk))
            self._pending = []
            self._pending_size = 0
        if len(chunk) < 3 and _BOM.startswith(chunk):
            if chunk:
                self._pending.append(chunk)
                self._pending_size = len(chunk)
            return b""
        self._started = True
        return chunk[3:] if chunk.startswith(_BOM) else chunk

    def _line(self, raw: bytes) -> ServerSentEvent | None:
        if not raw:
            return self._dispatch()
        if raw[:5] == b"data:":
            self._add_data(len(raw))
            start = 6 if raw[5:6] == b" " else 5
            # A long line is decoded in place: slicing it first would copy it once more.
            text = raw[start:] if len(raw) < _IN_PLACE else memoryview(raw)[start:]
            self._data.append(str(text, "utf-8", "replace"))
            return None
        line = raw.decode("utf-8", errors="replace")
        if line[0] == ":":
            return None
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._add_data(len(raw))
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _add_data(self, size: int) -> None:
        # Many short data lines of one event must not grow past the limit either.
        self._data_size += size
        if self._data_size > self._max_line_bytes:
            raise LineTooLong(self._max_line_bytes, "an event's data")

    def _dispatch(self) -> ServerSentEvent | None:
        self._data_size = 0
        if not self._data:
            self._event = ""
            return None
        data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
        event = ServerSentEvent(data, self._event or "message", self._id, self._retry)
        self._data = []
        self._event = ""
        return event
