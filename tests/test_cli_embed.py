"""`relace embed` end to end against a real local server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request as WRequest
from werkzeug import Response

from tests.conftest import KEY, Run, drain_pty


def fake_embedder(seen: list[dict], *, nested: bool = False):  # type: ignore[no-untyped-def]
    def handler(request: WRequest) -> Response:
        body = json.loads(request.data)
        seen.append({"body": body, "auth": request.headers.get("Authorization")})
        results = [
            {"index": i, "embedding": [float(len(t)), 1.0]} for i, t in enumerate(body["input"])
        ]
        results.reverse()  # the server may answer out of order: index decides
        payload = {"results": [results] if nested else results, "usage": {"total_tokens": 3}}
        return Response(json.dumps(payload), content_type="application/json")

    return handler


def env_for(server: HTTPServer) -> dict[str, str]:
    return {
        "RELACE_API_KEY": KEY,
        "RELACE_EMBED_URL": server.url_for("/").rstrip("/"),
        "RELACE_MAX_RETRIES": "0",
    }


@pytest.mark.parametrize("nested", [False, True])
def test_paths_and_texts_in_input_order(
    relace: Run, httpserver: HTTPServer, tmp_path: Path, nested: bool
) -> None:
    seen: list[dict] = []
    httpserver.expect_request("/v1/code/embed", method="POST").respond_with_handler(
        fake_embedder(seen, nested=nested)
    )
    (tmp_path / "a.py").write_text("aaa")
    (tmp_path / "b.py").write_text("bbbbb")
    r = relace("embed", "a.py", "b.py", "--text", "cc", env=env_for(httpserver))
    assert r.code == 0, r
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert rows == [
        {"id": "a.py", "embedding": [3.0, 1.0]},
        {"id": "b.py", "embedding": [5.0, 1.0]},
        {"id": 2, "embedding": [2.0, 1.0]},
    ]
    assert seen[0]["body"] == {
        "model": "relace-embed-v1",
        "input": ["aaa", "bbbbb", "cc"],
        "output_dtype": "float",
    }
    assert seen[0]["auth"] == f"Bearer {KEY}"


def test_lines_batches_and_json_format(relace: Run, httpserver: HTTPServer) -> None:
    seen: list[dict] = []
    httpserver.expect_request("/v1/code/embed").respond_with_handler(fake_embedder(seen))
    lines = "\n".join(f"line {i}" for i in range(10)) + "\n\n"
    r = relace(
        "embed",
        "--lines",
        "--batch-size",
        "3",
        "--format",
        "json",
        "--dtype",
        "binary",
        "--model",
        "m2",
        input=lines,
        env=env_for(httpserver),
    )
    assert r.code == 0, r
    doc = json.loads(r.stdout)
    assert [row["id"] for row in doc] == list(range(10))
    assert sorted(len(s["body"]["input"]) for s in seen) == [1, 3, 3, 3]
    assert all(s["body"]["output_dtype"] == "binary" and s["body"]["model"] == "m2" for s in seen)


def test_piped_stdin_is_one_input(relace: Run, httpserver: HTTPServer) -> None:
    seen: list[dict] = []
    httpserver.expect_request("/v1/code/embed").respond_with_handler(fake_embedder(seen))
    r = relace("embed", input="def f():\n    pass\n", env=env_for(httpserver))
    assert r.code == 0, r
    assert seen[0]["body"]["input"] == ["def f():\n    pass\n"]
    assert json.loads(r.stdout) == {"id": 0, "embedding": [18.0, 1.0]}


def test_nothing_to_embed_without_stdin(relace: Run) -> None:
    r = relace("embed", env={"RELACE_API_KEY": KEY})
    assert r.code == 2 and "nothing to embed" in r.stderr


@pytest.mark.parametrize(
    ("setup", "says"),
    [("missing", "no such file"), ("dir", "directory"), ("binary", "binary"), ("empty", "empty")],
)
def test_bad_paths_fail_before_any_request(
    relace: Run, httpserver: HTTPServer, tmp_path: Path, setup: str, says: str
) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "bin").write_bytes(b"\x00\x01\x02")
    (tmp_path / "empty").write_text("")
    target = {"missing": "nope.py", "dir": "d", "binary": "bin", "empty": "empty"}[setup]
    r = relace("embed", target, env=env_for(httpserver))
    assert r.code == 2 and says in r.stderr and "Traceback" not in r.stderr, r
    if setup in ("missing", "dir"):
        assert httpserver.log == []


def test_missing_key_exits_2(relace: Run, tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x")
    r = relace("embed", "a.py")
    assert r.code == 2 and "RELACE_API_KEY" in r.stderr


@pytest.mark.parametrize("status", [401, 429, 500])
def test_http_errors_exit_3(
    relace: Run, httpserver: HTTPServer, tmp_path: Path, status: int
) -> None:
    httpserver.expect_request("/v1/code/embed").respond_with_json({"error": "nope"}, status=status)
    (tmp_path / "a.py").write_text("x")
    r = relace("embed", "a.py", env=env_for(httpserver))
    assert r.code == 3 and str(status) in r.stderr and KEY not in r.stderr, r
    assert r.stdout == ""


def test_malformed_response_exits_3(relace: Run, httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/v1/code/embed").respond_with_data(
        "<html>oops</html>", content_type="text/html"
    )
    (tmp_path / "a.py").write_text("x")
    r = relace("embed", "a.py", env=env_for(httpserver))
    assert r.code == 3 and r.stdout == "", r


def test_progress_only_on_a_terminal(relace: Run, httpserver: HTTPServer, tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    seen: list[dict] = []
    httpserver.expect_request("/v1/code/embed").respond_with_handler(fake_embedder(seen))
    lines = "".join(f"item {i}\n" for i in range(200))
    r = relace("embed", "--lines", "--batch-size", "10", input=lines, env=env_for(httpserver))
    assert r.code == 0 and r.stderr == "", r  # a pipe: no progress chatter
    assert len(r.stdout.splitlines()) == 200

    leader, follower = pty.openpty()
    env = dict(os.environ, **env_for(httpserver))
    proc = subprocess.Popen(
        [sys.executable, "-m", "relace_cli", "embed", "--lines", "--batch-size", "10"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=follower, env=env)
    out, _ = proc.communicate(lines.encode(), timeout=60)
    os.close(follower)
    screen = drain_pty(leader)
    assert proc.returncode == 0
    assert b"\rembedded 10" in screen  # drawn in place on the terminal
    assert len(out.splitlines()) == 200 and b"embedded" not in out
