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
    key = name.strip().lower().replace("-", "_")
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

    def require_key(self, what: str = "the remote engine", *, alternative: str = "") -> str:
        if not self.api_key:
            where = (f"`relace --profile {self.profile} config set api_key`" if self.profile
                     else "RELACE_API_KEY or run `relace config set api_key`")
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
    table, warnings = _table(config_file.section(dict(file_data), profile),
                             str(config_file.config_path()))
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, key in KEYS.items():
        flag = (flags or {}).get(name)
        from_env = env.get(env_name(name))
        if profile and name in table:
            from_env = None  # a named profile's own settings beat the environment
        if profile and name == "api_key" and _other_provider(table):
            from_env = None  # never send RELACE_API_KEY to the provider a profile points at
        if flag is not None:
            values[name], sources[name] = parse_value(name, flag, origin="the command line"), "flag"
        elif from_env:
            values[name] = parse_value(name, from_env, origin=env_name(name))
            sources[name] = "env"
        elif name in table:
            values[name] = parse_value(name, table[name], origin=str(config_file.config_path()))
            sources[name] = "config"
        else:
            values[name], sources[name] = key.default, "default"
    warning = key_warning(values["api_key"]) if sources["api_key"] != "default" else None
    if warning:
        warnings.append(warning)
    return Settings(**values, profile=profile, sources=sources, warnings=tuple(warnings))


def _table(raw: Mapping[str, Any], path: str) -> tuple[dict[str, Any], list[str]]:
    """The file's keys by their canonical names ('api-key' too); unknown keys are warned."""
    table: dict[str, Any] = {}
    warnings: list[str] = []
    for name, value in raw.items():
        key = name.strip().lower().replace("-", "_")
        if key in KEYS:
            table[key] = value
        elif name != "profiles":
            warnings.append(f"warning: {path}: unknown key {name!r} ignored "
                            f"(valid keys: {', '.join(KEYS)})")
    return table, warnings


def _other_provider(table: Mapping[str, Any]) -> bool:
    """True when a profile points apply at a host or protocol of its own."""
    return "apply_url" in table or "apply_protocol" in table
