"""`relace undo`: findings from review (lost --force copies, untruthful messages, silent damage)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from relace_cli import backup
from tests.conftest import Run

ORIGINAL = "def a():\n    return 1\n\n\ndef b():\n    return 2\n"
SNIPPET = "# ... existing code ...\n\ndef b():\n    return 3\n"
MERGED = "def a():\n    return 1\n\n\ndef b():\n    return 3\n"
SAVED = re.compile(r"saved to (\S+)")


def _apply(relace: Run, path: Path, snippet: str = SNIPPET) -> None:
    r = relace("apply", str(path), "-e", snippet, "--engine", "local")
    assert r.code == 0, r


def test_forced_undos_of_two_same_named_files_keep_both_edits(relace: Run, tmp_path: Path) -> None:
    files = []
    for d in ("d1", "d2"):
        (tmp_path / d).mkdir()
        f = tmp_path / d / "a.py"
        f.write_text(ORIGINAL)
        _apply(relace, f)
        f.write_text(MERGED + f"# edit in {d}\n")
        files.append(f)
    # Whatever second the undos land in, a copy under the old naming scheme
    # (<stamp>-a.py) must not be overwritten either: nothing there is ever replaced.
    aside = tmp_path / "state" / "replaced-by-undo"
    aside.mkdir(mode=0o700)
    now = datetime.now()
    decoys = [aside / f"{now + timedelta(seconds=s):%Y%m%d-%H%M%S}-a.py" for s in range(-2, 60)]
    for decoy in decoys:
        decoy.write_text("an earlier saved copy\n")

    reported = []
    for f in files:
        r = relace("undo", str(f), "--force")
        assert r.code == 0, r
        assert f.read_text() == ORIGINAL
        match = SAVED.search(r.stderr)
        assert match, r
        reported.append(Path(match.group(1)))
    assert reported[0] != reported[1]
    assert reported[0].read_text() == MERGED + "# edit in d1\n"
    assert reported[1].read_text() == MERGED + "# edit in d2\n"
    assert all(p.parent == aside and p.name.endswith("a.py") for p in reported)
    assert all(d.read_text() == "an earlier saved copy\n" for d in decoys)


def test_forced_undos_in_the_same_instant_never_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same second, same path, same content: still two copies (the counter case)."""
    frozen = datetime(2024, 5, 6, 7, 8, 9).astimezone()

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def,override]
            return frozen

    monkeypatch.setattr(backup, "datetime", Frozen)
    f = tmp_path / "x.py"
    f.write_bytes(b"v1\n")
    kept = []
    for _ in range(3):
        backup.record(str(f), b"v1\n", b"v2\n")
        f.write_bytes(b"my edit\n")
        entry = backup.undo(str(f), force=True)
        assert entry.kept and f.read_bytes() == b"v1\n"
        kept.append(entry.kept)
    assert len(set(kept)) == 3
    assert all(Path(k).read_bytes() == b"my edit\n" for k in kept)
    assert len(list((tmp_path / "state" / "replaced-by-undo").iterdir())) == 3


def test_undoing_a_created_file_says_it_was_removed(relace: Run, tmp_path: Path) -> None:
    new = tmp_path / "new.py"
    r = relace("apply", str(new), "-e", "print(1)\n", "--engine", "local")
    assert r.code == 0 and new.exists(), r
    r = relace("undo", str(new))
    assert r.code == 0, r
    assert not new.exists()
    assert f"removed {new} (relace had created it)" in r.stderr
    assert "restored" not in r.stderr


def test_forced_undo_of_a_created_file_deleted_since_says_so(relace: Run, tmp_path: Path) -> None:
    new = tmp_path / "new.py"
    assert relace("apply", str(new), "-e", "print(1)\n", "--engine", "local").code == 0
    new.unlink()
    assert relace("undo", str(new)).code == 2  # deleted since: refused without --force
    r = relace("undo", str(new), "--force")
    assert r.code == 0, r
    assert not new.exists()
    assert "restored" not in r.stderr and "removed" not in r.stderr
    assert f"{new} was already gone (relace had created it)" in r.stderr
    assert relace("undo", "--list").stdout == ""


def test_undoing_a_file_that_existed_still_says_restored(relace: Run, tmp_path: Path) -> None:
    f = tmp_path / "mod.py"
    f.write_text(ORIGINAL)
    _apply(relace, f)
    r = relace("undo", str(f))
    assert r.code == 0, r
    assert f"restored {f} to its content before the apply of" in r.stderr


@pytest.mark.parametrize("json_out", [False, True])
def test_list_says_when_it_moved_a_damaged_index_aside(
    relace: Run, tmp_path: Path, json_out: bool
) -> None:
    f = tmp_path / "mod.py"
    f.write_text(ORIGINAL)
    _apply(relace, f)
    state = tmp_path / "state"
    blobs = sorted(p.name for p in (state / "backups").iterdir())
    (state / "index.json").write_text("{not json")

    r = relace("undo", "--list", *(["--json"] if json_out else []))
    assert r.code == 0, r
    moved = [p for p in state.iterdir() if p.name.startswith("index.json.damaged-")]
    assert len(moved) == 1 and moved[0].read_text() == "{not json"
    lines = r.stderr.splitlines()
    assert len(lines) == (1 if json_out else 2), r  # + "no backups" without --json
    notice = next(ln for ln in lines if "damaged" in ln)
    assert str(state / "index.json") in notice and str(moved[0]) in notice
    assert "backups" in notice  # says the backups themselves are kept
    assert sorted(p.name for p in (state / "backups").iterdir()) == blobs

    again = relace("undo", "--list")  # the notice is given once, when it is moved
    assert again.code == 0 and "damaged" not in again.stderr, again


def test_damaged_index_copies_are_never_overwritten(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    notes: list[str] = []
    for content in ("{first", "{second"):
        (state / "index.json").write_text(content)
        assert backup.history(notice=notes.append) == []
    moved = sorted(p.read_text() for p in state.iterdir() if p.name.startswith("index.json."))
    assert moved == ["{first", "{second"]
    assert len(notes) == 2


def test_undo_also_says_when_it_moved_a_damaged_index_aside(relace: Run, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "index.json").write_text("{not json")
    r = relace("undo")
    assert r.code == 2 and "nothing to undo" in r.stderr, r
    assert "damaged" in r.stderr
