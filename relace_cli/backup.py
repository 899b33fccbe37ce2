"""Keep the previous content of every file relace rewrites, so `relace undo` can restore it.

Layout of the state dir (``RELACE_STATE_DIR`` or the platform's user state dir), 0700:
``index.json`` (entries, oldest first, replaced atomically), ``backups/<id>.bak`` (the old
bytes, 0600) and ``lock`` (an fcntl lock serialising every change between processes). The
history is bounded (:data:`MAX_ENTRIES` writes, :data:`MAX_BYTES` in total; oldest pruned).
A missing index reads as an empty history; a damaged one is moved aside (never deleted, and
the caller is told where) and also reads as empty. A state dir we cannot write to refuses the
edit, because writing without a backup could lose data. Nothing here is ever overwritten:
copies kept aside (a damaged index, the content a forced undo replaces) get unique names.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from relace_cli.errors import InputError
from relace_cli.files import write_atomic

ENV = "RELACE_STATE_DIR"
MAX_ENTRIES = 50
MAX_BYTES = 100 * 1024 * 1024
INDEX = "index.json"
BLOBS = "backups"
ASIDE = "replaced-by-undo"
_FIELDS = ("id", "path", "time", "old_sha256", "new_sha256", "size")

Notice = Callable[[str], None]  # how backup tells the CLI something it should show (stderr)


@dataclass(frozen=True)
class Entry:
    id: str
    path: str  # absolute, symlinks resolved
    time: str  # ISO 8601, local time with offset
    old_sha256: str
    new_sha256: str
    size: int  # bytes of the old content
    created: bool = False  # the file did not exist before: undoing the write deletes it
    kept: str | None = None  # undo --force: where the replaced content was saved
    removed: bool = False  # undo of a created file: it was deleted (False: already gone)


def state_dir() -> Path:
    """Where backups live: $RELACE_STATE_DIR, else the platform's user state dir."""
    env = os.environ.get(ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_dir("relace"))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _real(path: str) -> str:
    return os.path.realpath(os.path.abspath(path))


def _refuse(path: str, directory: Path, reason: str) -> InputError:
    return InputError(
        f"cannot keep a backup of {path} in {directory} ({reason}); nothing was written",
        hint=f"set {ENV} to a writable directory",
    )


def _ensure_dir(path: str) -> Path:
    """Create the state dir (0700) and check it is writable by its mode bits, also as root."""
    directory = state_dir()
    try:
        (directory / BLOBS).mkdir(mode=0o700, parents=True, exist_ok=True)
        st = directory.stat()
    except OSError as exc:
        raise _refuse(path, directory, exc.strerror or str(exc)) from None
    for d in (directory, directory / BLOBS):
        mode = stat.S_IMODE(d.stat().st_mode)
        if not mode & 0o200 or not os.access(d, os.W_OK):
            raise _refuse(path, directory, f"{d} is not writable")
    if stat.S_IMODE(st.st_mode) & 0o077 and st.st_uid == os.getuid():
        with contextlib.suppress(OSError):
            directory.chmod(0o700)
    return directory


