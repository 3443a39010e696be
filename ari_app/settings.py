"""The controller's settings: one typed object, loaded once.

From a TOML file (``--config`` or ``DATADESK_CONFIG``) with secrets allowed
from the environment (``DATADESK_AMI_SECRET``, ``DATADESK_ARI_PASSWORD``,
``DATADESK_REDIS_URL``, which win over the file). Unknown keys and wrong
types are errors that name the key: a typo must not silently fall back to a
default.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints


class SettingsError(ValueError):
    """A settings value is missing, unknown or of the wrong type."""


@dataclass(frozen=True)
class AmiSettings:
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "datadesk"
    secret: str = ""


@dataclass(frozen=True)
class AriSettings:
    url: str = "http://127.0.0.1:8088"
    username: str = "datadesk"
    password: str = ""
    app: str = "datadesk"


@dataclass(frozen=True)
class RedisSettings:
    url: str = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8680


@dataclass(frozen=True)
class DeskSettings:
    queue: str = "desk"
    seats: tuple[str, ...] = ("8601", "8602", "8603", "8604", "8605", "8606")
    # The desk queue's wrapuptime (queues.conf); AMI does not report it.
    wrapup: int = 15


@dataclass(frozen=True)
class Settings:
    ami: AmiSettings = field(default_factory=AmiSettings)
    ari: AriSettings = field(default_factory=AriSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    desk: DeskSettings = field(default_factory=DeskSettings)


_ENV = {
    "DATADESK_AMI_SECRET": ("ami", "secret"),
    "DATADESK_ARI_PASSWORD": ("ari", "password"),
    "DATADESK_REDIS_URL": ("redis", "url"),
}


def _coerce(where: str, kind: Any, value: Any) -> Any:
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


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``path`` (may be None: defaults) and ``env``."""
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
    hints = get_type_hints(Settings)
    known = {f.name for f in fields(Settings)}
    for name in raw:
        if name not in known:
            raise SettingsError(f"[{name}]: unknown section (known: {', '.join(sorted(known))})")
    return Settings(**{name: _section(hints[name], name, raw[name]) for name in raw})
