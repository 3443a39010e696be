"""The desk's measured traffic, read from its own records in Redis.

Arrivals: the ``route`` events of the desk's event log (``datadesk:events``,
one per transfer, its stream id the time in ms), counted by local hour over
the last ``days`` whole days. Talk: ``answered`` and ``talk_seconds`` of the
daily figures (``datadesk:stats:<day>``, kept 40 days). The event log is
capped (200,000 entries): a window longer than the log holds is shortened
to the days it covers, and said so.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import redis.asyncio as redis

from ..desk.sizing import Profile
from .events import EVENTS
from .stats import counters, day_key

log = logging.getLogger(__name__)
PAGE = 2000
FALLBACK_TALK = 148.0     # seconds: the specification's average, when nothing was answered


def window(days: int, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The last ``days`` whole local days before today: (from, to)."""
    today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days), today


async def transfer_times(client: redis.Redis, start: float, end: float) -> list[float]:
    """Unix seconds of every ``route`` event in [start, end)."""
    times, low = [], f"{int(start * 1000)}-0"
    high = f"{int(end * 1000) - 1}-18446744073709551615"
    while True:
        page = await client.xrange(EVENTS, low, high, count=PAGE)
        for entry_id, fields in page:
            if fields.get("kind") == "route":
                times.append(int(entry_id.split("-")[0]) / 1000)
        if len(page) < PAGE:
            return times
        ms, seq = page[-1][0].split("-")
        low = f"{ms}-{int(seq) + 1}"


async def measured_profile(client: redis.Redis, zone: ZoneInfo, *, days: int, now: datetime,
                           wrapup: float) -> Profile:
    """The profile of the last ``days`` whole days (``decode_responses`` client)."""
    if days < 1:
        raise ValueError("--days must be at least 1")
    start, end = window(days, now, zone)
    hourly = [0.0] * 24
    for ts in await transfer_times(client, start.timestamp(), end.timestamp()):
        hourly[datetime.fromtimestamp(ts, zone).hour] += 1
    answered = talk = 0
    for d in range(days):
        key = day_key((start + timedelta(days=d)).date())
        raw = counters(key, await client.hgetall(key))
        answered += raw.get("answered", 0)
        talk += raw.get("talk_seconds", 0)
    if not answered:
        log.warning("sizing: no answered desk call in the last %d day(s); talk time taken "
                    "as %.0f s", days, FALLBACK_TALK)
    return Profile(days, tuple(v / days for v in hourly),
                   talk / answered if answered else FALLBACK_TALK, float(wrapup), answered)
