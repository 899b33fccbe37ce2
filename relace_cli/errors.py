"""One exception tree; each error knows its exit code (the public contract).

The CLI turns an exception into "relace: <message>" on stderr and the exit code, at one
boundary (``relace_cli.cli.main``). Nothing else in the package prints or exits.
"""

from __future__ import annotations

# Exit codes: a public contract, documented in the README. Keep them exactly.
OK = 0
CHANGED = 1  # --check: the file would change
USAGE = 2  # usage error or bad input (missing/binary file, empty snippet, bad config)
API = 3  # API or network failure after retries
REFUSED = 4  # merge refused: an engine or a safety check declined
INTERRUPTED = 130

# Guard names, a public contract (`--no-guard NAME`); kept here so the CLI need not import guards.
GUARD_NAMES = ("markers", "truncation", "fence", "syntax", "untouched")


class RelaceError(Exception):
    """Base class: a failure with a one-line, human-readable message."""

    exit_code: int = USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class InputError(RelaceError):
    """Bad input: missing, binary or undecodable file, empty snippet, bad flag combination."""

    exit_code = USAGE


class ConfigError(RelaceError):
    """Unknown config key, malformed config file, missing API key."""

    exit_code = USAGE


class ApiError(RelaceError):
    """The API or the network failed (after retries), or answered something unusable."""

    exit_code = API

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class MergeRefused(RelaceError):
    """An engine abstained or a guard rejected the merged result; nothing was written."""

    exit_code = REFUSED

    def __init__(self, message: str, *, guard: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.guard = guard
