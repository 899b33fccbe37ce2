"""Turn the paths a user typed into the text files a command should read.

A directory expands to the files git would track under it (``git ls-files -co
--exclude-standard``, so .gitignore is honoured), or, outside a git work tree, to a walk
that skips hidden and tool directories. Files named explicitly are always kept. Plain
functions only: `relace rank`, `relace check` and whatever comes next share them.
"""

from __future__ import annotations

import codecs
import os
import stat
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from relace_cli.errors import InputError

# Directories a tree walk never enters (hidden ones, starting with ".", are skipped too).
SKIP_DIRS = frozenset({"node_modules", "__pycache__", "venv", "site-packages"})
SNIFF = 8192
_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF8, codecs.BOM_UTF16_LE,
         codecs.BOM_UTF16_BE)
ProgressFn = Callable[[int, int], None]


def expand(paths: Sequence[str]) -> list[str]:
    """Every file under *paths*, in order, without duplicates; InputError for a missing path."""
    seen: set[str] = set()
    found: list[str] = []
    for path in paths:
        for name in _expand_one(path):
            key = os.path.realpath(name)
            if key not in seen:
                seen.add(key)
                found.append(name)
    return found


def _expand_one(path: str) -> list[str]:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or directory") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        listed = git_files(path)
        return sorted(listed) if listed is not None else sorted(tree_files(path))
    if stat.S_ISREG(st.st_mode):
        return [path]
    raise InputError(f"{path} is not a regular file or a directory")


def _join(directory: str, name: str) -> str:
    return os.path.normpath(os.path.join(directory, name))


def git_files(directory: str) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files under *directory*; None outside git."""
    try:
        proc = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=directory, capture_output=True, check=False,
        )
    except OSError:  # no git on PATH, or the directory cannot be entered
        return None
    if proc.returncode != 0:
        return None
    names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    files: list[str] = []
    for name in dict.fromkeys(n for n in names if n):  # a conflicted file is listed per stage
        full = _join(directory, name)
        if os.path.isfile(full):  # deleted-but-tracked files and submodules are not files
            files.append(full)
    return files


def tree_files(directory: str) -> Iterable[str]:
    """Every regular file under *directory*, skipping hidden and tool directories."""
    for root, dirs, names in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS]
        for name in names:
            full = _join(root, name)
            if os.path.isfile(full):
                yield full


@dataclass(frozen=True)
class TextFile:
    path: str
    text: str


@dataclass
class Loaded:
    files: list[TextFile]
    binary: list[str]
    undecodable: list[str]

    @property
    def skipped(self) -> int:
        return len(self.binary) + len(self.undecodable)

    def skipped_note(self) -> str | None:
        """A one-line account of what was left out, or None."""
        if not self.skipped:
            return None
        parts = []
        if self.binary:
            parts.append(f"{len(self.binary)} binary")
        if self.undecodable:
            parts.append(f"{len(self.undecodable)} undecodable")
        noun = "file" if self.skipped == 1 else "files"
        return f"skipped {' and '.join(parts)} {noun}"


def is_binary(raw: bytes) -> bool:
    """NUL bytes near the start mean binary (UTF-16/32 with a BOM is text)."""
    if raw.startswith(_BOMS):
        return False
    return b"\x00" in raw[:SNIFF]


def decode_text(raw: bytes) -> str | None:
    """The text of a file with "\\n" line endings, or None if it is binary or undecodable."""
    from relace_cli.files import decode, to_lf

    if is_binary(raw):
        return None
    try:
        text, _enc, _bom = decode(raw)
    except InputError:
        return None
    return to_lf(text)


def load_texts(paths: Iterable[str], *, progress: ProgressFn | None = None) -> Loaded:
    """Read every path as text; binary and undecodable files are counted, not fatal."""
    loaded = Loaded([], [], [])
    names = list(paths)
    for done, path in enumerate(names, 1):
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
        if is_binary(raw):
            loaded.binary.append(path)
        else:
            text = decode_text(raw)
            if text is None:
                loaded.undecodable.append(path)
            else:
                loaded.files.append(TextFile(path, text))
        if progress is not None:
            progress(done, len(names))
    return loaded

