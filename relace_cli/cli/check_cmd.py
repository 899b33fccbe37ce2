"""`relace check [PATH...]`: find elision markers an apply left behind (a pre-commit hook).

Fast on purpose: it never imports requests or rich, reads each file once and asks git
about a file only when that file has a marker (for --new-only).
"""

from __future__ import annotations

import difflib
import os
import subprocess
from collections import Counter
from typing import Annotated

import typer

from relace_cli import errors
from relace_cli.cli import output
from relace_cli.cli.common import boundary


@boundary
def check(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files or directories to scan (default: the current directory).",
            show_default=False,
        ),
    ] = None,
    new_only: Annotated[
        bool,
        typer.Option(
            "--new-only", help="Ignore markers already in the committed version (git HEAD)."
        ),
    ] = False,
) -> None:
    """Report leftover elision markers ("... existing code ...") as file:line: marker.

    Exit 1 if any were found, 0 if none, 2 on bad input.
    """
    from relace_cli import walk

    found = 0
    for path in walk.expand(paths or ["."]):
        for line, marker in scan_file(path, new_only=new_only):
            output.exit_on_broken_pipe(errors.CHANGED)  # found, even if nobody reads it
            output.out(f"{path}:{line}: {marker}\n")
            found += 1
    if found:
        noun = "marker" if found == 1 else "markers"
        output.info(f"relace check: {found} unmerged elision {noun} found")
        raise typer.Exit(errors.CHANGED)


def scan_file(path: str, *, new_only: bool = False) -> list[tuple[int, str]]:
    """(line, marker text) of each marker to report in *path*; binary files have none."""
    from relace_cli.markers import find_markers

    text = _read_text(path)
    if text is None:
        return []
    python = path.endswith((".py", ".pyi", ".pyw"))
    found = [(n, line.strip()) for n, line in find_markers(text, python)]
    if not found or not new_only:
        return found
    committed = committed_text(path)
    if committed is None:
        return found
    return new_markers(committed, text, found)


def _read_text(path: str) -> str | None:
    from relace_cli import walk

    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise errors.InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if walk.is_binary(raw):
        return None
    text = walk.decode_text(raw)
    if text is None:  # not valid in any encoding we know: markers are ASCII, so look anyway
        text = raw.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
    return text


def committed_text(path: str) -> str | None:
    """The file's content at git HEAD, or None (not in a repo, no commit, not committed)."""
    from relace_cli import walk

    directory = os.path.dirname(os.path.abspath(path))
    try:
        proc = subprocess.run(
            ["git", "show", f"HEAD:./{os.path.basename(path)}"],
            cwd=directory,
            capture_output=True,
            check=False,
        )
    except OSError:
        return None
    if proc.returncode != 0:
        return None
    return walk.decode_text(proc.stdout) or proc.stdout.decode("utf-8", "replace")


def new_markers(
    committed: str, current: str, found: list[tuple[int, str]]
) -> list[tuple[int, str]]:
    """The markers beyond those already committed, counted per marker text.

    When a text occurs more often now than in HEAD, the surplus is reported, preferring
    the occurrences on lines the change added over those it kept.
    """
    from relace_cli.markers import find_markers

    before = Counter(line.strip() for _n, line in find_markers(committed))
    now = Counter(marker for _n, marker in found)
    surplus = {text: now[text] - before[text] for text in now if now[text] > before[text]}
    if not surplus:
        return []
    kept = _kept_lines(committed, current)
    report: list[tuple[int, str]] = []
    for text, count in surplus.items():
        places = [n for n, marker in found if marker == text]
        places.sort(key=lambda n: (n in kept, -n))  # added lines first, then the last ones
        report.extend((n, text) for n in places[:count])
    return sorted(report)


def _kept_lines(committed: str, current: str) -> set[int]:
    """1-based numbers of the current lines that diff as unchanged from HEAD."""
    matcher = difflib.SequenceMatcher(
        None, committed.splitlines(), current.splitlines(), autojunk=False
    )
    kept: set[int] = set()
    for block in matcher.get_matching_blocks():
        kept.update(range(block.b + 1, block.b + block.size + 1))
    return kept
