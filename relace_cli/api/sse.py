"""A tolerant server-sent-events reader: bytes in whatever pieces arrive -> data payloads.

Follows the SSE spec (``data:`` lines joined by newlines, an event ends at a blank line,
``\\r\\n``, ``\\r`` or ``\\n`` line ends, ``:`` comments) and forgives what servers get wrong:
a last event with no blank line after it is still delivered.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator

_LINE_END = re.compile(r"\r\n|\r|\n")


class SSEDecoder:
    """Incremental: feed chunks, get the payloads of the events they complete."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._data: list[str] = []
        self._started = False

    def feed(self, chunk: bytes) -> list[str]:
        return self._push(self._decoder.decode(chunk), final=False)

    def close(self) -> list[str]:
        """End of stream: deliver a pending line and a pending event."""
        events = self._push(self._decoder.decode(b"", final=True), final=True)
        if self._buffer:
            events.extend(self._line(self._buffer))
            self._buffer = ""
        if self._data:
            events.append("\n".join(self._data))
            self._data = []
        return events

    def _push(self, text: str, *, final: bool) -> list[str]:
        if not self._started and text:
            text = text.removeprefix("\ufeff")
            self._started = True
        work = self._buffer + text
        held = ""
        if not final and work.endswith("\r"):  # may be the first half of "\r\n"
            work, held = work[:-1], "\r"
        lines = _LINE_END.split(work)
        self._buffer = lines.pop() + held
        events: list[str] = []
        for line in lines:
            events.extend(self._line(line))
        return events

    def _line(self, line: str) -> list[str]:
        if not line:
            if self._data:
                payload = "\n".join(self._data)
                self._data = []
                return [payload]
            return []
        if line.startswith(":"):
            return []
        field, _, value = line.partition(":")
        if field == "data":
            self._data.append(value.removeprefix(" "))
        return []


def iter_sse_data(chunks: Iterable[bytes]) -> Iterator[str]:
    """Yield each event's data as soon as the chunk completing it arrives."""
    decoder = SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.close()
