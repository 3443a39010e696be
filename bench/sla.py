"""Callback SLA over a simulated desk day, with the real dialer.

The simulated day is the package's (``ari_app/simulation``: the real
``Dialer``, ``decide()``, ``ServiceCalendar``, ``Board`` and
``CallbacksService`` on a virtual clock, against a simulated Asterisk and
the in-memory store), the one ``datadesk sizing --simulate`` runs. Here it
runs on an assumed intraday curve (``HOURLY_SHARE``) or a measured profile,
and its figures are set beside Erlang C (``ari_app/desk/staffing.py``).

    .venv/bin/python -m bench.sla [--seats 6] [--per-day N] [--seed S] [--days D]
                                  [--sweep] [--compare | --booking [--seeds S ...]]
                                  [--profile PATH]
                                  [--json PATH]
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ari_app.desk.callback import Callback, Sla
from ari_app.desk.staffing import erlang_c, offered_load, seats_needed, service_level
from ari_app.settings import Settings, build_calendar
from ari_app.simulation.day import (DAY_ONE, HOURLY_SHARE, DayRun, Load, judged,
                                    simulate_run)

from .common import Results, percentile

# Transfers per day: offers 6 seats about 82% at the busiest hour (11h).
DEFAULT_PER_DAY = 1400
TARGET_ANSWER, TARGET_LEVEL = 20.0, 0.8   # Erlang C's 80/20


def load_of_profile(path: str) -> tuple[Load, int, int]:
    """A ``datadesk sizing --json`` file: (load, transfers per day, wrap-up s)."""
    import json

    from ari_app.desk.sizing import Profile
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    profile = Profile.from_json(data.get("profile", data))
    if profile.per_day <= 0:
        raise ValueError(f"{path}: the profile has no transfers")
    return (Load(profile.shares, profile.talk_mean), round(profile.per_day),
            round(profile.wrapup))


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


# -- escalation, side by side ---------------------------------------------------
# (name, escalate, seats kept for live transfers while no callback is at risk)
POLICIES = (("live callers first", False, 0), ("at-risk callbacks first", True, 0),
            ("live first + 1 seat reserve", False, 1),
            ("at-risk first + 1 seat reserve", True, 1))


def policy_settings(escalate: bool, reserve: int = 0) -> Settings:
    base = no_booking(Settings())
    return replace(base, callbacks=replace(base.callbacks, escalate=escalate, reserve=reserve))


def no_booking(settings: Settings) -> Settings:
    """The model the figures were first measured on: no slot offered, and a
    request made while closed shares the first hour's deadline."""
    return replace(settings, callbacks=replace(settings.callbacks, slots_offered=0,
                                               overnight_slots=False))


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


# -- booking, side by side -------------------------------------------------------
# (name, settings, share of callers offered slots who take one)
BOOKING_MODELS = (("no booking", lambda: no_booking(Settings()), 0.0),
                  ("booking, 30% choose", Settings, 0.3),
                  ("booking, 60% choose", Settings, 0.6))


def booking_table(seat_counts: list[int], per_day: int, days: int, seeds: list[int]) -> list[str]:
    """The same load (same arrivals, same seeds) without booking and with it
    at two assumed shares of callers choosing a slot: a Markdown table."""
    rows = ["| seats | seed | model | promises kept % | kept, booked % | kept, unbooked % | "
            "worst lateness (min) | told-time error p50 / p90 (min) | live transfers turned "
            "into callbacks | callbacks booked |", "|---|---|---|---|---|---|---|---|---|---|"]
    for seats in seat_counts:
        for seed in seeds:
            for name, settings, choosing in BOOKING_MODELS:
                run = simulate_run(seats, per_day, days, seed, settings(), choosing=choosing)
                s = summarise(run)
                late = "none" if s.worst_late is None else f"{s.worst_late:.1f}"
                error = (f"{percentile(s.told_error, 50):.1f} / "
                         f"{percentile(s.told_error, 90):.1f}" if s.told_error else "-")
                turned = run.routes["no-seat"] + run.routes["wait-ran-out"]
                booked = sum(c.booked for c in run.callbacks.values())
                kept = {k: "-" if v is None else f"{v:.1f}" for k, v in s.sla_by_booking.items()}
                rows.append(f"| {seats} | {seed} | {name} | {s.sla_met:.1f} | {kept['booked']} "
                            f"| {kept['unbooked']} | {late} | {error} | {turned} | {booked} |")
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
    told_error: list[float]      # minutes, first dial - the time told (unbooked, dialled)
    sla_by_booking: dict[str, float | None]  # SLA met %, "booked" (a slot kept), "unbooked"


