"""A simulated desk day with the real dialer: the run behind ``datadesk
sizing --simulate`` and ``bench/sla.py``.

The real ``Dialer``, ``decide()``, ``ServiceCalendar``, ``Board`` and
``CallbacksService`` run on a virtual-clock event loop (``clock``) against
the in-memory store (``store/memory.py``) and a simulated Asterisk
(``desk``). Live transfers arrive as a Poisson stream following the load's
hourly shares; each is routed by ``decide()``: into the queue when a seat is
ready and the desk is open, otherwise stored as a callback, which the dialer
then places.

A run measures ``days`` local days from 00:00. It starts at 20:00 the
evening before, so that the first morning inherits a night's callbacks as
every later one does, and runs on after the last measured day (arrivals
continuing) until every measured callback has ended.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..desk.board import Board, DeviceState, Seat
from ..desk.callback import Callback, Sla, Status
from ..desk.routing import Route, decide
from ..desk.sizing import TALK_MEAN
from ..dialer import Dialer, DialerPorts, DialerRules
from ..service import CallbacksService
from ..settings import Settings, build_calendar, build_numbers, build_policy, build_topics
from ..store.memory import MemoryCallbackStore
from . import clock as virtual
from .booking import maybe_book, promises_for
from .desk import SimDesk

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
DAY_ONE = (2026, 11, 30)   # any date: the desk opens every day
WARM_UP = 4 * 3600         # seconds before day one's 00:00 (from 20:00)
DRAIN_CAP = 24 * 3600      # after the last measured day: give up waiting


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
    callbacks: dict[str, Callback] = field(default_factory=dict)
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


def _seated_board(settings: Settings, seats: int, since: float) -> Board:
    """The desk's board with ``seats`` seats, every one ready at ``since``."""
    board = Board(settings.desk.queue, [f"86{i:02d}" for i in range(1, seats + 1)])
    for agent_id in [s.agent_id for s in board]:
        board.update(Seat(agent_id, f"PJSIP/{agent_id}", registered=True, in_queue=True,
                          state=DeviceState.NOT_INUSE, wrapup=settings.desk.wrapup,
                          changed_at=since))
    board.synced = True
    return board


@dataclass
class _Desk:
    """What a transfer meets in one run: the board, the simulated Asterisk,
    the callback service and the rules, on the run's clock; callers who
    choose a slot when offered one (``choosing``, drawn from ``booking``)."""
    board: Board
    asterisk: SimDesk
    service: CallbacksService
    settings: Settings
    clock: Callable[[], float]
    choosing: float = 0.0
    booking: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.calendar = self.service.calendar
        self.policy = build_policy(self.settings)


async def _transfer(desk: _Desk, run: DayRun, peak_hour: int, n: int, arrival: Arrival) -> None:
    """One live transfer, routed by the rule: into the queue (and talked
    through) or captured as a callback; counted in ``run``."""
    now, calendar = desk.clock(), desk.calendar
    when = datetime.fromtimestamp(now, timezone.utc)
    measured = run.start <= now < run.end
    peak = measured and local_hour(now, calendar.zone) == peak_hour and calendar.is_open(when)
    number, channel = f"138{n:08d}", f"PJSIP/trunk-{n:06x}"
    decision = decide(desk.board, calendar, when, policy=desk.policy)
    route = {Route.QUEUE: "queue", Route.CALLBACK: "no-seat"}[decision.route]
    if route == "no-seat" and not calendar.is_open(when):
        route = "closed"
    if route == "queue":
        agent_id = await desk.asterisk.join(channel, live=True,
                                            wait=desk.settings.desk.queue_wait)
        if agent_id is not None:
            desk.asterisk.connect_live(channel, number, agent_id)
            run.routes["queue"] += measured
            run.peak_routes["queue"] += peak
            await asyncio.sleep(arrival.talk)
            desk.asterisk.release(agent_id)
            return
        route = "wait-ran-out"   # the dialplan sends the caller to the capture
        when = datetime.fromtimestamp(desk.clock(), timezone.utc)
    accepted = await desk.service.request(number=number, source="ivr", now=when)
    if decision.route is Route.CALLBACK and not (accepted.promise and accepted.promise.booking):
        assert accepted.deadline == decision.deadline, "two SLA rules disagree"
    await maybe_book(desk.service, accepted, when, desk.booking, desk.choosing)
    run.routes[route] += measured
    run.peak_routes[route] += peak
    if measured and accepted.created:
        run.origin[accepted.id] = "closed" if route == "closed" else "open"


