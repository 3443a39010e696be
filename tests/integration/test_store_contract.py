"""The fake callback store (``tests/fakes/store.py``, which the unit tests and
the SLA benchmark run on) against the real one in a real Redis: the same
scenarios, the same answers. A fake that drifts from the Lua fails here."""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio as redis

from ari_app.desk.callback import Cancel, Outcome, Progress, Result, Sla, Stale, Status
from ari_app.store.callback_store import CallbackStore
from lab.redis_server import RedisServer
from tests.fakes.store import FakeCallbackStore

T0 = 1_800_000_000.0


@pytest.fixture(scope="module")
async def server():
    srv = RedisServer(appendonly=False)
    await srv.start()
    yield srv
    await srv.stop()
    srv.remove()


@pytest.fixture(params=["fake", "redis"])
async def store(request, server):
    if request.param == "fake":
        yield FakeCallbackStore(lambda: T0)
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
    assert first["id"] == soon and first["fence"] == "1" and first["tries"] == "1"
    assert first["status"] == "dialling"
    assert (await store.claim(lease=90, owner="me", now=T0))["id"] == late
    assert await store.claim(lease=90, owner="me", now=T0) is None
    assert (await store.claim(lease=90, owner="me", now=T0 + 600))["id"] == later


async def test_an_ending_needs_the_current_fence(store):
    cb_id, _ = await make(store, "13800138001")
    await store.claim(lease=90, owner="me", now=T0)
    assert await store.finish(cb_id, "0", status="done", now=T0) is Stale.STALE
    assert await store.finish("cb999999", "1", status="done", now=T0) is Stale.MISSING
    assert not await store.extend(cb_id, "0", T0 + 500)
    assert await store.extend(cb_id, "1", T0 + 500)
    assert await store.expired_leases(T0 + 499) == []
    assert await store.expired_leases(T0 + 500) == [cb_id]


async def test_an_ending_said_twice_is_recorded_once(store):
    """The reply to an ending can be lost with the connection; saying it again
    answers the same and changes nothing; after the next claim it is stale."""
    cb_id, _ = await make(store, "13800138001")
    await store.claim(lease=90, owner="me", now=T0)
    ending = dict(status="open", due=T0, reason="busy", outcome=Outcome.BUSY.value,
                  reached=True, first_dialled=T0 + 5, now=T0 + 10)
    assert await store.finish(cb_id, "1", **ending) is Status.OPEN
    assert await store.finish(cb_id, "1", **ending) is Status.OPEN
    cb = await store.get(cb_id)
    assert (cb.progress.attempts, cb.status) == (1, Status.OPEN)
    assert [h["event"] for h in await store.history(cb_id)] == ["created", "claimed", "attempt"]
    assert (await store.claim(lease=90, owner="me", now=T0 + 11))["fence"] == "2"
    assert await store.finish(cb_id, "1", **ending) is Stale.STALE
    assert await store.finish(cb_id, "2", status="failed", reason="x", now=T0 + 20) \
        is Status.FAILED
    assert await store.finish(cb_id, "2", status="failed", reason="x", now=T0 + 21) \
        is Status.FAILED
    assert [h["event"] for h in await store.history(cb_id)].count("attempt") == 2


async def test_a_retry_waits_for_its_due_time_under_a_new_fence(store):
    cb_id, _ = await make(store, "13800138001")
    await store.claim(lease=90, owner="me", now=T0)
    stored = await store.finish(cb_id, "1", status="open", due=T0 + 120, reason="busy",
                                outcome=Outcome.BUSY.value, reached=True, sla=Sla.MET.value,
                                first_dialled=T0 + 5, now=T0 + 10)
    assert stored is Status.OPEN
    cb = await store.get(cb_id)
    assert (cb.progress.attempts, cb.progress.last_outcome) == (1, Outcome.BUSY)
    assert cb.result == Result(first_dialled=T0 + 5, sla=Sla.MET)
    assert await store.expired_leases(T0 + 1000) == []
    assert await store.claim(lease=90, owner="me", now=T0 + 119) is None
    again = await store.claim(lease=90, owner="me", now=T0 + 120)
    assert again["fence"] == "2" and again["tries"] == "2"
    assert await store.finish(cb_id, "2", status="done", reached=True, first_dialled=T0 + 200,
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
    assert await store.finish(cb_id, "1", status="open", due=T0 + 60, now=T0 + 2) \
        is Status.CANCELLED


async def test_a_live_caller_serves_an_open_callback_not_one_being_dialled(store):
    open_id, _ = await make(store, "13800138001")
    busy_id, _ = await make(store, "13800138002", deadline=T0 + 10)
    claimed = await store.claim(lease=90, owner="me", now=T0)
    assert claimed["id"] == busy_id
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
