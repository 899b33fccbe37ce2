"""`relace apply --from-markdown`: the block parser, then whole answers against a real server."""

from __future__ import annotations

import json
import socket
import stat
import threading
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request as WRequest
from werkzeug import Response

from relace_cli.markdown_blocks import Block, parse, parse_blocks
from tests.conftest import KEY, Run
from tests.servers import RawServer, Request, send_json

A = "def a():\n    return 1\n\n\ndef keep():\n    pass\n"
B = "def b():\n    return 2\n\n\ndef keep():\n    pass\n"
EDIT_A = "def a():\n    return 10\n\n\n# ... existing code ...\n"
EDIT_B = "def b():\n    return 20\n\n\n# ... existing code ...\n"
MERGED_A = A.replace("return 1\n", "return 10\n")
MERGED_B = B.replace("return 2\n", "return 20\n")


def fence(path_line: str, code: str, lang: str = "python") -> str:
    return f"{path_line}\n```{lang}\n{code}```\n"


ANSWER = (
    "Here are the changes.\n\n"
    "**a.py**\n```python\n" + EDIT_A + "```\n\n"
    "And the second file:\n\n```python b.py\n" + EDIT_B + "```\n\n"
    "Then run:\n```bash\npytest\n```\n"
)


# -- the parser -------------------------------------------------------------------------------
LABELS = [
    ("```python src/x.py", None, "src/x.py"),
    ("```src/x.py", None, "src/x.py"),
    ("```x.py", None, "x.py"),
    ('```py title="x.py"', None, "x.py"),
    ("```py title='pkg/x y.py'", None, None),  # spaces: not a path we trust
    ("```path=x.py", None, "x.py"),
    ('```python {filename="src/x.py"}', None, "src/x.py"),
    ("```python:src/x.py", None, "src/x.py"),
    ("```python", "`x.py`", "x.py"),
    ("```python", "**x.py**", "x.py"),
    ("```python", "### x.py", "x.py"),
    ("```python", "### `src/x.py`", "src/x.py"),
    ("```python", "File: x.py", "x.py"),
    ("```python", "**File:** `src/x.py`", "src/x.py"),
    ("```", "Filename: Makefile", "Makefile"),
    ("```js", "// src/app.js", "src/app.js"),
    ("```python", "# x.py", "x.py"),
    ("```python", "x.py:", "x.py"),
    ("```python", "- `x.py`", "x.py"),
    ("```python", "<!-- x.py -->", "x.py"),
    ("```python", "Here is the new x.py:", None),
    ("```python", "", None),
    ("```python3.11", None, None),
    ("```", "Makefile", None),  # extensionless only with an explicit label
    ("```", "e.g.", None),
    ("```console", "see https://example.com/x.py", None),
]


@pytest.mark.parametrize(("fence_line", "label", "path"), LABELS)
def test_labels(fence_line: str, label: str | None, path: str | None) -> None:
    text = (f"{label}\n" if label is not None else "") + f"{fence_line}\ncode\n```\n"
    assert parse_blocks(text) == ([Block(path, "code\n", text.count("\n") - 2)] if path else [])


def test_label_may_be_one_blank_line_above_but_not_two() -> None:
    assert parse_blocks("**a.py**\n\n```\nx\n```\n") == [Block("a.py", "x\n", 3)]
    assert parse_blocks("**a.py**\n\n\n```\nx\n```\n") == []


def test_fence_path_wins_over_label_and_tilde_fences_work() -> None:
    text = "`other.py`\n~~~python real.py\nx = 1\n~~~\n"
    assert parse_blocks(text) == [Block("real.py", "x = 1\n", 2)]


def test_nested_fences_inside_a_longer_fence() -> None:
    text = ("````markdown README.md\n# Title\n```python\nprint(1)\n```\n````\n"
            "~~~~ doc.md\n~~~\nin\n~~~\n~~~~\n")
    assert parse_blocks(text) == [
        Block("README.md", "# Title\n```python\nprint(1)\n```\n", 1),
        Block("doc.md", "~~~\nin\n~~~\n", 7),
    ]


