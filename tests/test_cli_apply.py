"""`relace apply` end to end: a real subprocess against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import codecs
import json
import stat
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request as WRequest
from werkzeug import Response

from tests.conftest import KEY, Run, drain_pty

ORIGINAL = "def a():\n    return 1\n\n\ndef b():\n    return 2\n"
SNIPPET = "# ... existing code ...\n\ndef b():\n    return 3\n"
MERGED = "def a():\n    return 1\n\n\ndef b():\n    return 3\n"
USAGE = {"prompt_tokens": 40, "completion_tokens": 20, "total_tokens": 60}


def remote_env(server_url: str, **extra: str) -> dict[str, str]:
    env = {
        "RELACE_API_KEY": KEY,
        "RELACE_APPLY_URL": server_url.rstrip("/"),
        "RELACE_MAX_RETRIES": "0",
        "RELACE_TIMEOUT": "5",
    }
    env.update(extra)
    return env


def serve_merge(httpserver: HTTPServer, merged: str = MERGED, status: int = 200) -> None:
    httpserver.expect_request("/v1/code/apply", method="POST").respond_with_json(
        {"mergedCode": merged, "usage": USAGE}, status=status
    )


def assert_clean_failure(r, code: int, path: Path, before: bytes, mode: int | None = None) -> None:  # type: ignore[no-untyped-def]
    assert r.code == code, r
    assert "Traceback" not in r.stderr
    assert KEY not in r.stdout + r.stderr
    assert r.stderr.startswith("relace: ")
    assert len([ln for ln in r.stderr.splitlines() if ln.startswith("relace: ")]) == 1
    assert path.read_bytes() == before
    if mode is not None:
        assert stat.S_IMODE(path.stat().st_mode) == mode


@pytest.fixture
def pyfile(tmp_path: Path) -> Path:
    f = tmp_path / "mod.py"
    f.write_text(ORIGINAL)
    return f


def test_remote_apply_sends_exact_request_and_writes_in_place(
    relace: Run, httpserver: HTTPServer, pyfile: Path
) -> None:
    seen: list[WRequest] = []

    def handler(request: WRequest) -> Response:
        seen.append(request)
        return Response(
            json.dumps({"mergedCode": MERGED, "usage": USAGE}), content_type="application/json"
        )

    httpserver.expect_request("/v1/code/apply", method="POST").respond_with_handler(handler)
    r = relace(
        "apply",
        str(pyfile),
        "--edit",
        SNIPPET,
        "-i",
        "return 3 from b",
        "--engine",
        "remote",
        env=remote_env(httpserver.url_for("/")),
    )
    assert r.code == 0, r
    assert pyfile.read_text() == MERGED
    (req,) = seen
    assert json.loads(req.data) == {
        "initial_code": ORIGINAL,
        "edit_snippet": SNIPPET,
        "instruction": "return 3 from b",
        "stream": False,
    }
    assert req.headers["Authorization"] == f"Bearer {KEY}"
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["User-Agent"].startswith("relace-cli/")
    assert "remote engine" in r.stderr and "+1 -1 lines" in r.stderr and "60 tokens" in r.stderr
    assert r.stdout == ""


def test_model_flag_is_sent(relace: Run, httpserver: HTTPServer, pyfile: Path) -> None:
    serve_merge(httpserver)
    r = relace(
        "apply",
        str(pyfile),
        "-e",
        SNIPPET,
        "--engine",
        "remote",
        "--model",
        "relace-apply-3",
        env=remote_env(httpserver.url_for("/")),
    )
    assert r.code == 0, r
    (req, _resp) = httpserver.log[0]
    assert json.loads(req.data)["model"] == "relace-apply-3"


@pytest.mark.parametrize(
    ("status", "advice"),
    [(400, "128k"), (401, "relace config"), (403, "relace config"), (429, "rate limit")],
)
def test_error_lines_carry_the_server_text_and_advice(
    relace: Run, httpserver: HTTPServer, pyfile: Path, status: int, advice: str
) -> None:
    """Exit codes and untouched files for every status are in the fault matrix; here: wording."""
    httpserver.expect_request("/v1/code/apply").respond_with_json(
        {"error": f"server says {status}"}, status=status
    )
    before = pyfile.read_bytes()
    r = relace("apply", str(pyfile), "-e", SNIPPET, "--engine", "remote",
               env=remote_env(httpserver.url_for("/")))
    assert_clean_failure(r, 3, pyfile, before)
    assert str(status) in r.stderr and f"server says {status}" in r.stderr
    assert advice in r.stderr



def test_429_then_success_is_retried(relace: Run, httpserver: HTTPServer, pyfile: Path) -> None:
    httpserver.expect_ordered_request("/v1/code/apply").respond_with_json(
        {"error": "slow down"}, status=429, headers={"Retry-After": "0"}
    )
    httpserver.expect_ordered_request("/v1/code/apply").respond_with_json(
        {"mergedCode": MERGED, "usage": USAGE}
    )
    r = relace(
        "apply",
        str(pyfile),
        "-e",
        SNIPPET,
        "--engine",
        "remote",
        env=remote_env(httpserver.url_for("/"), RELACE_MAX_RETRIES="2"),
    )
    assert r.code == 0, r
    assert pyfile.read_text() == MERGED
    assert len(httpserver.log) == 2
    assert "429" in r.stderr  # the retry notice


def test_missing_key_for_remote_engine_exits_2_with_advice(relace: Run, pyfile: Path) -> None:
    before = pyfile.read_bytes()
    r = relace("apply", str(pyfile), "-e", SNIPPET, "--engine", "remote")
    assert_clean_failure(r, 2, pyfile, before)
    assert "RELACE_API_KEY" in r.stderr and "relace config set api_key" in r.stderr


def test_diff_writes_nothing_and_is_plain_without_a_tty(
    relace: Run, httpserver: HTTPServer, pyfile: Path
) -> None:
    serve_merge(httpserver)
    before = pyfile.read_bytes()
    r = relace(
        "apply",
        str(pyfile),
        "-e",
        SNIPPET,
        "--engine",
        "remote",
        "--diff",
        env=remote_env(httpserver.url_for("/")),
    )
    assert r.code == 0, r
    assert pyfile.read_bytes() == before
    assert "-    return 2\n+    return 3\n" in r.stdout
    assert r.stdout.startswith(f"--- a/{pyfile}\n+++ b/{pyfile}\n")
    assert "\x1b[" not in r.stdout


def test_no_color_disables_colour_even_on_a_terminal(pyfile: Path, tmp_path: Path) -> None:
    """Run under a pseudo-terminal: coloured by default, plain with NO_COLOR."""
    import os
    import pty
    import subprocess
    import sys

    def run_tty(extra: dict[str, str]) -> bytes:
        leader, follower = pty.openpty()
        env = dict(os.environ, **extra)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "relace_cli",
                "apply",
                str(pyfile),
                "-e",
                SNIPPET,
                "--engine",
                "local",
                "--diff",
            ],
            stdout=follower,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        os.close(follower)
        data = drain_pty(leader)
        proc.wait(30)
        return data

    coloured = run_tty({"TERM": "xterm-256color"})
    plain = run_tty({"TERM": "xterm-256color", "NO_COLOR": "1"})
    assert b"\x1b[" in coloured and b"return 3" in coloured
    assert b"\x1b[" not in plain and b"+    return 3" in plain


def test_check_exit_codes(relace: Run, pyfile: Path) -> None:
    before = pyfile.read_bytes()
    r = relace("apply", str(pyfile), "-e", SNIPPET, "--engine", "local", "--check")
    assert r.code == 1, r
    assert pyfile.read_bytes() == before
    unchanged = "# ... existing code ...\n\ndef b():\n    return 2\n"
    r = relace("apply", str(pyfile), "-e", unchanged, "--engine", "local", "--check")
    assert r.code == 0, r


def test_json_reports_and_still_writes(relace: Run, pyfile: Path) -> None:
    r = relace("apply", str(pyfile), "-e", SNIPPET, "--engine", "local", "--json")
    assert r.code == 0, r
    report = json.loads(r.stdout)
    assert report["file"] == str(pyfile) and report["changed"] is True
    assert report["written"] is True and report["engine"] == "local"
    assert "+    return 3" in report["diff"] and isinstance(report["usage"], dict)
    assert r.stderr == ""
    assert pyfile.read_text() == MERGED


def test_json_with_diff_writes_nothing(relace: Run, pyfile: Path) -> None:
    before = pyfile.read_bytes()
    r = relace("apply", str(pyfile), "-e", SNIPPET, "--engine", "local", "--json", "--diff")
    assert r.code == 0 and json.loads(r.stdout)["written"] is False
    assert pyfile.read_bytes() == before


def test_stdout_prints_merged_and_writes_nothing(relace: Run, pyfile: Path) -> None:
    before = pyfile.read_bytes()
    r = relace("apply", str(pyfile), "-e", SNIPPET, "--engine", "local", "--stdout")
    assert r.code == 0, r
    assert r.stdout == MERGED and pyfile.read_bytes() == before


def test_pipeline_reads_original_from_stdin(relace: Run) -> None:
    r = relace("apply", "-", "--edit", SNIPPET, "--stdout", "--language", "py", input=ORIGINAL)
    assert r.code == 0, r
    assert r.stdout == MERGED


def test_pipeline_without_stdout_flag_still_prints(relace: Run) -> None:
    r = relace("apply", "-", "--edit", SNIPPET, input=ORIGINAL.replace("\n", "\r\n"))
    assert r.code == 0, r
    assert r.out_bytes == MERGED.replace("\n", "\r\n").encode()


def test_snippet_from_piped_stdin_and_from_dash_and_from_path(
    relace: Run, pyfile: Path, tmp_path: Path
) -> None:
    r = relace("apply", str(pyfile), "--stdout", input=SNIPPET)
    assert r.code == 0 and r.stdout == MERGED, r
    r = relace("apply", str(pyfile), "-", "--stdout", input=SNIPPET)
    assert r.code == 0 and r.stdout == MERGED, r
    snip = tmp_path / "edit.txt"
    snip.write_text(SNIPPET)
    r = relace("apply", str(pyfile), str(snip), "--stdout")
    assert r.code == 0 and r.stdout == MERGED, r


def test_no_snippet_and_no_stdin_is_a_usage_error_not_a_hang(relace: Run, pyfile: Path) -> None:
    r = relace("apply", str(pyfile))  # stdin is /dev/null as in CI and hooks
    assert r.code == 2 and "no snippet" in r.stderr


@pytest.mark.parametrize("snippet", ["", "   \n\n"])
def test_empty_snippet_exits_2(relace: Run, pyfile: Path, snippet: str) -> None:
    before = pyfile.read_bytes()
    r = relace("apply", str(pyfile), "--edit", snippet)
    assert_clean_failure(r, 2, pyfile, before)
    assert "empty" in r.stderr


def test_crlf_file_stays_crlf_with_lf_snippet(relace: Run, tmp_path: Path) -> None:
    f = tmp_path / "win.py"
    f.write_bytes(ORIGINAL.replace("\n", "\r\n").encode())
    r = relace("apply", str(f), "-e", SNIPPET, "--engine", "local")
    assert r.code == 0, r
    assert f.read_bytes() == MERGED.replace("\n", "\r\n").encode()


def test_bom_is_kept(relace: Run, tmp_path: Path) -> None:
    f = tmp_path / "bom.py"
    f.write_bytes(codecs.BOM_UTF8 + ORIGINAL.encode())
    r = relace("apply", str(f), "-e", SNIPPET, "--engine", "local")
    assert r.code == 0, r
    assert f.read_bytes() == codecs.BOM_UTF8 + MERGED.encode()


def test_latin1_round_trip_with_encoding_flag(relace: Run, tmp_path: Path) -> None:
    f = tmp_path / "l1.py"
    f.write_bytes(ORIGINAL.replace("return 1", "return 'caf\xe9'").encode("latin-1"))
    r = relace("apply", str(f), "-e", SNIPPET, "--engine", "local", "--encoding", "latin-1")
    assert r.code == 0, r
    assert f.read_bytes() == MERGED.replace("return 1", "return 'caf\xe9'").encode("latin-1")


def test_invalid_utf8_without_encoding_exits_2(relace: Run, tmp_path: Path) -> None:
    f = tmp_path / "bad.py"
    f.write_bytes(b"x = '\xe9'\n")
    r = relace("apply", str(f), "-e", SNIPPET)
    assert_clean_failure(r, 2, f, b"x = '\xe9'\n")
    assert "--encoding" in r.stderr


def test_binary_file_exits_2(relace: Run, tmp_path: Path) -> None:
    f = tmp_path / "img.png"
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"
    f.write_bytes(data)
    r = relace("apply", str(f), "-e", SNIPPET)
    assert_clean_failure(r, 2, f, data)
    assert "binary" in r.stderr


def test_empty_file_gets_a_complete_snippet(relace: Run, tmp_path: Path) -> None:
    f = tmp_path / "empty.py"
    f.write_bytes(b"")
    r = relace("apply", str(f), "-e", "x = 1\n", "--engine", "local")
    assert r.code == 0, r
    assert f.read_bytes() == b"x = 1\n"


def test_empty_file_refuses_a_snippet_with_markers(relace: Run, tmp_path: Path) -> None:
    f = tmp_path / "empty.py"
    f.write_bytes(b"")
    r = relace("apply", str(f), "-e", SNIPPET, "--engine", "local")
    assert r.code == 4, r
    assert f.read_bytes() == b""


def test_read_only_file_is_refused_even_as_root(relace: Run, pyfile: Path) -> None:
    pyfile.chmod(0o444)
    before = pyfile.read_bytes()
    r = relace("apply", str(pyfile), "-e", SNIPPET)
    assert_clean_failure(r, 2, pyfile, before, mode=0o444)
    assert "read-only" in r.stderr
    r = relace("apply", str(pyfile), "-e", SNIPPET, "--stdout")  # reading is fine
    assert r.code == 0 and r.stdout == MERGED


def test_directory_exits_2(relace: Run, tmp_path: Path) -> None:
    r = relace("apply", str(tmp_path), "-e", SNIPPET, "--stdout")
    assert r.code == 2 and "directory" in r.stderr and "Traceback" not in r.stderr


def test_missing_file_with_markers_exits_2(relace: Run, tmp_path: Path) -> None:
    r = relace("apply", str(tmp_path / "new.py"), "-e", SNIPPET)
    assert r.code == 2 and "no such file" in r.stderr
    assert not (tmp_path / "new.py").exists()


def test_missing_file_without_markers_is_created(relace: Run, tmp_path: Path) -> None:
    f = tmp_path / "new.py"
    r = relace("apply", str(f), "-e", "print('hi')\n")
    assert r.code == 0, r
    assert f.read_text() == "print('hi')\n" and "created" in r.stderr


def test_mode_is_kept_after_write(relace: Run, pyfile: Path) -> None:
    pyfile.chmod(0o750)
    r = relace("apply", str(pyfile), "-e", SNIPPET, "--engine", "local")
    assert r.code == 0, r
    assert stat.S_IMODE(pyfile.stat().st_mode) == 0o750


def test_stdout_conflicts_with_diff(relace: Run, pyfile: Path) -> None:
    r = relace("apply", str(pyfile), "-e", SNIPPET, "--stdout", "--diff")
    assert r.code == 2 and "cannot be combined" in r.stderr


def test_local_abstention_exits_4_with_reason(relace: Run, tmp_path: Path) -> None:
    f = tmp_path / "dup.py"
    original = "def f():\n    x = 1\n\n\ndef g():\n    x = 1\n"
    f.write_text(original)
    snippet = "# ... existing code ...\n    x = 1\n    y = 2\n# ... existing code ...\n"
    r = relace("apply", str(f), "-e", snippet, "--engine", "local")
    assert r.code == 4, r
    assert f.read_text() == original
    assert "abstained" in r.stderr


def test_auto_falls_back_to_remote_when_local_abstains(
    relace: Run, httpserver: HTTPServer, tmp_path: Path
) -> None:
    f = tmp_path / "dup.py"
    original = "def f():\n    x = 1\n\n\ndef g():\n    x = 1\n"
    merged = "def f():\n    x = 1\n    y = 2\n\n\ndef g():\n    x = 1\n"
    f.write_text(original)
    serve_merge(httpserver, merged)
    snippet = "# ... existing code ...\n    x = 1\n    y = 2\n# ... existing code ...\n"
    r = relace("apply", str(f), "-e", snippet, env=remote_env(httpserver.url_for("/")))
    assert r.code == 0, r
    assert f.read_text() == merged and "asking the remote model" in r.stderr


def test_unknown_guard_name_exits_2(relace: Run, pyfile: Path) -> None:
    r = relace("apply", str(pyfile), "-e", SNIPPET, "--no-guard", "vibes")
    assert r.code == 2 and "markers" in r.stderr


# --- found in review ---------------------------------------------------------------------


def test_pipeline_with_json_never_writes_a_file_named_dash(relace: Run, tmp_path: Path) -> None:
    r = relace("apply", "-", "-e", SNIPPET, "--json", "--language", "py", input=ORIGINAL)
    assert r.code == 0, r
    report = json.loads(r.stdout)
    assert report["written"] is False and report["changed"] is True
    assert not (tmp_path / "-").exists()
    assert relace("undo", "--list").stdout == ""


@pytest.mark.parametrize("value", ["--debug", "--profile"])
def test_option_values_that_look_like_global_options_stay_put(
    relace: Run, pyfile: Path, value: str
) -> None:
    before = pyfile.read_bytes()
    r = relace("apply", str(pyfile), "-e", value, "--diff", "--engine", "local")
    assert r.code == 4, r  # the snippet "--debug" cannot be placed; --diff still applies
    assert pyfile.read_bytes() == before and "Traceback" not in r.stderr


def test_debug_after_the_subcommand_still_works(relace: Run, pyfile: Path) -> None:
    r = relace("apply", str(pyfile), "-e", "# ...\nnot here\n# ...\n", "--engine", "local",
               "--debug")
    assert r.code == 4 and "Traceback" in r.stderr


def test_closed_stdin_is_an_error_not_an_empty_file(pyfile: Path) -> None:
    import os
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "relace_cli", "apply", "-", "-e", "x = 1\n"],
        capture_output=True, text=True, env=dict(os.environ), pass_fds=(), close_fds=True,
        preexec_fn=lambda: os.close(0))
    assert proc.returncode == 2, proc.stderr
    assert "stdin" in proc.stderr and proc.stdout == ""


@pytest.mark.parametrize(
    "args",
    [["apply", "f.py", "--bogus"], ["embed", "--batch-size", "0"], ["rank", "q"],
     ["embed", "--dtype", "int8", "--text", "x"], ["nosuch"]],
)
def test_usage_errors_are_one_line_and_exit_2(relace: Run, args: list[str]) -> None:
    r = relace(*args)
    assert r.code == 2, r
    assert r.stderr.startswith("relace: ") and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "--help" in r.stderr


def test_bare_relace_shows_help_and_exits_0(relace: Run) -> None:
    r = relace()
    assert r.code == 0 and "Usage: relace" in r.stdout


def test_new_file_gets_a_final_newline(relace: Run, tmp_path: Path) -> None:
    r = relace("apply", str(tmp_path / "new.py"), "-e", "print(1)")
    assert r.code == 0, r
    assert (tmp_path / "new.py").read_bytes() == b"print(1)\n"


def test_owner_is_kept_when_running_as_root(relace: Run, pyfile: Path) -> None:
    import os

    if os.geteuid() != 0:
        pytest.skip("needs root to give the file to another user")
    os.chown(pyfile, 65534, 65534)
    r = relace("apply", str(pyfile), "-e", SNIPPET, "--engine", "local")
    assert r.code == 0, r
    st = pyfile.stat()
    assert (st.st_uid, st.st_gid) == (65534, 65534)
    assert pyfile.read_text() == MERGED


def test_hard_linked_file_is_replaced_with_a_note(relace: Run, pyfile: Path,
                                                  tmp_path: Path) -> None:
    other = tmp_path / "other.py"
    other.hardlink_to(pyfile)
    r = relace("apply", str(pyfile), "-e", SNIPPET, "--engine", "local")
    assert r.code == 0, r
    assert pyfile.read_text() == MERGED and other.read_text() == ORIGINAL
    assert "hard links" in r.stderr


# --- second review -------------------------------------------------------------------------


def test_setuid_bits_survive_on_a_file_owned_by_someone_else(relace: Run, tmp_path: Path) -> None:
    import os

    if os.geteuid() != 0:
        pytest.skip("needs root")
    f = tmp_path / "tool.py"
    f.write_text(ORIGINAL)
    os.chown(f, 65534, 65534)
    f.chmod(0o6755)
    r = relace("apply", str(f), "-e", SNIPPET, "--engine", "local")
    assert r.code == 0, r
    assert stat.S_IMODE(f.stat().st_mode) == 0o6755 and f.stat().st_uid == 65534


@pytest.mark.parametrize(
    ("raw", "encoding", "expected"),
    [
        (codecs.BOM_UTF16_BE + ORIGINAL.encode("utf-16-be"), "utf-16",
         codecs.BOM_UTF16_BE + MERGED.encode("utf-16-be")),
        (ORIGINAL.encode("utf-16-le"), "utf-16", MERGED.encode("utf-16-le")),
        (codecs.BOM_UTF32_BE + ORIGINAL.encode("utf-32-be"), "utf-32",
         codecs.BOM_UTF32_BE + MERGED.encode("utf-32-be")),
        (codecs.BOM_UTF8 + ORIGINAL.encode(), "utf-8-sig", codecs.BOM_UTF8 + MERGED.encode()),
        (ORIGINAL.encode(), "utf-8-sig", MERGED.encode()),
    ],
)
def test_generic_encoding_names_keep_byte_order_and_bom(
    relace: Run, tmp_path: Path, raw: bytes, encoding: str, expected: bytes
) -> None:
    f = tmp_path / "u.py"
    f.write_bytes(raw)
    r = relace("apply", str(f), "-e", SNIPPET, "--engine", "local", "--encoding", encoding)
    assert r.code == 0, r
    assert f.read_bytes() == expected


def test_bomless_utf16_gets_a_hint(relace: Run, tmp_path: Path) -> None:
    f = tmp_path / "u.py"
    f.write_bytes(ORIGINAL.encode("utf-16-le"))
    r = relace("apply", str(f), "-e", SNIPPET)
    assert r.code == 2 and "--encoding utf-16-le" in r.stderr


def test_unknown_encoding_gets_a_hint(relace: Run, pyfile: Path) -> None:
    r = relace("apply", str(pyfile), "-e", SNIPPET, "--encoding", "klingon")
    assert r.code == 2 and "unknown encoding" in r.stderr and "latin-1" in r.stderr


def test_symlink_loop_is_exit_2(relace: Run, tmp_path: Path) -> None:
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    r = relace("apply", str(tmp_path / "loop1"), "-e", "x = 1\n")
    assert r.code == 2 and "Traceback" not in r.stderr and "internal error" not in r.stderr, r


def test_dangling_symlink_is_explained(relace: Run, tmp_path: Path) -> None:
    (tmp_path / "link.py").symlink_to(tmp_path / "gone.py")
    r = relace("apply", str(tmp_path / "link.py"), "-e", "x = 1\n")
    assert r.code == 2 and "symlink to a missing file" in r.stderr, r


def test_new_file_in_a_missing_directory(relace: Run, tmp_path: Path) -> None:
    r = relace("apply", str(tmp_path / "nodir" / "x.py"), "-e", "print(1)\n")
    assert r.code == 2 and "does not exist" in r.stderr, r


def test_negative_number_gets_a_hint(relace: Run) -> None:
    r = relace("config", "set", "max_retries", "-5")
    assert r.code == 2 and "put -- before it" in r.stderr


def test_undo_json_without_list_is_refused(relace: Run) -> None:
    r = relace("undo", "--json")
    assert r.code == 2 and "--json goes with --list" in r.stderr


def test_forced_undo_keeps_the_content_it_replaces(relace: Run, pyfile: Path,
                                                   tmp_path: Path) -> None:
    assert relace("apply", str(pyfile), "-e", SNIPPET, "--engine", "local").code == 0
    pyfile.write_text(MERGED + "# my later edit\n")
    assert relace("undo", str(pyfile)).code == 2  # changed since: refused
    r = relace("undo", str(pyfile), "--force")
    assert r.code == 0, r
    assert pyfile.read_text() == ORIGINAL
    saved = list((tmp_path / "state" / "replaced-by-undo").iterdir())
    assert [p.read_text() for p in saved] == [MERGED + "# my later edit\n"]
    assert str(saved[0]) in r.stderr


def test_stale_temp_files_of_a_killed_run_are_cleaned_up(relace: Run, pyfile: Path) -> None:
    import os
    import time

    old = pyfile.parent / f".{pyfile.name}.abc123.relace-tmp"
    young = pyfile.parent / f".{pyfile.name}.def456.relace-tmp"
    for leftover in (old, young):
        leftover.write_text("partial")
    past = time.time() - 3600
    os.utime(old, (past, past))
    assert relace("apply", str(pyfile), "-e", SNIPPET, "--engine", "local").code == 0
    assert not old.exists() and young.exists()  # a young one may belong to a running write
