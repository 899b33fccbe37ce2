"""`relace apply --from-markdown ANSWER.md`: apply every path-labelled block of an LLM answer.

Every file is merged and guarded first (concurrently, one shared API client); only then is
anything written, and by default only if every file passed: a half-applied answer is worse
than none. ``--keep-going`` writes the files that passed anyway.
"""

from __future__ import annotations

import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from relace_cli import errors
from relace_cli.cli import output
from relace_cli.cli.common import read_stdin_bytes, stdin_is_piped
from relace_cli.errors import InputError, RelaceError
from relace_cli.settings import Settings

# Which failure decides the exit code when several files fail: API over refusal over input.
_PRIORITY = (errors.API, errors.REFUSED, errors.USAGE)


@dataclass
class FileResult:
    path: str
    blocks: list[Any]  # markdown_blocks.Block, in answer order
    original: Any = None  # files.Source of the file before the first block
    data: bytes = b""  # what would be written
    merged: str = ""
    engines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: RelaceError | None = None
    written: bool = False

    @property
    def changed(self) -> bool:
        if self.error is not None or self.original is None:
            return False
        return self.data != self.original.raw or not self.original.exists

    @property
    def engine(self) -> str | None:
        return "+".join(dict.fromkeys(self.engines)) or None

    def diff(self) -> str:
        if not self.changed:
            return ""
        from relace_cli.apply import unified_diff

        return unified_diff(self.original.text, self.merged, self.path)


class _Borrowed:
    """The shared client for one apply: `with` does not close it (we do, at the end)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __enter__(self) -> Any:
        return self._client

    def __exit__(self, *exc: object) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class _SharedClient:
    """Makes one API client on first use (a local-only run never imports requests)."""

    def __init__(self, settings: Settings, jobs: int) -> None:
        self._settings = settings
        self._jobs = jobs
        self._lock = threading.Lock()
        self.client: Any = None

    def __call__(self) -> _Borrowed:
        from relace_cli.apply import make_client

        with self._lock:
            if self.client is None:
                self.client = make_client(self._settings, notify=output.info, pool_size=self._jobs)
        return _Borrowed(self.client)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


def apply_markdown(
    answer_path: str,
    settings: Settings,
    *,
    diff: bool,
    check: bool,
    json_out: bool,
    keep_going: bool,
    jobs: int,
    engine: str | None,
    instruction: str | None,
    disabled_guards: frozenset[str],
    force: bool,
) -> int:
    """Merge every block, then write all (or, with keep_going, the good ones); the exit code."""
    from relace_cli import markdown_blocks

    parsed = markdown_blocks.parse(_read_answer(answer_path))
    for line in parsed.unlabelled:
        output.info(
            f"note: ignoring the code block at line {line} of {_name(answer_path)}: "
            "no file path on or before its fence"
        )
    if parsed.unclosed is not None:
        output.info(
            f"note: ignoring the code block at line {parsed.unclosed} of "
            f"{_name(answer_path)}: its fence is never closed"
        )
    if not parsed.blocks:
        raise InputError(
            f"no path-labelled code blocks in {_name(answer_path)}",
            hint="label each block, e.g. ```python src/app.py",
        )
    results = _group(parsed.blocks)
    _check_nesting(results)
    writes = not (diff or check)
    shared = _SharedClient(settings, jobs)
    options = {
        "engine": engine,
        "instruction": instruction,
        "disabled": disabled_guards,
        "force": force,
        "writes": writes,
    }
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="relace-apply")
    try:
        futures = [pool.submit(_merge_file, r, settings, shared, options) for r in results]
        for future in futures:
            future.result()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        shared.close()
        raise
    pool.shutdown()
    shared.close()

    if writes:
        _write_all(results, keep_going=keep_going)
    failed = [r for r in results if r.error is not None]
    _report(results, json_out=json_out, diff=diff, check=check)
    if failed:
        if writes and not keep_going:
            output.info(_not_applied(results, failed))
        return _exit_code(failed)
    if check and any(r.changed for r in results):
        return errors.CHANGED
    return errors.OK


def _name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def _read_answer(path: str) -> str:
    from relace_cli.files import decode, read_source

    if path == "-":
        if not stdin_is_piped():
            raise InputError("--from-markdown -: nothing is piped on stdin")
        text, _enc, _bom = decode(read_stdin_bytes(), path="-")
        return text
    return read_source(path).text


def _group(blocks: list[Any]) -> list[FileResult]:
    """One result per file (blocks for the same file stay together, in order)."""
    by_file: dict[str, FileResult] = {}
    for block in blocks:
        path = os.path.normpath(block.path)
        key = os.path.realpath(path)
        if key not in by_file:
            by_file[key] = FileResult(path, [])
        by_file[key].blocks.append(block)
    return list(by_file.values())


def _merge_file(
    result: FileResult, settings: Settings, shared: _SharedClient, options: dict[str, Any]
) -> None:
    """Apply the file's blocks one after the other, in memory; record the error, if any."""
    if result.error is not None:  # refused before any merge (_check_nesting)
        return
    try:
        _merge_blocks(result, settings, shared, options)
    except RelaceError as exc:
        result.error = exc


