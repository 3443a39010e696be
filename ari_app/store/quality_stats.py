"""The quality figures, kept in Redis as daily counters while events happen.

``datadesk:quality:<YYYY-MM-DD>`` (the day of the call, in the desk's time
zone) holds ``surveyed`` (the survey was offered: the seat hung up first),
``rated`` (a key 1-3), ``satisfied``, ``acceptable``, ``dissatisfied`` and
``not_rated``; each also per hour of the call (``rated@09``), per seat
(``rated#8601``) and per topic (``rated%wlan``). ``score_sum#<seat>`` and
``scored#<seat>`` hold the standing QA scores of the seat's calls that day
(a changed score moves the sum, never counts twice). Keys expire after the
recordings' retention. Read through ``stats.daily_counters``: a value that is not
a whole count counts as nothing.

The seat and topic come from a recording's record, which anyone who can
write to Redis can change: one not of a seat's or a topic's shape (a ``#``,
``%`` or ``@`` would split the field wrongly; a ``=`` first would be a
spreadsheet formula in the CSV) is left out of the field names, with a
WARNING, and the answer still counts for the day and the hour.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import redis.asyncio as redis

from ..outage import Outage
from .stats import count_day, daily_counters

log = logging.getLogger(__name__)
PREFIX = "datadesk:quality:"
RATED = ("satisfied", "acceptable", "dissatisfied")
_SEAT = re.compile(r"[0-9A-Za-z]{1,32}")          # an agent ID, as the dialplan's seats
_TOPIC = re.compile(r"[^\W_][\w.-]{0,63}")         # a topic slug: a letter or digit first


def _shaped(what: str, value: str, shape: re.Pattern[str]) -> str:
    """``value`` if of its ``shape`` (or empty), else empty with a WARNING."""
    if not value or shape.fullmatch(value):
        return value
    log.warning("quality figures: a recording's %s %r is not one; counted without it",
                what, value[:40])
    return ""


def day_key(day: date) -> str:
    return f"{PREFIX}{day.isoformat()}"


class QualityStats:
    def __init__(self, client: redis.Redis, zone: ZoneInfo, *, keep_days: int) -> None:
        self.r, self.zone = client, zone
        self.keep_seconds = (keep_days + 1) * 86400
        self.outage = Outage("quality figures", log, every=1.0)

    async def _count(self, at: float, amounts: dict[str, int]) -> None:
        day = datetime.fromtimestamp(at, self.zone).date()
        await count_day(self.r, day_key(day), amounts, self.keep_seconds,
                        self.outage)

    async def rated(self, at: float, seat: str, topic: str, rating: str) -> None:
        """One survey answered (``rating`` satisfied/acceptable/dissatisfied/not-rated)
        for a call that started at ``at`` (epoch seconds)."""
        hour = datetime.fromtimestamp(at, self.zone).hour
        seat, topic = _shaped("seat", seat, _SEAT), _shaped("topic", topic, _TOPIC)
        names = ["surveyed", "rated", rating.replace("-", "_")] if rating in RATED \
            else ["surveyed", "not_rated"]
        amounts: dict[str, int] = {}
        for name in names:
            for field in (name, f"{name}@{hour:02d}", f"{name}#{seat}" if seat else "",
                          f"{name}%{topic}" if topic else ""):
                if field:
                    amounts[field] = 1
        await self._count(at, amounts)

    async def scored(self, at: float, seat: str, score_change: int, count_change: int) -> None:
        """A standing QA score of the seat's call changed by ``score_change``
        (``count_change`` 1 for a first score)."""
        seat = _shaped("seat", seat, _SEAT)
        if seat and (score_change or count_change):
            await self._count(at, {f"score_sum#{seat}": score_change,
                                   f"scored#{seat}": count_change})

    async def days(self, first: date, last: date) -> dict[date, dict[str, int]]:
        """Every day's counters from ``first`` to ``last`` (both included)."""
        return await daily_counters(self.r, day_key, first, last)