async def simulate(seats: int, per_day: int, days: int, seed: int,
                   settings: Settings | None = None, load: Load = Load(),
                   choosing: float = 0.0) -> DayRun:
    """One run on the running (virtual-clock) loop: see the module's
    docstring; ``choosing``: the share of callers offered slots who take one
    (``booking.maybe_book``)."""
    settings = settings or Settings()
    loop = asyncio.get_running_loop()
    calendar = build_calendar(settings.calendar)
    day_one = datetime(*DAY_ONE, tzinfo=calendar.zone).timestamp()
    epoch = day_one - WARM_UP

    def clock() -> float:
        return epoch + loop.time()

    run = DayRun(seats, per_day, days, day_one, day_one + days * 86400)
    peak_hour = load.shares.index(max(load.shares))
    cb = settings.callbacks
    board = _seated_board(settings, seats, epoch)
    store = MemoryCallbackStore(clock)
    asterisk = SimDesk(board, clock, random.Random(f"calls-{seed}"),
                       wrapup=settings.desk.wrapup, talk_mean=load.talk_mean)
    service = CallbacksService(store, calendar, build_numbers(cb), build_topics(settings.topics),
                               build_policy(settings).sla)
    service.promises = promises_for(store, calendar, board, settings, seats, load.shares,
                                    per_day, load.talk_mean)
    desk = _Desk(board, asterisk, service, settings, clock, choosing,
                 random.Random(f"booking-{seed}"))
    dialer = Dialer(DialerPorts(asterisk.ami, asterisk.ari, store), board,
                    DialerRules.of(calendar, cb), clock=clock)
    asterisk.on_change = dialer.wake

    async def traffic() -> None:
        rng = random.Random(f"arrivals-{seed}")
        for n, arrival in enumerate(arrivals(per_day, epoch, run.end + DRAIN_CAP,
                                             calendar.zone, rng, load)):
            await asyncio.sleep(arrival.at - clock())
            asterisk.keep(loop.create_task(_transfer(desk, run, peak_hour, n, arrival)))

    asterisk.keep(loop.create_task(traffic()))
    dialer.start()
    await asyncio.sleep(run.end - epoch)
    pending = set(run.origin)
    while loop.time() < run.end + DRAIN_CAP - epoch:
        pending = {i for i in pending if not (await store.get(i)).status.final}
        if not pending:
            break
        await asyncio.sleep(60)
    await dialer.stop()
    await asterisk.close()
    run.callbacks = {i: await store.get(i) for i in run.origin}
    run.busy = asterisk.busy
    return run


def simulate_run(seats: int, per_day: int, days: int, seed: int,
                 settings: Settings | None = None, load: Load = Load(),
                 choosing: float = 0.0) -> DayRun:
    """``simulate`` on a fresh virtual-clock loop: a day passes in seconds."""
    return virtual.run(simulate(seats, per_day, days, seed, settings, load, choosing))


def judged(run: DayRun) -> dict[str, Callback]:
    """The run's callbacks that were to be dialled (served or cancelled ones aside)."""
    return {i: c for i, c in run.callbacks.items()
            if c.status not in (Status.SERVED, Status.CANCELLED)}


def met_by_hour(run: DayRun, zone) -> dict[int, float]:
    """SLA met % of the callbacks requested in each local hour (served or
    cancelled ones aside; an hour without callbacks is left out)."""
    by_hour: dict[int, list[bool]] = {}
    for c in judged(run).values():
        by_hour.setdefault(local_hour(c.times.created, zone), []).append(
            c.result.sla is Sla.MET)
    return {h: 100 * sum(v) / len(v) for h, v in sorted(by_hour.items())}
