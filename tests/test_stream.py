"""`relace apply --stream` end to end: a real subprocess reading server-sent events."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import KEY, Run
from tests.servers import RawServer, Request, delta, response_bytes, sse_event, sse_head

ORIGINAL = "def a():\n    return 1\n\n\ndef b():\n    return 2\n"
SNIPPET = "# ... existing code ...\n\ndef b():\n    return 3\n"
MERGED = "def a():\n    return 1\n\n\ndef b():\n    return 3\n"
FIRST, REST = MERGED[:9], MERGED[9:]  # "def a():\n" then the rest
PAUSE = 1.5


def env_for(url: str) -> dict[str, str]:
    return {"RELACE_API_KEY": KEY, "RELACE_APPLY_URL": url, "RELACE_MAX_RETRIES": "0",
            "RELACE_TIMEOUT": "10"}


def whole_text(events: list) -> str:
    text = ""
    for event in events:
        if "mergedCode" in event:
            text = event["mergedCode"]
        else:
            text += event["choices"][0]["delta"]["content"]
    return text


def slow_stream(events_before: list, events_after: list, *, done: bool = True,
                pause: float = PAUSE, reached: threading.Event | None = None):  # type: ignore[no-untyped-def]
    """Events, a pause, more events, then [DONE] unless not *done*.

    A request that did not ask for a stream gets the same text as one JSON answer after
    the same pause (or, when not *done*, a body cut short), so the in-place tests hold
    whichever way the CLI asks.
    """

    def handle(conn: socket.socket, request: Request) -> None:
        streaming = bool(request.json().get("stream"))
        if streaming:
            conn.sendall(sse_head())
            for event in events_before:
                conn.sendall(sse_event(event))
        if reached is not None:
            reached.set()
        time.sleep(pause)
        if not streaming:
            body = json.dumps({"mergedCode": whole_text(events_before + events_after)}).encode()
            if done:
                conn.sendall(response_bytes(200, body))
            else:
                conn.sendall(response_bytes(200, body[:20], content_length=len(body)))
            return
        for event in events_after:
            conn.sendall(sse_event(event))
        if done:
            conn.sendall(b"data: [DONE]\n\n")

    return handle


@pytest.fixture
def pyfile(tmp_path: Path) -> Path:
    f = tmp_path / "mod.py"
    f.write_text(ORIGINAL)
    return f


def popen(args: list[str], url: str, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "relace_cli", *args], cwd=cwd,
                            env=dict(os.environ, **env_for(url)), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_chunks_reach_stdout_as_they_arrive(pyfile: Path, tmp_path: Path) -> None:
    handler = slow_stream([delta(FIRST)], [delta(REST, finish="stop")])
    with RawServer(handler) as server:
        proc = popen(["apply", "mod.py", "-e", SNIPPET, "--engine", "remote", "--stdout",
                      "--stream"], server.url, tmp_path)
        assert proc.stdout is not None
        arrivals: list[tuple[float, bytes]] = []
        fd = proc.stdout.fileno()
        while True:
            data = os.read(fd, 4096)
            if not data:
                break
            arrivals.append((time.monotonic(), data))
        ended = time.monotonic()
        err = proc.stderr.read() if proc.stderr else b""
        assert proc.wait(10) == 0, err
        body = server.requests[0].json()
    assert body == {"initial_code": ORIGINAL, "edit_snippet": SNIPPET, "stream": True}
    assert b"".join(d for _t, d in arrivals).decode() == MERGED  # printed once, not twice
    first_at = next(t for t, d in arrivals if d)
    assert arrivals[0][1].decode().startswith(FIRST)
    assert ended - first_at > PAUSE - 0.5  # chunk 1 was out long before the stream ended
    assert pyfile.read_text() == ORIGINAL


def test_merged_code_chunk_form_works(relace: Run, pyfile: Path) -> None:
    handler = slow_stream([{"mergedCode": FIRST}], [{"mergedCode": MERGED}], pause=0)
    with RawServer(handler) as server:
        r = relace("apply", "mod.py", "-e", SNIPPET, "--engine", "remote", "--stdout",
                   "--stream", env=env_for(server.url))
    assert r.code == 0, r
    assert r.stdout == MERGED
    assert pyfile.read_text() == ORIGINAL


@pytest.mark.parametrize("to_stdout", [True, False], ids=["stdout", "in-place"])
def test_truncated_stream_exits_3_and_leaves_file_identical(relace: Run, pyfile: Path,
                                                            to_stdout: bool) -> None:
    handler = slow_stream([delta(FIRST)], [delta(REST[:5])], done=False, pause=0)
    before = pyfile.read_bytes()
    with RawServer(handler) as server:
        r = relace("apply", "mod.py", "-e", SNIPPET, "--engine", "remote", "--stream",
                   *(["--stdout"] if to_stdout else []), env=env_for(server.url))
    assert r.code == 3, r
    assert pyfile.read_bytes() == before
    assert "Traceback" not in r.stderr and KEY not in r.stderr
    assert r.stderr.splitlines()[-1].startswith("relace: ")


def test_in_place_stream_writes_only_the_whole_guarded_result(pyfile: Path,
                                                              tmp_path: Path) -> None:
    reached = threading.Event()
    handler = slow_stream([delta(FIRST)], [delta(REST)], reached=reached)
    with RawServer(handler) as server:
        proc = popen(["apply", "mod.py", "-e", SNIPPET, "--engine", "remote", "--stream"],
                     server.url, tmp_path)
        reached.wait(10)  # for a streamed request: halfway through the stream
        time.sleep(0.3)
        assert pyfile.read_text() == ORIGINAL
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert pyfile.read_text() == MERGED
    assert out == b""


def test_in_place_stream_refused_by_a_guard_writes_nothing(relace: Run, pyfile: Path) -> None:
    leftover = "def a():\n    return 1\n\n\n# ... existing code ...\n"
    handler = slow_stream([delta(leftover[:9])], [delta(leftover[9:])], pause=0)
    before = pyfile.read_bytes()
    with RawServer(handler) as server:
        r = relace("apply", "mod.py", "-e", SNIPPET, "--engine", "remote", "--stream",
                   env=env_for(server.url))
    assert r.code == 4 and "[guard: markers]" in r.stderr, r
    assert pyfile.read_bytes() == before


def test_in_place_stream_asks_for_a_stream(relace: Run, pyfile: Path) -> None:
    handler = slow_stream([delta(FIRST)], [delta(REST)], pause=0)
    with RawServer(handler) as server:
        r = relace("apply", "mod.py", "-e", SNIPPET, "--engine", "remote", "--stream",
                   env=env_for(server.url))
        body = server.requests[0].json()
    assert r.code == 0, r
    assert body["stream"] is True
