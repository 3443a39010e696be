"""The in-memory callback store (``ari_app/store/memory.py``, which the SLA
simulation and the unit tests run on) against the real one in a real Redis:
the same scenarios, the same answers. A memory store that drifts from the
Lua fails here."""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio as redis

from ari_app.desk.callback import (Cancel, Outcome, Progress, Promised, Refused, Result,
                                   RetryPolicy, Sla, Stale, Status, Unreadable)
from ari_app.desk.promise import Booking, Room, Told
from ari_app.ports import SlotFull
from ari_app.store.callback_store import CallbackStore
from ari_app.store.records import MISMATCH, UNREADABLE
from lab.redis_server import RedisServer
from ari_app.store.memory import MemoryCallbackStore
from ari_app.store.memory_outbox import MemoryOutbox
from ari_app.store.outbox import Outbox

T0 = 1_800_000_000.0


@pytest.fixture(scope="module")
async def server():
    srv = RedisServer(appendonly=False)
    await srv.start()
    yield srv
    await srv.stop()
    srv.remove()


@pytest.fixture(params=["memory", "redis"])
async def store(request, server):
    if request.param == "memory":
        yield MemoryCallbackStore(lambda: T0)
        return
    client = redis.Redis.from_url(server.url, decode_responses=True)
    yield CallbackStore(client, prefix=f"contract-{uuid.uuid4().hex[:6]}:cb")
    await client.aclose()


async def make(store, number: str, *, deadline: float = T0 + 3600, due: float = T0,
               topic: str = "wlan"):
    return await store.create(number=number, topic=topic, note="", agent="1001",
                              source="api", deadline=deadline, due=due, now=T0)


async def test_one_unfinished_callback_per_number(store):
    first, created = await make(store, "13800138001")
    again, created_again = await make(store, "13800138001", topic="gprs")
    assert created and not created_again and again == first
    cb = await store.get(first)
    assert cb.status is Status.OPEN and cb.request.topic == "gprs"
    assert cb.request.agent == "1001" and cb.times.deadline == T0 + 3600
    assert cb.progress == Progress(0, 0, "0", None, "waiting")


async def test_claims_go_earliest_deadline_first_and_only_when_due(store):
    late, _ = await make(store, "13800138001", deadline=T0 + 7200)
    soon, _ = await make(store, "13800138002", deadline=T0 + 1800)
    later, _ = await make(store, "13800138003", deadline=T0 + 60, due=T0 + 600)
    assert await store.promote(T0) == 0
    first = await store.claim(lease=90, owner="me", now=T0)
    assert first.id == soon and first.progress.fence == "1" and first.progress.tries == 1
    assert first.status is Status.DIALLING and first.request.number == "13800138002"
    assert (await store.claim(lease=90, owner="me", now=T0)).id == late
    assert await store.claim(lease=90, owner="me", now=T0) is None
    assert (await store.claim(lease=90, owner="me", now=T0 + 600)).id == later


async def test_an_ending_needs_the_current_fence(store):
    cb_id, _ = await make(store, "13800138001")
    await store.claim(lease=90, owner="me", now=T0)
    assert await store.finish(cb_id, "0", status=Status.DONE, now=T0) is Stale.STALE
    assert await store.finish("cb999999", "1", status=Status.DONE, now=T0) is Stale.MISSING
    assert not await store.extend(cb_id, "0", T0 + 500)
    assert await store.extend(cb_id, "1", T0 + 500)
    assert await store.expired_leases(T0 + 499) == []
    assert await store.expired_leases(T0 + 500) == [cb_id]


async def test_an_ending_said_twice_is_recorded_once(store):
    """The reply to an ending can be lost with the connection; saying it again
    answers the same and changes nothing; after the next claim it is stale."""
    cb_id, _ = await make(store, "13800138001")
    await store.claim(lease=90, owner="me", now=T0)
    ending = dict(status=Status.OPEN, due=T0, reason="busy", outcome=Outcome.BUSY,
                  reached=True, first_dialled=T0 + 5, now=T0 + 10)
    assert await store.finish(cb_id, "1", **ending) is Status.OPEN
    assert await store.finish(cb_id, "1", **ending) is Status.OPEN
    cb = await store.get(cb_id)
    assert (cb.progress.attempts, cb.status) == (1, Status.OPEN)
    assert [h["event"] for h in await store.history(cb_id)] == ["created", "claimed", "attempt"]
    assert (await store.claim(lease=90, owner="me", now=T0 + 11)).progress.fence == "2"
    assert await store.finish(cb_id, "1", **ending) is Stale.STALE
    assert await store.finish(cb_id, "2", status=Status.FAILED, reason="x", now=T0 + 20) \
        is Status.FAILED
    assert await store.finish(cb_id, "2", status=Status.FAILED, reason="x", now=T0 + 21) \
        is Status.FAILED
    assert [h["event"] for h in await store.history(cb_id)].count("attempt") == 2


