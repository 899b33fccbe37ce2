"""`relace embed [PATH...]`: one embedding per input, as JSON Lines in input order."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated

import typer

from relace_cli.cli import output
from relace_cli.cli.common import boundary, read_stdin_bytes, settings, stdin_is_piped
from relace_cli.errors import InputError


class Dtype(StrEnum):
    float = "float"
    binary = "binary"


class Format(StrEnum):
    jsonl = "jsonl"
    json = "json"


@boundary
def embed(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Files to embed, one input each.", show_default=False)
    ] = None,
    text: Annotated[
        list[str] | None,
        typer.Option("--text", help="A literal input (repeatable).", show_default=False),
    ] = None,
    lines: Annotated[
        bool, typer.Option("--lines", help="Piped stdin: one input per line.")
    ] = False,
    fmt: Annotated[
        Format, typer.Option("--format", help="jsonl (default) or json.")
    ] = Format.jsonl,
    dtype: Annotated[Dtype, typer.Option("--dtype", help="float or binary.")] = Dtype.float,
    model: Annotated[
        str | None, typer.Option("--model", help="Embedding model.", show_default=False)
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=4096, help="Inputs per request.")
    ] = 64,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, max=32, help="Requests in flight at once.")
    ] = 4,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Read timeout in seconds.", show_default=False)
    ] = None,
) -> None:
    """Embed files, --text values or piped stdin with the Relace embedding model."""
    from relace_cli import api
    from relace_cli.apply import make_client

    ids, inputs = _inputs(paths or [], text or [], lines)
    resolved = settings({"embed_model": model, "timeout": timeout})
    resolved.require_key("this command")
    client = make_client(resolved, notify=output.info, pool_size=jobs)
    rows = api.embed_many(
        client,
        resolved.embed_url,
        inputs,
        batch_size=batch_size,
        jobs=jobs,
        model=resolved.embed_model,
        dtype=dtype.value,
    )
    import json

    total = len(paths or []) + len(text or []) or None
    progress = output.Progress("embedded", total, enabled=fmt is Format.jsonl)
    with client:  # type: ignore[attr-defined]
        try:
            if fmt is Format.json:
                items = [{"id": next(ids), "embedding": vec} for _i, vec in rows]
                output.out_json(items)
                return
            for i, vec in rows:  # flushed once per batch: rows stream out as batches complete
                row = json.dumps({"id": next(ids), "embedding": vec}) + "\n"
                end_of_batch = (i + 1) % batch_size == 0
                output.out(row, flush=end_of_batch)
                if end_of_batch:
                    progress.advance(batch_size)
            output.out("")
        finally:
            progress.close()


def _inputs(paths: list[str], texts: list[str], lines: bool) -> tuple[Iterator, Iterator[str]]:
    """(ids, inputs), both lazy so a huge input list is never held twice."""
    if not paths and not texts:
        if not stdin_is_piped():
            raise InputError("nothing to embed", hint="pass PATHs, --text TEXT, or pipe stdin")
        from relace_cli.files import decode

        data, _enc, _bom = decode(read_stdin_bytes(), path="-", advise=False)
        if lines:
            return _counter(), (line for line in data.splitlines() if line.strip())
        if not data.strip():
            raise InputError("stdin is empty: nothing to embed")
        return _counter(), iter([data])
    for path in paths:  # fail before any request, not halfway through the output
        _check_path(path)
    for value in texts:
        if not value.strip():
            raise InputError("--text values must not be empty")
    return _ids(paths, texts), _texts(paths, texts)


def _check_path(path: str) -> None:
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file")
    if p.is_dir():
        raise InputError(f"{path} is a directory, not a file")


def _counter() -> Iterator[int]:
    n = 0
    while True:
        yield n
        n += 1


def _ids(paths: list[str], texts: list[str]) -> Iterator[str | int]:
    yield from paths
    yield from range(len(paths), len(paths) + len(texts))


def _texts(paths: list[str], texts: list[str]) -> Iterator[str]:
    from relace_cli.files import read_source

    for path in paths:
        src = read_source(path, advise=False)  # (embed has no --encoding)
        if not src.text.strip():
            raise InputError(f"{path} is empty: nothing to embed")
        yield src.text
    yield from texts
