"""``POST /api/callbacks`` with ``not_before`` and ``GET /api/callbacks?number=``
on the app factory (the real service and promises on the in-memory store):
hostile times refused with 422 naming the field, a full slot a 409 naming
the slots with room, a booking stored as its slot, the estimate returned,
and the relay's look-up masked."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ari_app.app import init_app
from ari_app.desk.promise import Measured
from ari_app.promises import PromiseRules, Promises
from ari_app.service import CallbacksService
from ari_app.settings import HttpSettings, Settings
from ari_app.store.memory import MemoryCallbackStore
from ari_app.web import callbacks_api
from tests.unit.test_app_factory import fakes

ADMIN, RELAY = "admin-token-0123456789abcdef", "relay-token-0123456789abcdef"
SUPERVISOR = "supervisor-token-0123456789ab"


def auth(token: str = ADMIN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def booking(aiohttp_client):
    """The app with a desk that takes six callbacks an hour (each holds a
    seat an hour), open 09:00-22:00 in Asia/Shanghai."""
    settings = Settings(http=HttpSettings(tokens=(f"admin:{ADMIN}", f"relay:{RELAY}",
                                                  f"supervisor:{SUPERVISOR}")))
    app = init_app(settings, fakes())
    real = app[callbacks_api.SERVICE]
    store = MemoryCallbackStore(clock=time.time)
    service = CallbacksService(store, real.calendar, real.numbers, real.topics, real.sla)
    service.promises = Promises(store, real.calendar, real.promises.board,
                                PromiseRules(book_days=7),
                                lambda: Measured((0.0,) * 24, 3600.0))
    app[callbacks_api.SERVICE] = service
    return await aiohttp_client(app), service


def local(days: int, hour: int, minute: int = 0) -> str:
    """A local time ``days`` from today in the desk's zone, as written (no offset)."""
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute).isoformat()


@pytest.mark.parametrize("not_before, why", [
    (local(-1, 10), "in the past"),
    (local(30, 10), "book_days"),
    (local(1, 23), "outside the desk's opening hours"),
    (local(1, 6, 30), "outside the desk's opening hours"),
    (local(2, 0) + "-05:00", "another time zone"),       # New York's midnight: 13:00 here
    (local(2, 2) + "Z", "another time zone"),             # 10:00 here, written in UTC
    (local(1, 10).replace("T", " "), "YYYY-MM-DDTHH:MM"),
    ("tomorrow 10:00", "YYYY-MM-DDTHH:MM"),
    (local(1, 10).replace("-", ""), "YYYY-MM-DDTHH:MM"),
    ("2026-W49-2T10:00", "YYYY-MM-DDTHH:MM"),
    ("２０２６-12-08T10:00", "ASCII digits"),                # full-width digits
    ("٢٠٢٦-12-08T10:00", "ASCII digits"),                  # Arabic-Indic digits
    (local(1, 10)[:5] + "13" + local(1, 10)[7:], "not a real date"),
    (1795000000, "YYYY-MM-DDTHH:MM"),
    (None, "YYYY-MM-DDTHH:MM"),
    ("2" * 5000, "YYYY-MM-DDTHH:MM"),
])
async def test_a_hostile_not_before_is_a_422_naming_the_field_and_nothing_is_stored(
        booking, not_before, why):
    client, service = booking
    resp = await client.post("/api/callbacks", json={"number": "13800138000",
                                                     "not_before": not_before}, headers=auth())
    body = await resp.json()
    assert resp.status == 422 and body["field"] == "not_before" and why in body["error"], body
    assert await service.count_open() == 0


async def test_a_booking_in_the_desks_zone_is_stored_as_its_slot(booking):
    client, _ = booking
    for number, written in (("13800138001", local(1, 10, 30)),
                            ("13800138011", local(1, 10, 30) + "+08:00")):
        resp = await client.post("/api/callbacks", json={"number": number,
                                                         "not_before": written}, headers=auth())
        body = await resp.json()
        assert resp.status in (200, 201), body
        cb = body["callback"]
        start = datetime.fromisoformat(local(1, 10, 30) + "+08:00")
        assert datetime.fromisoformat(cb["due"].replace("Z", "+00:00")) == start
        assert datetime.fromisoformat(cb["deadline"].replace("Z", "+00:00")) == \
            start + timedelta(hours=1)
        assert cb["promise"]["booking"] == "chosen" and cb["promise"]["told"] == "between"


async def test_a_slot_closing_early_is_cut_at_the_closing(booking):
    client, _ = booking
    resp = await client.post("/api/callbacks", json={"number": "13800138002",
                                                     "not_before": local(1, 21, 40)},
                             headers=auth())
    cb = (await resp.json())["callback"]
    closing = datetime.fromisoformat(local(1, 22) + "+08:00")
    assert datetime.fromisoformat(cb["deadline"].replace("Z", "+00:00")) == closing


