"""The controller's settings: one typed object, loaded once.

From a TOML file (``--config`` or ``DATADESK_CONFIG``) with secrets allowed
from the environment (``DATADESK_AMI_SECRET``, ``DATADESK_ARI_PASSWORD``,
``DATADESK_REDIS_URL``, ``DATADESK_REDIS_PASSWORD``, which win over the file). Unknown keys and wrong
types are errors that name the key: a typo must not silently fall back to a
default.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any, get_type_hints

from .desk.calendar import CalendarError, ServiceCalendar
from .desk.callback import RetryPolicy
from .desk.numbers import DEFAULT_ALLOW, DEFAULT_DENY, NumberPolicy
from .desk.routing import NamedUnavailable, RoutingPolicy
from .desk.topics import (DEFAULT_CALLBACK_ONLY, DEFAULT_LIVE, DEFAULT_OUT_OF_SCOPE,
                          TopicCatalogue, TopicKind)


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
    # The controller's own ACL user (ari_app/store/acl.py lists what it may do);
    # empty: no AUTH (a Redis whose default user is open: not for production).
    username: str = ""
    password: str = ""


@dataclass(frozen=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8680
    # Bearer tokens accepted by the API (better: DATADESK_API_TOKENS, comma-separated).
    tokens: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeskSettings:
    queue: str = "desk"
    seats: tuple[str, ...] = ("8601", "8602", "8603", "8604", "8605", "8606")
    # The desk queue's wrapuptime (queues.conf); AMI does not report it.
    wrapup: int = 15
    # Seconds a transferred caller may wait in the desk queue before the
    # callback path (the dialplan global DESK_QUEUE_WAIT, set at every ARI connect).
    queue_wait: int = 120
    # A transfer to a named specialist who is not ready: "group" or "callback".
    named_unavailable: str = "group"
    # The ARI-controlled device whose state is the desk lamp (hint of 8600).
    lamp_device: str = "Stasis:desk"


@dataclass(frozen=True)
class CalendarSettings:
    timezone: str = "Asia/Shanghai"
    # Opening hours of every day, "HH:MM-HH:MM"; weekday_hours overrides
    # single days ("mon".."sun" = "HH:MM-HH:MM" or "closed").
    hours: str = "09:00-22:00"
    weekday_hours: dict[str, str] = field(default_factory=dict)
    # Whole days closed, "YYYY-MM-DD".
    holidays: tuple[str, ...] = ()
    # Minutes of opening time within which a callback must be placed.
    sla_minutes: int = 60


@dataclass(frozen=True)
class TopicSettings:
    # Two-digit code -> topic name. Defaults: ari_app/desk/topics.py.
    live: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LIVE))
    callback_only: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CALLBACK_ONLY))
    out_of_scope: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_OUT_OF_SCOPE))
    # How a code in no list is treated: "live", "callback-only" or "out-of-scope".
    unknown: str = "live"


@dataclass(frozen=True)
class CallbackSettings:
    # Attempts at the customer, and seconds between them (after attempt 1, 2...).
    max_attempts: int = 3
    backoff: tuple[int, ...] = (120, 300, 600)
    # Seconds before trying again when no seat took the callback.
    seat_retry: int = 30
    # Seconds after the SLA deadline during which attempts may still start.
    grace: int = 0
    # Times a callback may be offered to the desk without a seat taking it
    # before it fails (a customer never rung is still called after the deadline).
    seat_tries: int = 10
    # Seconds a callback waits in the desk queue for a seat; the customer rings.
    seat_wait: int = 30
    customer_ring: int = 30
    # Seconds a dialer holds a claimed callback before another may recover it.
    lease: int = 90
    # Numbers that may be called back (regular expressions, whole number).
    allow: tuple[str, ...] = DEFAULT_ALLOW
    # Refused numbers: regular expression -> the reason given.
    deny: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_DENY))
    # Prompt language (Asterisk sounds directory).
    language: str = "en"
    # Rate limits (0: none): requests per number per hour and in all per
    # minute; originations per number per day and in all per minute.
    requests_per_number_hour: int = 5
    requests_per_minute: int = 120
    originations_per_number_day: int = 10
    originations_per_minute: int = 60
    # Days a finished callback (and its event stream) stays in Redis, then expires.
    retention: int = 90


@dataclass(frozen=True)
class Settings:
    ami: AmiSettings = field(default_factory=AmiSettings)
    ari: AriSettings = field(default_factory=AriSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    desk: DeskSettings = field(default_factory=DeskSettings)
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    topics: TopicSettings = field(default_factory=TopicSettings)
    callbacks: CallbackSettings = field(default_factory=CallbackSettings)


_ENV = {
    "DATADESK_AMI_SECRET": ("ami", "secret"),
    "DATADESK_ARI_PASSWORD": ("ari", "password"),
    "DATADESK_REDIS_URL": ("redis", "url"),
    "DATADESK_REDIS_PASSWORD": ("redis", "password"),
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
    if kind == tuple[int, ...]:
        if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise SettingsError(f"{where}: expected a list of integers, got {value!r}")
        return tuple(value)
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
    hints = get_type_hints(Settings)
    known = {f.name for f in fields(Settings)}
    for name in raw:
        if name not in known:
            raise SettingsError(f"[{name}]: unknown section (known: {', '.join(sorted(known))})")
    return validate(Settings(**{name: _section(hints[name], name, raw[name]) for name in raw}))


# -- the domain objects the settings describe ---------------------------------
def build_calendar(s: CalendarSettings) -> ServiceCalendar:
    try:
        return ServiceCalendar.build(s.timezone, s.hours, s.weekday_hours, s.holidays)
    except CalendarError as exc:
        raise SettingsError(f"[calendar] {exc}") from exc


def build_topics(s: TopicSettings) -> TopicCatalogue:
    try:
        unknown = TopicKind(s.unknown)
    except ValueError as exc:
        raise SettingsError(f"[topics] unknown: expected one of "
                            f"{', '.join(k.value for k in TopicKind)}, got {s.unknown!r}") from exc
    try:
        return TopicCatalogue(s.live, s.callback_only, s.out_of_scope, unknown)
    except ValueError as exc:
        raise SettingsError(f"[topics] {exc}") from exc


def build_policy(settings: Settings) -> RoutingPolicy:
    try:
        named = NamedUnavailable(settings.desk.named_unavailable)
    except ValueError as exc:
        raise SettingsError(f"[desk] named_unavailable: expected 'group' or 'callback', got "
                            f"{settings.desk.named_unavailable!r}") from exc
    if settings.calendar.sla_minutes <= 0:
        raise SettingsError("[calendar] sla_minutes: must be positive")
    return RoutingPolicy(named, timedelta(minutes=settings.calendar.sla_minutes))


def build_retry(s: CallbackSettings) -> RetryPolicy:
    if s.max_attempts < 1:
        raise SettingsError("[callbacks] max_attempts: at least 1")
    if any(b < 0 for b in s.backoff) or s.seat_retry < 1 or s.grace < 0:
        raise SettingsError("[callbacks] backoff/seat_retry/grace: must not be negative")
    if s.seat_tries < 1:
        raise SettingsError("[callbacks] seat_tries: at least 1")
    return RetryPolicy(s.max_attempts, s.backoff, s.seat_retry, s.grace, s.seat_tries)


def build_numbers(s: CallbackSettings) -> NumberPolicy:
    import re
    try:
        return NumberPolicy(s.allow, s.deny)
    except re.error as exc:
        raise SettingsError(f"[callbacks] allow/deny: bad pattern: {exc}") from exc


def validate(settings: Settings) -> Settings:
    """Build every domain object once so that a bad value fails at load."""
    build_retry(settings.callbacks)
    build_numbers(settings.callbacks)
    for key in ("seat_wait", "customer_ring", "lease", "retention"):
        if getattr(settings.callbacks, key) < 1:
            raise SettingsError(f"[callbacks] {key}: must be positive")
    build_calendar(settings.calendar)
    build_topics(settings.topics)
    build_policy(settings)
    for key, value in (("[desk] wrapup", settings.desk.wrapup),
                       ("[desk] queue_wait", settings.desk.queue_wait)):
        if value < 0:
            raise SettingsError(f"{key}: must not be negative")
    if any(len(t) < 16 for t in settings.http.tokens):
        raise SettingsError("[http] tokens: each token needs at least 16 characters")
    if not settings.desk.lamp_device.startswith("Stasis:"):
        raise SettingsError("[desk] lamp_device: must be an ARI-controlled device, 'Stasis:<name>'")
    return settings
