"""The customer's time in the simulated day (``day.py``): the desk's real
promises (``ari_app/promises.py``: the estimate, the slots with room, a
morning slot for a request made while closed) on the run's store and board,
measured from the run's own load, and a caller who chooses a slot.

ASSUMPTION (no figure in the seed): a caller offered slots takes one with
probability ``choosing`` (the side-by-side runs 30% and 60%), any of those
offered alike; the others keep the time told.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime

from ..desk.board import Board
from ..desk.calendar import ServiceCalendar
from ..desk.promise import Measured
from ..promises import Promises
from ..service import Accepted, CallbacksService, SlotTaken
from ..settings import Settings, build_promise_rules
from ..store.memory import MemoryCallbackStore


def promises_for(store: MemoryCallbackStore, calendar: ServiceCalendar, board: Board,
                 settings: Settings, seats: int, shares: tuple[float, ...], per_day: int,
                 talk_mean: float) -> Promises:
    """The desk's promises over the run: ``seats`` planned, the live calls
    of each hour and the handle time as the load has them (the weeks a real
    desk would have measured)."""
    total = sum(shares) or 1.0
    measured = Measured(tuple(per_day * s / total for s in shares),
                        talk_mean + settings.desk.wrapup)
    rules = replace(build_promise_rules(settings), seats=seats)
    return Promises(store, calendar, board, rules, lambda: measured)


async def maybe_book(service: CallbacksService, accepted: Accepted, now: datetime,
                     rng: random.Random, choosing: float) -> Accepted:
    """The caller offered the next slots after the time told takes one
    with probability ``choosing`` (the callback moves to it), else keeps it."""
    promises, told = service.promises, accepted.promise
    if promises is None or told is None or choosing <= 0 or promises.rules.offered <= 0:
        return accepted
    if rng.random() >= choosing:
        return accepted
    offers = await promises.slots(now, told.end or told.start, promises.rules.offered)
    if not offers:
        return accepted
    try:
        return await service.request(number=accepted.number, source="ivr", now=now,
                                     slot=rng.choice(offers))
    except SlotTaken:
        return accepted
