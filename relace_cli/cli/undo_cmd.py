"""`relace undo [FILE]`: put back what the last apply replaced."""

from __future__ import annotations

from typing import Annotated

import typer

from relace_cli.cli import output
from relace_cli.cli.common import boundary
from relace_cli.errors import InputError


@boundary
def undo(
    file: Annotated[
        str | None,
        typer.Argument(
            help="File to restore (default: the last one relace wrote).", show_default=False
        ),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="Show the backup history.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Restore even if the file changed since.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="With --list: JSON output.")] = False,
) -> None:
    """Restore FILE (or the last file written) to its content before the last `relace apply`."""
    from relace_cli import backup

    if list_:
        entries = backup.history(file, notice=output.warn)
        if json_out:
            # "removed" describes an undo, not a recorded write: not part of the history.
            output.out_json([{k: v for k, v in e.__dict__.items() if k != "removed"}
                             for e in entries])
            return
        if not entries:
            output.info("no backups" + (f" for {file}" if file else ""))
            return
        for e in entries:
            output.out(f"{e.time[:19].replace('T', ' ')}  {e.size:>9,} B  {e.path}\n")
        return
    if json_out:
        raise InputError("--json goes with --list")
    entry = backup.undo(file, force=force, notice=output.warn)
    shown = file or entry.path
    if entry.kept:
        output.info(f"the content it replaced was saved to {entry.kept}")
    if entry.created and entry.removed:
        output.info(f"removed {shown} (relace had created it)")
    elif entry.created:  # --force after the file was deleted by hand: nothing left to do
        output.info(f"{shown} was already gone (relace had created it); its backup is dropped")
    else:
        output.info(
            f"restored {shown} to its content before the apply of "
            f"{entry.time[:19].replace('T', ' ')}"
        )
