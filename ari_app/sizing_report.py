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
from collections.abc import Iterable
from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError

from .desk.sizing import SEAT_RANGE, TALK_MEAN, HourRow, Profile, hourly_rows, with_simulation
from .settings import Settings
from .tables import terminal_width
from .store.connection import RedisStore
from .store.stats import DeskStats
from .store.stores import Stores



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
    return profile_of_days(list((await stats.days(first, last)).values()),
                           settings.desk.wrapup)


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


# The table's words in each screen language ([desk] screen_language, --lang).
WORDS = {
    "zh": {"head": "今日之前 {n} 个完整日的实测：日均转入 {calls} 次，平均通话 {talk} 秒"
                   "（{answered} 个已接听来电），话后整理 {wrapup} 秒",
           "no_talk": "未测到已接听来电：平均通话按规范的 {talk} 秒计",
           "columns": ("小时", "日均转入", "话务量", "所需座席(80/20)"), "met": "{n}席达成%",
           "left_out": "营业时间外且无来电的小时未列出"},
    "en": {"head": "measured over {n} day(s): {calls} transfers a day, talk {talk} s "
                   "(from {answered} answered calls), wrap-up {wrapup} s",
           "no_talk": "no answered call measured: talk time taken as the specified {talk} s",
           "columns": ("hour", "arrivals", "erlangs", "seats(80/20)"), "met": "met@{n}",
           "left_out": "hours closed and without traffic are left out"},
}


def open_hours(settings: Settings) -> set[int]:
    """The local hours in which the desk opens on at least one weekday."""
    from .settings import build_calendar
    calendar = build_calendar(settings.calendar)
    monday = datetime(2026, 1, 5, tzinfo=calendar.zone)  # any week serves: hours repeat
    return {hour for day in range(7) for hour in range(24)
            if calendar.is_open(monday + timedelta(days=day, hours=hour, minutes=30))}


def render(profile: Profile, rows: list[HourRow], lang: str = "en",
           hours: set[int] | None = None) -> str:
    """The table in ``lang``: the hours in ``hours`` (all when None) and any
    other with traffic or simulated figures (requests made while closed)."""
    words = WORDS.get(lang, WORDS["en"])
    seats = sorted({s for r in rows for s in r.sla_met})
    shown = [r for r in rows if hours is None or r.hour in hours or r.arrivals or r.sla_met]
    widths = [max(terminal_width(c), 6) for c in words["columns"]]
    mets = [words["met"].format(n=s) for s in seats]
    lines = [words["head"].format(n=profile.days, calls=f"{profile.per_day:.0f}",
                                  talk=f"{profile.talk_mean:.0f}", answered=profile.answered,
                                  wrapup=f"{profile.wrapup:.0f}")]
    if not profile.answered:
        lines.append(words["no_talk"].format(talk=f"{TALK_MEAN:.0f}"))
    lines.append("  ".join(_right(c, w) for c, w in zip(words["columns"], widths))
                 + "".join("  " + m for m in mets))
    for r in shown:
        cells = (f"{r.hour:02d}", f"{r.arrivals:.1f}", f"{r.erlangs:.2f}", str(r.seats_80_20))
        met = "".join("  " + _right(f"{r.sla_met[s]:.1f}" if s in r.sla_met else "-",
                                    terminal_width(m)) for s, m in zip(seats, mets))
        lines.append("  ".join(_right(c, w) for c, w in zip(cells, widths)) + met)
    if len(shown) < len(rows):
        lines.append(words["left_out"])
    return "\n".join(lines)


def _right(text: str, width: int) -> str:
    return " " * (width - terminal_width(text)) + text


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
        profile: str | None = None, seats: Iterable[int] = SEAT_RANGE, lang: str = "en") -> int:
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
        print(render(measured, rows, lang, open_hours(settings)))
    return 0
