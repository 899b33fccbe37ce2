"""`relace rank` end to end: a real subprocess against a real ranker on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request as WRequest
from werkzeug import Response

from tests.conftest import KEY, Run, drain_pty
from tests.test_check import git, isolated_git, make_repo  # noqa: F401  (fixture)

USAGE = {"total_tokens": 321}


def rank_env(url: str) -> dict[str, str]:
    return {"RELACE_API_KEY": KEY, "RELACE_RANK_URL": url.rstrip("/"),
            "RELACE_MAX_RETRIES": "0", "RELACE_TIMEOUT": "5"}


def serve(httpserver: HTTPServer, results: list[dict], seen: list[dict] | None = None,
          status: int = 200) -> None:
    def handler(request: WRequest) -> Response:
        if seen is not None:
            seen.append({"body": json.loads(request.data), "auth": request.headers.get(
                "Authorization")})
        body = {"results": results, "usage": USAGE} if status < 300 else {"error": "ranker down"}
        return Response(json.dumps(body), status=status, content_type="application/json")

    httpserver.expect_request("/v2/code/rank", method="POST").respond_with_handler(handler)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "auth.py").write_text("def login(user):\n    return check(user)\n")
    (tmp_path / "db.py").write_text("def connect():\n    pass\n")
    (tmp_path / "util.py").write_text("def helper():\n    pass\n")
    return tmp_path


RESULTS = [{"filename": "auth.py", "score": 0.91}, {"filename": "db.py", "score": 0.4},
           {"filename": "util.py", "score": 0.05}]


def test_sends_exact_request_and_prints_plain_table(relace: Run, httpserver: HTTPServer,
                                                    project: Path) -> None:
    seen: list[dict] = []
    serve(httpserver, RESULTS, seen)
    r = relace("rank", "where is login handled", "auth.py", "db.py", "util.py",
               env=rank_env(httpserver.url_for("/")))
    assert r.code == 0, r
    (req,) = seen
    assert req["auth"] == f"Bearer {KEY}"
    assert req["body"] == {
        "query": "where is login handled",
        "codebase": [
            {"filename": "auth.py", "content": "def login(user):\n    return check(user)\n"},
            {"filename": "db.py", "content": "def connect():\n    pass\n"},
            {"filename": "util.py", "content": "def helper():\n    pass\n"},
        ],
        "token_limit": 100000,
    }
    assert r.stdout == ("rank   score  file\n"
                        "   1  0.9100  auth.py\n"
                        "   2  0.4000  db.py\n"
                        "   3  0.0500  util.py\n")
    assert "\x1b[" not in r.stdout and KEY not in r.stdout + r.stderr


def test_top_json_and_token_limit(relace: Run, httpserver: HTTPServer, project: Path) -> None:
    seen: list[dict] = []
    serve(httpserver, RESULTS, seen)
    r = relace("rank", "login", ".", "--top", "2", "--json", "--token-limit", "5000",
               env=rank_env(httpserver.url_for("/")))
    assert r.code == 0, r
    assert seen[0]["body"]["token_limit"] == 5000
    assert json.loads(r.stdout) == {
        "results": [{"rank": 1, "filename": "auth.py", "score": 0.91},
                    {"rank": 2, "filename": "db.py", "score": 0.4}],
        "usage": USAGE,
    }
    assert r.stdout.count("\n") == 1 and r.stderr == ""


def test_directory_in_git_respects_gitignore(relace: Run, httpserver: HTTPServer,
                                             tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / ".gitignore").write_text("secret.py\ndist/\n")
    (repo / "src").mkdir()
    (repo / "src" / "a.py").write_text("a = 1\n")
    (repo / "src" / "b.py").write_text("b = 2\n")
    (repo / "secret.py").write_text("KEY = 1\n")
    (repo / "dist").mkdir()
    (repo / "dist" / "bundle.js").write_text("x\n")
    git(repo, "add", "src/a.py")
    seen: list[dict] = []
    serve(httpserver, [{"filename": "src/b.py", "score": 0.7}], seen)
    r = relace("rank", "q", ".", env=rank_env(httpserver.url_for("/")), cwd=repo)
    assert r.code == 0, r
    names = [f["filename"] for f in seen[0]["body"]["codebase"]]
    assert names == [".gitignore", "src/a.py", "src/b.py"]


def test_outside_git_hidden_and_vendor_dirs_are_skipped(relace: Run, httpserver: HTTPServer,
                                                        tmp_path: Path) -> None:
    tree = tmp_path / "t"
    for d in ("pkg", ".venv", "node_modules", ".git"):
        (tree / d).mkdir(parents=True)
        (tree / d / "m.py").write_text("m = 1\n")
    seen: list[dict] = []
    serve(httpserver, [{"filename": "t/pkg/m.py", "score": 0.5}], seen)
    r = relace("rank", "q", "t", env=rank_env(httpserver.url_for("/")))
    assert r.code == 0, r
    assert [f["filename"] for f in seen[0]["body"]["codebase"]] == ["t/pkg/m.py"]


def test_binary_and_undecodable_files_are_skipped_with_a_note(
    relace: Run, httpserver: HTTPServer, project: Path
) -> None:
    (project / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (project / "latin.txt").write_bytes(b"caf\xe9\n")
    seen: list[dict] = []
    serve(httpserver, RESULTS, seen)
    r = relace("rank", "q", ".", env=rank_env(httpserver.url_for("/")))
    assert r.code == 0, r
    names = [f["filename"] for f in seen[0]["body"]["codebase"]]
    assert names == ["auth.py", "db.py", "util.py"]
    assert "skipped 1 binary and 1 undecodable files" in r.stderr


def test_missing_path_exits_2_before_any_request(relace: Run, httpserver: HTTPServer,
                                                 project: Path) -> None:
    seen: list[dict] = []
    serve(httpserver, RESULTS, seen)
    r = relace("rank", "q", "auth.py", "missing.py", env=rank_env(httpserver.url_for("/")))
    assert r.code == 2 and "missing.py: no such file" in r.stderr, r
    assert seen == [] and r.stdout == ""


@pytest.mark.parametrize("setup", ["empty-dir", "only-binary"])
def test_no_files_exits_2(relace: Run, httpserver: HTTPServer, tmp_path: Path,
                          setup: str) -> None:
    d = tmp_path / "d"
    d.mkdir()
    if setup == "only-binary":
        (d / "x.bin").write_bytes(b"\x00\x01\x02")
    seen: list[dict] = []
    serve(httpserver, RESULTS, seen)
    r = relace("rank", "q", "d", env=rank_env(httpserver.url_for("/")))
    assert r.code == 2 and "no text files to rank" in r.stderr, r
    assert seen == []


def test_missing_key_exits_2(relace: Run, project: Path) -> None:
    r = relace("rank", "q", "auth.py")
    assert r.code == 2 and "RELACE_API_KEY" in r.stderr, r


@pytest.mark.parametrize("status", [400, 401, 429, 500])
def test_api_errors_exit_3_in_one_line(relace: Run, httpserver: HTTPServer, project: Path,
                                       status: int) -> None:
    serve(httpserver, RESULTS, status=status)
    r = relace("rank", "q", "auth.py", env=rank_env(httpserver.url_for("/")))
    assert r.code == 3, r
    assert r.stdout == "" and "Traceback" not in r.stderr
    assert [ln for ln in r.stderr.splitlines() if ln.startswith("relace: ")] == \
        r.stderr.splitlines()[-1:]
    assert str(status) in r.stderr and KEY not in r.stderr


def test_malformed_reply_exits_3(relace: Run, httpserver: HTTPServer, project: Path) -> None:
    httpserver.expect_request("/v2/code/rank").respond_with_json({"results": [{"file": 1}]})
    r = relace("rank", "q", "auth.py", env=rank_env(httpserver.url_for("/")))
    assert r.code == 3 and "Traceback" not in r.stderr, r


def test_rich_table_and_progress_on_a_terminal(httpserver: HTTPServer, tmp_path: Path) -> None:
    """Under a pseudo-terminal: a rich table on stdout, progress lines on stderr."""
    import pty

    many = tmp_path / "many"
    many.mkdir()
    for i in range(210):
        (many / f"f{i:03}.py").write_text(f"x = {i}\n")
    serve(httpserver, [{"filename": "many/f007.py", "score": 0.875}])
    leader, follower = pty.openpty()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="80", **rank_env(httpserver.url_for("/")))
    proc = subprocess.Popen([sys.executable, "-m", "relace_cli", "rank", "q", "many"],
                            stdout=follower, stderr=follower, stdin=subprocess.DEVNULL,
                            env=env, cwd=tmp_path)
    os.close(follower)
    screen = drain_pty(leader).decode()
    assert proc.wait(30) == 0
    assert "\x1b[" in screen and "0.8750" in screen and "many/f007.py" in screen
    assert "reading 210 files" in screen and "ranking 210 files" in screen
