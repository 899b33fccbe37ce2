"""files.py: decoding, lossless re-encoding and atomic writes."""

from __future__ import annotations

import codecs
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relace_cli.errors import InputError
from relace_cli.files import (
    Source,
    check_writable,
    decode,
    dominant_newline,
    encode,
    read_source,
    write_atomic,
)


def src_of(path: Path) -> Source:
    return read_source(str(path))


@pytest.mark.parametrize(
    ("raw", "encoding", "bom", "newline"),
    [
        (b"a\nb\n", "utf-8", b"", "\n"),
        (b"a\r\nb\r\n", "utf-8", b"", "\r\n"),
        (b"a\rb\r", "utf-8", b"", "\r"),
        (codecs.BOM_UTF8 + b"a\r\n", "utf-8", codecs.BOM_UTF8, "\r\n"),
        (
            codecs.BOM_UTF16_LE + "a\nb\n".encode("utf-16-le"),
            "utf-16-le",
            codecs.BOM_UTF16_LE,
            "\n",
        ),
        (codecs.BOM_UTF16_BE + "é\n".encode("utf-16-be"), "utf-16-be", codecs.BOM_UTF16_BE, "\n"),
        (b"# -*- coding: latin-1 -*-\nx = '\xe9'\n", "iso8859-1", b"", "\n"),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<a>\xe9</a>\n', "iso8859-1", b"", "\n"),
        (b"", "utf-8", b"", "\n"),
    ],
)
def test_decode_detects_encoding_bom_and_newline(
    tmp_path: Path, raw: bytes, encoding: str, bom: bytes, newline: str
) -> None:
    f = tmp_path / "f.txt"
    f.write_bytes(raw)
    src = src_of(f)
    assert codecs.lookup(src.encoding).name == codecs.lookup(encoding).name
    assert src.bom == bom
    assert src.newline == newline
    assert "\r" not in src.text
    assert encode(src, src.text) == raw  # identity round trip, byte for byte


def test_edit_keeps_crlf_bom_and_encoding(tmp_path: Path) -> None:
    f = tmp_path / "f.py"
    raw = codecs.BOM_UTF8 + b"one\r\ntwo\r\n"
    f.write_bytes(raw)
    src = src_of(f)
    assert encode(src, "one\nnew é\ntwo\n") == codecs.BOM_UTF8 + "one\r\nnew é\r\ntwo\r\n".encode()


def test_mixed_line_endings_survive_on_untouched_lines(tmp_path: Path) -> None:
    f = tmp_path / "f.c"
    f.write_bytes(b"a\r\nb\nc\r\nd\r\n")
    src = src_of(f)
    assert src.newline == "\r\n"
    assert encode(src, "a\nb\nX\nc\nd\n") == b"a\r\nb\nX\nc\r\nd\r\n"  # like its neighbour
    assert encode(src, "a\nB\nc\nd\n") == b"a\r\nB\nc\r\nd\r\n"  # like the line it replaces


def test_latin1_file_is_written_back_in_latin1(tmp_path: Path) -> None:
    f = tmp_path / "f.txt"
    f.write_bytes(b"caf\xe9\n")
    src = read_source(str(f), encoding="latin-1")
    assert src.text == "café\n"
    assert encode(src, "café crème\n") == b"caf\xe9 cr\xe8me\n"


def test_unencodable_character_is_an_input_error(tmp_path: Path) -> None:
    f = tmp_path / "f.txt"
    f.write_bytes(b"caf\xe9\n")
    src = read_source(str(f), encoding="latin-1")
    with pytest.raises(InputError, match="cannot encode"):
        encode(src, "snow ☃\n")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"x = '\xe9'\n", "not valid utf-8"),
        (b"ok\n\xff\xfe\xfd", "not valid utf-8"),
    ],
)
def test_binary_and_undecodable_files_are_refused(tmp_path: Path, raw: bytes, message: str) -> None:
    f = tmp_path / "f.bin"
    f.write_bytes(raw)
    with pytest.raises(InputError, match=message):
        src_of(f)


