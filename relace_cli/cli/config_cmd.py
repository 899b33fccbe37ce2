"""`relace config set|get|list|unset|path`: the settings file, with keys always masked."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from relace_cli import config_file
from relace_cli.cli import output
from relace_cli.cli.common import State, boundary, settings
from relace_cli.errors import ConfigError, InputError
from relace_cli.settings import (
    KEYS,
    canonical_key,
    env_name,
    env_wins,
    key_warning,
    parse_value,
)

app = typer.Typer(help="Read and write settings (config.toml).", no_args_is_help=True)

KeyArg = Annotated[
    str, typer.Argument(help="Setting name: " + ", ".join(KEYS) + ".", show_default=False)
]


def _display(key: str, value: Any) -> str:
    if value is None:
        return "(not set)"
    if KEYS[key].secret:
        return output.mask(str(value))
    return str(value)


def _where() -> str:
    path = config_file.config_path()
    return f"{path} (profile {State.profile})" if State.profile else str(path)


@app.command("set")
@boundary
def set_(
    key: KeyArg,
    value: Annotated[
        str | None,
        typer.Argument(help="The value (api_key: prompted if omitted).", show_default=False),
    ] = None,
) -> None:
    """Set KEY to VALUE in the config file."""
    name = canonical_key(key)
    if value is None:
        if not KEYS[name].secret:
            raise InputError(f"no value given for {name}", hint=f"relace config set {name} VALUE")
        value = _read_secret(name)
    parsed = parse_value(name, value, origin="the command line")
    output.add_secret(parsed if KEYS[name].secret else None)
    if name == "api_key":
        warning = key_warning(parsed)
        if warning:
            output.warn(warning)
    data = config_file.update(config_file.load(), State.profile, name, parsed)
    path = config_file.save(data)
    output.info(
        f"set {name} = {_display(name, parsed)} in {path}"
        + (f" (profile {State.profile})" if State.profile else "")
    )
    if env_wins(name, profile=State.profile, file_data=data):
        output.warn(f"note: {env_name(name)} is set in the environment and takes precedence")


def _read_secret(name: str) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        value = typer.prompt(f"{name}", hide_input=True, err=True)
    else:
        try:
            value = sys.stdin.readline() if sys.stdin else ""
        except (OSError, ValueError):
            value = ""
    value = value.strip()
    if not value:
        raise InputError(
            f"no value given for {name}",
            hint=f"pipe it on stdin or run `relace config set {name}` in a terminal",
        )
    return value


@app.command("get")
@boundary
def get(key: KeyArg) -> None:
    """Print the effective value of KEY (api_key masked) and say where it came from."""
    name = canonical_key(key)
    resolved = settings()
    value = getattr(resolved, name)
    if value is None:
        output.info(f"{name} is not set")
        return
    output.out(_display(name, value) + "\n")
    output.info(f"({name} from {_source(resolved.sources[name], name)})")


def _source(kind: str, name: str) -> str:
    return {"env": env_name(name), "config": _where(), "flag": "the command line"}.get(
        kind, "the built-in default"
    )


@app.command("list")
@boundary
def list_() -> None:
    """Print every setting, its effective value (keys masked) and its source."""
    resolved = settings()
    width = max(len(k) for k in KEYS)
    for name in KEYS:
        value = getattr(resolved, name)
        output.out(
            f"{name:<{width}} = {_display(name, value)}  "
            f"# {_source(resolved.sources[name], name)}\n"
        )
    names = config_file.profiles(config_file.load())
    if names:
        output.info("profiles: " + ", ".join(names) + " (select with --profile NAME)")


@app.command("unset")
@boundary
def unset(key: KeyArg) -> None:
    """Remove KEY from the config file."""
    name = canonical_key(key)
    data = config_file.load()
    if not config_file.spellings(config_file.section(data, State.profile), name):
        output.info(f"{name} is not set in {_where()}")
        return
    config_file.save(config_file.update(data, State.profile, name, None))
    output.info(f"unset {name} in {_where()}")


@app.command("path")
@boundary
def path() -> None:
    """Print the config file's path."""
    output.out(f"{config_file.config_path()}\n")


__all__ = ["app", "ConfigError"]
