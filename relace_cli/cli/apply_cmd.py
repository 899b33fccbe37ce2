"""`relace apply FILE [SNIPPET]`: merge an edit snippet into a file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from relace_cli import errors
from relace_cli.cli import output
from relace_cli.cli.common import boundary, read_stdin_bytes, settings, stdin_is_piped
from relace_cli.errors import GUARD_NAMES, InputError

if TYPE_CHECKING:
    from relace_cli.apply import Outcome


@boundary
def apply(
    file: Annotated[
        str | None,
        typer.Argument(help="File to edit ('-': read it from stdin).", show_default=False),
    ] = None,
    snippet: Annotated[
        str | None,
        typer.Argument(
            help="File holding the edit snippet ('-': stdin). Default: piped stdin.",
            show_default=False,
        ),
    ] = None,
    edit: Annotated[
        str | None, typer.Option("--edit", "-e", help="The edit snippet as text.")
    ] = None,
    instruction: Annotated[
        str | None, typer.Option("--instruction", "-i", help="One line saying what the edit does.")
    ] = None,
    diff: Annotated[
        bool, typer.Option("--diff", help="Print a unified diff; write nothing.")
    ] = False,
    to_stdout: Annotated[
        bool, typer.Option("--stdout", help="Print the merged file to stdout; write nothing.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if the file would change.")
    ] = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout.")
    ] = False,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="auto (local, then remote if it abstains), local or remote.",
            show_default=False,
        ),
    ] = None,
    stream: Annotated[
        bool,
        typer.Option("--stream", help="Stream the remote result (with --stdout: as it arrives)."),
    ] = False,
    language: Annotated[
        str | None, typer.Option("--language", help="File type for stdin input, e.g. py, ts.")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Encoding of FILE (default: detected).")
    ] = None,
    no_guard: Annotated[
        list[str] | None,
        typer.Option(
            "--no-guard", help=f"Disable a guard: {', '.join(GUARD_NAMES)}.", show_default=False
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Write even if a guard objects.")] = False,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Read timeout in seconds.", show_default=False)
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Apply model name.")] = None,
    from_markdown: Annotated[
        str | None,
        typer.Option(
            "--from-markdown",
            help="Apply every path-labelled code block of an LLM "
            "answer (a Markdown file, '-': stdin).",
            show_default=False,
        ),
    ] = None,
    keep_going: Annotated[
        bool,
        typer.Option(
            "--keep-going",
            help="--from-markdown: write the files that passed even if others failed.",
        ),
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs", "-j", min=1, max=32, help="--from-markdown: apply requests run at once."
        ),
    ] = 4,
) -> None:
    """Merge an edit snippet into FILE (in place unless --diff, --stdout or --check)."""
    from relace_cli.apply import Request, run

    output.quiet = json_out
    disabled = _disabled_guards(no_guard)
    if from_markdown is not None:
        if file is not None or snippet is not None or edit is not None or to_stdout:
            raise InputError("--from-markdown takes no FILE, SNIPPET, --edit or --stdout")
        from relace_cli.cli import multi_cmd

        resolved = settings({"engine": engine, "timeout": timeout, "apply_model": model})
        code = multi_cmd.apply_markdown(
            from_markdown,
            resolved,
            diff=diff,
            check=check,
            json_out=json_out,
            keep_going=keep_going,
            jobs=jobs,
            engine=engine,
            instruction=instruction,
            disabled_guards=disabled,
            force=force,
        )
        if code:
            raise typer.Exit(code)
        return
    if file is None:
        raise InputError("missing FILE", hint="relace apply FILE [SNIPPET], or --from-markdown")
    if to_stdout and (diff or check or json_out):
        raise InputError("--stdout cannot be combined with --diff, --check or --json")
    if file == "-" and not (diff or check or json_out):
        to_stdout = True
    writes = not (diff or check or to_stdout) and file != "-"  # stdin is never written back
    if writes:
        from relace_cli.files import check_writable

        check_writable(file)
    text = read_snippet(file, snippet, edit)
    stdin = read_stdin_bytes() if file == "-" else None
    resolved = settings({"engine": engine, "timeout": timeout, "apply_model": model})
    stream_to = None
    if stream:  # in place: stream the request, but write only the whole, guarded result
        stream_to = output.out if to_stdout else _discard
    req = Request(
        path=file,
        snippet=text,
        instruction=instruction,
        engine=engine,
        language=language,
        encoding=encoding,
        disabled_guards=disabled,
        force=force,
        stream_to=stream_to,
    )
    outcome = run(req, resolved, stdin=stdin, notify=output.info)
    for note in outcome.notes:
        output.info(f"note: {note}")
    if check and outcome.changed:
        output.exit_on_broken_pipe(errors.CHANGED)  # `--check --diff | head`: still 1
    written = False
    if writes and outcome.changed:
        _write(outcome)
        written = True
    if json_out:
        output.out_json(_report(outcome, written))
    elif to_stdout:
        if not stream or outcome.engine != "remote":
            output.out_bytes(outcome.data)
    elif diff:
        output.diff(outcome.diff())
    if not to_stdout:
        output.info(summary(outcome, written=written, checking=check or diff))
    if check and outcome.changed:
        raise typer.Exit(errors.CHANGED)


def _discard(_chunk: str) -> None:
    pass


def _disabled_guards(names: list[str] | None) -> frozenset[str]:
    disabled = frozenset(names or ())
    unknown = disabled - set(GUARD_NAMES)
    if unknown:
        raise InputError(
            f"unknown guard {sorted(unknown)[0]!r}", hint="valid guards: " + ", ".join(GUARD_NAMES)
        )
    return disabled


def read_snippet(file: str, snippet: str | None, edit: str | None) -> str:
    from relace_cli.files import decode, read_source

    if snippet is not None and edit is not None:
        raise InputError("give the snippet once: as SNIPPET or with --edit, not both")
    if edit is not None:
        return edit
    if snippet == "-" or snippet is None:
        if file == "-":
            raise InputError(
                "FILE is read from stdin, so the snippet cannot be",
                hint="pass it with --edit TEXT or as a SNIPPET file",
            )
        if snippet is None and not stdin_is_piped():
            raise InputError(
                "no snippet given", hint="pass a SNIPPET file, -e TEXT, or pipe it on stdin"
            )
        text, _enc, _bom = decode(read_stdin_bytes(), path="-", advise=False)
        return text
    return read_source(snippet, advise=False).text  # (--encoding is FILE's, not the snippet's)


def _write(outcome: Outcome) -> None:
    from relace_cli import backup
    from relace_cli.files import hard_link_count

    src = outcome.source
    links = hard_link_count(src.path)
    try:
        backup.safe_write(src.path, src.raw if src.exists else None, outcome.data, mode=src.mode)
    except OSError as exc:  # a full disk, a quota, a vanished directory: the file is intact
        raise InputError(
            f"cannot write {src.display}: {exc.strerror or exc}; the file is unchanged"
        ) from None
    output.wrote(src.display)
    if links > 1:
        output.warn(f"note: {src.path} had {links} hard links; the others keep the old content")


def summary(outcome: Outcome, *, written: bool, checking: bool) -> str:
    name = outcome.source.display
    ms = outcome.seconds * 1000
    if outcome.engine == "new-file":
        verb = "created" if written else "would create"
        count = len(outcome.merged.splitlines())
        return f"{name}: {verb} ({count} line{'' if count == 1 else 's'})"
    if not outcome.changed:
        return f"{name}: no changes ({outcome.engine} engine, {ms:.0f} ms)"
    added, removed = outcome.line_counts()
    verb = "merged" if written else "would change" if checking else "merged (not written)"
    tokens = outcome.tokens()
    approx = "" if outcome.usage.get("total_tokens") else "~"
    return (
        f"{name}: {verb} with the {outcome.engine} engine ({outcome.strategy}) in {ms:.0f} ms: "
        f"+{added} -{removed} lines, {approx}{tokens:,} tokens"
    )


def _report(outcome: Outcome, written: bool) -> dict[str, object]:
    return {
        "file": outcome.source.display,
        "changed": outcome.changed,
        "written": written,
        "engine": outcome.engine,
        "strategy": outcome.strategy,
        "usage": outcome.usage,
        "tokens": outcome.tokens(),
        "seconds": round(outcome.seconds, 6),
        "notes": outcome.notes,
        "diff": outcome.diff(),
    }
