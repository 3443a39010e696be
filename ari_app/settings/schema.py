"""The settings' shape: one frozen dataclass a section, with its defaults.

These defaults are the only ones: the adapters take their values from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..desk.callback import RetryPolicy
from ..desk.numbers import DEFAULT_ALLOW, DEFAULT_DENY
from ..desk.pauses import DEFAULT_PAUSE_REASONS
from ..desk.topics import DEFAULT_CALLBACK_ONLY, DEFAULT_LIVE, DEFAULT_OUT_OF_SCOPE


class SettingsError(ValueError):
    """A settings value is missing, unknown or of the wrong type."""


@dataclass(frozen=True)
class AmiSettings:
    """[ami]: the Asterisk Manager Interface the controller logs in to."""

    host: str = "127.0.0.1"
    port: int = 5038
    # The manager.conf user; least privilege is checked by check-config.
    username: str = "datadesk"
    secret: str = ""  # better: DATADESK_AMI_SECRET
    # The link's heartbeat: a Ping after this many seconds without a word
    # from Asterisk (0: none), the link given up when nothing at all came
    # back this many seconds after it (a frozen PBX: the board is stale).
    heartbeat_interval: float = 2.0
    heartbeat_timeout: float = 4.0


@dataclass(frozen=True)
class AriSettings:
    """[ari]: the Asterisk REST Interface and the Stasis application's name."""

    url: str = "http://127.0.0.1:8088"  # Asterisk's HTTP server (http.conf), without /ari
    username: str = "datadesk"  # the ari.conf user
    password: str = ""  # better: DATADESK_ARI_PASSWORD
    # The Stasis application the dialplan sends transferred callers to.
    app: str = "datadesk"


@dataclass(frozen=True)
class RedisSettings:
    """[redis]: where callbacks, the leader lease and the event log live."""

    url: str = "redis://127.0.0.1:6379/0"
    # The controller's own ACL user (ari_app/store/acl.py lists what it may do);
    # empty: no AUTH (a Redis whose default user is open: not for production).
    username: str = ""
    password: str = ""
    # Sentinel: "host:port" of each sentinel and the master's name; the url is
    # then unused and the controller follows the master through failovers.
    sentinels: tuple[str, ...] = ()
    master_name: str = ""
    # Replicas that must confirm each write before it counts (WAIT); at least
    # 1 with sentinels, so that an acknowledged callback survives a failover.
    wait_replicas: int = 0
    wait_timeout: int = 500  # milliseconds


@dataclass(frozen=True)
class HttpSettings:
    """[http]: where the API, health, metrics and the wallboard listen."""

    host: str = "127.0.0.1"
    port: int = 8680
    # Bearer tokens accepted by the API, each "ROLE:TOKEN" (better:
    # DATADESK_API_TOKENS, comma-separated); roles in ari_app/roles.py.
    tokens: tuple[str, ...] = ()
    # Deprecated (each acts as admin): write "supervisor:TOKEN" in tokens.
    supervisor_tokens: tuple[str, ...] = ()


@dataclass(frozen=True)
class LogSettings:
    """[logs]: what the controller's log may hold."""

    # Customers' numbers in full (personal data) instead of their last four
    # digits, as the wallboard shows them; said at every start.
    full_numbers: bool = False


@dataclass(frozen=True)
class DeskSettings:
    """[desk]: the desk queue, its seats and how transfers to it behave."""

    queue: str = "desk"
    seats: tuple[str, ...] = ("8601", "8602", "8603", "8604", "8605", "8606")
    # The frontline phones' PJSIP endpoints: with the seats, the endpoint names
    # /metrics may carry (an attended transfer taking over another endpoint's
    # call, counted by phone; any other endpoint is counted as "other").
    frontline_phones: tuple[str, ...] = ("1001", "1002")
    # The desk queue's wrapuptime (queues.conf); AMI does not report it.
    wrapup: int = 15
    # Seconds a transferred caller may wait in the desk queue before the
    # callback path (the dialplan global DESK_QUEUE_WAIT, set at every ARI connect).
    queue_wait: int = 120
    # A transfer to a named specialist who is not ready: "group" or "callback".
    named_unavailable: str = "group"
    # The ARI-controlled device whose state is the desk lamp (hint of 8600).
    lamp_device: str = "Stasis:desk"
    # Names shown on the wallboard, agent ID -> name (default: the agent ID).
    seat_names: dict[str, str] = field(default_factory=dict)
    # The language of the operator's screens (the wallboard, the reports page and
    # the command line's tables): zh or en; a browser's Accept-Language wins on pages.
    screen_language: str = "zh"
    # Seconds within which a seat answers a live transfer for the service
    # level (the queue's own servicelevel in queues.conf must say the same).
    service_level: int = 20
    # The service level's colours on the screens: colour -> the least percent
    # that earns it (green, amber); below them all it is red.
    service_level_colours: dict[str, int] = field(
        default_factory=lambda: {"green": 80, "amber": 60})
    # Pause reason codes (as DESK_PAUSE_REASON_<n> in extensions.conf names
    # them) -> [Chinese name, English name]; a reason not here counts as "other".
    pause_reasons: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_PAUSE_REASONS))


