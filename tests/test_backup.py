"""Backups and undo, always in a temporary state dir (never the real home)."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from relace_cli import backup
from relace_cli.errors import InputError


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "state"
    monkeypatch.setenv("RELACE_STATE_DIR", str(directory))
    return directory


def write(path: Path, old: bytes, new: bytes) -> backup.Entry:
    """What the CLI does: record first, then write."""
    entry = backup.record(str(path), old, new)
    path.write_bytes(new)
    return entry


def test_state_dir_follows_the_env(state: Path) -> None:
    assert backup.state_dir() == state


def test_record_history_undo_round_trip(tmp_path: Path, state: Path) -> None:
    f = tmp_path / "x.py"
    f.write_bytes(b"v1\n")
    first = write(f, b"v1\n", b"v2\n")
    second = write(f, b"v2\n", b"v3\n")
    assert [e.id for e in backup.history(str(f))] == [second.id, first.id]
    assert second.path == os.path.realpath(f) and second.size == 3
    assert len(second.old_sha256) == 64 and second.old_sha256 != second.new_sha256

    assert backup.undo(str(f)) == second
    assert f.read_bytes() == b"v2\n"
    assert backup.undo(str(f)) == first
    assert f.read_bytes() == b"v1\n"
    with pytest.raises(InputError, match="nothing to undo for .*x.py"):
        backup.undo(str(f))


def test_files_are_private(tmp_path: Path, state: Path) -> None:
    f = tmp_path / "x.py"
    f.write_bytes(b"a")
    write(f, b"a", b"b")
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    blobs = list((state / "backups").iterdir())
    assert blobs and all(stat.S_IMODE(b.stat().st_mode) == 0o600 for b in blobs)
    assert stat.S_IMODE((state / "index.json").stat().st_mode) == 0o600
    item = json.loads((state / "index.json").read_text())["entries"][0]
    assert {"id", "path", "time", "size", "old_sha256", "new_sha256", "blob"} <= set(item)


def test_undo_without_path_takes_the_newest_of_any_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"a1")
    b.write_bytes(b"b1")
    write(a, b"a1", b"a2")
    write(b, b"b1", b"b2")
    assert backup.undo().path == os.path.realpath(b)
    assert b.read_bytes() == b"b1" and a.read_bytes() == b"a2"


def test_refuses_when_the_file_changed_since(tmp_path: Path) -> None:
    f = tmp_path / "x.py"
    f.write_bytes(b"v1")
    write(f, b"v1", b"v2")
    f.write_bytes(b"edited by hand")
    with pytest.raises(InputError, match=r"x\.py changed since relace wrote it \(at \d{4}-") as exc:
        backup.undo(str(f))
    assert exc.value.exit_code == 2 and "--force" in str(exc.value)
    assert f.read_bytes() == b"edited by hand"
    backup.undo(str(f), force=True)
    assert f.read_bytes() == b"v1"


def test_new_file_undo_deletes_it(tmp_path: Path) -> None:
    f = tmp_path / "new.py"
    write(f, b"", b"print(1)\n")
    backup.undo(str(f))
    assert not f.exists()


def test_existing_empty_file_is_emptied_not_deleted(tmp_path: Path) -> None:
    f = tmp_path / "empty.py"
    f.write_bytes(b"")
    write(f, b"", b"x = 1\n")
    backup.undo(str(f))
    assert f.exists() and f.read_bytes() == b""


def test_undo_keeps_the_mode(tmp_path: Path) -> None:
    f = tmp_path / "run.sh"
    f.write_bytes(b"echo 1\n")
    f.chmod(0o751)
    write(f, b"echo 1\n", b"echo 2\n")
    backup.undo(str(f))
    assert f.read_bytes() == b"echo 1\n"
    assert stat.S_IMODE(f.stat().st_mode) == 0o751


def test_symlink_is_keyed_by_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_bytes(b"1")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    write(link, b"1", b"2")
    assert backup.history(str(target))[0].path == str(target.resolve())
    backup.undo(str(link))
    assert target.read_bytes() == b"1" and link.is_symlink()


def test_prunes_beyond_max_entries(tmp_path: Path, state: Path) -> None:
    f = tmp_path / "x.txt"
    for i in range(backup.MAX_ENTRIES + 5):
        write(f, str(i).encode(), str(i + 1).encode())
    entries = backup.history()
    assert len(entries) == backup.MAX_ENTRIES
    assert len(list((state / "backups").iterdir())) == backup.MAX_ENTRIES
    assert backup.undo(str(f)).size == len(str(backup.MAX_ENTRIES + 4))


def test_prunes_at_the_size_cap(tmp_path: Path, state: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup, "MAX_BYTES", 100)
    f = tmp_path / "x.txt"
    for i in range(3):
        write(f, bytes([65 + i]) * 40, b"new")
    assert [e.size for e in backup.history()] == [40, 40]
    assert len(list((state / "backups").iterdir())) == 2
    write(f, b"z" * 500, b"new")  # the newest is kept even alone over the cap
    assert [e.size for e in backup.history()] == [500]


@pytest.mark.parametrize("content", [b"", b"not json", b'{"entries": 5}', b"[1, 2]",
                                     b'{"entries": [{"id": 1}]}'])
def test_corrupt_index_is_an_empty_history(tmp_path: Path, state: Path, content: bytes) -> None:
    state.mkdir(mode=0o700)
    (state / "index.json").write_bytes(content)
    assert backup.history() == []
    with pytest.raises(InputError, match="nothing to undo"):
        backup.undo()
    f = tmp_path / "x.txt"
    f.write_bytes(b"a")
    write(f, b"a", b"b")  # never blocks a write
    assert len(backup.history()) == 1


def test_missing_state_dir_is_an_empty_history() -> None:
    assert backup.history() == []
    with pytest.raises(InputError, match="nothing to undo for y.py"):
        backup.undo("y.py")


def test_unwritable_state_dir_refuses(tmp_path: Path, state: Path) -> None:
    state.mkdir(mode=0o700)
    state.chmod(0o500)  # judged by the mode bits, so this also holds when running as root
    try:
        with pytest.raises(InputError, match="RELACE_STATE_DIR") as exc:
            backup.record(str(tmp_path / "x.py"), b"a", b"b")
        assert "nothing was written" in str(exc.value)
    finally:
        state.chmod(0o700)


def test_state_dir_that_is_a_file_refuses(tmp_path: Path, state: Path) -> None:
    state.write_text("oops")
    with pytest.raises(InputError, match="cannot keep a backup"):
        backup.record(str(tmp_path / "x.py"), b"a", b"b")


def test_missing_blob_refuses_undo(tmp_path: Path, state: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_bytes(b"a")
    write(f, b"a", b"b")
    for blob in (state / "backups").iterdir():
        blob.unlink()
    with pytest.raises(InputError, match="backup of .* is missing"):
        backup.undo(str(f))
    assert f.read_bytes() == b"b"


def _record_many(args: tuple[str, str, int]) -> None:
    state, directory, worker = args
    os.environ["RELACE_STATE_DIR"] = state
    for i in range(10):
        backup.record(os.path.join(directory, f"w{worker}-{i}.txt"), b"old", b"new")


def test_concurrent_processes_lose_no_entries(tmp_path: Path, state: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        pool.map(_record_many, [(str(state), str(tmp_path), w) for w in range(4)])
    entries = backup.history()
    assert len(entries) == 40
    assert len({e.id for e in entries}) == 40
    assert len(list((state / "backups").iterdir())) == 40


def test_a_damaged_index_is_set_aside_and_no_blob_is_deleted(tmp_path: Path, state: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_bytes(b"a")
    write(f, b"a", b"b")
    write(f, b"b", b"c")
    blobs = sorted(p.name for p in (state / "backups").iterdir())
    (state / "index.json").write_text("{not json")
    write(f, b"c", b"d")  # the next apply after the damage
    assert set(blobs) <= {p.name for p in (state / "backups").iterdir()}
    assert [p.name for p in state.iterdir() if p.name.startswith("index.json.damaged-")]
    assert len(backup.history()) == 1


def test_forget_removes_an_entry_whose_write_failed(tmp_path: Path, state: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_bytes(b"a")
    entry = backup.record(str(f), b"a", b"b")
    backup.forget(entry)
    assert backup.history() == []
    assert list((state / "backups").iterdir()) == []


def test_undo_refuses_a_read_only_file(tmp_path: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_bytes(b"a")
    write(f, b"a", b"b")
    f.chmod(0o444)
    with pytest.raises(InputError, match="read-only"):
        backup.undo(str(f))
    assert f.read_bytes() == b"b" and len(backup.history()) == 1