async def test_a_retry_waits_for_its_due_time_under_a_new_fence(store):
    cb_id, _ = await make(store, "13800138001")
    await store.claim(lease=90, owner="me", now=T0)
    stored = await store.finish(cb_id, "1", status=Status.OPEN, due=T0 + 120, reason="busy",
                                outcome=Outcome.BUSY, reached=True, sla=Sla.MET,
                                first_dialled=T0 + 5, now=T0 + 10)
    assert stored is Status.OPEN
    cb = await store.get(cb_id)
    assert (cb.progress.attempts, cb.progress.last_outcome) == (1, Outcome.BUSY)
    assert cb.result == Result(first_dialled=T0 + 5, sla=Sla.MET)
    assert await store.expired_leases(T0 + 1000) == []
    assert await store.claim(lease=90, owner="me", now=T0 + 119) is None
    again = await store.claim(lease=90, owner="me", now=T0 + 120)
    assert again.progress.fence == "2" and again.progress.tries == 2
    assert await store.finish(cb_id, "2", status=Status.DONE, reached=True, first_dialled=T0 + 200,
                              answered_at=T0 + 210, now=T0 + 300) is Status.DONE
    cb = await store.get(cb_id)
    assert (cb.status, cb.progress.attempts) == (Status.DONE, 2)
    assert cb.result == Result(T0 + 5, T0 + 210, Sla.MET)


async def test_cancel_once_then_it_has_ended_and_the_number_is_free(store):
    cb_id, _ = await make(store, "13800138001")
    assert (await store.cancel(cb_id, now=T0)).result is Cancel.CANCELLED
    again = await store.cancel(cb_id, now=T0)
    assert again.result is Cancel.ENDED and again.ended is Status.CANCELLED
    assert (await store.cancel("cb999999", now=T0)).result is Cancel.MISSING
    fresh, created = await make(store, "13800138001")
    assert created and fresh != cb_id


async def test_an_attempt_ending_after_a_cancel_keeps_the_cancel(store):
    cb_id, _ = await make(store, "13800138001")
    await store.claim(lease=90, owner="me", now=T0)
    await store.cancel(cb_id, now=T0 + 1)
    assert await store.finish(cb_id, "1", status=Status.OPEN, due=T0 + 60, now=T0 + 2) \
        is Status.CANCELLED


async def test_a_live_caller_serves_an_open_callback_not_one_being_dialled(store):
    open_id, _ = await make(store, "13800138001")
    busy_id, _ = await make(store, "13800138002", deadline=T0 + 10)
    claimed = await store.claim(lease=90, owner="me", now=T0)
    assert claimed.id == busy_id
    assert await store.serve_number("13800138002", "live", now=T0) is None
    assert await store.serve_number("13800138001", "live", now=T0) == open_id
    assert (await store.get(open_id)).status is Status.SERVED
    assert await store.serve_number("13900000000", "live", now=T0) is None


async def test_the_next_claim_and_the_deadline_index_are_read_earliest_first(store):
    assert await store.earliest_ready() is None
    late, _ = await make(store, "13800138001", deadline=T0 + 7200)
    soon, _ = await make(store, "13800138002", deadline=T0 + 1800)
    waiting, _ = await make(store, "13800138003", deadline=T0 + 60, due=T0 + 600)
    assert (await store.earliest_ready()).id == soon      # what the next claim takes
    assert [cb.id for cb in await store.open_due_by(T0 + 1800)] == [waiting, soon]
    assert [cb.id for cb in await store.open_due_by(T0 + 9999, limit=2)] == [waiting, soon]
    await store.claim(lease=90, owner="me", now=T0)
    assert (await store.earliest_ready()).id == late


