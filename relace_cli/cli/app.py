"""The Typer application: global options and the commands, each in its own module.

Commands are imported lazily: `relace apply ...` builds an application holding only `apply`,
so a run pays for the one command it uses; `relace --help` and completion build them all.
"""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from relace_cli import __version__
from relace_cli.cli.common import State

# name: (module, attribute, is a group, one-line help); in the order `--help` lists them.
# The one-line help is what `relace --help` shows without importing any command module;
# tests/test_imports.py checks it against each command's own docstring.
COMMANDS: dict[str, tuple[str, str, bool, str]] = {
    "apply": ("relace_cli.cli.apply_cmd", "apply", False,
              "Merge an edit snippet into FILE (in place unless --diff, --stdout or --check)."),
    "check": ("relace_cli.cli.check_cmd", "check", False,
              'Report leftover elision markers ("... existing code ...") as file:line: marker.'),
    "config": ("relace_cli.cli.config_cmd", "app", True,
               "Read and write settings (config.toml)."),
    "embed": ("relace_cli.cli.embed_cmd", "embed", False,
              "Embed files, --text values or piped stdin with the Relace embedding model."),
    "rank": ("relace_cli.cli.rank_cmd", "rank", False,
             "Rank files by relevance to QUERY, best first."),
    "undo": ("relace_cli.cli.undo_cmd", "undo", False,
             "Restore FILE (or the last file written) to its content before the last "
             "`relace apply`."),
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"relace {__version__}")
        raise typer.Exit()


def main_options(
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            envvar="RELACE_PROFILE",
            help="Use a named settings profile from the config file.",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Apply LLM edit snippets to files (offline or with the Relace API), embed and rank code."""
    State.profile = profile or None
    State.debug = debug


def build(only: str | None = None, *, summary: bool = False) -> typer.Typer:
    """The application with every command, or with just *only*.

    With *summary*, commands are stand-ins that carry only their one-line help: enough for
    `relace --help`, which then imports no command module.
    """
    app = typer.Typer(
        name="relace",
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(main_options)
    for name, (module, attribute, group, short) in COMMANDS.items():
        if only is not None and name != only:
            continue
        if summary:
            app.command(name, help=short)(_stand_in)
            continue
        target = getattr(importlib.import_module(module), attribute)
        if group:
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
    return app


def _stand_in() -> None:  # never run: only built for the top-level help
    raise typer.Exit(2)
