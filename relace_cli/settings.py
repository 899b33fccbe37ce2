"""Settings, resolved once per run: command-line flag > environment > config file > default."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from relace_cli.errors import ConfigError

DEFAULT_APPLY_URL = "https://instantapply.endpoint.relace.run"
DEFAULT_EMBED_URL = "https://embeddings.endpoint.relace.run"
DEFAULT_RANK_URL = "https://ranker.endpoint.relace.run"
KEY_PATTERN = re.compile(r"^rlc-[A-Za-z0-9_-]{32}$")


def _url(value: Any) -> str:
    text = str(value).strip()
    if not re.match(r"^https?://[^\s/]+", text):
        raise ValueError("must be an http:// or https:// URL")
    return text.rstrip("/")


def _positive_float(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError("must be a positive number of seconds") from None
    if isinstance(value, bool) or not number > 0 or number != number or number == float("inf"):
        raise ValueError("must be a positive number of seconds")
    return number


def _retries(value: Any) -> int:
    text = str(value).strip()
    if isinstance(value, float | bool) or not re.fullmatch(r"\d{1,2}", text):
        raise ValueError("must be a whole number from 0 to 10")
    number = int(text)
    if number > 10:
        raise ValueError("must be a whole number from 0 to 10")
    return number


def _choice(*allowed: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = str(value).strip().lower()
        if text not in allowed:
            raise ValueError(f"must be one of: {', '.join(allowed)}")
        return text

    return check


def _text(value: Any) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError("must not be empty")
    return text


def _key(value: Any) -> str:
    """An API key goes into an HTTP header: printable ASCII without spaces, or refuse it."""
    text = _text(value)
    if not all("!" <= ch <= "~" for ch in text):
        raise ValueError("has spaces, control or non-ASCII characters (a pasted mask?)")
    return text


@dataclass(frozen=True)
class Key:
    name: str
    default: Any
    parse: Callable[[Any], Any]
    help: str
    secret: bool = False


KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("api_key", None, _key, "Relace API key (rlc-...)", secret=True),
        Key("apply_url", DEFAULT_APPLY_URL, _url, "base URL of the apply model host"),
        Key("embed_url", DEFAULT_EMBED_URL, _url, "base URL of the embedding model host"),
        Key("rank_url", DEFAULT_RANK_URL, _url, "base URL of the ranker model host"),
        Key("apply_model", None, _text, "apply model name (default relace-apply-3)"),
        Key("embed_model", "relace-embed-v1", _text, "embedding model name"),
        Key("timeout", 60.0, _positive_float, "read timeout in seconds"),
        Key("max_retries", 2, _retries, "retries on network errors, 408/409/423/429/5xx"),
        Key(
            "engine", "auto", _choice("auto", "local", "remote"), "merge engine: auto|local|remote"
        ),
        Key(
            "apply_protocol",
            "relace",
            _choice("relace", "openai"),
            "apply API: relace (native) or openai (chat/completions)",
        ),
    )
}


def env_name(key: str) -> str:
    return "RELACE_" + key.upper()


def canonical_key(name: str) -> str:
    """'api-key' -> 'api_key'; ConfigError listing the valid keys for anything unknown."""
    from relace_cli.config_file import normal_name

    key = normal_name(name)
    if key not in KEYS:
        raise ConfigError(f"unknown config key {name!r}", hint="valid keys: " + ", ".join(KEYS))
    return key


def parse_value(key: str, value: Any, *, origin: str) -> Any:
    try:
        return KEYS[key].parse(value)
    except (ValueError, TypeError) as exc:
        shown = "the value" if KEYS[key].secret else repr(value)
        raise ConfigError(f"{key} from {origin}: {shown} {exc}") from None


def key_warning(key: str | None) -> str | None:
    if key and not KEY_PATTERN.match(key):
        return "warning: the API key does not look like a Relace key (rlc- and 32 characters)"
    return None


@dataclass(frozen=True)
class Settings:
    api_key: str | None = None
    apply_url: str = DEFAULT_APPLY_URL
    embed_url: str = DEFAULT_EMBED_URL
    rank_url: str = DEFAULT_RANK_URL
    apply_model: str | None = None
    embed_model: str = "relace-embed-v1"
    timeout: float = 60.0
    max_retries: int = 2
    engine: str = "auto"
    apply_protocol: str = "relace"
    profile: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    # Why api_key cannot be used (spaces, control or non-ASCII characters), or None. Such a key
    # is kept in api_key, so "a key is configured" still holds, but only a command that needs
    # the key fails on it, in require_key(): a local merge must not.
    key_error: str | None = None

    def require_key(self, what: str = "the remote engine", *, alternative: str = "") -> str:
        """The API key, or ConfigError (exit 2) when there is none or it is malformed."""
        config_set = (f"`relace --profile {self.profile} config set api_key`" if self.profile
                      else "`relace config set api_key`")
        if self.key_error:
            where = (f"fix or unset {env_name('api_key')}"
                     if self.sources.get("api_key") == "env"
                     else f"set a valid one with {config_set}")
            raise ConfigError(self.key_error, hint=f"{where}{alternative}")
        if not self.api_key:
            where = config_set if self.profile else f"RELACE_API_KEY or run {config_set}"
            raise ConfigError(f"no API key: {what} needs one",
                              hint=f"set {where}{alternative}")
        return self.api_key


def resolve(
    flags: Mapping[str, Any] | None = None,
    *,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
    file_data: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge the layers. *file_data* None means: read the config file (lazily, only if needed)."""
    from relace_cli import config_file

    env = os.environ if env is None else env
    profile = profile or env.get("RELACE_PROFILE") or None
    if file_data is None:
        file_data = config_file.load()
    if profile and profile not in file_data.get("profiles", {}):
        raise ConfigError(
            f"no profile named {profile!r} in {config_file.config_path()}",
            hint="create it with `relace --profile NAME config set KEY VALUE`",
        )
    path = str(config_file.config_path())
    table, warnings = _table(config_file.section(dict(file_data), profile), path)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    raw: dict[str, tuple[Any, str]] = {}  # name -> (value, where it came from)
    for name, key in KEYS.items():
        flag = (flags or {}).get(name)
        from_env = _env_value(name, profile, table, env)
        if flag is not None:
            raw[name], sources[name] = (flag, "the command line"), "flag"
        elif from_env:
            raw[name], sources[name] = (from_env, env_name(name)), "env"
        elif name in table:
            raw[name], sources[name] = (table[name], path), "config"
        else:
            values[name], sources[name] = key.default, "default"
    key_error = None
    for name, (value, origin) in raw.items():
        try:
            values[name] = parse_value(name, value, origin=origin)
        except ConfigError as exc:
            if name != "api_key":
                raise
            # Only the commands that need the key fail on it (Settings.require_key).
            values[name], key_error = str(value).strip() or str(value), exc.message
            warnings.append(f"warning: {exc.message}; commands that need the API key will fail")
    warning = key_warning(values["api_key"]) if "api_key" in raw and not key_error else None
    if warning:
        warnings.append(warning)
    return Settings(**values, profile=profile, sources=sources, warnings=tuple(warnings),
                    key_error=key_error)


