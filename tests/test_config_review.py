"""Review findings on settings and `relace config`: spellings of a key, the environment note,
and a malformed API key that only matters to the commands that need a key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from relace_cli.errors import ConfigError
from relace_cli.settings import resolve
from tests.conftest import KEY, Run

OLD = "rlc-" + "o" * 28 + "0ldk"
NEW = "rlc-" + "n" * 28 + "n3wk"
BAD_KEYS = ["rlc-…3456", "rlc- spaced key"]

ORIGINAL = "def f():\n    return 1\n\n\ndef g():\n    return 2\n"
MERGES = "def g():\n    return 3\n"  # the local engine places this by name
ABSTAINS = "y = 1\n"  # ... and cannot place this one


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


# 1. One canonical spelling: `api-key` in the file is read, replaced and removed as api_key.


@pytest.mark.parametrize("spelling", ["api_key", "api-key"])
def test_unset_removes_a_hyphen_spelled_key(relace: Run, tmp_path: Path, spelling: str) -> None:
    path = _config(tmp_path, f'api-key = "{OLD}"\n')
    r = relace("config", "get", "api_key")
    assert r.code == 0 and r.stdout == "rlc-…0ldk\n", r  # the hyphen spelling is still read
    r = relace("config", "unset", spelling)
    assert r.code == 0 and "unset api_key" in r.stderr, r
    assert tomllib.loads(path.read_text()) == {}
    r = relace("config", "get", "api_key")
    assert r.code == 0 and r.stdout == "" and "api_key is not set" in r.stderr, r


def test_set_replaces_every_spelling_so_unset_leaves_nothing_behind(
    relace: Run, tmp_path: Path
) -> None:
    path = _config(tmp_path, f'api-key = "{OLD}"\nmax-retries = 5\n')
    assert relace("config", "set", "api_key", NEW).code == 0
    assert tomllib.loads(path.read_text()) == {"api_key": NEW, "max-retries": 5}
    assert relace("config", "get", "api_key").stdout == "rlc-…n3wk\n"
    assert relace("config", "unset", "api_key").code == 0
    assert tomllib.loads(path.read_text()) == {"max-retries": 5}
    r = relace("config", "get", "api_key")
    assert r.stdout == "" and "api_key is not set" in r.stderr, r  # the old key did not come back


def test_spellings_are_replaced_and_removed_inside_a_named_profile(
    relace: Run, tmp_path: Path
) -> None:
    path = _config(
        tmp_path,
        f'api-key = "{OLD}"\n[profiles.morph]\napi-key = "{OLD}"\napply-protocol = "openai"\n',
    )
    assert relace("--profile", "morph", "config", "set", "api-key", NEW).code == 0
    data = tomllib.loads(path.read_text())
    assert data["profiles"]["morph"] == {"api_key": NEW, "apply-protocol": "openai"}
    assert data["api-key"] == OLD  # the default profile is not touched
    assert relace("--profile", "morph", "config", "unset", "apply_protocol").code == 0
    assert relace("--profile", "morph", "config", "unset", "api_key").code == 0
    assert "profiles" not in tomllib.loads(path.read_text())
    assert relace("config", "get", "api_key").stdout == "rlc-…0ldk\n"


@pytest.mark.parametrize(
    "file_data", [{"api-key": OLD, "api_key": NEW}, {"api_key": NEW, "api-key": OLD}]
)
def test_canonical_spelling_wins_whatever_the_order(file_data: dict[str, str]) -> None:
    s = resolve(None, env={}, file_data=file_data)
    assert s.api_key == NEW
    assert any("more than once" in w for w in s.warnings)


# 2. The "takes precedence" note only when the environment really does.


def test_no_precedence_note_for_a_named_profile(relace: Run) -> None:
    env = {"RELACE_APPLY_URL": "http://127.0.0.1:2", "RELACE_API_KEY": KEY}
    r = relace("--profile", "morph", "config", "set", "apply_url", "http://127.0.0.1:1", env=env)
    assert r.code == 0 and "takes precedence" not in r.stderr, r
    r = relace("--profile", "morph", "config", "set", "api_key", NEW, env=env)
    assert r.code == 0 and "takes precedence" not in r.stderr, r
    r = relace("--profile", "morph", "config", "get", "apply_url", env=env)
    assert r.stdout == "http://127.0.0.1:1\n"  # what the note would have contradicted


def test_precedence_note_for_the_default_profile(relace: Run) -> None:
    env = {"RELACE_APPLY_URL": "http://127.0.0.1:2"}
    r = relace("config", "set", "apply_url", "http://127.0.0.1:1", env=env)
    assert r.code == 0 and "RELACE_APPLY_URL is set in the environment and takes precedence" \
        in r.stderr, r
    r = relace("config", "set", "timeout", "5", env=env)
    assert "takes precedence" not in r.stderr


# 3. A malformed key fails only the commands that need a key.


@pytest.mark.parametrize("bad", BAD_KEYS)
@pytest.mark.parametrize("engine", ["local", "auto"])
def test_malformed_env_key_does_not_stop_a_local_merge(
    relace: Run, tmp_path: Path, bad: str, engine: str
) -> None:
    f = tmp_path / "x.py"
    f.write_text(ORIGINAL)
    r = relace("apply", str(f), "-e", MERGES, "--engine", engine, "--stdout",
               env={"RELACE_API_KEY": bad})
    assert r.code == 0, r
    assert r.stdout == ORIGINAL.replace("return 2", "return 3")
    assert len([line for line in r.stderr.splitlines() if "RELACE_API_KEY" in line]) == 1, r
    assert bad not in r.stderr and "Traceback" not in r.stderr


def test_malformed_key_in_the_config_file_does_not_stop_a_local_merge(
    relace: Run, tmp_path: Path
) -> None:
    _config(tmp_path, 'api_key = "rlc-…3456"\n')
    f = tmp_path / "x.py"
    f.write_text(ORIGINAL)
    r = relace("apply", str(f), "-e", MERGES, "--engine", "local")
    assert r.code == 0, r
    assert f.read_text() == ORIGINAL.replace("return 2", "return 3")


@pytest.mark.parametrize("bad", BAD_KEYS)
def test_malformed_key_fails_auto_when_it_falls_back_to_remote(
    relace: Run, tmp_path: Path, bad: str
) -> None:
    f = tmp_path / "x.py"
    f.write_text(ORIGINAL)
    r = relace("apply", str(f), "-e", ABSTAINS, "--engine", "auto",
               env={"RELACE_API_KEY": bad, "RELACE_APPLY_URL": "http://127.0.0.1:9"})
    assert r.code == 2, r
    last = r.stderr.strip().splitlines()[-1]
    assert "api_key from RELACE_API_KEY" in last and "RELACE_API_KEY" in last, r
    assert bad not in r.stderr and "Traceback" not in r.stderr
    assert f.read_text() == ORIGINAL


@pytest.mark.parametrize(
    "args", [("embed", "--text", "x"), ("rank", "query", "x.py")], ids=["embed", "rank"]
)
def test_malformed_key_fails_embed_and_rank(relace: Run, tmp_path: Path,
                                            args: tuple[str, ...]) -> None:
    (tmp_path / "x.py").write_text(ORIGINAL)
    r = relace(*args, env={"RELACE_API_KEY": "rlc-…3456",
                           "RELACE_EMBED_URL": "http://127.0.0.1:9",
                           "RELACE_RANK_URL": "http://127.0.0.1:9"})
    assert r.code == 2 and "api_key from RELACE_API_KEY" in r.stderr, r
    assert "Traceback" not in r.stderr


def test_malformed_key_is_kept_on_the_settings_and_raised_when_required() -> None:
    s = resolve(None, env={"RELACE_API_KEY": "rlc-…3456"}, file_data={})
    assert s.key_error is not None and s.sources["api_key"] == "env"
    assert not any("does not look like a Relace key" in w for w in s.warnings)
    with pytest.raises(ConfigError, match="api_key from RELACE_API_KEY") as info:
        s.require_key()
    assert "3456" not in str(info.value)
    good = resolve(None, env={"RELACE_API_KEY": KEY}, file_data={})
    assert good.key_error is None and good.require_key() == KEY