def test_closing_fence_needs_same_char_and_length_and_no_info() -> None:
    text = "```a.py\nx\n~~~\n```python\ny\n```\n"  # "```python" cannot close
    assert parse_blocks(text) == [Block("a.py", "x\n~~~\n```python\ny\n", 1)]


def test_unlabelled_and_unclosed_blocks_are_reported() -> None:
    parsed = parse("```bash\nls\n```\n\n```a.py\nx\n```\n\n```b.py\ncut off")
    assert parsed.blocks == [Block("a.py", "x\n", 5)]
    assert parsed.unlabelled == [1]
    assert parsed.unclosed == 9


def test_indented_fence_is_dedented_and_crlf_normalised() -> None:
    text = "  ```a.py\r\n  def f():\r\n      pass\r\n  ```\r\n"
    assert parse_blocks(text) == [Block("a.py", "def f():\n    pass\n", 1)]


# -- end to end ----------------------------------------------------------------------------------
def env_for(url: str) -> dict[str, str]:
    return {"RELACE_API_KEY": KEY, "RELACE_APPLY_URL": url.rstrip("/"),
            "RELACE_MAX_RETRIES": "0", "RELACE_TIMEOUT": "5"}


class Apply:
    """A fake apply endpoint: each snippet gets its answer; every request body is kept."""

    def __init__(self, httpserver: HTTPServer, answers: dict[str, tuple[int, str]]) -> None:
        self.bodies: list[dict] = []
        self.answers = answers
        httpserver.expect_request("/v1/code/apply", method="POST").respond_with_handler(
            self.handle)
        self.url = httpserver.url_for("/")

    def handle(self, request: WRequest) -> Response:
        body = json.loads(request.data)
        self.bodies.append(body)
        status, merged = self.answers[body["edit_snippet"]]
        reply = {"mergedCode": merged, "usage": {"total_tokens": 7}} if status == 200 else \
            {"error": "boom"}
        return Response(json.dumps(reply), status=status, content_type="application/json")


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "a.py").write_text(A)
    (tmp_path / "b.py").write_text(B)
    (tmp_path / "answer.md").write_text(ANSWER)
    return tmp_path / "a.py", tmp_path / "b.py"


def run_md(relace: Run, api: Apply, *args: str, answer: str = "answer.md", **kw: object):  # type: ignore[no-untyped-def]
    return relace("apply", "--from-markdown", answer, "--engine", "remote", *args,
                  env=env_for(api.url), **kw)


def test_applies_every_labelled_block(relace: Run, httpserver: HTTPServer, files: tuple,
                                      tmp_path: Path) -> None:
    api = Apply(httpserver, {EDIT_A: (200, MERGED_A), EDIT_B: (200, MERGED_B)})
    r = run_md(relace, api, "-i", "bump the numbers")
    assert r.code == 0, r
    assert files[0].read_text() == MERGED_A and files[1].read_text() == MERGED_B
    assert sorted(api.bodies, key=lambda b: b["edit_snippet"]) == [
        {"initial_code": A, "edit_snippet": EDIT_A, "instruction": "bump the numbers",
         "stream": False},
        {"initial_code": B, "edit_snippet": EDIT_B, "instruction": "bump the numbers",
         "stream": False},
    ]
    assert "ignoring the code block at line 23 of answer.md" in r.stderr  # the bash block
    assert "a.py: merged with the remote engine: +1 -1 lines" in r.stderr
    index = json.loads((tmp_path / "state" / "index.json").read_text())
    assert sorted(Path(e["path"]).name for e in index["entries"]) == ["a.py", "b.py"]


def test_all_or_nothing_on_api_failure(relace: Run, httpserver: HTTPServer,
                                       files: tuple) -> None:
    api = Apply(httpserver, {EDIT_A: (200, MERGED_A), EDIT_B: (500, "")})
    r = run_md(relace, api)
    assert r.code == 3, r
    assert files[0].read_text() == A and files[1].read_text() == B
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("relace: ")]
    assert len(errors) == 1 and errors[0].startswith("relace: b.py: ")
    assert "nothing was written" in r.stderr and KEY not in r.stderr


