"""The command line. `main` answers --version before Typer is even imported."""

from __future__ import annotations

import sys

from relace_cli import __version__

# Global options accepted before or after the subcommand; moved to the front for Typer.
_GLOBAL_WITH_VALUE = ("--profile",)
_GLOBAL_FLAGS = ("--debug",)


def hoist_globals(args: list[str]) -> list[str]:
    """Move global options that follow the subcommand in front of it."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
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
    """The subcommand named in *args* (after hoisting), or None."""
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


def main(argv: list[str] | None = None) -> None:
    import os

    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        sys.stdout.write(f"relace {__version__}\n")
        sys.exit(0)
    from relace_cli.cli.app import COMMANDS, build

    args = hoist_globals(args)
    name = subcommand(args)
    completing = any(key.startswith("_RELACE_COMPLETE") for key in os.environ)
    only = name if name in COMMANDS and not completing else None
    build(only)(args=args, prog_name="relace")
