"""``datadesk sizing``: the desk's measured traffic per local hour, the
Erlang C seats for 80/20 and, from a source checkout, the simulated SLA met
% for 4..10 seats (the real dialer on a virtual clock, ``bench/sla.py``,
fed the measured profile).

``sizing_rows`` gives the per-hour rows from Redis, without the simulation
(minutes of CPU, not for a request). ``profile_from_days`` measures the same
profile from daily aggregates already read (the reports page's): transfers
per hour from ``transfers@HH``, counted with each ``route`` event the log
holds, so no second read of the event log.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import redis.asyncio as redis

from .desk.sizing import SEAT_RANGE, HourRow, Profile, hourly_rows, with_simulation
from .settings import Settings
from .store.traffic import FALLBACK_TALK, measured_profile

log = logging.getLogger(__name__)


async def sizing_rows(client: redis.Redis, settings: Settings, *, days: int = 7,
                      now: datetime | None = None) -> list[dict]:
    """Per local hour (0..23): ``hour``, ``arrivals`` (transfers a day),
    ``erlangs`` (offered), ``seats_80_20`` (Erlang C), ``sla_met`` ({} here),
    over the last ``days`` whole days read from ``client`` (decoded replies)."""
    profile = await _profile(client, settings, days, now)
    return [asdict(r) for r in hourly_rows(profile)]


async def _profile(client: redis.Redis, settings: Settings, days: int,
                   now: datetime | None) -> Profile:
    zone = ZoneInfo(settings.calendar.timezone)
    return await measured_profile(client, zone, days=days, now=now or datetime.now(zone),
                                  wrapup=settings.desk.wrapup)


def profile_from_days(raws: list[dict[str, int]], wrapup: float) -> Profile | None:
    """The profile of whole days given as their raw daily counters
    (``DeskStats.days``), or None when they hold no transfer (nothing
    measured: no profile to size from). Talk time: ``talk_seconds`` over
    ``answered``, the specification's average when nothing was answered."""
    def total(field: str) -> int:
        # A counter only ever grows from 0: a negative one (written into
        # Redis by hand) counts as nothing.
        return sum(max(raw.get(field, 0), 0) for raw in raws)
    hourly = [total(f"transfers@{hour:02d}") for hour in range(24)]
    if not raws or not sum(hourly):
        return None
    answered, talk = total("answered"), total("talk_seconds")
    return Profile(len(raws), tuple(v / len(raws) for v in hourly),
                   talk / answered if answered > 0 and talk > 0 else FALLBACK_TALK,
                   float(wrapup), answered)


def simulated(profile: Profile, settings: Settings | None = None,
              seed: int = 1) -> dict[int, dict[int, float]]:
    """SLA met % by seat count and request hour under ``settings`` (the
    desk's calendar and callback rules; wrap-up from the profile)."""
    from .simulation.day import Load, met_by_hour, simulate_run

    load = Load(profile.shares, profile.talk_mean)
    settings = settings or Settings()
    settings = replace(settings, desk=replace(settings.desk, wrapup=round(profile.wrapup)))
    zone = ZoneInfo(settings.calendar.timezone)
    out: dict[int, dict[int, float]] = {}
    for seats in SEAT_RANGE:
        run = simulate_run(seats, round(profile.per_day), 1, seed, settings, load)
        out[seats] = met_by_hour(run, zone)
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


def run(settings: Settings, *, days: int, simulate: bool, as_json: bool) -> int:
    """The command: 0, or 1 with a message when Redis cannot be read."""
    async def read() -> Profile:
        r = settings.redis
        client = redis.Redis.from_url(r.url, username=r.username or None,
                                      password=r.password or None, decode_responses=True,
                                      socket_timeout=5)
        try:
            return await _profile(client, settings, days, None)
        finally:
            await client.aclose()
    try:
        profile = asyncio.run(read())
    except (redis.RedisError, OSError) as exc:
        print(f"datadesk: cannot read the desk's records from Redis: {exc}")
        return 1
    rows = hourly_rows(profile)
    if simulate:
        rows = with_simulation(rows, simulated(profile, settings))
    if as_json:
        print(json.dumps({"profile": profile.to_json(),
                          "rows": [asdict(r) for r in rows]}, indent=2))
    else:
        print(render(profile, rows))
    return 0