def summarise(run: DayRun) -> Summary:
    due = judged(run)
    met = {i for i, c in due.items() if c.result.sla is Sla.MET}
    by_origin = {}
    for origin in ("open", "closed"):
        ids = [i for i in due if run.origin[i] == origin]
        by_origin[origin] = 100 * len([i for i in ids if i in met]) / len(ids) if ids else 100.0
    dialled = {i: c for i, c in due.items() if c.result.first_dialled is not None}
    late = [(c.result.first_dialled - c.times.deadline) / 60 for c in dialled.values()]
    return Summary(
        created=len(run.callbacks),
        ended=Counter(c.status.value for c in run.callbacks.values()),
        attempts=sum(c.progress.attempts for c in run.callbacks.values()),
        tries=sum(c.progress.tries for c in run.callbacks.values()),
        sla_met=100 * len(met) / len(due) if due else 100.0,
        sla_by_origin=by_origin,
        worst_late=max(late) if late and max(late) > 0 else None,
        never_dialled=len(due) - len(dialled),
        to_first_dial=[(c.result.first_dialled - c.times.created) / 60
                       for c in dialled.values()],
        to_first_dial_open=[(c.result.first_dialled - c.times.created) / 60
                            for i, c in dialled.items() if run.origin[i] == "open"],
        told_error=[(c.result.first_dialled - c.promised.end) / 60 for c in dialled.values()
                    if not c.booked and c.promised.end is not None],
        sla_by_booking={kind: _met([c for c in due.values() if c.booked == (kind == "booked")])
                        for kind in ("booked", "unbooked")})


def _met(callbacks: list[Callback]) -> float | None:
    """SLA met % of ``callbacks`` (None for none)."""
    if not callbacks:
        return None
    return 100 * sum(c.result.sla is Sla.MET for c in callbacks) / len(callbacks)


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
    for kind, label in (("booked", "  SLA met, booked (first dial inside the slot)"),
                        ("unbooked", "  SLA met, unbooked")):
        if s.sla_by_booking[kind] is None:
            results.note(f"{label.strip()}: none {kind}")
        else:
            results.add(label, s.sla_by_booking[kind], "%")
    if s.told_error:
        results.note("told-time error: first dial - the time told at capture (the end of "
                     "'within N minutes' or of the window said), unbooked callbacks; "
                     "negative = dialled before it")
        results.add("told-time error p50", percentile(s.told_error, 50), "min")
        results.add("told-time error p90", percentile(s.told_error, 90), "min")
        results.add("  dialled by the time told",
                    100 * sum(e <= 0 for e in s.told_error) / len(s.told_error), "%")
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
    parser.add_argument("--booking", action="store_true",
                        help="without booking and with it (30%% and 60%% of callers choosing a "
                             "slot), at 6 and 7 seats, as a Markdown table")
    parser.add_argument("--seeds", type=int, nargs="+",
                        help="with --compare or --booking (default: --seed)")
    parser.add_argument("--profile", metavar="PATH",
                        help="a measured profile (datadesk sizing --json) instead of the "
                             "assumed curve: hourly arrivals, transfers/day, talk, wrap-up")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    if args.seats < 1 or args.days < 1 or args.per_day < 0:
        parser.error("--seats and --days must be positive, --per-day not negative")
    settings, load = no_booking(Settings()), Load()
    if args.profile:
        load, args.per_day, wrapup = load_of_profile(args.profile)
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
    if args.booking:
        for row in booking_table([6, 7], args.per_day, args.days, args.seeds or [args.seed]):
            print(row)
        return 0
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
