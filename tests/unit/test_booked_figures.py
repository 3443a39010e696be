"""Booked and unbooked promises counted apart: the recorder counts a booked
callback's verdict twice (among all, and among the booked), and the daily
summary derives the two rates from those counters."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from ari_app.desk.calendar import ServiceCalendar
from ari_app.desk.callback import Outcome, Promised
from ari_app.desk.promise import Booking, Room, Told
from ari_app.dialer import DialerPorts, DialerRules
from ari_app.dialer.recorder import Recorder
from ari_app.store.memory import MemoryCallbackStore
from ari_app.desk.figures import summary

T0 = datetime(2026, 12, 8, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


class Figures:
    """The daily counters, as ``DeskStats.add`` keeps them."""

    def __init__(self) -> None:
        self.counted: Counter[str] = Counter()

    async def add(self, field: str, amount: int = 1, when=None) -> None:
        self.counted[field] += amount


async def test_a_kept_slot_and_a_kept_estimate_are_counted_apart():
    store, figures = MemoryCallbackStore(lambda: T0), Figures()
    recorder = Recorder(DialerPorts(None, None, store, stats=figures),
                        DialerRules.of(ServiceCalendar.build()), clock=lambda: T0 + 60,
                        wake=lambda: None)
    slot = Promised(Told.BETWEEN, T0, T0 + 3600, Booking.CHOSEN)
    await store.create(number="13800138001", topic="wlan", note="", agent="", source="api",
                       deadline=T0 + 3600, due=T0, now=T0 - 600, promised=slot,
                       room=Room(T0, T0 + 3600, 6))
    await store.create(number="13800138002", topic="wlan", note="", agent="", source="api",
                       deadline=T0 + 1800, due=T0, now=T0 - 600,
                       promised=Promised(Told.WITHIN, T0 - 600, T0 + 1800))
    # The slot kept (dialled inside it), the estimate missed (dialled past its deadline).
    dialled = {"13800138001": T0 + 30, "13800138002": T0 + 1900}
    for _ in range(2):
        cb = await store.claim(lease=30, owner="me", now=T0)
        at = dialled[cb.request.number]
        await recorder.finish(cb, Outcome.ANSWERED, dialled_at=at, answered_at=at + 10)
    verdicts = {k: v for k, v in figures.counted.items() if "sla" in k}
    assert verdicts == {"sla_met": 1, "sla_breached": 1, "booked_sla_met": 1}, figures.counted


def test_the_summary_gives_the_booked_and_unbooked_rates_apart():
    day = summary({"sla_met": 7, "sla_breached": 3, "booked_sla_met": 4,
                   "booked_sla_breached": 0, "transfers": 200, "repeat": 4})
    assert day["sla_met_percent"] == 70.0
    assert day["booked_sla_met_percent"] == 100.0 and day["unbooked_sla_met_percent"] == 50.0
    assert day["repeat_rate_percent"] == 2.0
    nothing_booked = summary({"sla_met": 3, "sla_breached": 1})
    assert nothing_booked["booked_sla_met_percent"] is None
    assert nothing_booked["unbooked_sla_met_percent"] == 75.0
