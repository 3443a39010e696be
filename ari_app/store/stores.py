"""The desk's stores on one Redis connection, each a typed repository: the
one place a connection's client is handed to the code that reads and writes
Redis (the wiring, the CLI and the tests ask for these, never for the
client)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

import redis.asyncio as redis

from ..settings import Settings
from .callback_store import CallbackStore
from .events import EventLog
from .leases import LeaderLease
from .limits import RateLimits
from .outbox import Outbox
from .stats import DeskStats


class Link(Protocol):
    """A Redis connection (``connection.RedisStore``, or a test's stand-in)."""
    client: redis.Redis


@dataclass(frozen=True)
class Stores:
    callbacks: CallbackStore
    stats: DeskStats
    events: EventLog
    limits: RateLimits
    lease: LeaderLease
    outbox: Outbox

    @classmethod
    def of(cls, link: Link, settings: Settings) -> Stores:
        """The stores on ``link`` with the settings' retention (``[callbacks]
        retention``, days) and the desk's time zone (the daily figures' days)."""
        client, keep = link.client, settings.callbacks.retention
        return cls(CallbackStore(client, retention=keep * 86400),
                   DeskStats(client, ZoneInfo(settings.calendar.timezone), keep_days=keep),
                   EventLog(client), RateLimits(client), LeaderLease(client), Outbox(client))