def test_keep_going_writes_the_files_that_passed(relace: Run, httpserver: HTTPServer,
                                                 files: tuple) -> None:
    api = Apply(httpserver, {EDIT_A: (200, MERGED_A), EDIT_B: (500, "")})
    r = run_md(relace, api, "--keep-going")
    assert r.code == 3, r
    assert files[0].read_text() == MERGED_A and files[1].read_text() == B


def test_exit_code_priority_api_over_refused_over_input(relace: Run, httpserver: HTTPServer,
                                                       files: tuple, tmp_path: Path) -> None:
    edit_c = "# ... existing code ...\nc = 3\n"  # c.py does not exist: exit 2
    leftover = "def b():\n    return 20\n# ... existing code ...\n"  # guard refuses: exit 4
    api = Apply(httpserver, {EDIT_A: (502, ""), EDIT_B: (200, leftover)})
    answer = fence("`a.py`", EDIT_A) + fence("`b.py`", EDIT_B) + fence("`c.py`", edit_c)
    (tmp_path / "three.md").write_text(answer)
    r = run_md(relace, api, answer="three.md")
    assert r.code == 3, r
    assert [ln.split(":")[1].strip() for ln in r.stderr.splitlines()
            if ln.startswith("relace: ")] == ["a.py", "b.py", "c.py"]
    api.answers[EDIT_A] = (200, MERGED_A)
    r = run_md(relace, api, answer="three.md")
    assert r.code == 4, r
    (tmp_path / "two.md").write_text(fence("`a.py`", EDIT_A) + fence("`c.py`", edit_c))
    r = run_md(relace, api, answer="two.md")
    assert r.code == 2, r
    assert files[0].read_text() == A and files[1].read_text() == B
    assert not (tmp_path / "c.py").exists()


def test_diff_and_check_write_nothing(relace: Run, httpserver: HTTPServer, files: tuple) -> None:
    api = Apply(httpserver, {EDIT_A: (200, MERGED_A), EDIT_B: (200, MERGED_B)})
    r = run_md(relace, api, "--diff")
    assert r.code == 0, r
    assert r.stdout.startswith("--- a/a.py\n+++ b/a.py\n")
    assert "-    return 1\n+    return 10\n" in r.stdout and "+++ b/b.py\n" in r.stdout
    r = run_md(relace, api, "--check")
    assert r.code == 1 and r.stdout == "", r
    assert files[0].read_text() == A and files[1].read_text() == B


def test_json_document(relace: Run, httpserver: HTTPServer, files: tuple) -> None:
    api = Apply(httpserver, {EDIT_A: (200, MERGED_A), EDIT_B: (404, "")})
    r = run_md(relace, api, "--json", "--keep-going")
    assert r.code == 3, r
    doc = json.loads(r.stdout)
    assert doc["ok"] is False
    first, second = doc["files"]
    assert {k: first[k] for k in ("file", "changed", "written", "engine", "error")} == {
        "file": "a.py", "changed": True, "written": True, "engine": "remote", "error": None}
    assert "+    return 10" in first["diff"]
    assert second["file"] == "b.py" and second["written"] is False and "404" in second["error"]
    assert set(first) == {"file", "changed", "written", "engine", "error", "diff"}


def test_two_blocks_for_one_file_apply_in_order(relace: Run, httpserver: HTTPServer,
                                                files: tuple, tmp_path: Path) -> None:
    second = "# ... existing code ...\n\ndef keep():\n    return 'kept'\n"
    final = MERGED_A.replace("    pass\n", "    return 'kept'\n")
    api = Apply(httpserver, {EDIT_A: (200, MERGED_A), second: (200, final)})
    (tmp_path / "twice.md").write_text(fence("a.py", EDIT_A) + "\n" + fence("a.py", second))
    r = run_md(relace, api, answer="twice.md")
    assert r.code == 0, r
    assert files[0].read_text() == final
    assert [b["initial_code"] for b in api.bodies] == [A, MERGED_A]