def test_missing_directory_and_unknown_encoding(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_source(str(tmp_path / "nope.py"))
    with pytest.raises(InputError, match="is a directory"):
        read_source(str(tmp_path))
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="unknown encoding"):
        read_source(str(tmp_path / "f"), encoding="klingon")


def test_stdin_source_has_no_mode() -> None:
    src = read_source("-", stdin=b"a\r\nb\r\n")
    assert src.mode is None and src.display == "<stdin>" and src.text == "a\nb\n"


def test_dominant_newline_prefers_majority() -> None:
    assert dominant_newline("a\r\nb\r\nc\n") == "\r\n"
    assert dominant_newline("a\nb\nc\r\n") == "\n"
    assert dominant_newline("no newline") == "\n"


def test_write_atomic_keeps_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    f = tmp_path / "script.sh"
    f.write_bytes(b"old\n")
    f.chmod(0o751)
    write_atomic(str(f), b"new\n")
    assert f.read_bytes() == b"new\n"
    assert stat.S_IMODE(f.stat().st_mode) == 0o751
    assert sorted(p.name for p in tmp_path.iterdir()) == ["script.sh"]


def test_write_atomic_through_symlink_updates_target_and_keeps_link(tmp_path: Path) -> None:
    target = tmp_path / "real.py"
    target.write_bytes(b"old\n")
    link = tmp_path / "link.py"
    link.symlink_to(target)
    write_atomic(str(link), b"new\n")
    assert link.is_symlink()
    assert target.read_bytes() == b"new\n"


def test_write_atomic_failure_leaves_original_and_no_temp(tmp_path: Path) -> None:
    f = tmp_path / "f.txt"
    f.write_bytes(b"old\n")

    with pytest.raises(TypeError):
        write_atomic(str(f), "not bytes")  # type: ignore[arg-type]
    assert f.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_check_writable_refuses_read_only_file_by_mode_bits(tmp_path: Path) -> None:
    f = tmp_path / "ro.py"
    f.write_text("x\n")
    f.chmod(0o444)
    with pytest.raises(InputError, match="read-only"):
        check_writable(str(f))  # also as root, where os.access would say yes


def test_check_writable_refuses_read_only_directory(tmp_path: Path) -> None:
    d = tmp_path / "ro"
    d.mkdir()
    (d / "f.py").write_text("x\n")
    d.chmod(0o555)
    try:
        with pytest.raises(InputError, match="directory is read-only"):
            check_writable(str(d / "f.py"))
    finally:
        d.chmod(0o755)


def test_check_writable_accepts_new_file_in_writable_dir(tmp_path: Path) -> None:
    assert check_writable(str(tmp_path / "new.py")) is None  # raises InputError if refused
    (tmp_path / "w.py").write_text("x\n")
    assert check_writable(str(tmp_path / "w.py")) is None


lines = st.lists(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
        max_size=12,
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(lines, lines, st.sampled_from(["\n", "\r\n", "\r"]), st.booleans(), st.booleans())
def test_roundtrip_property(a: list[str], b: list[str], nl: str, bom: bool, final: bool) -> None:
    """Any text in any newline style: decode+encode is the identity, and edits keep the style."""
    text = nl.join(a) + (nl if final and a else "")
    raw = (codecs.BOM_UTF8 if bom else b"") + text.encode()
    decoded, enc, got_bom = decode(raw)
    src = Source(
        "x",
        decoded.replace("\r\n", "\n").replace("\r", "\n"),
        raw,
        enc,
        got_bom,
        dominant_newline(decoded),
        0o644,
    )
    assert encode(src, src.text) == raw
    merged = "\n".join(b) + "\n"
    out = encode(src, merged)
    assert out.startswith(got_bom)
    assert out[len(got_bom) :].decode() == merged.replace("\n", src.newline)