async def raw(store, cb_id: str) -> dict[str, str]:
    """The stored hash as it is (empty: none), read past the store."""
    if isinstance(store, MemoryCallbackStore):
        return dict(store.hashes.get(cb_id, {}))
    return await store.r.hgetall(f"{store.p}:{cb_id}")


# What anyone holding the store's login can write: the same on both stores.
async def tamper(store, cb_id: str, **fields: str) -> None:
    if isinstance(store, MemoryCallbackStore):
        store.hashes[cb_id].update(fields)
    else:
        await store.r.hset(f"{store.p}:{cb_id}", mapping=fields)


async def plant(store, cb_id: str, record: dict[str, str] | None, **scores: float) -> None:
    """A record (None: none) and its id in the named sorted sets."""
    memory = isinstance(store, MemoryCallbackStore)
    if record is not None:
        if memory:
            store.hashes[cb_id] = dict(record)
        else:
            await store.r.hset(f"{store.p}:{cb_id}", mapping=record)
    for zset, score in scores.items():
        if memory:
            getattr(store, zset)[cb_id] = score
        else:
            await store.r.zadd(f"{store.p}:{zset}", {cb_id: score})


def written(cb_id: str, **fields: str) -> dict[str, str]:
    """A due record as CREATE writes it, with ``fields`` changed."""
    return {"id": cb_id, "number": "13800138009", "topic": "", "note": "", "agent": "",
            "source": "api", "status": "open", "created": "1800000000",
            "updated": "1800000000", "deadline": "1800003600", "due": "1800000000",
            "attempts": "0", "tries": "0", "fence": "0", "reason": "waiting", **fields}


@pytest.mark.parametrize("fields, why", [
    ({"id": "cb1x,SECCHECK=from-redis,DESK_OUT_TRUNK=1001"}, "its id field differs from its key"),
    ({"id": "cb1x"}, "its id field differs from its key"),
    ({"status": "dialling"}, "its status is not open"),
    ({"fence": "0,X=1"}, "its fence is not a count"),
    ({"tries": "-1"}, "its tries is not a count"),
    ({"attempts": "\u0663"}, "its attempts is not a count"),     # an Arabic-Indic three
    ({"deadline": "soon"}, "its deadline is not a time"),
    ({"deadline": "inf"}, "its deadline is not a time"),
])
async def test_a_record_that_disagrees_with_its_key_is_refused_and_ended_failed(
        store, fields, why):
    cb_id, _ = await make(store, "13800138001")
    other, _ = await make(store, "13800138002", deadline=T0 + 7200)
    await tamper(store, cb_id, **fields)
    assert await store.claim(lease=90, owner="me", now=T0) == \
        Refused(cb_id, "record-mismatch", MISMATCH + why)
    record = await raw(store, cb_id)
    assert (record["status"], record["reason"], record["last_outcome"]) == \
        ("failed", MISMATCH + why, "not-placed")
    assert [h["event"] for h in await store.history(cb_id)][-1] == "not-placed"
    assert (await store.claim(lease=90, owner="me", now=T0)).id == other
    assert await store.claim(lease=90, owner="me", now=T0) is None
    assert await store.count_open() == 1            # the other one, being dialled
    assert (await make(store, "13800138001"))[1] is True    # the number is free again


@pytest.mark.parametrize("cb_id, record, why", [
    ("cb77", None, "no record under its key"),
    ("x1", written("x1"), "its key is not a callback id (cb and digits)"),
    ("cb1,X=1", written("cb1,X=1"), "its key is not a callback id (cb and digits)"),
    ("cb0", written("cb0"), "its key is not a callback id (cb and digits)"),
])
async def test_a_ready_id_that_is_no_callback_of_the_store_is_refused(store, cb_id, record,
                                                                      why):
    await plant(store, cb_id, record, ready=T0)
    assert await store.claim(lease=90, owner="me", now=T0) == \
        Refused(cb_id, "record-mismatch", MISMATCH + why)
    assert await store.claim(lease=90, owner="me", now=T0) is None
    assert (await raw(store, cb_id)).get("status") in (None, "failed")