def test_answer_from_stdin_and_new_file_in_new_dir(relace: Run, httpserver: HTTPServer,
                                                   files: tuple, tmp_path: Path) -> None:
    api = Apply(httpserver, {EDIT_A: (200, MERGED_A)})
    answer = fence("**a.py**", EDIT_A) + fence("File: pkg/new.py", "x = 1\n")
    r = run_md(relace, api, answer="-", input=answer)
    assert r.code == 0, r
    assert files[0].read_text() == MERGED_A
    assert (tmp_path / "pkg" / "new.py").read_text() == "x = 1\n"
    assert len(api.bodies) == 1  # a complete new file needs no request


@pytest.mark.parametrize(("answer", "message"), [
    ("Just prose.\n```\nno path\n```\n", "no path-labelled code blocks"),
    ("```/etc/x.py\nx = 1\n```\n", "outside the current directory"),
    ("```../x.py\nx = 1\n```\n", "outside the current directory"),
    ("```~/x.py\nx = 1\n```\n", "outside the current directory"),
    ("**.git/config**\n```ini\n[core]\nfsmonitor = true\n```\n", "version-control metadata"),
    ("```.git/hooks/pre-commit\necho hi\n```\n", "version-control metadata"),
    ("```esc/new.py\nx = 1\n```\n", "through a symlink"),
])
def test_bad_answers_exit_2(relace: Run, httpserver: HTTPServer, tmp_path: Path,
                            answer: str, message: str) -> None:
    api = Apply(httpserver, {})
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir(exist_ok=True)
    (tmp_path / "esc").symlink_to(outside)
    (tmp_path / "bad.md").write_text(answer)
    r = run_md(relace, api, answer="bad.md")
    assert r.code == 2 and message in r.stderr, r
    assert api.bodies == []
    assert list(outside.iterdir()) == [] and not (tmp_path / ".git").exists()


def test_missing_answer_and_conflicting_args_exit_2(relace: Run, httpserver: HTTPServer,
                                                    files: tuple) -> None:
    api = Apply(httpserver, {})
    assert run_md(relace, api, answer="missing.md").code == 2
    r = relace("apply", "a.py", "--from-markdown", "answer.md")
    assert r.code == 2 and "--from-markdown takes no FILE" in r.stderr


def test_read_only_file_refuses_the_whole_answer(relace: Run, httpserver: HTTPServer,
                                                 files: tuple) -> None:
    api = Apply(httpserver, {EDIT_A: (200, MERGED_A), EDIT_B: (200, MERGED_B)})
    files[1].chmod(0o444)
    r = run_md(relace, api)
    assert r.code == 2 and "b.py is read-only" in r.stderr, r
    assert files[0].read_text() == A and stat.S_IMODE(files[1].stat().st_mode) == 0o444


def test_requests_run_concurrently_on_one_shared_client(relace: Run, tmp_path: Path) -> None:
    """Six files, --jobs 3, a slow server: three at once, over at most three connections."""
    lock = threading.Lock()

    def handler(conn: socket.socket, request: Request) -> None:
        body = request.json()
        time.sleep(0.4)
        with lock:
            merged = body["edit_snippet"].replace("# ... existing code ...\n", "")
        send_json(conn, 200, {"mergedCode": body["initial_code"] + merged}, keep_alive=True)

    answer = ""
    for i in range(6):
        (tmp_path / f"m{i}.py").write_text(f"v = {i}\n")
        answer += fence(f"`m{i}.py`", f"# ... existing code ...\nw = {i}\n")
    (tmp_path / "six.md").write_text(answer)
    with RawServer(handler, keep_alive=True) as server:
        started = time.monotonic()
        r = relace("apply", "--from-markdown", "six.md", "--engine", "remote", "-j", "3",
                   env=env_for(server.url))
        elapsed = time.monotonic() - started
    assert r.code == 0, r
    assert (tmp_path / "m4.py").read_text() == "v = 4\nw = 4\n"
    assert server.max_active == 3 and len(server.requests) == 6
    assert server.connections <= 3
    assert elapsed < 2.4 * 0.4 + 1.5  # well under six sequential requests plus start-up
