"""The Typer application: global options and the list of commands (each in its own module)."""

from __future__ import annotations

from typing import Annotated

import typer

from relace_cli import __version__
from relace_cli.cli import apply_cmd, check_cmd, config_cmd, embed_cmd, rank_cmd, undo_cmd
from relace_cli.cli.common import State

app = typer.Typer(
    name="relace",
    help="Apply LLM edit snippets to files (offline or with the Relace API), embed and rank code.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"relace {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    profile: Annotated[
        str | None,
        typer.Option("--profile", envvar="RELACE_PROFILE",
                     help="Use a named settings profile from the config file."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True,
                           help="Show the version and exit.")
    ] = False,
) -> None:
    """Apply LLM edit snippets to files, embed and rank code."""
    State.profile = profile or None
    State.debug = debug


app.command("apply")(apply_cmd.apply)
app.add_typer(config_cmd.app, name="config")
app.command("embed")(embed_cmd.embed)
app.command("undo")(undo_cmd.undo)
app.command("rank")(rank_cmd.rank)
app.command("check")(check_cmd.check)