async def test_a_full_slot_is_a_409_naming_the_slots_with_room(booking):
    """Six bookings fill the 11:00 slot (from 11:00 or 11:20 alike); the
    seventh is refused, and the number already booked there may book again."""
    client, service = booking
    for i, minute in enumerate((0, 20, 20, 40, 59, 0)):
        ok = await client.post("/api/callbacks", json={"number": f"1380013801{i}",
                                                       "not_before": local(1, 11, minute)},
                               headers=auth())
        assert ok.status == 201, await ok.json()
    full = await client.post("/api/callbacks", json={"number": "13800138019",
                                                     "not_before": local(1, 11, 30)},
                             headers=auth())
    body = await full.json()
    assert full.status == 409 and body["field"] == "not_before", body
    assert "11:00 is full" in body["error"] and "slots with room" in body["error"], body
    assert "T04:00:00Z to" in body["error"]                  # 12:00 local: the next slot
    assert await service.count_open() == 6
    again = await client.post("/api/callbacks", json={"number": "13800138010",
                                                      "not_before": local(1, 11, 45)},
                              headers=auth())
    assert again.status == 200, await again.json()


async def test_an_unbooked_request_returns_the_estimate(booking):
    client, _ = booking
    resp = await client.post("/api/callbacks", json={"number": "13800138005"}, headers=auth())
    promise = (await resp.json())["callback"]["promise"]
    assert promise["told"] in ("within", "between") and promise["booking"] in ("", "assigned")
    assert promise["by"].endswith("Z")


async def test_the_relay_looks_up_one_number_masked_and_may_not_list(booking):
    client, _ = booking
    await client.post("/api/callbacks", json={"number": "13800138006"}, headers=auth(RELAY))
    seen = await (await client.get("/api/callbacks?number=13800138006",
                                   headers=auth(RELAY))).json()
    assert seen["open"] == 1 and seen["callbacks"][0]["number"] == "•••••••8006"
    whole = await (await client.get("/api/callbacks?number=138 0013 8006",
                                    headers=auth(SUPERVISOR))).json()
    assert whole["callbacks"][0]["number"] == "13800138006"
    none = await (await client.get("/api/callbacks?number=13900000000",
                                   headers=auth(RELAY))).json()
    assert none == {"open": 0, "callbacks": []}
    listing = await client.get("/api/callbacks", headers=auth(RELAY))
    assert listing.status == 403 and "relay" in (await listing.json())["error"]
    bad = await client.get("/api/callbacks?number=%EF%BC%91%EF%BC%93", headers=auth(RELAY))
    assert bad.status == 422 and (await bad.json())["field"] == "number"


async def test_overnight_requests_fill_the_first_morning_slot_then_the_next(booking):
    """Made at 03:00 while closed: the 09:00-10:00 slot carries the six it
    has room for, the seventh is given 10:00-11:00, none is told the same
    10:00 as the rest; each is stored due at its slot's start."""
    _, service = booking
    night = datetime.fromisoformat(local(1, 3) + "+08:00")
    given = []
    for i in range(7):
        accepted = await service.request(number=f"1380013803{i}", source="api", now=night)
        promise = accepted.promise
        assert promise.booking.value == "assigned" and accepted.due == promise.start, promise
        given.append((promise.start.astimezone(night.tzinfo).hour,
                      promise.end.astimezone(night.tzinfo).hour))
    assert given == [(9, 10)] * 6 + [(10, 11)], given


async def test_an_offer_reads_every_slots_bookings_in_one_round_trip():
    """The capture's offer looks at up to 40 slots: their bookings are one
    read of the store, and full slots are passed over as before."""
    from ari_app.desk.board import Board
    from ari_app.settings import CalendarSettings, build_calendar

    class Counting(MemoryCallbackStore):
        reads = 0

        async def count_booked(self, spans):
            self.reads += 1
            return await super().count_booked(spans)

    calendar = build_calendar(CalendarSettings())
    store = Counting(clock=time.time)
    promises = Promises(store, calendar, Board("desk", ("8601",)), PromiseRules(seats=1),
                        lambda: Measured((0.0,) * 24, 3600.0))   # one callback an hour
    zone = calendar.zone
    now = datetime(2026, 12, 8, 6, 0, tzinfo=zone)           # closed; opens at 09:00
    store.waiting = {"cb1": datetime(2026, 12, 8, 9, 10, tzinfo=zone).timestamp(),
                     "cb2": datetime(2026, 12, 8, 11, 0, tzinfo=zone).timestamp()}
    found = await promises.slots(now, datetime(2026, 12, 8, 9, 0, tzinfo=zone), 3)
    assert [s.start.hour for s in found] == [10, 12, 13]    # 09:00 and 11:00 full
    assert store.reads == 1
    assert await promises.slots(now, datetime(2026, 12, 8, 9, 0, tzinfo=zone), 0) == []
    assert store.reads == 1
