"""Loading the settings: a TOML file and the environment, checked key by key.

From a TOML file (``--config`` or ``DATADESK_CONFIG``) with secrets allowed
from the environment (``DATADESK_AMI_SECRET``, ``DATADESK_ARI_PASSWORD``,
``DATADESK_REDIS_URL``, ``DATADESK_REDIS_PASSWORD``, ``DATADESK_NOTIFY_SECRET``, and the API tokens
``DATADESK_API_TOKENS``, ``ROLE:TOKEN`` entries, comma-separated; they win
over the file). Unknown keys and wrong types are errors that name the key: a
typo must not silently fall back to a default.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, get_type_hints

from .domain import validate
from .schema import Settings, SettingsError


_ENV = {
    "DATADESK_AMI_SECRET": ("ami", "secret"),
    "DATADESK_ARI_PASSWORD": ("ari", "password"),
    "DATADESK_REDIS_URL": ("redis", "url"),
    "DATADESK_REDIS_PASSWORD": ("redis", "password"),
    "DATADESK_NOTIFY_SECRET": ("notify", "secret"),
}


def _coerce(where: str, kind: Any, value: Any) -> Any:
    if kind is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{where}: expected true or false, got {value!r}")
        return value
    if kind is float:  # an integer is a number of seconds too
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SettingsError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{where}: expected an integer, got {value!r}")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise SettingsError(f"{where}: expected a string, got {value!r}")
        return value
    if kind == tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{where}: expected a list of strings, got {value!r}")
        return tuple(value)
    if kind == tuple[int, ...]:
        if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise SettingsError(f"{where}: expected a list of integers, got {value!r}")
        return tuple(value)
    if kind == dict[str, int]:
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
                for k, v in value.items()):
            raise SettingsError(f"{where}: expected a table of integers, got {value!r}")
        return dict(value)
    if kind == dict[str, tuple[str, ...]]:
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
                for k, v in value.items()):
            raise SettingsError(f"{where}: expected a table of lists of strings, got {value!r}")
        return {k: tuple(v) for k, v in value.items()}
    if kind == dict[str, str]:
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise SettingsError(f"{where}: expected a table of strings, got {value!r}")
        return dict(value)
    raise SettingsError(f"{where}: unsupported setting type {kind}")


def _section(cls: type, name: str, raw: Any) -> Any:
    if not isinstance(raw, dict):
        raise SettingsError(f"[{name}]: expected a table")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in raw:
        if key not in known:
            raise SettingsError(f"[{name}] {key}: unknown setting (known: {', '.join(sorted(known))})")
    return cls(**{k: _coerce(f"[{name}] {k}", hints[k], v) for k, v in raw.items()})


def _line_of(text: str, message: str) -> int | None:
    """The line of the file that the message's ``[section] key`` names."""
    if not message.startswith("["):
        return None
    section, _, rest = message[1:].partition("]")
    words = rest.strip().split(":")[0].split()
    key = words[0] if words else ""
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            if inside and key:
                break
            inside = stripped.strip("[] ") == section
            if inside and not key:
                return number
            continue
        if inside and key and stripped.split("=")[0].strip() == key:
            return number
    return None


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``path`` (may be None: defaults) and ``env``.

    A ``SettingsError`` names the key and, for a value from the file, its line.
    """
    text = ""
    if path is not None:
        try:
            text = Path(path).read_text()
        except OSError:
            pass
    try:
        return _load(path, env)
    except SettingsError as exc:
        line = _line_of(text, str(exc)) if text else None
        if line is not None:
            raise SettingsError(f"{path}:{line}: {exc}") from exc
        raise


def _load(path: Path | None, env: Mapping[str, str] | None) -> Settings:
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text())
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: {exc}") from exc
        except OSError as exc:
            raise SettingsError(f"{path}: cannot read ({exc.strerror})") from exc
    for var, (section, key) in _ENV.items():
        if env.get(var):
            raw.setdefault(section, {})[key] = env[var]
    if env.get("DATADESK_API_TOKENS"):
        raw.setdefault("http", {})["tokens"] = [
            t.strip() for t in env["DATADESK_API_TOKENS"].split(",") if t.strip()]
    if env.get("DATADESK_SUPERVISOR_TOKENS"):
        raw.setdefault("http", {})["supervisor_tokens"] = [
            t.strip() for t in env["DATADESK_SUPERVISOR_TOKENS"].split(",") if t.strip()]
    hints = get_type_hints(Settings)
    known = {f.name for f in fields(Settings)}
    for name in raw:
        if name not in known:
            raise SettingsError(f"[{name}]: unknown section (known: {', '.join(sorted(known))})")
    return validate(Settings(**{name: _section(hints[name], name, raw[name]) for name in raw}))
