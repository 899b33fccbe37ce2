"""What every command shares: global state, the error boundary, settings, stdin rules."""

from __future__ import annotations

import functools
import os
import stat
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from relace_cli import errors
from relace_cli.cli import output

if TYPE_CHECKING:
    from relace_cli.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


class State:
    profile: str | None = None
    debug: bool = False


def boundary(fn: F) -> F:
    """Turn every failure into one line on stderr and its documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except errors.RelaceError as exc:
            if State.debug:
                traceback.print_exc()
            output.error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            output.error(f"interrupted; {_written()}")
            # Exit now: worker threads still waiting on the network would hold the process
            # for up to the read timeout. Writes are atomic, so there is nothing to clean up.
            sys.stdout.flush() if sys.stdout is not None and not sys.stdout.closed else None
            os._exit(errors.INTERRUPTED)
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(output.pipe_exit) from None
        except OSError as exc:  # the environment, not a bug: stdout full or closed, ...
            if State.debug:
                traceback.print_exc()
            where = f" ({exc.filename})" if exc.filename else ""
            output.error(f"{exc.strerror or exc}{where}; {_written()}")
            raise typer.Exit(errors.USAGE) from None
        except Exception as exc:  # a bug: say so in one line unless --debug
            if State.debug:
                raise
            output.error(
                f"internal error: {type(exc).__name__}: {exc} "
                f"({_written()}; rerun with --debug for the traceback and report it)"
            )
            raise typer.Exit(70) from None

    return wrapper  # type: ignore[return-value]


def _written() -> str:
    if not output.written:
        return "nothing was written"
    return f"{', '.join(output.written)} was written" if len(output.written) == 1 \
        else f"written: {', '.join(output.written)}"


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def settings(flags: Mapping[str, Any] | None = None) -> Settings:
    from relace_cli import config_file
    from relace_cli.settings import resolve

    resolved = resolve(flags, profile=State.profile)
    output.add_secret(resolved.api_key)
    for warning in resolved.warnings:
        output.warn(warning)
    if resolved.sources.get("api_key") == "config":
        warning = config_file.permission_warning()
        if warning:
            output.warn(warning)
    return resolved


def stdin_is_piped() -> bool:
    """True only for a pipe or a redirected file, never merely because there is no terminal."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


def read_stdin_bytes() -> bytes:
    try:
        return sys.stdin.buffer.read()
    except (OSError, ValueError, AttributeError):
        raise errors.InputError("cannot read stdin (is it closed?)") from None
