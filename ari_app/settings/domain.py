"""The domain objects the settings describe, built (and so checked) from them."""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from urllib.parse import urlsplit

from ..asterisk.foreign_replaces import endpoint_of
from ..asterisk.heartbeat import HeartbeatTiming
from ..desk.calendar import CalendarError, ServiceCalendar
from ..desk.callback import LANGUAGES, RetryPolicy
from ..desk.numbers import NumberPolicy
from ..desk.routing import NamedUnavailable, RoutingPolicy
from ..desk.topics import TopicCatalogue, TopicKind
from ..roles import Grant, TokenError, grants
from ..promises import PromiseRules
from ..store.durable import Replication, parse_sentinels
from .schema import (AmiSettings, CalendarSettings, CallbackSettings, DeskSettings, HttpSettings,
                     NotifySettings, RedisSettings, Settings, SettingsError, TopicSettings)


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
    try:
        return NumberPolicy(s.allow, s.deny)
    except re.error as exc:
        raise SettingsError(f"[callbacks] allow/deny: bad pattern: {exc}") from exc


def build_replication(s: RedisSettings) -> Replication:
    """Where the master is found and how many replicas confirm a write."""
    try:
        sentinels = parse_sentinels(s.sentinels)
    except ValueError as exc:
        raise SettingsError(f"[redis] sentinels: {exc}") from exc
    if sentinels and not s.master_name:
        raise SettingsError("[redis] master_name: needed with sentinels (the name they monitor)")
    if s.master_name and not sentinels:
        raise SettingsError("[redis] sentinels: needed with master_name ('host:port' each)")
    if s.wait_replicas < 0:
        raise SettingsError("[redis] wait_replicas: must not be negative")
    if s.wait_timeout < 1:
        raise SettingsError("[redis] wait_timeout: at least 1 (milliseconds)")
    if sentinels and s.wait_replicas < 1:
        raise SettingsError("[redis] wait_replicas: at least 1 with sentinels: a write only "
                            "the master has is lost when a replica takes over")
    return Replication(sentinels, s.master_name, s.wait_replicas, s.wait_timeout)


def build_heartbeat(s: AmiSettings) -> HeartbeatTiming:
    """The AMI link's heartbeat from ``[ami]``: a ping after 0.5-60 s of
    silence (0: no heartbeat), given up 1-120 s after an unanswered ping."""
    if s.heartbeat_interval != 0 and not 0.5 <= s.heartbeat_interval <= 60:
        raise SettingsError("[ami] heartbeat_interval: 0 (no heartbeat) or from 0.5 to 60 "
                            "seconds")
    if not 1 <= s.heartbeat_timeout <= 120:
        raise SettingsError("[ami] heartbeat_timeout: from 1 to 120 seconds")
    return HeartbeatTiming(interval=s.heartbeat_interval, timeout=s.heartbeat_timeout)


def validate(settings: Settings) -> Settings:
    """Build every domain object once so that a bad value fails at load."""
    build_retry(settings.callbacks)
    build_numbers(settings.callbacks)
    build_replication(settings.redis)
    for key in ("seat_wait", "customer_ring", "lease", "retention"):
        if getattr(settings.callbacks, key) < 1:
            raise SettingsError(f"[callbacks] {key}: must be positive")
    _check_alerts(settings.callbacks)
    build_promise_rules(settings)
    check_notify(settings.notify)
    for key, value in (("[callbacks] language", settings.callbacks.language),
                       ("[desk] screen_language", settings.desk.screen_language)):
        if value not in LANGUAGES:
            raise SettingsError(f"{key}: expected one of {', '.join(LANGUAGES)}, got {value!r}")
    known = {*settings.topics.live.values(), *settings.topics.callback_only.values(),
             *settings.topics.out_of_scope.values()}
    for topic, value in settings.topics.languages.items():
        if topic not in known or value not in LANGUAGES:
            raise SettingsError(f"[topics] languages: {topic!r} = {value!r}: expected a known "
                                f"topic name and one of {', '.join(LANGUAGES)}")
    build_calendar(settings.calendar)
    build_topics(settings.topics)
    build_policy(settings)
    for key, value in (("[desk] wrapup", settings.desk.wrapup),
                       ("[desk] queue_wait", settings.desk.queue_wait)):
        if value < 0:
            raise SettingsError(f"{key}: must not be negative")
    build_grants(settings.http)
    build_heartbeat(settings.ami)
    if not 1 <= settings.quality.survey_wait <= 30:
        raise SettingsError("[quality] survey_wait: from 1 to 30 seconds")
    if settings.quality.retention_days < 1:
        raise SettingsError("[quality] retention_days: must be positive")
    for phone in settings.desk.seats + settings.desk.frontline_phones:
        if endpoint_of(f"PJSIP/{phone}-00000000") != phone:
            raise SettingsError(f"[desk] seats/frontline_phones: {phone!r} is not a PJSIP "
                                "endpoint name (letters, digits, '_', '.', '-'; at most 64)")
    _check_figures(settings.desk)
    if not settings.desk.lamp_device.startswith("Stasis:"):
        raise SettingsError("[desk] lamp_device: must be an ARI-controlled device, 'Stasis:<name>'")
    return settings


