"""Settings precedence and `relace config` end to end (real subprocesses, real files)."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from relace_cli import config_file
from relace_cli.errors import ConfigError
from relace_cli.settings import KEYS, canonical_key, resolve
from tests.conftest import KEY, Run


def test_precedence_flag_env_file_default() -> None:
    data = {"timeout": 10, "apply_url": "http://file:1", "embed_url": "http://file:2"}
    env = {"RELACE_APPLY_URL": "http://env:1", "RELACE_TIMEOUT": "20"}
    s = resolve({"timeout": 30}, env=env, file_data=data)
    assert s.timeout == 30 and s.sources["timeout"] == "flag"
    assert s.apply_url == "http://env:1" and s.sources["apply_url"] == "env"
    assert s.embed_url == "http://file:2" and s.sources["embed_url"] == "config"
    assert s.rank_url == "https://ranker.endpoint.relace.run" and s.sources["rank_url"] == "default"
    assert s.max_retries == 2 and s.engine == "auto"


def test_profiles_do_not_inherit_the_default_key() -> None:
    data = {"api_key": KEY, "profiles": {"morph": {"apply_protocol": "openai"}}}
    s = resolve(None, profile="morph", env={}, file_data=data)
    assert s.api_key is None and s.apply_protocol == "openai" and s.profile == "morph"
    with pytest.raises(ConfigError, match="no profile named 'nope'"):
        resolve(None, profile="nope", env={}, file_data=data)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("timeout", "-1"),
        ("timeout", "abc"),
        ("max_retries", "1.5"),
        ("max_retries", "99"),
        ("engine", "magic"),
        ("apply_url", "ftp://x"),
        ("apply_protocol", "soap"),
    ],
)
def test_bad_values_are_config_errors(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=key):
        resolve(None, env={}, file_data={key: value})


def test_canonical_key_accepts_dashes_and_lists_valid_keys() -> None:
    assert canonical_key("api-key") == "api_key"
    with pytest.raises(ConfigError) as info:
        canonical_key("colour")
    assert all(k in str(info.value) for k in KEYS)


def test_set_get_list_unset_roundtrip(relace: Run, tmp_path: Path) -> None:
    r = relace("config", "set", "timeout", "12.5")
    assert r.code == 0, r
    r = relace("config", "get", "timeout")
    assert r.code == 0 and r.stdout == "12.5\n"
    r = relace("config", "list")
    assert r.code == 0 and "timeout" in r.stdout and "12.5" in r.stdout
    assert "\nengine         = auto  # the built-in default\n" in r.stdout
    r = relace("config", "unset", "timeout")
    assert r.code == 0
    assert relace("config", "get", "timeout").stdout == "60.0\n"


def test_config_file_is_0600_in_a_0700_directory_and_valid_toml(
    relace: Run, tmp_path: Path
) -> None:
    assert relace("config", "set", "api-key", KEY).code == 0
    path = tmp_path / "config" / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert tomllib.loads(path.read_text()) == {"api_key": KEY}
    assert relace("config", "path").stdout.strip() == str(path)


def test_api_key_is_masked_everywhere(relace: Run) -> None:
    r = relace("config", "set", "api_key", KEY)
    assert KEY not in r.stdout + r.stderr and "rlc-…wxyz" in r.stderr
    r = relace("config", "get", "api_key")
    assert r.stdout == "rlc-…wxyz\n" and KEY not in r.stderr
    r = relace("config", "list")
    assert "rlc-…wxyz" in r.stdout and KEY not in r.stdout + r.stderr


def test_set_api_key_reads_one_line_from_piped_stdin(relace: Run, tmp_path: Path) -> None:
    r = relace("config", "set", "api_key", input=KEY + "\nignored\n")
    assert r.code == 0, r
    assert config_file.load(tmp_path / "config" / "config.toml")["api_key"] == KEY


def test_set_api_key_without_value_and_without_stdin_fails_cleanly(relace: Run) -> None:
    r = relace("config", "set", "api_key")
    assert r.code == 2 and "no value given" in r.stderr and "Traceback" not in r.stderr


def test_malformed_key_warns_but_is_saved(relace: Run) -> None:
    r = relace("config", "set", "api_key", "sk-not-a-relace-key-123")
    assert r.code == 0 and "does not look like a Relace key" in r.stderr
    assert "sk-not-a-relace-key-123" not in r.stderr


def test_unknown_key_exits_2_listing_valid_keys(relace: Run) -> None:
    r = relace("config", "set", "colour", "blue")
    assert r.code == 2
    assert "unknown config key 'colour'" in r.stderr and "api_key" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_invalid_value_exits_2(relace: Run) -> None:
    r = relace("config", "set", "max_retries", "lots")
    assert r.code == 2 and "max_retries" in r.stderr


def test_malformed_toml_names_file_and_line_without_traceback(relace: Run, tmp_path: Path) -> None:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir()
    path.write_text('timeout = 5\napi_key = "unterminated\n')
    for args in (
        ("config", "list"),
        ("config", "get", "timeout"),
        ("config", "set", "timeout", "1"),
    ):
        r = relace(*args)
        assert r.code == 2, r
        assert str(path) in r.stderr and "line 2" in r.stderr
        assert "Traceback" not in r.stderr
    assert path.read_text() == 'timeout = 5\napi_key = "unterminated\n'  # never rewritten


def test_profiles_are_selected_before_or_after_the_subcommand(relace: Run, tmp_path: Path) -> None:
    assert relace("--profile", "morph", "config", "set", "apply_protocol", "openai").code == 0
    assert relace("config", "set", "apply_protocol", "relace").code == 0
    assert relace("config", "get", "apply_protocol", "--profile", "morph").stdout == "openai\n"
    assert relace("config", "get", "apply_protocol").stdout == "relace\n"
    r = relace("config", "get", "apply_protocol", env={"RELACE_PROFILE": "morph"})
    assert r.stdout == "openai\n"
    data = tomllib.loads((tmp_path / "config" / "config.toml").read_text())
    assert data == {"apply_protocol": "relace", "profiles": {"morph": {"apply_protocol": "openai"}}}


def test_env_beats_file_and_get_says_where_from(relace: Run) -> None:
    relace("config", "set", "apply_url", "http://127.0.0.1:1")
    r = relace("config", "get", "apply_url", env={"RELACE_APPLY_URL": "http://127.0.0.1:2"})
    assert r.stdout == "http://127.0.0.1:2\n" and "RELACE_APPLY_URL" in r.stderr


def test_world_readable_config_with_key_warns(relace: Run, tmp_path: Path) -> None:
    relace("config", "set", "api_key", KEY)
    path = tmp_path / "config" / "config.toml"
    path.chmod(0o644)
    r = relace("config", "get", "api_key")
    assert r.code == 0 and "chmod 600" in r.stderr


def test_named_profile_settings_beat_the_environment_and_keep_their_key(
    relace: Run, httpserver: HTTPServer, tmp_path: Path
) -> None:
    """RELACE_API_KEY exported for Relace must never reach the provider a profile points at."""
    other = "sk-" + "m" * 30
    base = httpserver.url_for("/morph").rstrip("/")
    httpserver.expect_request("/morph/chat/completions").respond_with_json(
        {"choices": [{"message": {"content": "x = 2\n"}, "finish_reason": "stop"}]})
    for key, value in (("apply_protocol", "openai"), ("apply_url", base), ("api_key", other)):
        assert relace("--profile", "morph", "config", "set", key, value).code == 0
    f = tmp_path / "a.py"
    f.write_text("x = 1\n")
    r = relace("--profile", "morph", "apply", str(f), "-e", "x = 2\n", "--engine", "remote",
               env={"RELACE_API_KEY": KEY, "RELACE_APPLY_URL": "http://127.0.0.1:9"})
    assert r.code == 0, r
    (req, _resp) = httpserver.log[0]
    assert req.headers["Authorization"] == f"Bearer {other}"
    assert f.read_text() == "x = 2\n"


def test_profile_without_its_own_key_does_not_borrow_the_env_key(relace: Run,
                                                                 tmp_path: Path) -> None:
    relace("--profile", "morph", "config", "set", "apply_url", "http://127.0.0.1:9")
    f = tmp_path / "a.py"
    f.write_text("x = 1\n")
    r = relace("--profile", "morph", "apply", str(f), "-e", "x = 2\n", "--engine", "remote",
               env={"RELACE_API_KEY": KEY})
    assert r.code == 2 and "--profile morph config set api_key" in r.stderr, r
    assert f.read_text() == "x = 1\n"


@pytest.mark.parametrize("bad", ["rlc-abc\ndef", "rlc-…wxyz", "rlc- spaced key"])
def test_keys_with_spaces_control_or_non_ascii_are_refused(relace: Run, tmp_path: Path,
                                                           bad: str) -> None:
    f = tmp_path / "a.py"
    f.write_text("x = 1\n")
    r = relace("apply", str(f), "-e", "x = 2\n", "--engine", "remote", env={"RELACE_API_KEY": bad})
    assert r.code == 2 and "api_key" in r.stderr, r
    assert "abc" not in r.stderr and "def" not in r.stderr.replace("default", "")
    assert "Traceback" not in r.stderr


def test_server_echoing_part_of_the_key_is_masked(relace: Run, httpserver: HTTPServer,
                                                  tmp_path: Path) -> None:
    partial = KEY[:-3]
    httpserver.expect_request("/v1/code/apply").respond_with_json(
        {"error": f"bad key {partial}"}, status=400)
    f = tmp_path / "a.py"
    f.write_text("x = 1\n")
    r = relace("apply", str(f), "-e", "x = 2\n", "--engine", "remote",
               env={"RELACE_API_KEY": KEY, "RELACE_APPLY_URL": httpserver.url_for("/").rstrip("/"),
                    "RELACE_MAX_RETRIES": "0"})
    assert r.code == 3, r
    assert partial not in r.stderr and KEY[4:16] not in r.stderr


def test_malformed_key_from_the_environment_is_warned(relace: Run) -> None:
    r = relace("config", "get", "api_key", env={"RELACE_API_KEY": "sk-abcdefghijklmnop"})
    assert r.code == 0 and "does not look like a Relace key" in r.stderr


def test_unknown_file_keys_are_warned_and_dashed_keys_accepted(relace: Run,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir()
    path.write_text('max-retries = 5\ncolour = "blue"\n')
    r = relace("config", "get", "max_retries")
    assert r.code == 0 and r.stdout == "5\n"
    assert "unknown key 'colour'" in r.stderr


def test_set_api_key_prompts_with_hidden_input_on_a_terminal(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys
    import time

    from tests.conftest import drain_pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "relace_cli", "config", "set", "api_key"],
                            stdin=follower, stdout=follower, stderr=follower, env=dict(os.environ))
    os.close(follower)
    import select

    seen = b""
    deadline = time.monotonic() + 30
    while b"api_key" not in seen and time.monotonic() < deadline:  # wait for the prompt
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            seen += os.read(leader, 1024)
    time.sleep(0.2)  # getpass switches echo off before it prints the prompt; a little slack
    os.write(leader, (KEY + "\n").encode())
    assert proc.wait(30) == 0
    screen = (seen + drain_pty(leader)).decode(errors="replace")
    assert "api_key" in screen and KEY not in screen  # prompted, and the key was not echoed
    assert config_file.load(tmp_path / "config" / "config.toml")["api_key"] == KEY
