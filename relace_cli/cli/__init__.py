"""The command line. `main` answers --version before Typer is even imported.

It is also the one boundary where exit codes are decided for what Typer itself rejects:
a usage error is one `relace: ...` line and exit 2, like every other error.
"""

from __future__ import annotations

import os
import sys

from relace_cli import __version__

TYPE_CHECKING = False  # `relace --version` must not pay for importing typing
if TYPE_CHECKING:
    from collections.abc import Collection
    from typing import Any

# Global options accepted before or after the subcommand; moved to the front for Typer.
_GLOBAL_WITH_VALUE = ("--profile",)
_GLOBAL_FLAGS = ("--debug",)


def hoist_globals(args: list[str], takes_value: Collection[str] = ()) -> list[str]:
    """Move global options that follow the subcommand in front of it.

    *takes_value* names the options whose next argument is their value: that argument is
    never mistaken for a global option (`relace apply f -e --debug` edits with "--debug").
    """
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in takes_value and arg not in _GLOBAL_WITH_VALUE:
            rest.extend(args[i : i + 2])
            i += 2
            continue
        if arg in _GLOBAL_FLAGS:
            front.append(arg)
        elif arg in _GLOBAL_WITH_VALUE and i + 1 < len(args):
            front.extend(args[i : i + 2])
            i += 1
        elif arg.split("=", 1)[0] in _GLOBAL_WITH_VALUE and "=" in arg:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def subcommand(args: list[str]) -> str | None:
    """The first word of *args* that is not a global option, or None."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _GLOBAL_WITH_VALUE:
            i += 2
            continue
        if arg.startswith("-"):
            if arg.split("=", 1)[0] in _GLOBAL_WITH_VALUE or arg in _GLOBAL_FLAGS:
                i += 1
                continue
            return None  # --help, --version, ...: the whole application
        return arg
    return None


def value_options(command: Any) -> set[str]:
    """Every option name, in *command* and below it, that takes a value."""
    names: set[str] = set()
    stack = [command]
    while stack:
        cmd = stack.pop()
        for param in getattr(cmd, "params", ()):
            if getattr(param, "param_type_name", "") == "option" and not (
                getattr(param, "is_flag", False) or getattr(param, "count", False)
            ):
                names.update(param.opts)
                names.update(param.secondary_opts)
        stack.extend(getattr(cmd, "commands", {}).values())
    return names


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        sys.stdout.write(f"relace {__version__}\n")
        sys.exit(0)
    import typer

    from relace_cli.cli.app import COMMANDS, build

    name = subcommand(args)
    completing = any(key.startswith("_RELACE_COMPLETE") for key in os.environ)
    top_help = name is None and not completing and (not args or "--help" in args or "-h" in args)
    only = name if name in COMMANDS and not completing else None
    command = typer.main.get_command(build(only, summary=top_help))
    args = hoist_globals(args, value_options(command))
    sys.exit(run(command, args))


def run(command: Any, args: list[str]) -> int:
    """Invoke the click command; turn what Typer itself rejects into one line and exit 2."""
    import typer
    from typer._click import exceptions as click_exceptions

    try:
        code = command.main(args=args, prog_name="relace", standalone_mode=False)
    except click_exceptions.NoArgsIsHelpError:
        return 0  # `relace` or `relace config` alone: the help was asked for, and shown
    except click_exceptions.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "relace"
        message = exc.format_message()
        if message.startswith("No such option: -") and message[17:18].isdigit():
            message += "; to pass a negative number, put -- before it"
        _error(f"{message} (see '{where} --help')")
        return exc.exit_code
    except click_exceptions.ClickException as exc:
        _error(exc.format_message())
        return exc.exit_code
    except typer.Abort:
        _error("aborted")
        return 130
    return code if isinstance(code, int) else 0


def _error(message: str) -> None:
    from relace_cli.cli import output

    output.error(message)
