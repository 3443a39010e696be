"""Callback SLA over a simulated desk day, with the real dialer.

The real ``Dialer``, ``decide()``, ``ServiceCalendar``, ``Board`` and
``CallbacksService`` run on a virtual-clock event loop against a simulated
store and a simulated Asterisk (``bench/simdesk.py``). Live transfers arrive
as a Poisson stream following ``HOURLY_SHARE``; each is routed by
``decide()``: into the queue when a seat is ready and the desk is open,
otherwise stored as a callback, which the dialer then places. The figures
are set beside Erlang C (``ari_app/desk/staffing.py``).

A run measures ``--days`` local days (Asia/Shanghai) from 00:00. It starts
at 20:00 the evening before, so that the first morning inherits a night's
callbacks as every later one does, and runs on after the last measured day
(arrivals continuing) until every measured callback has ended.

    .venv/bin/python -m bench.sla [--seats 6] [--per-day N] [--seed S] [--days D]
                                  [--sweep] [--compare [--seeds S ...]] [--profile PATH]
                                  [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from ari_app.service import CallbacksService
from ari_app.desk.board import Board, DeviceState, Seat
from ari_app.desk.routing import Route, decide
from ari_app.desk.staffing import erlang_c, offered_load, seats_needed, service_level
from ari_app.dialer import Dialer, DialerPorts, DialerRules
from ari_app.settings import (Settings, build_calendar, build_numbers, build_policy,
                              build_topics)
from tests.fakes.store import FakeCallbackStore

from . import simclock
from .common import Results, percentile
from .simdesk import SimDesk

# ASSUMPTION: the seed gives no hourly figures. Share (%) of a day's transfers
# to the desk arriving in each local hour, 00h first: a typical intraday
# curve of an operator's care line (low overnight, a late-morning peak, a
# lunch dip, an evening peak). 14.3% arrives while the desk is closed.
HOURLY_SHARE = (
    0.8, 0.5, 0.3, 0.2, 0.2, 0.3,   # 00-05
    0.6, 1.5, 3.5, 6.0, 7.6, 7.8,   # 06-11
    6.0, 5.7, 6.5, 6.6, 6.5, 6.2,   # 12-17
    5.8, 6.6, 7.6, 6.8, 4.2, 2.2,   # 18-23
)
TALK_MEAN = 148.0          # seconds, the seed's average data-service call
# Transfers per day: offers 6 seats about 82% at the busiest hour (11h).
DEFAULT_PER_DAY = 1400
DAY_ONE = (2026, 11, 30)   # any date: the desk opens every day
WARM_UP = 4 * 3600         # seconds before day one's 00:00 (from 20:00)
DRAIN_CAP = 24 * 3600      # after the last measured day: give up waiting
TARGET_ANSWER, TARGET_LEVEL = 20.0, 0.8   # Erlang C's 80/20


@dataclass
class Arrival:
    at: float          # Unix seconds
    talk: float        # seconds, should a seat take the call


@dataclass
class DayRun:
    """What one simulated run measured (callbacks and transfers of the measured days)."""
    seats: int
    per_day: int
    days: int
    start: float
    end: float
    routes: Counter = field(default_factory=Counter)        # closed / no-seat / queue / wait-ran-out
    peak_routes: Counter = field(default_factory=Counter)   # the same, busiest hour only
    callbacks: dict[str, dict[str, str]] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)    # callback id -> closed / open
    busy: list[tuple[float, float]] = field(default_factory=list)


def local_hour(ts: float, zone) -> int:
    return datetime.fromtimestamp(ts, zone).hour


@dataclass(frozen=True)
class Load:
    """The traffic's shape: each local hour's share of a day's transfers and
    the mean talk time; the assumed curve unless a measured profile is given."""
    shares: tuple[float, ...] = HOURLY_SHARE
    talk_mean: float = TALK_MEAN

    @classmethod
    def of_profile(cls, path: str) -> tuple[Load, int, int]:
        """A ``datadesk sizing --json`` file: (load, transfers per day, wrap-up s)."""
        import json

        from ari_app.desk.sizing import Profile
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        profile = Profile.from_json(data.get("profile", data))
        if profile.per_day <= 0:
            raise ValueError(f"{path}: the profile has no transfers")
        return (cls(profile.shares, profile.talk_mean), round(profile.per_day),
                round(profile.wrapup))


def arrivals(per_day: int, start: float, end: float, zone, rng: random.Random,
             load: Load = Load()) -> list[Arrival]:
    """Poisson arrivals, rate constant within each local hour (``load.shares``)."""
    total = sum(load.shares)
    out: list[Arrival] = []
    slot = start - start % 3600
    while slot < end:
        rate = per_day * load.shares[local_hour(slot, zone)] / total / 3600
        t = slot
        while rate > 0:
            t += rng.expovariate(rate)
            if t >= slot + 3600:
                break
            if start <= t < end:
                out.append(Arrival(t, rng.expovariate(1 / load.talk_mean)))
        slot += 3600
    return out


def hourly_load(per_day: float, handle: float,
                shares: tuple[float, ...] = HOURLY_SHARE) -> list[float]:
    """Offered Erlangs of live transfers in each local hour."""
    total = sum(shares)
    return [offered_load(per_day * s / total, 3600, handle) for s in shares]


def day_average(loads: list[float], calendar) -> float:
    """Erlangs while open if the whole day's work (the night's callbacks
    included) is spread over the opening hours of day one."""
    opens, closes = calendar.span_on(datetime(*DAY_ONE).date())
    return sum(loads) / ((closes - opens).total_seconds() / 3600)


async def simulate(seats: int, per_day: int, days: int, seed: int,
                   settings: Settings | None = None, load: Load = Load()) -> DayRun:
    settings = settings or Settings()
    loop = asyncio.get_running_loop()
    calendar = build_calendar(settings.calendar)
    zone = calendar.zone
    day_one = datetime(*DAY_ONE, tzinfo=zone).timestamp()
    epoch = day_one - WARM_UP

    def clock() -> float:
        return epoch + loop.time()

    run = DayRun(seats, per_day, days, day_one, day_one + days * 86400)
    peak_hour = load.shares.index(max(load.shares))
    desk_cfg, cb = settings.desk, settings.callbacks
    board = Board(desk_cfg.queue, [f"86{i:02d}" for i in range(1, seats + 1)])
    for agent_id in [s.agent_id for s in board]:
        board.update(Seat(agent_id, f"PJSIP/{agent_id}", registered=True, in_queue=True,
                          state=DeviceState.NOT_INUSE, wrapup=desk_cfg.wrapup,
                          changed_at=epoch))
    board.synced = True
    store = FakeCallbackStore(clock)
    desk = SimDesk(board, clock, random.Random(f"calls-{seed}"), wrapup=desk_cfg.wrapup,
                   talk_mean=load.talk_mean)
    policy = build_policy(settings)
    service = CallbacksService(store, calendar, build_numbers(cb), build_topics(settings.topics),
                               policy.sla)
    dialer = Dialer(DialerPorts(desk.ami, desk.ari, store), board, DialerRules.of(calendar, cb),
                    leading=lambda: True, clock=clock)
    desk.on_change = dialer.wake

    async def transfer(n: int, arrival: Arrival) -> None:
        now = clock()
        when = datetime.fromtimestamp(now, timezone.utc)
        measured = run.start <= now < run.end
        peak = measured and local_hour(now, zone) == peak_hour and calendar.is_open(when)
        number, channel = f"138{n:08d}", f"PJSIP/trunk-{n:06x}"
        decision = decide(board, calendar, when, policy=policy)
        route = {Route.QUEUE: "queue", Route.CALLBACK: "no-seat"}[decision.route]
        if route == "no-seat" and not calendar.is_open(when):
            route = "closed"
        if route == "queue":
            agent_id = await desk.join(channel, live=True, wait=desk_cfg.queue_wait)
            if agent_id is not None:
                desk.connect_live(channel, number, agent_id)
                run.routes["queue"] += measured
                run.peak_routes["queue"] += peak
                await asyncio.sleep(arrival.talk)
                desk.release(agent_id)
                return
            route = "wait-ran-out"   # the dialplan sends the caller to the capture
            when = datetime.fromtimestamp(clock(), timezone.utc)
        accepted = await service.request(number=number, source="ivr", now=when)
        if decision.route is Route.CALLBACK:
            assert accepted.deadline == decision.deadline, "two SLA rules disagree"
        run.routes[route] += measured
        run.peak_routes[route] += peak
        if measured and accepted.created:
            run.origin[accepted.id] = "closed" if route == "closed" else "open"

    async def traffic() -> None:
        rng = random.Random(f"arrivals-{seed}")
        for n, arrival in enumerate(arrivals(per_day, epoch, run.end + DRAIN_CAP, zone, rng,
                                             load)):
            await asyncio.sleep(arrival.at - clock())
            desk.keep(loop.create_task(transfer(n, arrival)))

    desk.keep(loop.create_task(traffic()))
    dialer.start()
    await asyncio.sleep(run.end - epoch)
    while loop.time() < run.end + DRAIN_CAP - epoch and any(
            store.hashes[i]["status"] in ("open", "dialling") for i in run.origin):
        await asyncio.sleep(60)
    await dialer.stop()
    await desk.close()
    run.callbacks = {i: store.hashes[i] for i in run.origin}
    run.busy = desk.busy
    return run


def simulate_run(seats: int, per_day: int, days: int, seed: int,
                 settings: Settings | None = None, load: Load = Load()) -> DayRun:
    return simclock.run(simulate(seats, per_day, days, seed, settings, load))


def met_by_hour(run: DayRun, zone) -> dict[int, float]:
    """SLA met % of the callbacks requested in each local hour (served or
    cancelled ones aside; an hour without callbacks is left out)."""
    judged: dict[int, list[bool]] = {}
    for c in run.callbacks.values():
        if c["status"] not in ("served", "cancelled"):
            judged.setdefault(local_hour(float(c["created"]), zone), []).append(
                c.get("sla") == "met")
    return {h: 100 * sum(v) / len(v) for h, v in sorted(judged.items())}


# -- escalation, side by side ---------------------------------------------------
# (name, escalate, seats kept for live transfers while no callback is at risk)
POLICIES = (("live callers first", False, 0), ("at-risk callbacks first", True, 0),
            ("live first + 1 seat reserve", False, 1),
            ("at-risk first + 1 seat reserve", True, 1))


def policy_settings(escalate: bool, reserve: int = 0) -> Settings:
    base = Settings()
    return replace(base, callbacks=replace(base.callbacks, escalate=escalate, reserve=reserve))


def compare(seats: int, per_day: int, days: int, seeds: list[int]) -> list[str]:
    """The same load (same arrivals, same seeds) under each policy: a
    Markdown table, one row per policy and seed."""
    rows = ["| seats | seed | policy | SLA met % | worst lateness (min) | live callers turned "
            "into callbacks (open) | routed live | p90 request -> first dial, open (min) |",
            "|---|---|---|---|---|---|---|---|"]
    for seed in seeds:
        for name, escalate, reserve in POLICIES:
            run = simulate_run(seats, per_day, days, seed, policy_settings(escalate, reserve))
            s = summarise(run)
            turned = run.routes["no-seat"] + run.routes["wait-ran-out"]
            late = "none" if s.worst_late is None else f"{s.worst_late:.1f}"
            p90 = percentile(s.to_first_dial_open, 90) if s.to_first_dial_open else 0.0
            rows.append(f"| {seats} | {seed} | {name} | {s.sla_met:.1f} | {late} | {turned} | "
                        f"{run.routes['queue']} | {p90:.1f} |")
    return rows


# -- figures ------------------------------------------------------------------
@dataclass
class Summary:
    created: int
    ended: Counter
    attempts: int
    tries: int
    sla_met: float            # % of callbacks to be dialled, first dial by the deadline
    sla_by_origin: dict[str, float]
    worst_late: float | None  # minutes; None: none late
    never_dialled: int
    to_first_dial: list[float]   # minutes, request -> first dial
    to_first_dial_open: list[float]  # the same, requests made while open


def summarise(run: DayRun) -> Summary:
    due = {i: c for i, c in run.callbacks.items() if c["status"] not in ("served", "cancelled")}
    met = {i for i, c in due.items() if c.get("sla") == "met"}
    by_origin = {}
    for origin in ("open", "closed"):
        ids = [i for i in due if run.origin[i] == origin]
        by_origin[origin] = 100 * len([i for i in ids if i in met]) / len(ids) if ids else 100.0
    late = [(float(c["first_dialled"]) - float(c["deadline"])) / 60
            for c in due.values() if c.get("first_dialled")]
    return Summary(
        created=len(run.callbacks),
        ended=Counter(c["status"] for c in run.callbacks.values()),
        attempts=sum(int(c["attempts"]) for c in run.callbacks.values()),
        tries=sum(int(c["tries"]) for c in run.callbacks.values()),
        sla_met=100 * len(met) / len(due) if due else 100.0,
        sla_by_origin=by_origin,
        worst_late=max(late) if late and max(late) > 0 else None,
        never_dialled=len([c for c in due.values() if not c.get("first_dialled")]),
        to_first_dial=[(float(c["first_dialled"]) - float(c["created"])) / 60
                       for c in due.values() if c.get("first_dialled")],
        to_first_dial_open=[(float(c["first_dialled"]) - float(c["created"])) / 60
                            for i, c in due.items()
                            if c.get("first_dialled") and run.origin[i] == "open"])


def occupancy(run: DayRun, calendar, hour: int | None = None) -> float:
    """% of seat time busy (ringing, in a call, wrap-up) while open on the
    measured days; only within local ``hour`` if given."""
    windows = []
    for d in range(run.days):
        start = datetime.fromtimestamp(run.start + d * 86400 + 43200, calendar.zone).date()
        opens, closes = calendar.span_on(start)
        if hour is not None:
            opens = opens.replace(hour=hour)
            closes = opens + timedelta(hours=1)
        windows.append((opens.timestamp(), closes.timestamp()))
    busy = sum(max(0.0, min(b, w1) - max(a, w0)) for a, b in run.busy for w0, w1 in windows)
    return 100 * busy / (run.seats * sum(w1 - w0 for w0, w1 in windows))


def report(run: DayRun, results: Results, settings: Settings | None = None,
           load: Load = Load()) -> Summary:
    settings = settings or Settings()
    calendar = build_calendar(settings.calendar)
    handle = load.talk_mean + settings.desk.wrapup
    s = summarise(run)
    live = sum(run.routes.values())
    results.add("live transfers (measured days)", live, "calls")
    results.add("  routed live into the queue", run.routes["queue"], "calls")
    results.add("  callback: no seat ready", run.routes["no-seat"], "calls")
    results.add("  callback: desk closed", run.routes["closed"], "calls")
    results.add("  callback: queue wait ran out", run.routes["wait-ran-out"], "calls")
    results.add("callbacks created", s.created, "")
    for status in ("done", "failed", "served", "cancelled", "open", "dialling"):
        if s.ended[status] or status in ("done", "failed"):
            results.add(f"  ended {status}" if status not in ("open", "dialling")
                        else f"  still {status} at the end", s.ended[status], "")
    results.add("customer dials (attempts)", s.attempts, "")
    results.add("claims (incl. no seat took it)", s.tries, "")
    results.note("SLA met: callbacks (served or cancelled ones aside) first dialled by their "
                 "deadline, as the dialer records it; never dialled counts as missed")
    results.add("SLA met (first dial by the deadline)", s.sla_met, "%", at_least=95)
    results.add("  SLA met, requested while open", s.sla_by_origin["open"], "%")
    results.add("  SLA met, requested while closed", s.sla_by_origin["closed"], "%")
    results.add("  never dialled", s.never_dialled, "")
    if s.worst_late is None:
        results.note("worst lateness: none late")
    else:
        results.add("worst lateness (first dial - deadline)", s.worst_late, "min")
    if s.to_first_dial:
        results.add("worst request -> first dial", max(s.to_first_dial), "min")
        results.add("p90 request -> first dial", percentile(s.to_first_dial, 90), "min")
    if s.to_first_dial_open:
        results.add("  p90 of requests made while open",
                    percentile(s.to_first_dial_open, 90), "min")
    peak_hour = load.shares.index(max(load.shares))
    results.add("seat occupancy, opening hours", occupancy(run, calendar), "%")
    results.add(f"seat occupancy, busiest hour ({peak_hour:02d}h)",
                occupancy(run, calendar, peak_hour), "%")

    loads = hourly_load(run.per_day, handle, load.shares)
    average, peak = day_average(loads, calendar), max(loads)
    results.add("Erlang C: busiest-hour load", peak, "E")
    results.add("Erlang C: seats for 80/20, busiest hour",
                seats_needed(peak, handle, TARGET_ANSWER, TARGET_LEVEL), "seats")
    results.add("Erlang C: day's load over the opening hours", average, "E")
    results.add("Erlang C: seats for 80/20, that average",
                seats_needed(average, handle, TARGET_ANSWER, TARGET_LEVEL), "seats")
    results.add(f"Erlang C: P(wait), busiest hour, {run.seats} seats",
                100 * erlang_c(run.seats, peak), "%")
    offered = sum(run.peak_routes.values())
    if offered:
        results.add(f"sim: no seat ready, busiest hour, {run.seats} seats",
                    100 * (offered - run.peak_routes["queue"]) / offered, "%")
    return s


def sweep_line(seats: int, s: Summary, peak: float, average: float, handle: float) -> str:
    late = "none late" if s.worst_late is None else f"{s.worst_late:6.1f} min"
    return (f"seats {seats}: SLA met {s.sla_met:5.1f}% (open {s.sla_by_origin['open']:5.1f}%"
            f", closed {s.sla_by_origin['closed']:5.1f}%)  worst late {late:>10}  "
            f"callbacks {s.created:4d} | Erlang C busiest hour: P(wait) "
            f"{100 * erlang_c(seats, peak):5.1f}%  80/20 level "
            f"{100 * service_level(seats, peak, handle, TARGET_ANSWER):5.1f}% | "
            f"day average: P(wait) {100 * erlang_c(seats, average):5.1f}%  level "
            f"{100 * service_level(seats, average, handle, TARGET_ANSWER):5.1f}%")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seats", type=int, default=len(Settings().desk.seats))
    parser.add_argument("--per-day", type=int, default=DEFAULT_PER_DAY,
                        help="transfers to the desk per day")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--sweep", action="store_true", help="run for 4..9 seats")
    parser.add_argument("--compare", action="store_true",
                        help="escalation off and on at the same load, as a Markdown table")
    parser.add_argument("--seeds", type=int, nargs="+", help="with --compare (default: --seed)")
    parser.add_argument("--profile", metavar="PATH",
                        help="a measured profile (datadesk sizing --json) instead of the "
                             "assumed curve: hourly arrivals, transfers/day, talk, wrap-up")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if args.seats < 1 or args.days < 1 or args.per_day < 0:
        parser.error("--seats and --days must be positive, --per-day not negative")
    settings, load = Settings(), Load()
    if args.profile:
        load, args.per_day, wrapup = Load.of_profile(args.profile)
        settings = replace(settings, desk=replace(settings.desk, wrapup=wrapup))
    handle = load.talk_mean + settings.desk.wrapup
    loads = hourly_load(args.per_day, handle, load.shares)
    average = day_average(loads, build_calendar(settings.calendar))
    results = Results("sla")
    results.note(f"{args.per_day} transfers/day, talk exp(mean {load.talk_mean:g} s) + wrap-up "
                 f"{settings.desk.wrapup} s, seed {args.seed}, {args.days} day(s); hourly "
                 + (f"profile measured ({args.profile})" if args.profile
                    else "profile HOURLY_SHARE is an assumption"))
    for half in (range(12), range(12, 24)):
        results.note("offered E by hour: " + " ".join(f"{h:02d}h {loads[h]:.2f}" for h in half))
    if args.compare:
        for row in compare(args.seats, args.per_day, args.days, args.seeds or [args.seed]):
            print(row)
        return 0
    if args.sweep:
        peak, enough = max(loads), []
        for seats in range(4, 10):
            s = summarise(simulate_run(seats, args.per_day, args.days, args.seed, settings,
                                       load))
            results.note(sweep_line(seats, s, peak, average, handle))
            if s.sla_met >= 95:
                enough.append(seats)
        results.note(f"fewest seats meeting SLA met >= 95% in the simulation: {enough[0]}"
                     if enough else "no seat count from 4 to 9 meets SLA met >= 95%")
        return results.finish(args.json)
    run = simulate_run(args.seats, args.per_day, args.days, args.seed, settings, load)
    report(run, results, settings, load)
    return results.finish(args.json)


if __name__ == "__main__":
    raise SystemExit(main())
