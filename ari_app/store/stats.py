"""The desk's figures, kept in Redis as daily aggregates while events happen.

``datadesk:stats:<YYYY-MM-DD>`` (the day in the desk's time zone) is a hash
of counters: ``transfers``, ``repeat`` (a number transferred to the desk
again within 24 hours of its last transfer: ``datadesk:stats:seen:<number>``
holds that time for 24 hours, the seed's repeat-call figure is 1.81%),
``answered`` and ``talk_seconds`` (live desk calls),
``callbacks_requested``, ``callbacks_made`` (the customer was reached),
``callbacks_failed``, ``sla_met``, ``sla_breached`` (of them, callbacks that
kept a slot: ``booked_sla_met``, ``booked_sla_breached``), and the live calls'
figures (``ari_app/desk/figures.py`` names them all); and the same counter
for the hour it happened in, ``<field>@HH`` (``transfers@09``), but for
the seats' own counters (``seat:<id>:...``), kept per day only. Seat minutes
sampled once a minute by the leader (``sample_seats``): ``seat_ready@HH``,
``seat_busy@HH`` (ringing, talking, on hold or in wrap-up). Reading 28 days
is one pipeline of 28 ``HGETALL``. Keys expire after the retention
(``[callbacks] retention``, 90 days), so the history is bounded.

Redis is an input (its admin, or anyone with the controller's login, can
write any value): ``counters`` is the one reader of a day's hash, and a value
that is not a whole count (``1.5``, ``-3``, ``٣``, 30 digits) counts as
nothing, with one WARNING naming the key.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import redis.asyncio as redis

from ..desk.figures import summary
from ..outage import Outage
from .away import STORE_ERRORS

log = logging.getLogger(__name__)
# A caller ID that may name a repeat-call key: digits, an optional "+", bounded
# (the carrier writes it; anything else is not counted as a repeat).
_CALLER = re.compile(r"\+?[0-9]{1,31}", re.ASCII)
PREFIX = "datadesk:stats:"
BUSY = frozenset({"ringing", "in-call", "on-hold", "wrap-up"})
REPEAT_WINDOW = 24 * 3600   # seconds: a transfer this soon after the last is a repeat call
# A count as HINCRBY writes it: ASCII digits, at most 18 (far past any desk,
# within Redis's 64-bit integers). Python's int() would also take "²", "٣",
# " 5", "1_000" or a number thousands of digits long.
_COUNT = re.compile(r"[0-9]{1,18}")
# (key, field, value) already told about, so a wallboard asking every second
# does not repeat the warning; bounded, forgotten when full.
_TOLD: set[tuple[str, str, str]] = set()
_TOLD_MAX = 1024


def counters(key: str, raw: Mapping[str, str]) -> dict[str, int]:
    """The counts of the day hash ``key`` read as ``raw`` (decoded replies).
    A value that is not a whole count counts as nothing (left out), with one
    WARNING naming the key and the fields, once per value per process."""
    good: dict[str, int] = {}
    bad: dict[str, str] = {}
    for field, value in raw.items():
        if isinstance(value, str) and _COUNT.fullmatch(value):
            good[field] = int(value)
        else:
            bad[str(field)] = str(value)
    new = {(key, f, v) for f, v in bad.items()} - _TOLD
    if new:
        if len(_TOLD) + len(new) > _TOLD_MAX:
            _TOLD.clear()
        _TOLD.update(new)
        shown = ", ".join(f"{f[:40]!r}={v[:40]!r}" for f, v in list(bad.items())[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        log.warning("stats: %s holds values that are not whole counts (%s%s): each counts "
                    "as nothing; correct them or delete the fields (HDEL)", key, shown, more)
    return good


def day_key(day: date) -> str:
    return f"{PREFIX}{day.isoformat()}"


async def daily_counters(client: redis.Redis, key_of: Callable[[date], str], first: date,
                         last: date) -> dict[date, dict[str, int]]:
    """Every day's counters from ``first`` to ``last`` (both included), each
    day's hash at ``key_of(day)``, read by ``counters`` in one round trip (a
    day without figures has none)."""
    wanted = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    async with client.pipeline(transaction=False) as pipe:
        for day in wanted:
            pipe.hgetall(key_of(day))
        raws = await pipe.execute()
    return {day: counters(key_of(day), raw) for day, raw in zip(wanted, raws)}


async def count_day(client: redis.Redis, key: str, amounts: Mapping[str, int],
                    keep_seconds: int, outage: Outage) -> None:
    """Add ``amounts`` to the day hash ``key`` and keep it ``keep_seconds``
    more, in one round trip; never raises: a store fault goes to ``outage``
    (one WARNING when counting starts failing, one INFO when it works again,
    each lost count in the loops' failed-step metric), the call that counted
    goes on."""
    try:
        async with client.pipeline(transaction=False) as pipe:
            for field, amount in amounts.items():
                pipe.hincrby(key, field, amount)
            pipe.expire(key, keep_seconds)
            await pipe.execute()
    except STORE_ERRORS as exc:
        outage.failed(exc)
    else:
        outage.succeeded()


class DeskStats:
    def __init__(self, client: redis.Redis, zone: ZoneInfo, *, keep_days: int = 90) -> None:
        self.r, self.zone = client, zone
        self.keep_seconds = (keep_days + 1) * 86400
        # Figures lost while Redis is away: one WARNING when it starts, one
        # INFO when counting works again, every lost count in /metrics
        # (datadesk_loop_failed_steps_total{loop="figures"}), not a line each.
        self.outage = Outage("figures", log, every=1.0)

    def _local(self, when: datetime | None = None) -> datetime:
        return (when or datetime.now(self.zone)).astimezone(self.zone)

    def _key(self, when: datetime | None = None) -> str:
        return day_key(self._local(when).date())

    async def add(self, field: str, amount: int = 1, when: datetime | None = None) -> None:
        """Count ``amount`` for ``field`` today and in this hour (never raises:
        a figure lost to a Redis fault is logged, the call goes on)."""
        await self.count({field: amount}, when)

    async def count(self, amounts: dict[str, int], when: datetime | None = None, *,
                    hourly: bool = True) -> None:
        """Count each field's amount on the day of ``when`` (now), and in its
        hour too unless ``hourly`` is false; one round trip, never raises."""
        local = self._local(when)
        counted = dict(amounts)
        if hourly:
            counted.update({f"{field}@{local.hour:02d}": amount
                            for field, amount in amounts.items()})
        await count_day(self.r, day_key(local.date()), counted, self.keep_seconds,
                        self.outage)

    async def requested(self) -> None:
        await self.add("callbacks_requested")

    async def transfer(self, number: str, when: datetime | None = None, *,
                       offered: bool = False) -> None:
        """A caller transferred to the desk (``offered``: routed to a seat);
        again within 24 hours of their last transfer, a repeat (counted in
        the hour of this one)."""
        await self.count({"transfers": 1, "offered": int(offered)} if offered
                         else {"transfers": 1}, when)
        if not _CALLER.fullmatch(number):   # no caller ID, or none a key should carry
            return
        at = self._local(when).timestamp()
        try:
            last = await self.r.set(f"{PREFIX}seen:{number}", repr(at), ex=REPEAT_WINDOW,
                                    get=True)
        except STORE_ERRORS:   # the transfer's own count has told the outage
            return
        try:
            again = last is not None and abs(at - float(last)) <= REPEAT_WINDOW
        except ValueError:   # not a time the controller wrote: not counted either way
            again = False
        if again:
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
        return await daily_counters(self.r, day_key, first, last)

    async def today_counters(self) -> dict[str, int]:
        """Today's own counters (malformed counts count as nothing); raises
        the store's errors (``store/away.py``)."""
        key = self._key()
        return counters(key, await self.r.hgetall(key))

    async def today(self) -> dict[str, float | int | None]:
        """Today's figures (``summary``); malformed counts count as nothing."""
        return summary(await self.today_counters())
