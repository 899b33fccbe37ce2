"""The one place that writes to the terminal: data on stdout, messages on stderr.

Colour only when the stream is a terminal and NO_COLOR is unset; rich is imported only
when colour is actually used. Every message passes through :func:`redact`, so a key that
slipped into an error text is masked before it reaches the screen.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

_secrets: set[str] = set()
quiet = False  # --json: nothing on stderr but errors


def mask(key: str | None) -> str:
    """rlc-…abcd: enough to tell keys apart, never enough to use one."""
    from relace_cli.api.keys import mask_key

    return mask_key(key)


def add_secret(value: str | None) -> None:
    if value and len(value) >= 6:
        _secrets.add(value)


def redact(text: str, *, partial: bool = False) -> str:
    """Mask every known secret in *text*; with *partial*, also any run of 8+ of its characters
    (a server may echo part of a key). Messages get *partial*; data on stdout only whole keys."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, mask(secret))
        if partial:
            text = _mask_fragments(text, secret)
    return text


def _mask_fragments(text: str, secret: str, shortest: int = 8) -> str:
    import difflib

    while True:
        matcher = difflib.SequenceMatcher(None, text, secret, autojunk=False)
        match = matcher.find_longest_match(0, len(text), 0, len(secret))
        if match.size < shortest:
            return text
        text = text[: match.a] + "…" + text[match.a + match.size :]


def use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# The exit code when the reader of stdout goes away early (`relace check | head -1`): the
# answer a command has already given by what it printed - 1 once a marker or a change is
# shown - not 0, so a gate in a pipeline still fails.
pipe_exit = 0


def exit_on_broken_pipe(code: int) -> None:
    global pipe_exit
    pipe_exit = code


written: list[str] = []  # files written so far (for a truthful message after a late failure)


def wrote(path: str) -> None:
    written.append(path)


def info(message: str) -> None:
    """A status line on stderr (suppressed under --json)."""
    if not quiet:
        _write_err(message)


def warn(message: str) -> None:
    _write_err(message)


def error(message: str) -> None:
    _write_err(f"relace: {message}")


def _write_err(message: str) -> None:
    try:
        sys.stderr.write(redact(message, partial=True).rstrip("\n") + "\n")
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass


def _stdout() -> TextIO:
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        import errno

        raise OSError(errno.EBADF, "standard output is closed")
    return sys.stdout


def out(text: str, *, flush: bool = True) -> None:
    """Data on stdout, exactly as given."""
    _stdout().write(redact(text))
    if flush:
        sys.stdout.flush()


def out_bytes(data: bytes) -> None:
    _stdout().flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def out_json(obj: Any, *, indent: int | None = None) -> None:
    import json

    out(json.dumps(obj, ensure_ascii=False, indent=indent) + "\n")


def diff(text: str) -> None:
    """A unified diff on stdout: coloured on a terminal, plain otherwise."""
    if not text:
        return
    if not use_color(sys.stdout):
        out(text)
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=sys.stdout, highlight=False, soft_wrap=True)
    for line in text.splitlines():
        style = ""
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        console.print(Text(redact(line), style=style))


class Progress:
    """A one-line counter on stderr, redrawn in place; silent unless stderr is a terminal
    (never in pipelines, hooks or CI) and not under --json."""

    def __init__(self, what: str, total: int | None = None, *, enabled: bool = True) -> None:
        self.what = what
        self.total = total
        self.done = 0
        self.active = enabled and not quiet and _isatty(sys.stderr)
        self._last = 0.0
        self._start = _now()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.active:
            return
        now = _now()
        if now - self._last < 0.1 and (self.total is None or self.done < self.total):
            return
        self._last = now
        rate = self.done / max(now - self._start, 1e-9)
        of = f"/{self.total:,}" if self.total else ""
        _write_raw(f"\r{self.what} {self.done:,}{of} ({rate:,.0f}/s)\x1b[K")

    def close(self) -> None:
        if self.active and self.done:
            _write_raw("\r\x1b[K")


def _now() -> float:
    import time

    return time.monotonic()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _write_raw(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
