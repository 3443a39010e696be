"""The desk's figures, kept in Redis as daily aggregates while events happen.

``datadesk:stats:<YYYY-MM-DD>`` (the day in the desk's time zone) is a hash
of counters: ``transfers``, ``repeat`` (a number transferred to the desk
again the same day), ``answered`` and ``talk_seconds`` (live desk calls),
``callbacks_requested``, ``callbacks_made`` (the customer was reached),
``callbacks_failed``, ``sla_met``, ``sla_breached``; and the same counter for
the hour it happened in, ``<field>@HH`` (``transfers@09``). Seat minutes
sampled once a minute by the leader (``sample_seats``): ``seat_ready@HH``,
``seat_busy@HH`` (ringing, talking, on hold or in wrap-up). Reading 28 days
is one pipeline of 28 ``HGETALL``. Keys expire after the retention
(``[callbacks] retention``, 90 days), so the history is bounded.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
PREFIX = "datadesk:stats:"
FIELDS = ("transfers", "repeat", "answered", "talk_seconds", "callbacks_requested",
          "callbacks_made", "callbacks_failed", "sla_met", "sla_breached")
BUSY = frozenset({"ringing", "in-call", "on-hold", "wrap-up"})


def day_key(day: date) -> str:
    return f"{PREFIX}{day.isoformat()}"


class DeskStats:
    def __init__(self, client: redis.Redis, zone: ZoneInfo, *, keep_days: int = 90) -> None:
        self.r, self.zone = client, zone
        self.keep_seconds = (keep_days + 1) * 86400

    def _local(self, when: datetime | None = None) -> datetime:
        return (when or datetime.now(self.zone)).astimezone(self.zone)

    def _key(self, when: datetime | None = None) -> str:
        return day_key(self._local(when).date())

    async def add(self, field: str, amount: int = 1, when: datetime | None = None) -> None:
        """Count ``amount`` for ``field`` today and in this hour (never raises:
        a figure lost to a Redis fault is logged, the call goes on)."""
        local = self._local(when)
        key = day_key(local.date())
        try:
            async with self.r.pipeline(transaction=False) as pipe:
                pipe.hincrby(key, field, amount)
                pipe.hincrby(key, f"{field}@{local.hour:02d}", amount)
                pipe.expire(key, self.keep_seconds)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("stats: %s not counted: %s", field, exc)

    async def requested(self) -> None:
        await self.add("callbacks_requested")

    async def transfer(self, number: str, when: datetime | None = None) -> None:
        """A caller transferred to the desk; a second time that day is a repeat."""
        key = self._key(when)
        await self.add("transfers", 1, when)
        if number:
            try:
                first = await self.r.sadd(f"{key}:callers", number)
                await self.r.expire(f"{key}:callers", self.keep_seconds)
            except (RedisError, OSError):
                return
            if not first:
                await self.add("repeat", 1, when)

    async def sample_seats(self, activities: list[str], when: datetime | None = None) -> None:
        """One minute of the seats' activities: seat-minutes ready and busy."""
        ready = sum(a == "ready" for a in activities)
        busy = sum(a in BUSY for a in activities)
        if ready:
            await self.add("seat_ready", ready, when)
        if busy:
            await self.add("seat_busy", busy, when)

    async def days(self, first: date, last: date) -> dict[date, dict[str, int]]:
        """Every day's raw counters from ``first`` to ``last`` (both included;
        a day without figures is all zeros)."""
        wanted = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        async with self.r.pipeline(transaction=False) as pipe:
            for day in wanted:
                pipe.hgetall(day_key(day))
            raws = await pipe.execute()
        return {day: {k: int(v) for k, v in raw.items()} for day, raw in zip(wanted, raws)}

    async def today(self) -> dict[str, float]:
        raw = await self.r.hgetall(self._key())
        return summary({k: int(v) for k, v in raw.items()})


def summary(raw: dict[str, int]) -> dict[str, float | int | None]:
    """The derived figures of one day (or any sum of days): None where
    nothing was there to measure (no call answered: no average talk time)."""
    figures = {f: int(raw.get(f, 0)) for f in FIELDS}
    answered, transfers = figures["answered"], figures["transfers"]
    judged = figures["sla_met"] + figures["sla_breached"]
    ready, busy = raw.get("seat_ready", 0), raw.get("seat_busy", 0)
    return {
        **figures,
        "average_talk_seconds": round(figures["talk_seconds"] / answered, 1) if answered else None,
        "target_talk_seconds": 148,
        "sla_met_percent": round(100 * figures["sla_met"] / judged, 1) if judged else None,
        "repeat_rate_percent": round(100 * figures["repeat"] / transfers, 2) if transfers else None,
        "occupancy_percent": round(100 * busy / (ready + busy), 1) if ready + busy else None,
    }