def env_wins(
    name: str,
    *,
    profile: str | None,
    file_data: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
) -> bool:
    """True when RELACE_<NAME> outranks the config file's *name* for *profile* (as resolve()
    decides), e.g. for the note after `relace config set`."""
    from relace_cli import config_file

    table, _warnings = _table(config_file.section(dict(file_data), profile), "")
    return _env_value(name, profile, table, os.environ if env is None else env) is not None


def _env_value(
    name: str, profile: str | None, table: Mapping[str, Any], env: Mapping[str, str]
) -> str | None:
    """The environment's value for *name* if it applies to *profile*, else None."""
    value = env.get(env_name(name))
    if not value:
        return None
    if profile and name in table:
        return None  # a named profile's own settings beat the environment
    if profile and name == "api_key" and _other_provider(table):
        return None  # never send RELACE_API_KEY to the provider a profile points at
    return value


def _table(raw: Mapping[str, Any], path: str) -> tuple[dict[str, Any], list[str]]:
    """The file's keys by their canonical names ('api-key' too); unknown keys are warned.

    A key spelled more than once ('api-key' and 'api_key') is warned about; the canonical
    spelling wins, else the first one in the file, never whichever happens to come last."""
    from relace_cli.config_file import normal_name

    table: dict[str, Any] = {}
    seen: dict[str, list[str]] = {}
    warnings: list[str] = []
    for name, value in raw.items():
        key = normal_name(name)
        if key in KEYS:
            seen.setdefault(key, []).append(name)
            if key not in table or name == key:
                table[key] = value
        elif name != "profiles":
            warnings.append(f"warning: {path}: unknown key {name!r} ignored "
                            f"(valid keys: {', '.join(KEYS)})")
    for key, names in seen.items():
        if len(names) > 1:
            used = key if key in names else names[0]
            warnings.append(f"warning: {path}: {key} is set more than once "
                            f"({', '.join(map(repr, names))}); using {used!r}")
    return table, warnings


def _other_provider(table: Mapping[str, Any]) -> bool:
    """True when a profile points apply at a host or protocol of its own."""
    return "apply_url" in table or "apply_protocol" in table