async def test_a_waiting_id_whose_deadline_is_not_a_number_stops_no_promotion(store):
    await plant(store, "cb88", written("cb88", deadline="soon", due=str(T0 - 5)), waiting=T0 - 5)
    cb_id, _ = await make(store, "13800138001", due=T0 - 1)
    await store.promote(T0, limit=1)     # cb88 first, alone
    assert await store.promote(T0) == 0
    assert await store.claim(lease=90, owner="me", now=T0) == \
        Refused("cb88", "record-mismatch", MISMATCH + "its deadline is not a time")
    assert (await store.claim(lease=90, owner="me", now=T0)).id == cb_id


@pytest.mark.parametrize("fields, reason", [
    ({"attempts": "3"}, "its 3 attempt(s) at the customer are used up (at most 3)"),
    ({"tries": "13"}, "claimed 13 times already (at most 13)"),
])
async def test_a_record_whose_tries_are_used_up_is_refused(store, fields, reason):
    cb_id, _ = await make(store, "13800138001")
    await tamper(store, cb_id, **fields)
    assert await store.claim(lease=90, owner="me", now=T0) == Refused(cb_id, "used-up", reason)
    assert (await raw(store, cb_id))["status"] == "failed"


async def test_every_way_back_to_the_queue_counts_so_the_claims_are_bounded(store):
    """Requeued after a lapsed lease, deferred, or retried: each return ends
    in a claim, and each claim counts against the same limits."""
    policy = RetryPolicy(max_attempts=1, seat_tries=2)
    cb_id, _ = await make(store, "13800138001")
    for n in range(1, policy.max_tries + 1):
        claimed = await store.claim(lease=90, owner="me", now=T0 + n, policy=policy)
        assert claimed.progress.fence == str(n)
        assert await store.finish(cb_id, str(n), status=Status.OPEN, due=T0 + n, reason="back",
                                  event="requeued", now=T0 + n) is Status.OPEN
    assert await store.claim(lease=90, owner="me", now=T0 + 9, policy=policy) == \
        Refused(cb_id, "used-up", "claimed 3 times already (at most 3)")
    assert await store.count_open() == 0


async def test_a_lease_entry_with_no_callback_being_dialled_behind_it_is_forgotten(store):
    cb_id, _ = await make(store, "13800138001")
    await store.claim(lease=90, owner="me", now=T0)
    await plant(store, "cb77", None, leases=T0)
    assert await store.forget_lease(cb_id) is False          # being dialled: kept
    assert await store.forget_lease("cb77") is True
    assert await store.expired_leases(T0 + 999) == [cb_id]


async def test_a_record_under_a_lapsed_lease_is_read_typed_or_unreadable(store):
    """What recovery takes back: nothing when the callback is not being
    dialled, the typed callback, or an unreadable record it can still end."""
    cb_id, _ = await make(store, "13800138001")
    assert await store.record(cb_id) is None                 # open: nothing to take back
    await store.claim(lease=90, owner="me", now=T0)
    got = await store.record(cb_id)
    assert (got.id, got.status, got.progress.fence) == (cb_id, Status.DIALLING, "1")
    await tamper(store, cb_id, id="cb1x")
    assert await store.record(cb_id) == Unreadable(
        cb_id, "1", "record-mismatch", MISMATCH + "its id field differs from its key",
        "13800138001")
    assert await store.record("cb999999") is None


async def test_a_claimed_record_whose_field_cannot_be_read_comes_back_unreadable(store):
    cb_id, _ = await make(store, "13800138001")
    await tamper(store, cb_id, last_outcome="bogus")
    got = await store.claim(lease=90, owner="me", now=T0)
    assert isinstance(got, Unreadable) and (got.id, got.fence) == (cb_id, "1")
    assert got.reason.startswith(UNREADABLE + "ValueError")
    assert await store.finish(cb_id, got.fence, status=Status.FAILED, reason=got.reason,
                              outcome=Outcome.NOT_PLACED, event="not-placed", now=T0) \
        is Status.FAILED
    assert (await raw(store, cb_id))["last_outcome"] == "not-placed"
    assert await store.count_open() == 0


