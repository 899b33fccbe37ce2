"""One apply, start to finish but for the write: engine choice, guards, the result.

Prints nothing and writes nothing: the CLI decides what to show and whether to write
(``commit``). Every check has passed by the time an :class:`Outcome` exists.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from relace_cli.errors import InputError, MergeRefused
from relace_cli.files import STDIN, Source, encode, new_source, read_source
from relace_cli.settings import Settings

ENGINES = ("auto", "local", "remote")
Notify = Callable[[str], None]


@dataclass(frozen=True)
class Request:
    path: str
    snippet: str
    instruction: str | None = None
    engine: str | None = None  # None: from settings
    language: str | None = None  # None: from the file's extension
    encoding: str | None = None
    disabled_guards: frozenset[str] = frozenset()
    force: bool = False
    stream_to: Callable[[str], None] | None = None  # remote chunks as they arrive


@dataclass
class Outcome:
    source: Source
    merged: str  # "\n" text
    data: bytes  # what would be written, in the original's encoding and line endings
    engine: str  # "local", "remote" or "new-file"
    strategy: str
    usage: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    _diff: str | None = field(default=None, repr=False)

    @property
    def changed(self) -> bool:
        return self.data != self.source.raw or not self.source.exists

    def diff(self) -> str:
        if self._diff is None:  # computed once: the summary, --diff and --json all use it
            self._diff = unified_diff(self.source.text, self.merged, self.source.display)
        return self._diff

    def line_counts(self) -> tuple[int, int]:
        added = removed = 0
        for line in self.diff().splitlines():
            if line.startswith("+") and not line.startswith("+++"):
                added += 1
            elif line.startswith("-") and not line.startswith("---"):
                removed += 1
        return added, removed

    def tokens(self) -> int:
        if self.usage.get("total_tokens"):
            return int(self.usage["total_tokens"])
        return (len(self.source.text) + len(self.merged)) // 4


def unified_diff(before: str, after: str, name: str, context: int = 3) -> str:
    """A unified diff; the common head and tail are cut off first, so a small edit in a
    large file costs little (difflib then sees only the changed window)."""
    import difflib
    import re

    from relace_cli.linediff import common_ends

    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    head, tail = common_ends(old, new)
    start = max(0, head - context)
    cut = max(0, tail - context)
    lines = difflib.unified_diff(
        old[start : len(old) - cut], new[start : len(new) - cut],
        fromfile=f"a/{name}", tofile=f"b/{name}", n=context,
    )
    hunk = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")
    out = []
    for line in lines:
        if start and line.startswith("@@"):
            line = hunk.sub(lambda m: f"@@ -{int(m[1]) + start}{m[2] or ''} "
                                      f"+{int(m[3]) + start}{m[4] or ''} @@", line)
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def language_of(path: str, override: str | None = None) -> str | None:
    if override:
        return override.lstrip(".").lower()
    if path == STDIN:
        return None
    suffix = Path(path).suffix.lstrip(".").lower()
    return suffix or None


def load_source(req: Request, *, stdin: bytes | None = None) -> Source:
    """The file to merge into; a missing file is fine only for a marker-free snippet."""
    from relace_cli.markers import has_marker

    if req.path != STDIN and Path(req.path).is_symlink() and not Path(req.path).exists():
        raise InputError(f"{req.path} is a symlink to a missing file "
                         f"({os.readlink(req.path)})", hint="fix or remove the link")
    if req.path != STDIN and not Path(req.path).exists():
        if has_marker(req.snippet):
            raise InputError(
                f"{req.path}: no such file, and the snippet has elision markers "
                "(nothing to merge them into)",
                hint="check the path, or pass a complete file to create it",
            )
        return new_source(req.path, encoding=req.encoding)
    return read_source(req.path, encoding=req.encoding, stdin=stdin)


def run(
    req: Request,
    settings: Settings,
    *,
    stdin: bytes | None = None,
    notify: Notify = lambda _msg: None,
    client_factory: Callable[[], object] | None = None,
) -> Outcome:
    """Merge, guard and encode; raise a RelaceError (exit 2/3/4) instead of any bad result."""
    if not req.snippet.strip():
        raise InputError(
            "the snippet is empty", hint="pass it as SNIPPET, with -e TEXT, or on stdin"
        )
    snippet = req.snippet.replace("\r\n", "\n").replace("\r", "\n")
    source = load_source(req, stdin=stdin)
    language = language_of(req.path, req.language)
    notes: list[str] = []
    snippet = _unfence(snippet, source, language, notes)
    started = time.perf_counter()
    if not source.exists:
        merged = snippet if snippet.endswith("\n") else snippet + "\n"
        engine, strategy, usage = "new-file", "create", {}
    else:
        merged, engine, strategy, usage = _merge(
            source.text, snippet, language, req, settings, notify, client_factory
        )
    if source.exists:
        merged = _guard(source, merged, snippet, language, engine == "remote", req, notes)
    data = encode(source, merged)
    if source.exists:
        _guard_bytes(source, data, req, notes)
    seconds = time.perf_counter() - started
    return Outcome(source, merged, data, engine, strategy, usage, seconds, notes)


def _unfence(snippet: str, source: Source, language: str | None, notes: list[str]) -> str:
    """The snippet without the Markdown fence a model (or a copy from a chat) wrapped it in."""
    from relace_cli.guards import unwrap_snippet

    try:
        snippet, note = unwrap_snippet(snippet, source.text if source.exists else "", language)
    except ValueError as exc:
        line, fence = exc.args
        raise InputError(
            f"the snippet has a Markdown code fence on line {line} ({fence}) that is not part "
            "of the file", hint="pass only the code, without the surrounding fence or prose",
        ) from None
    if note:
        notes.append(note)
    if not snippet.strip():
        raise InputError("the snippet is empty inside its code fence")
    return snippet


def _merge(
    original: str,
    snippet: str,
    language: str | None,
    req: Request,
    settings: Settings,
    notify: Notify,
    client_factory: Callable[[], object] | None,
) -> tuple[str, str, str, dict[str, int]]:
    engine = req.engine or settings.engine
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}", hint="use auto, local or remote")
    if engine in ("auto", "local"):
        from relace_cli.merge import Abstain, merge

        result = merge(original, snippet, language)
        if not isinstance(result, Abstain):
            return result.text, "local", result.strategy, {}
        if engine == "local" or not settings.api_key:
            hint = (
                "set an API key to fall back to the remote model, or rewrite the snippet "
                "with unique anchors"
                if engine == "auto"
                else "try --engine remote, or rewrite the snippet with unique anchors"
            )
            raise MergeRefused(f"local engine abstained: {result.reason}", hint=hint)
        notify(f"local engine abstained ({result.reason}); asking the remote model")
    merged, usage = _remote(original, snippet, req, settings, client_factory)
    return merged, "remote", settings.apply_protocol, usage


def _remote(
    original: str,
    snippet: str,
    req: Request,
    settings: Settings,
    client_factory: Callable[[], object] | None,
) -> tuple[str, dict[str, int]]:
    from relace_cli import api

    settings.require_key(alternative="; or use --engine local")
    client = client_factory() if client_factory else make_client(settings)
    with client:  # type: ignore[attr-defined]
        if settings.apply_protocol == "openai":
            result = api.apply_openai(
                client,
                settings.apply_url,
                model=settings.apply_model or "auto",
                initial_code=original,
                edit_snippet=snippet,
                instruction=req.instruction,
            )
            if req.stream_to is not None:  # no streaming in this protocol: one chunk, at the end
                req.stream_to(result.merged)
            return _lf(result.merged), dict(result.usage)
        if req.stream_to is not None:
            chunks: list[str] = []
            for chunk in api.apply_code_stream(
                client,
                settings.apply_url,
                initial_code=original,
                edit_snippet=snippet,
                model=settings.apply_model,
                instruction=req.instruction,
            ):
                chunks.append(chunk)
                req.stream_to(chunk)
            return _lf("".join(chunks)), {}
        result = api.apply_code(
            client,
            settings.apply_url,
            initial_code=original,
            edit_snippet=snippet,
            model=settings.apply_model,
            instruction=req.instruction,
        )
        return _lf(result.merged), dict(result.usage)


def make_client(settings: Settings, *, notify: Notify | None = None, pool_size: int = 4) -> object:
    from relace_cli import api

    return api.Client(
        settings.require_key(),  # (never a missing or malformed key on the wire)
        timeout=settings.timeout,
        max_retries=settings.max_retries,
        on_retry=notify,
        pool_size=pool_size,
    )


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _guard(
    source: Source,
    merged: str,
    snippet: str,
    language: str | None,
    remote: bool,
    req: Request,
    notes: list[str],
) -> str:
    from relace_cli.guards import check_merge

    checked = check_merge(
        source.text, merged, snippet, language=language, remote=remote, disabled=req.disabled_guards
    )
    notes.extend(checked.notes)
    _enforce(checked.failures, req, notes)
    return checked.text


def _guard_bytes(source: Source, data: bytes, req: Request, notes: list[str]) -> None:
    if "untouched" in req.disabled_guards:
        return
    from relace_cli.guards import check_untouched

    failure = check_untouched(source.raw, data, encoding=source.encoding)
    _enforce([failure] if failure else [], req, notes)


def _enforce(failures: list, req: Request, notes: list[str]) -> None:
    for failure in failures:
        if req.force:
            notes.append(f"--force: ignoring the {failure.guard} guard: {failure.message}")
        else:
            raise MergeRefused(
                f"{failure.message} [guard: {failure.guard}]",
                guard=failure.guard,
                hint=f"nothing was written; --no-guard {failure.guard} or --force to override",
            )
