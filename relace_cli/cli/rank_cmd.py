"""`relace rank QUERY PATH...`: score files against a query with the Relace ranker."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from relace_cli.cli import output
from relace_cli.cli.common import boundary, settings
from relace_cli.errors import InputError

# Above either bound, say on a terminal what is going on while files are read and ranked.
LARGE_FILES = 200
LARGE_BYTES = 2_000_000


@boundary
def rank(
    query: Annotated[
        str, typer.Argument(help="What you are looking for, in plain words.", show_default=False)
    ],
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files or directories (git-tracked files of a directory).", show_default=False
        ),
    ],
    token_limit: Annotated[
        int, typer.Option("--token-limit", min=1, help="Rank at most this many tokens of code.")
    ] = 100000,
    top: Annotated[
        int | None,
        typer.Option("--top", "-n", min=1, help="Show only the N best.", show_default=False),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Read timeout in seconds.", show_default=False)
    ] = None,
) -> None:
    """Rank files by relevance to QUERY, best first."""
    from relace_cli import api, walk
    from relace_cli.apply import make_client

    output.quiet = json_out
    if not query.strip():
        raise InputError("the query is empty")
    names = walk.expand(paths)
    show_progress = not json_out and _is_tty(sys.stderr) and len(names) >= LARGE_FILES
    if show_progress:
        output.info(f"reading {len(names):,} files…")
    loaded = walk.load_texts(names)
    note = loaded.skipped_note()
    if note:
        output.info(f"note: {note}")
    if not loaded.files:
        raise InputError("no text files to rank", hint="pass files or directories holding code")
    resolved = settings({"timeout": timeout})
    resolved.require_key("this command")
    codebase = [{"filename": f.path, "content": f.text} for f in loaded.files]
    size = sum(len(f.text) for f in loaded.files)
    if not json_out and _is_tty(sys.stderr) and (show_progress or size >= LARGE_BYTES):
        output.info(f"ranking {len(codebase):,} files ({size / 1e6:.1f} MB) with the ranker…")
    client = make_client(resolved, notify=output.info, pool_size=1)
    with client:  # type: ignore[attr-defined]
        result = api.rank(client, resolved.rank_url, query, codebase, token_limit=token_limit)
    rows = [
        {"rank": i, "filename": name, "score": score}
        for i, (name, score) in enumerate(result.results, 1)
    ]
    if top is not None:
        rows = rows[:top]
    if json_out:
        output.out_json({"results": rows, "usage": result.usage})
        return
    if not rows:
        output.info("the ranker returned no files")
        return
    if output.use_color(sys.stdout):
        output.out(rich_table(rows))
    else:
        output.out(plain_table(rows))


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def plain_table(rows: list[dict[str, Any]]) -> str:
    """Aligned columns for pipes and files: rank, score, file."""
    width = max(len("rank"), *(len(str(row["rank"])) for row in rows))
    lines = [f"{'rank':>{width}}  {'score':>6}  file"]
    for row in rows:
        lines.append(f"{row['rank']:>{width}}  {row['score']:>6.4f}  {row['filename']}")
    return "\n".join(lines) + "\n"


def rich_table(rows: list[dict[str, Any]]) -> str:
    """The same table drawn by rich, rendered to text so output.out stays the only writer."""
    import io
    import shutil

    from rich.console import Console
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    table.add_column("rank", justify="right", style="dim")
    table.add_column("score", justify="right", style="cyan")
    table.add_column("file", overflow="fold")
    for row in rows:
        table.add_row(str(row["rank"]), f"{row['score']:.4f}", row["filename"])
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=True, highlight=False, width=shutil.get_terminal_size().columns
    )
    console.print(table)
    return buffer.getvalue()