def _merge_blocks(
    result: FileResult, settings: Settings, shared: _SharedClient, options: dict[str, Any]
) -> None:
    from relace_cli.apply import Request, language_of, run

    path = result.path
    _check_target(path, writes=options["writes"])
    current: bytes | None = None  # the text so far, after the earlier blocks of this file
    encoding: str | None = None
    for block in result.blocks:
        req = Request(
            path=path if current is None else "-",
            snippet=block.code,
            instruction=options["instruction"],
            engine=options["engine"],
            language=language_of(path),
            encoding=encoding,
            disabled_guards=options["disabled"],
            force=options["force"],
        )
        outcome = run(
            req,
            settings,
            stdin=current,
            client_factory=shared,
            notify=lambda msg: output.info(f"{path}: {msg}"),
        )
        if result.original is None:
            result.original = outcome.source
        current, encoding = outcome.data, outcome.source.encoding
        result.data, result.merged = outcome.data, outcome.merged
        result.engines.append(outcome.engine)
        result.notes.extend(outcome.notes)


_VCS_DIRS = frozenset({".git", ".hg", ".svn", ".jj"})


def _check_target(path: str, *, writes: bool) -> None:
    """Everything that can be known about a target before merging it, so that a doomed file
    fails before any request and an all-or-nothing apply fails before any write."""
    _check_inside(path)
    _check_creatable(path)
    if writes:
        _check_writable(path)


def _check_inside(path: str) -> None:
    """An LLM answer may only touch files inside the current directory, never through a
    symlink that leads out of it, and never inside version-control metadata (.git/config or
    .git/hooks would let an answer run commands). The resolved path is checked as well as the
    written one: a symlink `g -> .git` must not open a way into .git/hooks."""
    if os.path.isabs(path) or path.startswith("~"):
        raise InputError(f"refusing {path}: it is outside the current directory")
    if _in_vcs_dir(path):
        raise InputError(f"refusing {path}: it is inside version-control metadata")
    root = os.path.realpath(os.getcwd())
    real = os.path.realpath(path)
    if os.path.commonpath([root, real]) != root:
        raise InputError(
            f"refusing {path}: it is outside the current directory (through a symlink or ..)"
        )
    if _in_vcs_dir(os.path.relpath(real, root)):
        raise InputError(
            f"refusing {path}: it is inside version-control metadata (through a symlink)"
        )


def _in_vcs_dir(path: str) -> bool:
    return any(part.lower() in _VCS_DIRS for part in path.replace("\\", "/").split("/"))


def _check_creatable(path: str) -> None:
    """The target must be a regular file or absent, and every ancestor that exists must be a
    directory (a file `sub` makes `sub/x.py` impossible). A dangling symlink is left to
    apply.load_source, which names its target."""
    if os.path.exists(path) and not os.path.isfile(path):
        if os.path.isdir(path):
            raise InputError(f"{path} is a directory, not a file")
        raise InputError(f"{path} is not a regular file")
    parts = Path(path).parts[:-1]
    for depth in range(1, len(parts) + 1):
        ancestor = os.path.join(*parts[:depth])
        if not os.path.lexists(ancestor):
            return
        if not os.path.isdir(ancestor):
            raise InputError(f"cannot create {path}: {ancestor} is not a directory")


def _check_nesting(results: list[FileResult]) -> None:
    """A target below another target (`x.py` and `x.py/y.py`) can never both be written."""
    targets = {os.path.realpath(r.path): r.path for r in results}
    for r in results:
        ancestor = os.path.dirname(os.path.realpath(r.path))
        while os.path.dirname(ancestor) != ancestor:
            if ancestor in targets:
                r.error = InputError(f"cannot create {r.path}: {targets[ancestor]} is a file "
                                     "of this answer, not a directory")
                break
            ancestor = os.path.dirname(ancestor)