@contextlib.contextmanager
def _locked(directory: Path, path: str | None) -> Iterator[None]:
    try:
        fd = os.open(directory / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if path is not None:
            raise _refuse(path, directory, reason) from None
        raise InputError(f"cannot lock the relace state dir {directory} ({reason})",
                         hint=f"set {ENV} to a writable directory") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _read(directory: Path) -> list[dict[str, Any]] | None:
    """The index entries, oldest first ([] without an index); None if the index is damaged."""
    try:
        data = json.loads((directory / INDEX).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        return None
    items = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    good = []
    for item in items:
        if (isinstance(item, dict) and all(isinstance(item.get(k), str) for k in _FIELDS[:5])
                and isinstance(item.get("size"), int) and isinstance(item.get("blob"), str)):
            good.append(item)
    return good


def _load(directory: Path, notice: Notice | None = None) -> list[dict[str, Any]]:
    """The index entries, oldest first; a damaged index is moved aside and reads as empty.

    Call with the state dir locked, so that what is moved aside is what was read (and not
    an index another process has just rewritten).
    """
    items = _read(directory)
    if items is not None:
        return items
    aside = _set_aside(directory)
    if notice is not None:
        index, blobs = directory / INDEX, directory / BLOBS
        if aside is not None:
            notice(f"warning: the backup index {index} was damaged; moved it to {aside} "
                   f"(the backups themselves are kept in {blobs})")
        else:
            notice(f"warning: the backup index {index} is damaged and could not be moved "
                   f"aside; reading it as an empty history (the backups are kept in {blobs})")
    return []


def _set_aside(directory: Path) -> Path | None:
    """Keep a damaged index for inspection instead of overwriting it; returns where it went.

    Never replaces an earlier damaged copy (the state dir is locked, so checking first is
    enough: only relace moves files there).
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        target = directory / (f"{INDEX}.damaged-{stamp}" + (f"-{n}" if n > 1 else ""))
        if os.path.lexists(target):
            continue
        try:
            os.replace(directory / INDEX, target)
        except OSError:
            return None
        return target
    return None


def _save(directory: Path, items: list[dict[str, Any]]) -> None:
    data = json.dumps({"version": 1, "entries": items}, indent=1).encode("utf-8")
    write_atomic(str(directory / INDEX), data, mode=0o600)


def _entry(item: dict[str, Any]) -> Entry:
    return Entry(**{k: item[k] for k in _FIELDS}, created=item.get("created") is True)


def _prune(directory: Path, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop the oldest entries beyond the bounds (the newest always stays) and their blobs.

    Only the blobs of dropped entries are deleted: a blob the index does not know (say,
    after the index was damaged) is never touched, so no backup is lost by accident.
    """
    dropped = items[:-MAX_ENTRIES] if len(items) > MAX_ENTRIES else []
    items = items[len(dropped):]
    total = sum(item["size"] for item in items)
    while len(items) > 1 and total > MAX_BYTES:
        total -= items[0]["size"]
        dropped.append(items.pop(0))
    for item in dropped:
        with contextlib.suppress(OSError):
            (directory / BLOBS / item["blob"]).unlink()
    return items


def forget(entry: Entry) -> None:
    """Remove *entry* again (its write did not happen)."""
    directory = state_dir()
    with _locked(directory, None):
        items = _load(directory)
        keep = [item for item in items if item["id"] != entry.id]
        if len(keep) != len(items):
            _save(directory, keep)
            for item in items:
                if item["id"] == entry.id:
                    with contextlib.suppress(OSError):
                        (directory / BLOBS / item["blob"]).unlink()


def record(path: str, old: bytes, new: bytes) -> Entry:
    """Remember *old* (the content about to be replaced by *new*) before an in-place write.

    ``old == b""`` for a file that does not exist yet: undoing that write deletes the file.
    Raises InputError if the backup cannot be kept, so the caller refuses the write.
    """
    real = _real(path)
    # b"" means a new file, unless an existing empty file is being edited.
    created = old == b"" and not (os.path.isfile(real) and os.path.getsize(real) == 0)
    directory = _ensure_dir(path)
    now = datetime.now().astimezone()
    entry_id = f"{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"
    entry = Entry(id=entry_id, path=real, time=now.isoformat(timespec="seconds"),
                  old_sha256=_sha(old), new_sha256=_sha(new), size=len(old), created=created)
    blob = f"{entry_id}.bak"
    try:
        mode = stat.S_IMODE(os.stat(real).st_mode)
    except OSError:
        mode = None
    with _locked(directory, path):
        try:
            fd = os.open(directory / BLOBS / blob, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(old)
                fh.flush()
                os.fsync(fh.fileno())
            items = _load(directory)
            items.append({**{k: getattr(entry, k) for k in _FIELDS}, "blob": blob,
                          "created": created, "mode": mode})
            _save(directory, _prune(directory, items))
        except OSError as exc:
            with contextlib.suppress(OSError):
                (directory / BLOBS / blob).unlink()
            raise _refuse(path, directory, exc.strerror or str(exc)) from None
    return entry


def history(path: str | None = None, *, notice: Notice | None = None) -> list[Entry]:
    """Recorded writes, newest first (only those of *path* when given).

    A damaged index is moved aside (under the lock) and *notice* is told where.
    """
    real = _real(path) if path is not None else None
    directory = state_dir()
    items = _read(directory)
    if items is None:
        try:
            with _locked(directory, None):
                items = _load(directory, notice)
        except InputError:  # cannot even lock: leave the index where it is
            if notice is not None:
                notice(f"warning: the backup index {directory / INDEX} is damaged; "
                       "reading it as an empty history")
            items = []
    return [_entry(item) for item in reversed(items) if real is None or item["path"] == real]


def _when(entry: Entry) -> str:
    return entry.time[:16].replace("T", " ")


def undo(path: str | None = None, *, force: bool = False,
         notice: Notice | None = None) -> Entry:
    """Restore the newest recorded write (of *path* when given) and forget it.

    Refuses (InputError) when the file changed since relace wrote it, unless *force*.
    The returned entry says where a forced undo kept the replaced content (``kept``) and,
    for a file relace had created, whether it was deleted now (``removed``).
    """
    directory = state_dir()
    real = _real(path) if path is not None else None
    shown = path if path is not None else "any file"
    if not (directory / INDEX).exists():
        raise InputError(f"nothing to undo for {shown}")
    with _locked(directory, None):
        items = _load(directory, notice)
        pick = next((i for i in range(len(items) - 1, -1, -1)
                     if real is None or items[i]["path"] == real), None)
        if pick is None:
            raise InputError(f"nothing to undo for {shown}")
        item = items[pick]
        entry = _entry(item)
        name = path if path is not None else entry.path
        try:
            current: bytes | None = Path(entry.path).read_bytes()
        except FileNotFoundError:
            current = None
        except OSError as exc:
            raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
        if not force and (current is None or _sha(current) != entry.new_sha256):
            what = "was deleted" if current is None else "changed"
            raise InputError(
                f"{name} {what} since relace wrote it (at {_when(entry)}); not restoring",
                hint="use --force to restore the earlier content anyway",
            )
        if current is not None:
            from relace_cli.files import check_writable

            check_writable(entry.path)  # a read-only file stays as it is, as with apply
        kept = None
        if current is not None and _sha(current) != entry.new_sha256:
            kept = _keep_aside(directory, entry.path, name, current)  # --force: keep edits
        with file_lock(entry.path):
            _restore(directory, item, name, current is not None)
        del items[pick]
        _save(directory, items)
        with contextlib.suppress(OSError):
            (directory / BLOBS / item["blob"]).unlink()
    return replace(entry, kept=None if kept is None else str(kept),
                   removed=entry.created and current is not None)


def _keep_aside(directory: Path, path: str, name: str, data: bytes) -> Path:
    """Save content a forced undo is about to replace; returns where it went.

    Each copy gets a name of its own (time, a short hash of the full path and the content,
    and a counter if that is taken), created with O_EXCL: two files with the same name, or
    two undos in the same second, never overwrite an earlier copy.
    """
    aside = directory / ASIDE
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    digest = hashlib.sha256(path.encode("utf-8", "surrogateescape") + b"\0" + data)
    base = f"{stamp}-{digest.hexdigest()[:8]}"
    try:
        aside.mkdir(mode=0o700, exist_ok=True)
        for n in range(1, 10_000):
            target = aside / f"{base}{f'-{n}' if n > 1 else ''}-{Path(path).name}"
            try:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            except BaseException:
                with contextlib.suppress(OSError):
                    target.unlink()
                raise
            return target
        raise FileExistsError(f"no free name for {base}-{Path(path).name}")
    except OSError as exc:
        raise InputError(
            f"cannot save the current content of {name} in {aside} "
            f"({exc.strerror or exc}); not restoring",
            hint=f"set {ENV} to a writable directory",
        ) from None


def _restore(directory: Path, item: dict[str, Any], name: str, exists: bool) -> None:
    if item.get("created"):
        if exists:
            try:
                os.unlink(item["path"])
            except OSError as exc:
                raise InputError(f"cannot delete {name}: {exc.strerror or exc}") from None
        return
    try:
        old = (directory / BLOBS / item["blob"]).read_bytes()
    except OSError:
        raise InputError(f"the backup of {name} is missing from {directory}; cannot undo") from None
    if _sha(old) != item["old_sha256"]:
        raise InputError(f"the backup of {name} in {directory} is damaged; cannot undo")
    mode = None if exists else item.get("mode")
    try:
        write_atomic(item["path"], old, mode=mode if isinstance(mode, int) else None)
    except OSError as exc:
        raise InputError(f"cannot restore {name}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def file_lock(path: str) -> Iterator[None]:
    """Serialise relace processes writing the same file (editors do not take this lock; the
    content check in :func:`safe_write` covers them)."""
    directory = _ensure_dir(path)
    locks = directory / "locks"
    with contextlib.suppress(FileExistsError):
        locks.mkdir(mode=0o700)
    name = hashlib.sha256(_real(path).encode("utf-8", "surrogateescape")).hexdigest()[:24]
    try:
        fd = os.open(locks / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise _refuse(path, directory, exc.strerror or str(exc)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def safe_write(path: str, expected: bytes | None, data: bytes, *, mode: int | None) -> Entry:
    """The one way relace replaces a user's file.

    Under a per-file lock: check that the file still holds *expected* (None: that it still
    does not exist), so an edit saved meanwhile is never overwritten; record the backup; then
    write atomically. A failed write forgets its backup entry again.
    """
    from relace_cli.errors import MergeRefused

    with file_lock(path):
        try:
            current: bytes | None = Path(path).read_bytes()
        except FileNotFoundError:
            current = None
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
        if current != expected:
            what = "was created" if expected is None else "changed"
            raise MergeRefused(f"{path} {what} while relace was working; nothing was written",
                               hint="run the command again on the current content")
        entry = record(path, expected or b"", data)
        try:
            write_atomic(path, data, mode=mode)
        except BaseException:
            forget(entry)
            raise
    return entry
