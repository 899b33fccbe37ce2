"""Read source files into text without losing anything, and write them back atomically.

A file is decoded once into a :class:`Source`: its text with "\\n" line endings (what the
engines and the API see), plus everything needed to give back the same bytes: encoding, BOM,
line-ending style and mode. :func:`encode` turns merged text back into bytes in the original's
style, reusing the original bytes of every line the merge did not touch (so mixed line endings
and trailing whitespace survive), and :func:`write_atomic` replaces the file in one step.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from relace_cli.errors import InputError

STDIN = "-"

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# PEP 263 style cookie, also matches Emacs/Vim modelines; HTML/XML declarations below.
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_XML_DECL = re.compile(rb"""<\?xml[^>]*encoding=["']([-\w.]+)["']""")
_META_CHARSET = re.compile(rb"""<meta[^>]*charset=["']?([-\w.]+)""", re.IGNORECASE)
_SNIFF = 8192


@dataclass(frozen=True)
class Source:
    """A decoded text file and how to give its bytes back."""

    path: str  # as given by the user ("-" for stdin)
    text: str  # "\n" line endings
    raw: bytes  # the exact original bytes ("" for a new file)
    encoding: str
    bom: bytes
    newline: str  # dominant line ending: "\n", "\r\n" or "\r"
    mode: int | None  # permission bits, None for stdin or a new file
    exists: bool = True

    @property
    def display(self) -> str:
        return "<stdin>" if self.path == STDIN else self.path


def decode(raw: bytes, *, path: str = STDIN, encoding: str | None = None,
           advise: bool = True) -> tuple[str, str, bytes]:
    """Return (text with original newlines, encoding, bom) or raise InputError. *advise*:
    the error may suggest `--encoding` (only where that option applies to this input)."""
    bom = b""
    enc = encoding
    if enc is None:
        for mark, name in _BOMS:
            if raw.startswith(mark):
                bom, enc = mark, name
                break
    else:
        try:
            wanted = codecs.lookup(enc).name
        except LookupError:
            raise InputError(
                f"unknown encoding {enc!r}",
                hint="use a Python codec name such as utf-8, latin-1, cp1252, utf-16-le",
            ) from None
        family = {"utf-8-sig": "utf-8", "utf-16": "utf-16", "utf-32": "utf-32"}.get(wanted)
        for mark, name in _BOMS:
            if raw.startswith(mark) and (name == wanted or (family and name.startswith(family))):
                bom = mark
                break
        enc = _explicit_endianness(wanted, bom)
    body = raw[len(bom) :]
    if enc is None:
        if b"\x00" in body[:_SNIFF]:
            raise InputError(
                f"{_name(path)} looks binary (it contains NUL bytes)",
                hint="if it is UTF-16 or UTF-32 text without a BOM, pass --encoding utf-16-le "
                "(or utf-16-be, utf-32-le, utf-32-be)" if advise
                else "if it is UTF-16 or UTF-32 text, save it as UTF-8",
            )
        enc = _declared_encoding(body) or "utf-8"
    try:
        codecs.lookup(enc)
    except LookupError:
        raise InputError(f"unknown encoding {enc!r} for {_name(path)}") from None
    try:
        text = body.decode(enc)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{_name(path)} is not valid {enc} (byte {exc.start + len(bom)})",
            hint="if it is text in another encoding, pass --encoding, e.g. --encoding latin-1"
            if advise else "save it as UTF-8 (or declare its encoding in a coding: line)",
        ) from None
    if "\x00" in text[:_SNIFF]:
        raise InputError(
            f"{_name(path)} looks binary (it contains NUL characters)"
        )
    return text, enc, bom


def _explicit_endianness(name: str, bom: bytes) -> str:
    """'utf-16'/'utf-32'/'utf-8-sig' would add or drop a BOM of their own on the way back:
    pin the codec to the file's own byte order (its BOM, else little-endian) instead."""
    if name == "utf-8-sig":
        return "utf-8"
    if name in ("utf-16", "utf-32"):
        for mark, codec in _BOMS:
            if bom == mark and codec.startswith(name):
                return codec
        return f"{name}-le"
    return name


def _declared_encoding(body: bytes) -> str | None:
    head = body[:1024]
    for line in head.splitlines()[:2]:
        m = _COOKIE.match(line)
        if m:
            return _valid_codec(m.group(1))
    m = _XML_DECL.search(head) or _META_CHARSET.search(head)
    return _valid_codec(m.group(1)) if m else None


