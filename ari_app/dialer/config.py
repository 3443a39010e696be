"""The dialer's settings and the ports it is given, each as one object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..desk.calendar import ServiceCalendar
from ..desk.callback import RetryPolicy
from ..desk.numbers import NumberPolicy
from ..settings import CallbackSettings, build_numbers, build_retry
from ..ports import AmiPort, AriRest, CallbackStorePort


@dataclass(frozen=True)
class DialerSettings:
    """Timings and limits of attempts; built from ``[callbacks]`` (whose
    defaults are the only ones)."""
    seat_wait: int          # seconds an attempt waits in the desk queue for a seat
    customer_ring: int      # seconds the customer's phone rings
    lease: float            # seconds a claim is held before recovery may take it
    per_number_day: int     # originations per number per day (toll-fraud guard)
    per_minute: int         # originations in all per minute
    tick: float = 1.0       # seconds between the dialer's steps

    @classmethod
    def of(cls, cb: CallbackSettings | None = None, *, tick: float = 1.0) -> DialerSettings:
        cb = CallbackSettings() if cb is None else cb
        return cls(cb.seat_wait, cb.customer_ring, float(cb.lease),
                   cb.originations_per_number_day, cb.originations_per_minute, tick)


@dataclass(frozen=True)
class DialerRules:
    """What the dialer decides by: the desk's hours, the retry rule, the number
    policy and its own timings."""
    calendar: ServiceCalendar
    retry: RetryPolicy
    numbers: NumberPolicy
    timing: DialerSettings
    at_risk: int = 15       # minutes: a never-dialled callback this near its deadline is at risk
    escalate: bool = False  # an at-risk callback goes ahead of live callers
    reserve: int = 0        # ready seats kept for live callers while no callback is at risk

    @classmethod
    def of(cls, calendar: ServiceCalendar, cb: CallbackSettings | None = None, *,
           tick: float = 1.0) -> DialerRules:
        cb = CallbackSettings() if cb is None else cb
        return cls(calendar, build_retry(cb), build_numbers(cb), DialerSettings.of(cb, tick=tick),
                   at_risk=cb.at_risk, escalate=cb.escalate, reserve=cb.reserve)


@dataclass(frozen=True)
class DialerPorts:
    """Asterisk (AMI, ARI) and the store; daily figures and the origination
    rate limit are optional (None: not counted, not limited)."""
    ami: AmiPort
    ari: AriRest
    store: CallbackStorePort
    stats: Any = None
    limits: Any = None