def _check_writable(path: str) -> None:
    """files.check_writable, or, for a file in a directory still to be made, its ancestor."""
    from relace_cli.files import check_writable

    parent = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(parent):
        check_writable(path)
        return
    ancestor = parent
    while not os.path.isdir(ancestor) and os.path.dirname(ancestor) != ancestor:
        ancestor = os.path.dirname(ancestor)
    if not os.access(ancestor, os.W_OK):
        raise InputError(f"cannot create {path}: {ancestor} is read-only")


def _write_all(results: list[FileResult], *, keep_going: bool) -> None:
    """Check every target again (the merge may have taken a while), then write.

    Without keep_going nothing is written unless every file passed, and writing stops at
    the first write that fails anyway (an I/O error no check could foresee)."""
    for r in results:
        if r.error is None and r.changed:
            try:
                _check_target(r.path, writes=True)
                _check_unchanged(r)
            except RelaceError as exc:
                r.error = exc
    if not keep_going and any(r.error is not None for r in results):
        return
    for r in results:
        if r.error is None and r.changed:
            _write(r)
            if r.error is not None and not keep_going:
                return


def _check_unchanged(result: FileResult) -> None:
    from relace_cli.errors import MergeRefused

    src = result.original
    try:
        current: bytes | None = Path(result.path).read_bytes()
    except FileNotFoundError:
        current = None
    except OSError as exc:
        raise InputError(f"cannot read {result.path}: {exc.strerror or exc}") from None
    if current != (src.raw if src.exists else None):
        what = "changed" if src.exists else "was created"
        raise MergeRefused(f"{result.path} {what} while relace was working",
                           hint="run the command again on the current content")


def _write(result: FileResult) -> None:
    from relace_cli import backup

    src = result.original
    try:
        if not src.exists:
            Path(result.path).parent.mkdir(parents=True, exist_ok=True)
        backup.safe_write(result.path, src.raw if src.exists else None, result.data,
                          mode=src.mode)
    except RelaceError as exc:
        result.error = exc
    except OSError as exc:
        result.error = InputError(f"cannot write {result.path}: {exc.strerror or exc}")
    else:
        result.written = True


def _not_applied(results: list[FileResult], failed: list[FileResult]) -> str:
    """What an all-or-nothing apply that failed did: nothing, or (a write failing midway) which
    files it wrote after all."""
    noun = "file" if len(failed) == 1 else "files"
    written = [r.path for r in results if r.written]
    if not written:
        return (f"nothing was written: {len(failed)} {noun} failed "
                "(--keep-going writes the files that passed)")
    return (f"only part of the answer was written: {', '.join(written)} ({len(failed)} {noun} "
            "failed; `relace undo FILE` restores a written file)")


def _message(path: str, error: RelaceError) -> str:
    """The error naming its file once: most lower-level messages already name it."""
    message = str(error)
    if re.search(rf"(?<![\w./-]){re.escape(path)}(?![\w/-])", message):
        return message
    return f"{path}: {message}"


def _report(results: list[FileResult], *, json_out: bool, diff: bool, check: bool) -> None:
    for r in results:
        for note in r.notes:
            output.info(f"note: {r.path}: {note}")
        if r.error is not None:
            output.error(_message(r.path, r.error))
    if json_out:
        files = [
            {
                "file": r.path,
                "changed": r.changed,
                "written": r.written,
                "engine": r.engine,
                "error": str(r.error) if r.error is not None else None,
                "diff": r.diff(),
            }
            for r in results
        ]
        output.out_json({"files": files, "ok": all(r.error is None for r in results)})
        return
    for r in results:
        if diff:
            output.diff(r.diff())
        if r.error is None:
            output.info(_summary(r, checking=diff or check))


def _summary(r: FileResult, *, checking: bool) -> str:
    if not r.changed:
        return f"{r.path}: no changes ({r.engine} engine)"
    if not r.original.exists:
        verb = "created" if r.written else "would create" if checking else "not created"
        return f"{r.path}: {verb}"
    added = removed = 0
    for line in r.diff().splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    verb = "merged" if r.written else "would change" if checking else "merged (not written)"
    return f"{r.path}: {verb} with the {r.engine} engine: +{added} -{removed} lines"


def _exit_code(failed: list[FileResult]) -> int:
    codes = {r.error.exit_code for r in failed if r.error is not None}
    for code in _PRIORITY:
        if code in codes:
            return code
    return max(codes) if codes else errors.USAGE
