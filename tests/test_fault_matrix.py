"""The fault matrix: every way an apply can go wrong, run end to end as a real subprocess.

Each failing case asserts one clear `relace: ...` line on stderr, the documented exit code, no
traceback, the target file byte-identical with its mode unchanged, and no API key anywhere in
the output. Cases that succeed (CRLF, UTF-16, symlink, ...) assert the exact bytes written.
The README's "Reliability" table is checked against CASES, so the two cannot drift apart.
"""

from __future__ import annotations

import codecs
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import KEY, REPO, Result, Run, default_sigint
from tests.servers import (
    RawServer,
    closed_port_url,
    delta,
    drop,
    json_reply,
    raw_reply,
    response_bytes,
    sequence,
    sleepy,
    sse_handler,
)

ORIGINAL = "def a():\n    return 1\n\n\ndef b():\n    return 2\n"
SNIPPET = "# ... existing code ...\n\ndef b():\n    return 3\n"
MERGED = "def a():\n    return 1\n\n\ndef b():\n    return 3\n"


def ok(merged: str = MERGED) -> Callable:
    return json_reply(200, {"mergedCode": merged, "usage": {"total_tokens": 9}})


def status(code: int) -> Callable:
    return json_reply(code, {"error": f"problem {code}"})


def trickle(conn, request) -> None:  # type: ignore[no-untyped-def]
    """Headers at once, then the body a byte at a time, slower than the read timeout."""
    body = json.dumps({"mergedCode": MERGED}).encode()
    conn.sendall(response_bytes(200, b"", content_length=len(body)))
    for i in range(len(body)):
        conn.sendall(body[i : i + 1])
        time.sleep(0.8)