def _valid_codec(name: bytes) -> str | None:
    try:
        return codecs.lookup(name.decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None


def dominant_newline(text: str) -> str:
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    if crlf > lf and crlf >= cr:
        return "\r\n"
    if cr > lf:
        return "\r"
    return "\n"


def to_lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _name(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def read_source(path: str, *, encoding: str | None = None, stdin: bytes | None = None,
                advise: bool = True) -> Source:
    """Read *path* (or stdin when path is "-") as a Source; raise InputError on anything odd."""
    if path == STDIN:
        raw = stdin if stdin is not None else sys.stdin.buffer.read()
        mode = None
    else:
        p = Path(path)
        try:
            st = p.stat()
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except OSError as exc:
            raise InputError(f"{path}: {exc.strerror or exc}") from None
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{path} is a directory, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{path} is not a regular file")
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
        mode = stat.S_IMODE(st.st_mode)
    text, enc, bom = decode(raw, path=path, encoding=encoding, advise=advise)
    return Source(
        path=path,
        text=to_lf(text),
        raw=raw,
        encoding=enc,
        bom=bom,
        newline=dominant_newline(text),
        mode=mode,
    )


def new_source(path: str, *, encoding: str | None = None) -> Source:
    """A Source for a file that does not exist yet (UTF-8, LF unless told otherwise)."""
    return Source(
        path=path,
        text="",
        raw=b"",
        encoding=encoding or "utf-8",
        bom=b"",
        newline="\n",
        mode=None,
        exists=False,
    )


def encode(src: Source, merged: str) -> bytes:
    """Encode *merged* ("\\n" text) in the style of *src*.

    Lines identical to an original line (ignoring its line ending) in the same place of the
    line alignment get their original ending back, so files with mixed endings keep them.
    New lines take the dominant ending. Raises InputError if the text cannot be encoded.
    """
    original = src.raw[len(src.bom) :].decode(src.encoding) if src.raw else ""
    nl = src.newline
    if not original or _uniform(original, nl):
        body = merged if nl == "\n" else merged.replace("\n", nl)
    else:
        body = _restore_endings(original, merged, nl)
    codec = _redeclared(src, original, merged) or src.encoding
    try:
        return src.bom + body.encode(codec)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise InputError(
            f"the merged text has characters {bad!r} that {codec} cannot encode",
            hint="the file was left untouched",
        ) from None


def _redeclared(src: Source, original: str, merged: str) -> str | None:
    """The encoding a changed declaration asks for (`# -*- coding: latin-1 -*-` rewritten as
    `coding: utf-8`): the file is written in it, so that the declaration stays true."""
    if src.bom or not original:
        return None
    before = _declared_encoding(original[:1024].encode("ascii", "replace"))
    after = _declared_encoding(merged[:1024].encode("ascii", "replace"))
    if before is None or after is None or before == after or src.encoding != before:
        return None
    return after


def _uniform(text: str, nl: str) -> bool:
    """True when every line ending in *text* is *nl*."""
    if nl == "\n":
        return "\r" not in text
    if nl == "\r\n":
        return text.count("\r") == text.count("\n") == text.count("\r\n")
    return "\n" not in text


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _restore_endings(original: str, merged: str, nl: str) -> str:
    """Re-attach line endings to *merged* lines, for a file whose endings are mixed.

    Unchanged lines get their original bytes back; a rewritten line takes the ending of the
    line it replaces, an inserted line that of the line before it.
    """
    import difflib

    # (not str.splitlines: a form feed or U+2028 inside a line is no line break here)
    orig_lines = _LINE.findall(original)
    endings = [line[len(line.rstrip("\r\n")) :] or nl for line in orig_lines]
    new_lines = merged.split("\n")
    trailing = merged.endswith("\n")
    if trailing:
        new_lines.pop()
    keys = [line.rstrip("\r\n") for line in orig_lines]
    out: list[str] = []
    sm = difflib.SequenceMatcher(None, keys, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            out.extend(orig_lines[i1:i2])
        elif tag in ("replace", "insert"):
            for k, line in enumerate(new_lines[j1:j2]):
                if tag == "replace":
                    ending = endings[min(i1 + k, i2 - 1)]
                else:
                    ending = endings[i1 - 1] if i1 > 0 else nl
                out.append(line + ending)
    if out and not trailing:
        out[-1] = out[-1].rstrip("\r\n")
    elif out and not out[-1].endswith(("\n", "\r")):
        out[-1] += nl
    return "".join(out)


def check_writable(path: str) -> None:
    """Refuse read-only files by their mode bits (also as root) and unwritable directories."""
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:  # a symlink loop, a name too long, ...
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    if st is not None and not stat.S_IMODE(st.st_mode) & 0o222:
        raise InputError(f"{path} is read-only", hint="make it writable (chmod u+w) to edit it")
    parent = os.path.dirname(real) or "."
    if not os.path.isdir(parent):
        raise InputError(f"cannot create {path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or not os.stat(parent).st_mode & 0o200:
        raise InputError(
            f"cannot write in {parent}: the directory is read-only",
            hint="a safe write needs a temporary file beside the target",
        )


def write_atomic(path: str, data: bytes, *, mode: int | None = None) -> None:
    """Replace *path* with *data* in one step: temp file beside it, fsync, os.replace.

    A symlink is followed: its target is replaced and the link kept. The file's permission
    bits are kept (or *mode* for a new file; default 0o644 minus umask).
    """
    real = os.path.realpath(path)
    directory = os.path.dirname(real) or "."
    try:
        st: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        st = None
    if mode is None:
        if st is not None:
            mode = stat.S_IMODE(st.st_mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(
        prefix=f".{os.path.basename(real)}.", suffix=".relace-tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if st is not None and (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
                with contextlib.suppress(OSError):  # keep the owner where we may (root)
                    os.fchown(fh.fileno(), st.st_uid, st.st_gid)
            os.fchmod(fh.fileno(), mode)  # after chown, which clears setuid/setgid bits
            os.fsync(fh.fileno())
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)
    _remove_stale_temps(directory, os.path.basename(real))


STALE_SECONDS = 600


def _remove_stale_temps(directory: str, base: str) -> None:
    """Temp files of a run that was killed mid-write (SIGKILL leaves them): remove ours for
    this file once they are old enough that no relace process can still be writing them."""
    import glob
    import time

    cutoff = time.time() - STALE_SECONDS
    for leftover in glob.glob(os.path.join(glob.escape(directory),
                                           f".{glob.escape(base)}.*.relace-tmp")):
        with contextlib.suppress(OSError):
            if os.lstat(leftover).st_mtime < cutoff:
                os.unlink(leftover)


def hard_link_count(path: str) -> int:
    """How many names the file has (an atomic replace gives *path* a new inode of its own)."""
    try:
        return os.stat(path).st_nlink
    except OSError:
        return 1


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