async def test_a_booking_keeps_its_promise_and_is_refused_when_its_slot_is_full(store):
    """Two places in the 10:00-11:00 slot: two bookings take them (one made
    from 10:20, its promise kept as told), a third is refused and stores
    nothing, and the first number may move within the slot it holds."""
    room = Room(T0, T0 + 3600, 2)
    told = Promised(Told.BETWEEN, T0 + 1200, T0 + 4800, Booking.CHOSEN)
    first, _ = await store.create(number="13800138001", topic="", note="", agent="",
                                  source="api", deadline=T0 + 4800, due=T0 + 1200,
                                  now=T0 - 60, promised=told, room=room)
    await store.create(number="13800138002", topic="", note="", agent="", source="api",
                       deadline=T0 + 3600, due=T0, now=T0 - 60, room=room,
                       promised=Promised(Told.BETWEEN, T0, T0 + 3600, Booking.ASSIGNED))
    with pytest.raises(SlotFull):
        await store.create(number="13800138003", topic="", note="", agent="", source="api",
                           deadline=T0 + 3600, due=T0, now=T0 - 60, room=room)
    assert await store.open_for("13800138003") is None
    assert await store.count_booked([(T0, T0 + 3600), (T0 + 3600, T0 + 7200)]) == [2, 0]
    assert await store.count_ahead(T0 + 3600) == 1
    cb = await store.get(first)
    assert cb.promised == told and cb.booked and cb.times.due == T0 + 1200
    moved, created = await store.create(number="13800138001", topic="", note="", agent="",
                                        source="api", deadline=T0 + 5400, due=T0 + 1800,
                                        now=T0 - 30, room=room, promised=Promised(
                                            Told.BETWEEN, T0 + 1800, T0 + 5400,
                                            Booking.CHOSEN))
    assert moved == first and not created
    assert (await store.get(first)).times.due == T0 + 1800
    assert (await store.history(first))[-1]["event"] == "booked"
    assert await store.claim(lease=90, owner="me", now=T0 + 1799) is not None   # the other one
    assert await store.claim(lease=90, owner="me", now=T0 + 1799) is None       # not before
    assert (await store.claim(lease=90, owner="me", now=T0 + 1800)).id == first


async def test_a_booking_does_not_move_a_callback_being_dialled(store):
    cb_id, _ = await make(store, "13800138001")
    await store.claim(lease=90, owner="me", now=T0)
    again, created = await store.create(
        number="13800138001", topic="", note="", agent="", source="api",
        deadline=T0 + 7200, due=T0 + 3600, now=T0, room=Room(T0 + 3600, T0 + 7200, 5),
        promised=Promised(Told.BETWEEN, T0 + 3600, T0 + 7200, Booking.CHOSEN))
    cb = await store.get(cb_id)
    assert again == cb_id and not created and not cb.booked and cb.times.due == T0


@pytest.fixture(params=["memory", "redis"])
async def outbox(request, server):
    if request.param == "memory":
        yield MemoryOutbox()
        return
    client = redis.Redis.from_url(server.url, decode_responses=True)
    yield Outbox(client, prefix=f"contract-{uuid.uuid4().hex[:6]}:notify")
    await client.aclose()


async def test_the_outbox_queues_once_keeps_what_fails_and_forgets_what_is_delivered(outbox):
    first = await outbox.enqueue("cb1:booked", '{"a":1}', event="callback-booked",
                                 callback="cb1", now=T0, keep=60)
    assert first and await outbox.enqueue("cb1:booked", '{"a":2}', event="callback-booked",
                                          callback="cb1", now=T0, keep=60) is None
    second = await outbox.enqueue("cb2:late", '{"b":1}', event="callback-late",
                                  callback="cb2", now=T0 + 1, keep=60)
    due = await outbox.due(T0 + 1)
    assert [(e.id, e.body, e.tries, e.callback) for e in due] == [
        (first, '{"a":1}', 0, "cb1"), (second, '{"b":1}', 0, "cb2")]
    await outbox.retry(first, T0 + 30, "HTTP 503")
    assert [e.id for e in await outbox.due(T0 + 29)] == [second]
    assert [(e.id, e.tries) for e in await outbox.due(T0 + 30)] == [(second, 0), (first, 1)]
    await outbox.done(second)
    await outbox.refuse(first, T0 + 31, "HTTP 400", 60)
    assert await outbox.due(T0 + 1000) == [] and await outbox.waiting() == 0