def write(name: str, data: bytes, mode: int = 0o644) -> Callable[[Path], Path]:
    def setup(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        path.chmod(mode)
        return path

    return setup


def read_only_dir(tmp: Path) -> Path:
    d = tmp / "locked"
    d.mkdir()
    path = d / "m.py"
    path.write_text(ORIGINAL)
    d.chmod(0o555)
    return path


def symlinked(tmp: Path) -> Path:
    target = tmp / "real.py"
    target.write_text(ORIGINAL)
    link = tmp / "link.py"
    link.symlink_to(target)
    return link


def bad_config(tmp: Path) -> Path:
    (tmp / "config").mkdir()
    (tmp / "config" / "config.toml").write_text("timeout = [\n")
    return write("m.py", ORIGINAL.encode())(tmp)


def open_config(tmp: Path) -> Path:
    (tmp / "config").mkdir(mode=0o700)
    cfg = tmp / "config" / "config.toml"
    cfg.write_text(f'api_key = "{KEY}"\n')
    cfg.chmod(0o644)
    return write("m.py", ORIGINAL.encode())(tmp)


PY = write("m.py", ORIGINAL.encode())


@dataclass
class Case:
    id: str
    what: str  # the README's description
    code: int
    reply: Callable | None = None  # server handler; None: no server
    setup: Callable[[Path], Path] = PY
    args: tuple[str, ...] = ("--engine", "remote")
    env: dict[str, str] = field(default_factory=dict)
    says: str = ""  # stderr must contain this
    expect: bytes | None = None  # success: the exact bytes written
    requests: int | None = None  # how many requests the server must have seen
    url: str | None = None  # instead of the server's


CASES: list[Case] = [
    *(
        Case(f"http-{c}", f"HTTP {c} from the apply endpoint", 3, status(c), says=f"{c}")
        for c in (400, 401, 403, 404, 405, 409, 413, 422, 423, 500, 502, 503)
    ),
    Case(
        "http-204",
        "204 with no body",
        3,
        raw_reply(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"),
    ),
    Case(
        "429-forever",
        "429 on every attempt: gives up after max_retries",
        3,
        status(429),
        env={"RELACE_MAX_RETRIES": "2"},
        says="429",
        requests=3,
    ),
    Case(
        "429-then-ok",
        "429 (Retry-After: 1) then success: retried after the wait",
        0,
        sequence(json_reply(429, {"error": "slow"}, headers={"Retry-After": "1"}), ok()),
        env={"RELACE_MAX_RETRIES": "1"},
        expect=MERGED.encode(),
        requests=2,
    ),
    Case("refused", "connection refused", 3, url=closed_port_url(), says="127.0.0.1"),
    Case(
        "dns",
        "DNS failure (unknown host)",
        3,
        url="http://relace-no-such-host.invalid",
        says="relace-no-such-host.invalid",
    ),
    Case(
        "read-timeout",
        "server never answers within the timeout",
        3,
        sleepy(4),
        env={"RELACE_TIMEOUT": "0.5"},
        says="timeout",
    ),
    Case(
        "slow-body",
        "server trickles the body slower than the timeout",
        3,
        trickle,
        env={"RELACE_TIMEOUT": "0.5"},
    ),
    Case(
        "mid-body",
        "server closes the connection mid-body",
        3,
        raw_reply(response_bytes(200, b'{"mergedCode": "def', content_length=400)),
    ),
    Case("dropped", "connection dropped with no response", 3, drop),
    Case("empty-body", "200 with an empty body", 3, raw_reply(response_bytes(200, b""))),
    Case(
        "html",
        "HTML error page",
        3,
        raw_reply(
            response_bytes(502, b"<html><body>Bad gateway</body></html>", content_type="text/html")
        ),
    ),
    Case(
        "no-merged",
        "JSON without mergedCode",
        3,
        json_reply(200, {"result": "x"}),
        says="mergedCode",
    ),
    Case("not-string", "mergedCode that is not a string", 3, json_reply(200, {"mergedCode": 4}),
         says="mergedCode"),
    Case("html-200", "HTML page with status 200", 3, raw_reply(response_bytes(
        200, b"<html><body>Login</body></html>", content_type="text/html"))),
    Case(
        "stream-cut",
        "stream ends without [DONE]",
        3,
        sse_handler([delta("def a():\n")], done=False),
        args=("--engine", "remote", "--stream"),
    ),
    Case(
        "stream-length",
        "stream stops with finish_reason length",
        3,
        sse_handler([delta("def a():\n", finish="length")], done=True),
        args=("--engine", "remote", "--stream"),
    ),
    Case(
        "fenced",
        "reply wrapped in a ``` fence: unwrapped",
        0,
        ok("```python\n" + MERGED + "```\n"),
        expect=MERGED.encode(),
    ),
    Case(
        "fence-open",
        "reply with an unclosed ``` fence",
        4,
        ok("```python\n" + MERGED),
        says="fence",
    ),
    Case(
        "markers-left",
        "reply with a leftover `# ... existing code ...`",
        4,
        ok("# ... existing code ...\n\ndef b():\n    return 3\n"),
        says="marker",
    ),
    Case("emptied", "reply that empties the file", 4, ok(""), says="truncation"),
    Case(
        "half",
        "reply cut to its first two lines",
        4,
        ok("def a():\n    return 1\n"),
        says="truncation",
    ),
    Case(
        "syntax",
        "reply that no longer parses (Python)",
        4,
        ok("def a(:\n    return 1\n\n\ndef b():\n    return 3\n"),
        says="parse",
    ),
    Case(
        "binary",
        "binary file",
        2,
        setup=write("img.py", b"\x89PNG\r\n\x1a\n\x00\x00IHDR"),
        args=(),
        says="binary",
    ),
    Case(
        "bad-utf8",
        "invalid UTF-8 (no declared encoding)",
        2,
        setup=write("m.py", b"x = '\xe9'\n"),
        args=(),
        says="--encoding",
    ),
    Case(
        "utf16",
        "UTF-16 file with BOM: round-trips",
        0,
        ok(),
        setup=write("m.py", codecs.BOM_UTF16_LE + ORIGINAL.encode("utf-16-le")),
        expect=codecs.BOM_UTF16_LE + MERGED.encode("utf-16-le"),
    ),
    Case(
        "crlf",
        "CRLF file, LF reply: stays CRLF",
        0,
        ok(),
        setup=write("m.py", ORIGINAL.replace("\n", "\r\n").encode()),
        expect=MERGED.replace("\n", "\r\n").encode(),
    ),
    Case(
        "mixed-eol",
        "mixed line endings: untouched lines keep theirs",
        0,
        ok(),
        setup=write("m.py", b"def a():\r\n    return 1\n\n\ndef b():\r\n    return 2\r\n"),
        expect=b"def a():\r\n    return 1\n\n\ndef b():\r\n    return 3\r\n",
    ),
    Case(
        "bom",
        "UTF-8 BOM: kept",
        0,
        ok(),
        setup=write("m.py", codecs.BOM_UTF8 + ORIGINAL.encode()),
        expect=codecs.BOM_UTF8 + MERGED.encode(),
    ),
    Case(
        "read-only",
        "read-only file (mode 0444, also as root)",
        2,
        ok(),
        setup=write("m.py", ORIGINAL.encode(), 0o444),
        says="read-only",
    ),
    Case(
        "read-only-dir",
        "file in a read-only directory",
        2,
        ok(),
        setup=read_only_dir,
        says="read-only",
    ),
    Case(
        "symlink",
        "symlink: the target is updated, the link kept",
        0,
        ok(),
        setup=symlinked,
        expect=MERGED.encode(),
    ),
    Case("directory", "FILE is a directory", 2, setup=lambda tmp: tmp, args=(), says="directory"),
    Case(
        "missing-key",
        "no API key for the remote engine",
        2,
        ok(),
        env={"RELACE_API_KEY": ""},
        says="RELACE_API_KEY",
    ),
    Case(
        "malformed-key",
        "malformed key: warned, then the server's 401",
        3,
        status(401),
        env={"RELACE_API_KEY": "sk-wrong-provider-0123456789"},
        says="does not look like a Relace key",
    ),
    Case("bad-config", "malformed config.toml", 2, ok(), setup=bad_config, says="config.toml"),
    Case(
        "open-config",
        "config file readable by others: warning only",
        0,
        ok(),
        setup=open_config,
        env={"RELACE_API_KEY": ""},
        says="chmod 600",
        expect=MERGED.encode(),
    ),
    Case("empty-snippet", "empty snippet", 2, args=("--edit", "  \n"), says="empty"),
    Case(
        "missing-file",
        "missing file and a snippet with markers",
        2,
        setup=lambda tmp: tmp / "gone.py",
        args=(),
        says="no such file",
    ),
    Case("bad-engine", "unknown --engine value", 2, args=("--engine", "magic"), says="engine"),
    Case(
        "local-abstain",
        "local engine cannot place the snippet, no key",
        4,
        setup=write("m.py", b"def f():\n    x = 1\n\n\ndef g():\n    x = 1\n"),
        args=("--engine", "local", "--edit", "# ...\n    x = 1\n    y = 2\n# ...\n"),
        says="abstained",
    ),
]


def run_case(
    case: Case, tmp_path: Path, relace: Run
) -> tuple[Result, Path, bytes, int | None, RawServer | None]:
    target = case.setup(tmp_path)
    before = target.read_bytes() if target.is_file() else b""
    mode = stat.S_IMODE(target.stat().st_mode) if target.is_file() else None
    env = {"RELACE_API_KEY": KEY, "RELACE_MAX_RETRIES": "0", "RELACE_TIMEOUT": "5"}
    env.update(case.env)
    args = list(case.args)
    if "--edit" not in args:
        args += ["--edit", SNIPPET]
    server = RawServer(case.reply) if case.reply else None
    if server:
        server.__enter__()
    try:
        env["RELACE_APPLY_URL"] = case.url or (server.url if server else closed_port_url())
        result = relace("apply", str(target), *args, env=env)
    finally:
        if server:
            server.__exit__(None, None, None)
    return result, target, before, mode, server


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault(case: Case, tmp_path: Path, relace: Run) -> None:
    started = time.monotonic()
    r, target, before, mode, server = run_case(case, tmp_path, relace)
    try:
        assert r.code == case.code, r
        assert "Traceback" not in r.stderr
        assert KEY not in r.stdout + r.stderr
        assert case.says.lower() in r.stderr.lower(), r
        if case.id.startswith("http-") and case.id != "http-204":
            assert f"problem {case.id[5:]}" in r.stderr  # the server's own error text
        if case.requests is not None:
            assert server is not None and len(server.requests) == case.requests
        if case.code == 0:
            if case.expect is not None:
                assert target.read_bytes() == case.expect
            if case.id == "symlink":
                assert target.is_symlink()
            if case.id == "429-then-ok":
                gap = server.requests[1].when - server.requests[0].when  # type: ignore[union-attr]
                assert gap >= 0.9, "Retry-After: 1 was not honoured"
            return
        errors = [line for line in r.stderr.splitlines() if line.startswith("relace: ")]
        assert len(errors) == 1, r.stderr
        if target.is_file():
            assert target.read_bytes() == before
            assert stat.S_IMODE(target.stat().st_mode) == mode
            leftovers = [p.name for p in target.parent.iterdir() if "relace-tmp" in p.name]
            assert not leftovers
    finally:
        os.chmod(tmp_path / "locked", 0o755) if (tmp_path / "locked").exists() else None
    assert time.monotonic() - started < 30


def test_sigint_during_the_request_exits_130_and_keeps_the_file(tmp_path: Path) -> None:
    target = PY(tmp_path)
    with RawServer(sleepy(10)) as server:
        env = dict(
            os.environ, RELACE_API_KEY=KEY, RELACE_APPLY_URL=server.url, RELACE_MAX_RETRIES="0"
        )
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "relace_cli",
                "apply",
                str(target),
                "-e",
                SNIPPET,
                "--engine",
                "remote",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=default_sigint,
        )
        deadline = time.monotonic() + 20
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert b"Traceback" not in err and KEY.encode() not in err
    assert target.read_text() == ORIGINAL


def test_sigkill_at_random_points_never_leaves_a_partial_file(tmp_path: Path) -> None:
    """Kill the CLI at random moments during a large in-place apply: the file is always
    exactly the old or the new content."""
    from relace_cli.merge import Merged, merge

    text = "\n\n\n".join(f"def f{i}(x):\n    return x + {i}" for i in range(20000)) + "\n"
    snippet = "# ... existing code ...\n\ndef f19999(x):\n    return x - 1\n"
    result = merge(text, snippet, "py")
    assert isinstance(result, Merged) and result.text != text
    old, new = text.encode(), result.text.encode()
    target = tmp_path / "big.py"
    rng = random.Random(1234)
    env = dict(os.environ, RELACE_ENGINE="local")
    cmd = [
        sys.executable,
        "-m",
        "relace_cli",
        "apply",
        str(target),
        "-e",
        snippet,
        "--no-guard",
        "syntax",
    ]

    def start() -> subprocess.Popen[bytes]:
        target.write_bytes(old)
        return subprocess.Popen(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    began = time.monotonic()
    assert start().wait(60) == 0 and target.read_bytes() == new
    full = time.monotonic() - began  # calibrate: kill points spread over one whole run
    seen = {"old": 0, "new": 0}
    for i in range(60):
        proc = start()
        time.sleep(rng.uniform(0.5, 1.1) * full)
        proc.kill()
        proc.wait(10)
        data = target.read_bytes()
        assert data in (old, new), f"partial file: {len(data)} of {len(old)}/{len(new)} bytes"
        seen["old" if data == old else "new"] += 1
        if i >= 24 and seen["old"] and seen["new"]:
            break
    assert seen["old"] and seen["new"], seen  # the kills did land on both sides of the write


def test_readme_reliability_table_lists_every_case() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Reliability", 1)[1].split("\n## ", 1)[0]
    missing = [c.what for c in CASES if c.what not in section]
    assert not missing, f"README Reliability table lacks: {missing}"
    assert len(CASES) >= 40


def test_file_changed_during_the_request_is_not_overwritten(tmp_path: Path) -> None:
    """An editor saving while the remote model works: relace refuses (exit 4), keeps the save."""
    target = PY(tmp_path)
    with RawServer(sleepy(1.0, ok())) as server:
        env = dict(os.environ, RELACE_API_KEY=KEY, RELACE_APPLY_URL=server.url,
                   RELACE_MAX_RETRIES="0")
        proc = subprocess.Popen(
            [sys.executable, "-m", "relace_cli", "apply", str(target), "-e", SNIPPET,
             "--engine", "remote"], env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        target.write_text(ORIGINAL + "\n# saved by the editor\n")
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 4, err
    assert b"changed while relace was working" in err
    assert target.read_text() == ORIGINAL + "\n# saved by the editor\n"


def test_two_concurrent_applies_to_one_file_never_lose_an_edit(tmp_path: Path) -> None:
    """Both processes read the same original; the second to write must notice the first."""
    target = PY(tmp_path)
    merged_a = MERGED
    merged_b = ORIGINAL.replace("return 1", "return 10")
    handler = sequence(sleepy(0.5, ok(merged_a)), sleepy(0.5, ok(merged_b)))
    with RawServer(handler) as server:
        env = dict(os.environ, RELACE_API_KEY=KEY, RELACE_APPLY_URL=server.url,
                   RELACE_MAX_RETRIES="0")
        procs = [subprocess.Popen(
            [sys.executable, "-m", "relace_cli", "apply", str(target), "-e", snippet,
             "--engine", "remote"], env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for snippet in (SNIPPET, "def a():\n    return 10\n# ... existing code ...\n")]
        codes = sorted(p.wait(30) for p in procs)
    assert codes == [0, 4]
    assert target.read_text() in (merged_a, merged_b)
