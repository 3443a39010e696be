"""Decision latency: the pure routing rule, in process.

``decide()`` runs on every transfer to the desk, so its cost is on the
caller's path. It is timed call by call over a mix of situations a day
brings (seats ready, all busy, closed, a named specialist, a callback-only
topic), against the same timing loop around a function that does nothing
(the baseline: what the clock and the loop themselves cost), so the figure
printed is the rule's, not the harness's.

    .venv/bin/python -m bench.decision [--calls 200000] [--json PATH]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta, timezone

from ari_app.desk.board import Board, DeviceState, Seat
from ari_app.desk.calendar import ServiceCalendar
from ari_app.desk.routing import Decision, NamedUnavailable, RoutingPolicy, decide
from ari_app.desk.topics import TopicCatalogue

from .common import Results, spread

SEATS = [f"860{i}" for i in range(1, 7)]
ZONE = timezone(timedelta(hours=8))


def board_with(ready: int, now: float) -> Board:
    """Six seats, ``ready`` of them free; the others in a call, paused or in wrap-up."""
    board = Board("desk", SEATS)
    busy = [dict(state=DeviceState.INUSE, in_call=True),
            dict(paused=True, paused_reason="lunch"),
            dict(last_call=now - 1, wrapup=15)]
    for i, agent_id in enumerate(SEATS):
        extra = {} if i < ready else busy[i % len(busy)]
        board.update(Seat(agent_id, f"PJSIP/{agent_id}", registered=True, in_queue=True,
                          state=extra.pop("state", DeviceState.NOT_INUSE), changed_at=now,
                          **extra))
    board.synced = True
    return board


def situations() -> list[tuple[str, dict]]:
    """(name, keyword arguments of decide) for each situation measured."""
    calendar = ServiceCalendar.build()
    topics = TopicCatalogue()
    day = datetime(2026, 11, 30, 10, 30, tzinfo=ZONE)
    night = datetime(2026, 11, 30, 23, 10, tzinfo=ZONE)
    late = datetime(2026, 11, 30, 21, 30, tzinfo=ZONE)
    t = day.timestamp()
    named_cb = RoutingPolicy(named_unavailable=NamedUnavailable.CALLBACK)
    live = topics.classify("01")
    return [
        ("group, 3 seats ready", dict(board=board_with(3, t), calendar=calendar, now=day,
                                      topic=live)),
        ("group, none ready -> callback", dict(board=board_with(0, t), calendar=calendar,
                                               now=day, topic=live)),
        ("named seat ready", dict(board=board_with(6, t), calendar=calendar, now=day,
                                  target="8604")),
        ("named seat busy -> callback", dict(board=board_with(0, t), calendar=calendar,
                                             now=day, target="8604", policy=named_cb)),
        ("closed -> callback at opening", dict(board=board_with(6, t), calendar=calendar,
                                               now=night, topic=live)),
        ("21:30, SLA runs past closing", dict(board=board_with(0, late.timestamp()),
                                              calendar=calendar, now=late)),
        ("callback-only topic", dict(board=board_with(6, t), calendar=calendar, now=day,
                                     topic=topics.classify("11") or live)),
    ]


def nothing(**_kw: object) -> None:
    return None


def timed(fn, cases: list[dict], calls: int, seed: int) -> list[float]:
    """Per-call times (µs) of ``fn(**case)`` over ``calls`` calls, cases in random order."""
    rng = random.Random(seed)
    order = [rng.randrange(len(cases)) for _ in range(calls)]
    clock = time.perf_counter_ns
    out = []
    for i in order:
        kw = cases[i]
        t0 = clock()
        fn(**kw)
        out.append((clock() - t0) / 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    results = Results("decision")
    named = situations()
    cases = [kw for _name, kw in named]
    for _name, kw in named:  # each situation gives the answer it should
        assert isinstance(decide(**kw), Decision)

    timed(decide, cases, 20_000, 1)  # warm-up
    base = spread(timed(nothing, cases, args.calls, 2))
    mix = spread(timed(decide, cases, args.calls, 2))
    results.note(f"{args.calls:,} calls over {len(cases)} situations, random order")
    for name, kw in named:
        one = spread(timed(decide, [kw], max(args.calls // 10, 1000), 3))
        results.add(f"p99 {name}", one["p99"], "us")
    results.add("p50 decide (mix)", mix["p50"], "us")
    results.add("p99 decide (mix)", mix["p99"], "us", at_most=50)
    results.add("p99 empty call through the same loop", base["p99"], "us")
    results.add("p99 net of the loop (decide - empty)", mix["p99"] - base["p99"], "us")
    results.add("decisions per second, one core", 1e6 / mix["mean"], "/s")
    return results.finish(args.json)


if __name__ == "__main__":
    raise SystemExit(main())
