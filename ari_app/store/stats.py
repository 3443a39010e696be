"""Today's figures of the desk, kept in Redis per local day.

``datadesk:stats:<YYYY-MM-DD>`` (the desk's time zone) is a hash of counters:
transfers, repeat (a number transferred to the desk again the same day),
answered and talk_seconds (live desk calls, from Asterisk's AgentComplete),
callbacks_made, sla_met, sla_breached. Keys expire after 40 days.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
KEEP_SECONDS = 40 * 86400
FIELDS = ("transfers", "repeat", "answered", "talk_seconds", "callbacks_made", "sla_met",
          "sla_breached")


class DeskStats:
    def __init__(self, client: redis.Redis, zone: ZoneInfo) -> None:
        self.r, self.zone = client, zone

    def _key(self, when: datetime | None = None) -> str:
        day = (when or datetime.now(self.zone)).astimezone(self.zone).date().isoformat()
        return f"datadesk:stats:{day}"

    async def add(self, field: str, amount: int = 1) -> None:
        key = self._key()
        try:
            async with self.r.pipeline(transaction=False) as pipe:
                pipe.hincrby(key, field, amount)
                pipe.expire(key, KEEP_SECONDS)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("stats: %s not counted: %s", field, exc)

    async def transfer(self, number: str) -> None:
        """A caller transferred to the desk; a second time today is a repeat."""
        key = self._key()
        await self.add("transfers")
        if number:
            try:
                first = await self.r.sadd(f"{key}:callers", number)
                await self.r.expire(f"{key}:callers", KEEP_SECONDS)
            except (RedisError, OSError):
                return
            if not first:
                await self.add("repeat")

    async def today(self) -> dict[str, float]:
        raw = await self.r.hgetall(self._key())
        figures = {f: int(raw.get(f, 0)) for f in FIELDS}
        answered, transfers = figures["answered"], figures["transfers"]
        judged = figures["sla_met"] + figures["sla_breached"]
        return {
            **figures,
            "average_talk_seconds": round(figures["talk_seconds"] / answered, 1) if answered else None,
            "target_talk_seconds": 148,
            "sla_met_percent": round(100 * figures["sla_met"] / judged, 1) if judged else None,
            "repeat_rate_percent": round(100 * figures["repeat"] / transfers, 2) if transfers else None,
        }
