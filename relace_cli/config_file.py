"""config.toml: where it lives, reading it (tomllib) and writing it (tomli-w), atomically and 0600.

Layout: the default profile's keys at the top level, named profiles under ``[profiles.NAME]``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from relace_cli.errors import ConfigError

FILENAME = "config.toml"


def config_dir() -> Path:
    override = os.environ.get("RELACE_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("relace"))


def config_path() -> Path:
    return config_dir() / FILENAME


def load(path: Path | None = None) -> dict[str, Any]:
    """The parsed file, {} when it does not exist; ConfigError naming file and line if malformed."""
    path = path or config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory", hint="remove it") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(
            f"config file {path} is not valid UTF-8",
            hint="fix it or delete it (relace config path shows where it is)",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config file {path} is malformed TOML: {exc}", hint="fix that line or delete the file"
        ) from None
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(v, dict) for v in profiles.values()):
        raise ConfigError(f"config file {path}: [profiles] must hold tables like [profiles.NAME]")
    return data


def permission_warning(path: Path | None = None) -> str | None:
    """A warning when a config file holding a key is readable by others."""
    path = path or config_path()
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if mode & 0o077:
        return (
            f"warning: {path} is accessible by other users (mode {mode:o}); run: chmod 600 {path}"
        )
    return None


def normal_name(name: str) -> str:
    """The setting a name in the file stands for: 'api-key' and 'API_KEY' both mean 'api_key'."""
    return name.strip().lower().replace("-", "_")


def spellings(table: dict[str, Any], key: str) -> list[str]:
    """Every name in *table* (a profile's keys) that spells the setting *key*, in file order."""
    return [name for name, value in table.items()
            if not isinstance(value, dict) and normal_name(name) == key]


def section(data: dict[str, Any], profile: str | None) -> dict[str, Any]:
    """The key/value table of *profile* (None: the default profile), without nested tables."""
    table = data.get("profiles", {}).get(profile, {}) if profile else data
    return {k: v for k, v in table.items() if not isinstance(v, dict)}


def profiles(data: dict[str, Any]) -> list[str]:
    return sorted(data.get("profiles", {}))


def save(data: dict[str, Any], path: Path | None = None) -> Path:
    """Write *data* atomically; the directory is created 0700 and the file written 0600."""
    import tomli_w

    from relace_cli.files import write_atomic

    path = path or config_path()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(str(path), tomli_w.dumps(data).encode("utf-8"), mode=0o600)
    except OSError as exc:
        raise ConfigError(f"cannot write config file {path}: {exc.strerror or exc}") from None
    return path


def update(data: dict[str, Any], profile: str | None, key: str, value: Any) -> dict[str, Any]:
    """A copy of *data* with *key* set (value) or removed (value None) in *profile*.

    Every spelling of *key* in that profile ('api-key', ...) is dropped first, so a set leaves
    one canonical entry and an unset leaves none that could become active again."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    if profile:
        profs = {name: dict(t) for name, t in out.get("profiles", {}).items()}
        table = profs.setdefault(profile, {})
        _put(table, key, value)
        if not table:
            del profs[profile]
        if profs:
            out["profiles"] = profs
        else:
            out.pop("profiles", None)
    else:
        _put(out, key, value)
    return out


def _put(table: dict[str, Any], key: str, value: Any) -> None:
    for name in spellings(table, key):
        del table[name]
    if value is not None:
        table[key] = value
