"""``datadesk sizing``: the desk's measured traffic per local hour, the
Erlang C seats for 80/20 and, with ``--simulate``, the simulated SLA met %
per seat count (the real dialer on a virtual clock, ``simulation/``, fed the
measured profile).

One measurement of offered traffic, the daily figures (``store/stats.py``):
transfers per local hour from ``transfers@HH`` (counted with each routing
decision), talk time from ``answered`` and ``talk_seconds``. The reports
page sizes from the same figures (``profile_from_days``), so the page and
the command cannot disagree. ``sizing_rows`` gives the per-hour rows
without the simulation (minutes of CPU, not for a request).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError

from .desk.sizing import SEAT_RANGE, TALK_MEAN, HourRow, Profile, hourly_rows, with_simulation
from .settings import Settings
from .store.connection import RedisStore
from .store.stats import DeskStats
from .store.stores import Stores

log = logging.getLogger(__name__)


def whole_days(days: int, now: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The last ``days`` (at least 1) whole local days before today: (first,
    last), both included."""
    today = now.astimezone(zone).date()
    return today - timedelta(days=days), today - timedelta(days=1)


def profile_of_days(raws: list[dict[str, int]], wrapup: float) -> Profile:
    """The profile of whole days given as their raw daily counters
    (``DeskStats.days``, at least one): transfers per local hour averaged
    over the days, talk time ``talk_seconds`` over ``answered`` (the
    specification's average when nothing was answered)."""
    def total(field: str) -> int:
        # A counter only ever grows from 0: a negative one (written into
        # Redis by hand) counts as nothing.
        return sum(max(raw.get(field, 0), 0) for raw in raws)
    hourly = [total(f"transfers@{hour:02d}") for hour in range(24)]
    answered, talk = total("answered"), total("talk_seconds")
    return Profile(len(raws), tuple(v / len(raws) for v in hourly),
                   talk / answered if answered > 0 and talk > 0 else TALK_MEAN,
                   float(wrapup), answered)


def profile_from_days(raws: list[dict[str, int]], wrapup: float) -> Profile | None:
    """``profile_of_days``, or None when the days hold no transfer (nothing
    measured: no profile to size from)."""
    profile = profile_of_days(raws, wrapup) if raws else None
    return profile if profile is not None and profile.per_day > 0 else None


async def measured_profile(stats: DeskStats, settings: Settings, *, days: int = 7,
                           now: datetime | None = None) -> Profile:
    """The profile of the last ``days`` whole local days before ``now``."""
    zone = ZoneInfo(settings.calendar.timezone)
    first, last = whole_days(days, now or datetime.now(zone), zone)
    profile = profile_of_days(list((await stats.days(first, last)).values()),
                              settings.desk.wrapup)
    if not profile.answered:
        log.warning("sizing: no answered desk call in the last %d day(s); talk time taken "
                    "as %.0f s", days, TALK_MEAN)
    return profile


async def sizing_rows(stats: DeskStats, settings: Settings, *, days: int = 7,
                      now: datetime | None = None) -> list[dict]:
    """Per local hour (0..23): ``hour``, ``arrivals`` (transfers a day),
    ``erlangs`` (offered), ``seats_80_20`` (Erlang C), ``sla_met`` ({} here),
    over the last ``days`` whole days."""
    profile = await measured_profile(stats, settings, days=days, now=now)
    return [asdict(r) for r in hourly_rows(profile)]


def simulated(profile: Profile, settings: Settings | None = None, seed: int = 1,
              seats: Iterable[int] = SEAT_RANGE) -> dict[int, dict[int, float]]:
    """SLA met % by seat count and request hour under ``settings`` (the
    desk's calendar and callback rules; wrap-up from the profile)."""
    from .simulation.day import Load, met_by_hour, simulate_run

    load = Load(profile.shares, profile.talk_mean)
    settings = settings or Settings()
    settings = replace(settings, desk=replace(settings.desk, wrapup=round(profile.wrapup)))
    zone = ZoneInfo(settings.calendar.timezone)
    out: dict[int, dict[int, float]] = {}
    for count in seats:
        run = simulate_run(count, round(profile.per_day), 1, seed, settings, load)
        out[count] = met_by_hour(run, zone)
    return out


def render(profile: Profile, rows: list[HourRow]) -> str:
    seats = sorted({s for r in rows for s in r.sla_met})
    head = (f"measured over {profile.days} day(s): {profile.per_day:.0f} transfers a day, "
            f"talk {profile.talk_mean:.0f} s (from {profile.answered} answered calls), "
            f"wrap-up {profile.wrapup:.0f} s\n"
            "hour  arrivals  erlangs  seats(80/20)" + "".join(f"  met@{s}" for s in seats))
    lines = [head]
    for r in rows:
        met = "".join(f"  {r.sla_met[s]:5.1f}" if s in r.sla_met else "      -"
                      for s in seats)
        lines.append(f"{r.hour:02d}h  {r.arrivals:8.1f}  {r.erlangs:7.2f}  "
                     f"{r.seats_80_20:12d}{met}")
    return "\n".join(lines)


def read_profile(settings: Settings, days: int) -> Profile:
    """The measured profile from the desk's Redis, through the connection
    the controller uses (its user, its Sentinel set); raises ``RedisError``
    or ``OSError`` when Redis cannot be read."""
    async def read() -> Profile:
        link = RedisStore.from_settings(settings.redis)
        try:
            return await measured_profile(Stores.of(link, settings).stats, settings, days=days)
        finally:
            await link.stop()
    return asyncio.run(read())


def saved_profile(path: str) -> Profile:
    """A profile saved by ``datadesk sizing --json`` (its ``profile``, or the
    profile alone); ``ValueError`` (with the file's name) if it is not one."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return Profile.from_json(data.get("profile", data) if isinstance(data, dict) else data)
    except (OSError, ValueError, AttributeError) as exc:
        raise ValueError(f"{path}: {exc}") from exc


def run(settings: Settings, *, days: int, simulate: bool, as_json: bool,
        profile: str | None = None, seats: Iterable[int] = SEAT_RANGE) -> int:
    """The command: 0, or 1 with a message when Redis (or the saved
    ``profile``, when given) cannot be read."""
    if days < 1:
        print("datadesk: --days must be at least 1")
        return 2
    try:
        measured = saved_profile(profile) if profile else read_profile(settings, days)
    except (RedisError, OSError) as exc:
        print(f"datadesk: cannot read the desk's records from Redis: {exc}")
        return 1
    except ValueError as exc:   # a saved profile that is not one
        print(f"datadesk: not a traffic profile: {exc}")
        return 1
    rows = hourly_rows(measured)
    if simulate:
        rows = with_simulation(rows, simulated(measured, settings, seats=seats))
    if as_json:
        print(json.dumps({"profile": measured.to_json(),
                          "rows": [asdict(r) for r in rows]}, indent=2))
    else:
        print(render(measured, rows))
    return 0
