"""Resolve every setting once: option > env > file > default, remembering each value's source.

The CLI and the pytest plugin both call :func:`resolve`; nothing reads the environment at import
time. Ecosystem variables (``KUBECONFIG``, ``USE_EXISTING_CLUSTER``) keep their meaning at the env
layer, below wetest's own variable of the same setting.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wetest.config import names
from wetest.errors import ConfigError


@dataclass(frozen=True)
class Resolved:
    """A value and where it came from, e.g. ``env WETEST_BACKEND`` or ``default``."""

    value: str
    source: str


def find_file(start: Path) -> Path | None:
    """Return the nearest pyproject.toml with a [tool.wetest] table, walking up from start."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "wetest" in _tool_table(candidate):
            return candidate
    return None


def _tool_table(path: Path) -> dict[str, object]:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"The configuration file {path} cannot be read: {exc}. "
            "Fix the TOML syntax or point WETEST_CONFIG elsewhere."
        ) from exc
    tool = data.get("tool", {})
    return tool if isinstance(tool, dict) else {}


def file_values(path: Path | None) -> tuple[dict[str, str], str]:
    """Read [tool.wetest] (or a bare table) from path; return the values and a source label."""
    if path is None:
        return {}, ""
    table = _tool_table(path).get("wetest", {})
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.wetest] in {path} is not a table. Write it as a TOML table.")
    if "config" in table:
        raise ConfigError(
            f"[tool.wetest] in {path} sets config, which only chooses the file to read. "
            "Remove the key and give --wetest-config or WETEST_CONFIG instead."
        )
    unknown = sorted(set(table) - set(names.BY_KEY))
    if unknown:
        raise ConfigError(
            f"Unknown key(s) {', '.join(unknown)} in [tool.wetest] of {path}. "
            f"Valid keys: {', '.join(names.BY_KEY)}."
        )
    return {k: _as_text(v) for k, v in table.items()}, f"file {path}"


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _env_value(setting: names.Setting, env: Mapping[str, str]) -> Resolved | None:
    if env.get(setting.env, "") != "":
        return Resolved(env[setting.env], f"env {setting.env}")
    for alias in setting.ecosystem_env:
        if env.get(alias, "") != "":
            return Resolved(env[alias], f"env {alias}")
    if setting.key == "backend" and env.get("USE_EXISTING_CLUSTER", "").lower() == "true":
        return Resolved("existing", "env USE_EXISTING_CLUSTER")
    return None


def resolve(
    options: Mapping[str, object | None] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> dict[str, Resolved]:
    """Resolve all settings. ``options`` maps keys to command-line values (None = not given)."""
    options = options or {}
    env = os.environ if env is None else env
    config_path = _config_path(options, env, cwd or Path.cwd())
    values, label = file_values(config_path)
    out: dict[str, Resolved] = {}
    for setting in names.SETTINGS:
        out[setting.key] = _one(setting, options.get(setting.key), env, values, label)
    return out


def resolve_key(
    key: str,
    options: Mapping[str, object | None] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Resolved:
    """Resolve one setting by the same rules, for a library call made without the plugin.

    Only that setting is validated: a wait in a script must not fail on an unrelated key.
    """
    options = options or {}
    env = os.environ if env is None else env
    values, label = file_values(_config_path(options, env, cwd or Path.cwd()))
    return _one(names.BY_KEY[key], options.get(key), env, values, label)


def _config_path(
    options: Mapping[str, object | None], env: Mapping[str, str], cwd: Path
) -> Path | None:
    given = options.get("config") or env.get("WETEST_CONFIG")
    if given:
        path = Path(str(given)).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"The configuration file {path} does not exist. "
                "Fix --wetest-config or WETEST_CONFIG."
            )
        return path
    return find_file(cwd)


def _one(
    setting: names.Setting,
    option: object | None,
    env: Mapping[str, str],
    values: Mapping[str, str],
    label: str,
) -> Resolved:
    if option is not None and option != "":
        found = Resolved(_as_text(option), f"option {setting.option}")
    elif (from_env := _env_value(setting, env)) is not None:
        found = from_env
    elif setting.key in values:
        found = Resolved(values[setting.key], label)
    else:
        found = Resolved(setting.default, "default")
    _validate(setting, found)
    return found


def _validate(setting: names.Setting, found: Resolved) -> None:
    value = found.value
    if setting.kind == "choice" and value not in setting.choices:
        raise ConfigError(
            f"'{value}' is not a valid {setting.key} (from {found.source}). "
            f"Valid values: {', '.join(setting.choices)}."
        )
    if setting.kind == "bool" and value.lower() not in _BOOLS:
        raise ConfigError(
            f"'{value}' is not a boolean for {setting.key} (from {found.source}). "
            "Use true or false."
        )
    if setting.kind == "int" and not (value.isdigit() and int(value) > 0):
        raise ConfigError(
            f"'{value}' is not a positive whole number for {setting.key} "
            f"(from {found.source}). Use a number such as 12."
        )
    if setting.kind == "float":
        try:
            ok = float(value) > 0
        except ValueError:
            ok = False
        if not ok:
            raise ConfigError(
                f"'{value}' is not a positive number for {setting.key} "
                f"(from {found.source}). Use a number such as 1.5."
            )


_BOOLS = {"1", "0", "true", "false", "yes", "no", "on", "off"}


def as_bool(value: str) -> bool:
    """Interpret a validated boolean setting."""
    return value.lower() in {"1", "true", "yes", "on"}