def build_grants(s: HttpSettings) -> list[Grant]:
    """Every API token with its role (``ari_app/roles.py``)."""
    try:
        return grants(s.tokens, s.supervisor_tokens)
    except TokenError as exc:
        raise SettingsError(f"[http] tokens: {exc}") from exc


def build_promise_rules(settings: Settings) -> PromiseRules:
    """How the desk promises (``ari_app/promises.py``), from ``[callbacks]``."""
    cb = settings.callbacks
    if not 5 <= cb.slot_minutes <= 24 * 60:
        raise SettingsError("[callbacks] slot_minutes: from 5 to 1440")
    if not 0 <= cb.slots_offered <= 8:
        raise SettingsError("[callbacks] slots_offered: from 0 to 8 (keys 2 to 9)")
    if not 1 <= cb.book_days <= 60:
        raise SettingsError("[callbacks] book_days: from 1 to 60")
    return PromiseRules(timedelta(minutes=cb.slot_minutes), cb.slots_offered, cb.book_days,
                        cb.overnight_slots, len(settings.desk.seats))


def check_notify(s: NotifySettings) -> None:
    """``[notify]``: an https URL, or http to a loopback address (a gateway on
    this host); a secret of at least 16 characters with it (never echoed)."""
    if not s.url:
        return
    parts = urlsplit(s.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError("[notify] url: expected an https:// URL")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise SettingsError("[notify] url: must be https:// (http:// only to a loopback "
                            "address: the confirmation carries the customer's number)")
    if len(s.secret) < 16:
        raise SettingsError("[notify] secret: at least 16 characters are needed to sign the "
                            "confirmations (better: DATADESK_NOTIFY_SECRET)")
    if not 0 < s.timeout <= 60 or not 0 < s.backoff <= s.backoff_max <= 86400:
        raise SettingsError("[notify] timeout/backoff/backoff_max: timeout above 0 and at "
                            "most 60 s, 0 < backoff <= backoff_max <= 86400 s")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,19}")


def _check_figures(desk: DeskSettings) -> None:
    """The service level, its colours and the pause reasons' codes and names."""
    if not 1 <= desk.service_level <= 3600:
        raise SettingsError("[desk] service_level: seconds from 1 to 3600")
    colours = desk.service_level_colours
    if not set(colours) <= {"green", "amber"} or not all(0 <= v <= 100 for v in colours.values()) \
            or colours.get("green", 100) < colours.get("amber", 0):
        raise SettingsError("[desk] service_level_colours: green and amber, each a percent "
                            "(0-100), green at least amber")
    for code, names in desk.pause_reasons.items():
        if not _CODE.fullmatch(code) or len(names) != 2 or not all(n.strip() for n in names):
            raise SettingsError(f"[desk] pause_reasons: {code!r} = {list(names)!r}: a code of "
                                "lower-case letters, digits and '-', with its Chinese and its "
                                "English name")
    if "other" not in desk.pause_reasons:
        raise SettingsError("[desk] pause_reasons: needs \"other\" (a reason not listed counts "
                            "as it)")


def _check_alerts(cb: CallbackSettings) -> None:
    if cb.at_risk < 0 or cb.alert_retries < 0 or cb.reserve < 0:
        raise SettingsError("[callbacks] at_risk/alert_retries/reserve: must not be negative")
    if not 0 < cb.alert_timeout <= 60:
        raise SettingsError("[callbacks] alert_timeout: must be above 0 and at most 60 s")
    if cb.alert_url and not cb.alert_url.startswith(("http://", "https://")):
        raise SettingsError("[callbacks] alert_url: must be an http:// or https:// URL")