@dataclass(frozen=True)
class CalendarSettings:
    """[calendar]: opening hours, holidays and the callback SLA."""

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
    """[topics]: which transfer topics go live, to a callback, or elsewhere."""

    # Two-digit code -> topic name. Defaults: ari_app/desk/topics.py.
    live: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LIVE))
    callback_only: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CALLBACK_ONLY))
    out_of_scope: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_OUT_OF_SCOPE))
    # How a code in no list is treated: "live", "callback-only" or "out-of-scope".
    unknown: str = "live"
    # Topic name -> the language its callers hear (zh, en) instead of
    # [callbacks] language; DESK_LANGUAGE set by the IVR still wins.
    languages: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CallbackSettings:
    """[callbacks]: how callbacks are dialled, limited and kept."""

    # The retry defaults are the domain's (desk.callback.RetryPolicy).
    # Attempts at the customer, and seconds between them (after attempt 1, 2...).
    max_attempts: int = RetryPolicy.max_attempts
    backoff: tuple[int, ...] = RetryPolicy.backoff
    # Seconds before trying again when no seat took the callback.
    seat_retry: int = RetryPolicy.seat_retry
    # Seconds after the SLA deadline during which attempts may still start.
    grace: int = RetryPolicy.grace
    # Times a callback may be offered to the desk without a seat taking it
    # before it fails (a customer never rung is still called after the deadline).
    seat_tries: int = RetryPolicy.seat_tries
    # Seconds a callback waits in the desk queue for a seat; the customer rings.
    seat_wait: int = 30
    customer_ring: int = 30
    # Seconds a dialer holds a claimed callback before another may recover it.
    lease: int = 90
    # Numbers that may be called back (regular expressions, whole number).
    allow: tuple[str, ...] = DEFAULT_ALLOW
    # Refused numbers: regular expression -> the reason given.
    deny: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_DENY))
    # The desk's language (zh Mandarin, en English): prompts (Asterisk sounds
    # directory) unless DESK_LANGUAGE on the channel says otherwise.
    language: str = "zh"
    # Rate limits (0: none): requests per number per hour and in all per
    # minute; originations per number per day and in all per minute.
    requests_per_number_hour: int = 5
    requests_per_minute: int = 120
    originations_per_number_day: int = 10
    originations_per_minute: int = 60
    # Days a finished callback (and its event stream) stays in Redis, then expires.
    retention: int = 90
    # Minutes before its deadline at which a callback never dialled is at risk
    # (an event, a metric, the wallboard's amber, the webhook); 0: off.
    at_risk: int = 15
    # An at-risk callback takes the next free seat even while live callers wait
    # (off: in the SLA simulation it kept no more promises and cost live callers).
    escalate: bool = False
    # Ready seats kept for live transfers while no callback is at risk (0: none).
    reserve: int = 0
    # The customer's time (ari_app/desk/promise.py): the booking grid's slot
    # length, slots offered at capture (0: none), how many days ahead a slot
    # may be booked, and whether a request made while closed is given the
    # first morning slot with room instead of every one sharing the first hour.
    slot_minutes: int = 60
    slots_offered: int = 3
    book_days: int = 7
    overnight_slots: bool = True
    # POST a JSON alert for each callback newly at risk ("" = none); seconds
    # per try, and tries after the first (with back-off).
    alert_url: str = ""
    alert_timeout: float = 3.0
    alert_retries: int = 3


@dataclass(frozen=True)
class NotifySettings:
    """[notify]: confirmations to customers through the operator's message gateway."""

    # The gateway's webhook ("" = none sent): https, or http to a loopback
    # address only. Each POST is signed with the secret (better:
    # DATADESK_NOTIFY_SECRET): X-Datadesk-Signature: sha256=<HMAC of the body>.
    url: str = ""
    secret: str = ""
    # Seconds per try; seconds before the first retry (doubling), and at most.
    timeout: float = 5.0
    backoff: float = 5.0
    backoff_max: float = 600.0


@dataclass(frozen=True)
class QualitySettings:
    """[quality]: recording every desk call, the survey, and their keeping."""

    # The notice ("this call may be recorded") before a desk call is recorded.
    notice: bool = True
    # The satisfaction survey when the seat hangs up first; seconds to key 1-3.
    survey: bool = True
    survey_wait: int = 6
    # Days a recording (file and record) is kept; one under review is kept
    # until its review ends.
    retention_days: int = 180


@dataclass(frozen=True)
class Settings:
    """Every section; built by ``load_settings``."""

    ami: AmiSettings = field(default_factory=AmiSettings)
    ari: AriSettings = field(default_factory=AriSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    logs: LogSettings = field(default_factory=LogSettings)
    desk: DeskSettings = field(default_factory=DeskSettings)
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    topics: TopicSettings = field(default_factory=TopicSettings)
    callbacks: CallbackSettings = field(default_factory=CallbackSettings)
    quality: QualitySettings = field(default_factory=QualitySettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
