"""SLA-risk alerts: the webhook against a real HTTP receiver on a loopback
port (timeout, bounded retries with back-off, a bounded queue that never
makes the caller wait, the payload's named fields), and the watch that
raises each callback newly at risk once, on the leader only."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from aiohttp import web

from ari_app.alerts.watch import RiskRule, RiskWatch
from ari_app.alerts.webhook import Delivery, Webhook, masked, payload
from ari_app.desk.callback import Callback, Request, Status, Times
from ari_app.store.memory import MemoryCallbackStore

NOW = 1_796_000_000.0   # 2026-11-30T00:53:20Z


class Receiver:
    """An HTTP server on 127.0.0.1 that answers each POST from a script of
    statuses (the last one repeats), or holds each request ``hold`` seconds."""

    def __init__(self, statuses=(200,), hold: float = 0.0) -> None:
        self.statuses, self.hold = list(statuses), hold
        self.bodies: list[dict] = []
        self.times: list[float] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.times.append(time.monotonic())
        self.bodies.append(await request.json())
        if self.hold:
            await asyncio.sleep(self.hold)
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return web.json_response({}, status=status)


@pytest.fixture
async def serve(aiohttp_server):
    async def start(receiver: Receiver) -> str:
        app = web.Application()
        app.router.add_post("/hook", receiver.handle)
        server = await aiohttp_server(app, host="127.0.0.1")
        return str(server.make_url("/hook"))
    return start


def callback(cb_id="cb7", number="13800138000", deadline_in=600.0) -> Callback:
    return Callback(cb_id, Status.OPEN, Request(number, topic="wlan"),
                    Times(deadline=NOW + deadline_in, due=NOW))


def test_the_payload_masks_the_number_and_gives_the_deadline_in_utc():
    body = payload(callback(deadline_in=600), NOW)
    assert body == {"event": "callback-at-risk", "callback_id": "cb7",
                    "number": "*******8000", "topic": "wlan",
                    "deadline": "2026-11-30T01:03:20Z", "minutes_left": 10.0}
    assert masked("123") == "123"


async def test_a_failing_receiver_is_retried_with_doubling_pauses_until_it_accepts(serve):
    rx = Receiver(statuses=(503, 500, 200))
    hook = Webhook(Delivery(await serve(rx), timeout=2, retries=3, backoff=0.2))
    assert await hook.send(payload(callback(), NOW)) is True
    assert len(rx.bodies) == 3 and rx.bodies[-1]["callback_id"] == "cb7"
    gaps = [b - a for a, b in zip(rx.times, rx.times[1:])]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4     # back-off: 0.2 s, then 0.4 s
    await hook.stop()


async def test_retries_are_bounded_and_each_try_times_out(serve):
    rx = Receiver(hold=5.0)
    hook = Webhook(Delivery(await serve(rx), timeout=0.3, retries=2, backoff=0.05))
    assert await hook.send(payload(callback(), NOW)) is False
    assert len(rx.bodies) == 3                   # the first try and two retries, no more
    await hook.stop()


async def test_a_refused_payload_is_not_retried(serve):
    rx = Receiver(statuses=(400,))
    hook = Webhook(Delivery(await serve(rx), retries=3, backoff=0.05))
    assert await hook.send(payload(callback(), NOW)) is False
    assert len(rx.bodies) == 1
    await hook.stop()


async def test_offering_never_waits_and_a_full_queue_drops_the_newest(serve):
    rx = Receiver(hold=5.0)
    hook = Webhook(Delivery(await serve(rx), timeout=10, retries=0, queue=2))
    hook.start()
    taken = [hook.offer(payload(callback(f"cb{i}"), NOW)) for i in range(5)]
    assert taken == [True, True, False, False, False]   # offer() is not even a coroutine
    assert hook.counts["dropped"] == 3
    await asyncio.sleep(0.2)                     # the worker took the first one...
    assert hook.offer(payload(callback("cb9"), NOW)) is True   # ...so one place is free
    await hook.stop()


async def test_delivered_alerts_are_counted_by_the_worker(serve):
    rx = Receiver()
    hook = Webhook(Delivery(await serve(rx)))
    hook.start()
    hook.offer(payload(callback("cb1"), NOW))
    hook.offer(payload(callback("cb2"), NOW))
    for _ in range(100):
        if hook.counts["sent"] == 2:
            break
        await asyncio.sleep(0.02)
    assert [b["callback_id"] for b in rx.bodies] == ["cb1", "cb2"]
    assert hook.counts["sent"] == 2
    await hook.stop()


async def _watch(leading: bool):
    clock = [NOW]
    store = MemoryCallbackStore(lambda: clock[0])
    for number, deadline_in in (("13800138001", 10 * 60), ("13800138002", 40 * 60)):
        await store.create(number=number, topic="wlan", note="", agent="", source="api",
                           deadline=NOW + deadline_in, due=NOW, now=NOW)
    events, alerts = [], []

    async def record(kind, fields):
        events.append((kind, fields))
    watch = RiskWatch(store, RiskRule(15), record=record, alert=alerts.append,
                      clock=lambda: clock[0])
    watch.raising = leading
    return watch, clock, events, alerts


async def test_the_watch_raises_each_callback_newly_at_risk_once():
    watch, clock, events, alerts = await _watch(leading=True)
    assert [cb.id for cb in await watch.check()] == ["cb1"]
    assert watch.count == 1 and [a["callback_id"] for a in alerts] == ["cb1"]
    assert events == [("callback-at-risk", {"callback": "cb1", "deadline": "2026-11-30T01:03:20Z",
                                            "minutes_left": "10.0"})]
    assert await watch.check() == []             # still at risk: not raised again
    clock[0] += 30 * 60                          # the second one comes within 15 min
    assert [cb.id for cb in await watch.check()] == ["cb2"]
    assert watch.count == 2 and watch.raised == 2


async def test_a_standby_counts_but_never_alerts():
    watch, _clock, events, alerts = await _watch(leading=False)
    assert await watch.check() == [] and watch.count == 1
    assert events == [] and alerts == []


async def test_a_replica_that_takes_the_lead_alerts_again_what_is_still_at_risk():
    """An alert may repeat, never be missed: the lead's change starts the
    alerts afresh, and their end stops them."""
    watch, _clock, _events, alerts = await _watch(leading=False)
    async with watch.leading():
        assert [cb.id for cb in await watch.check()] == ["cb1"]
    assert await watch.check() == [] and not watch.raising
    async with watch.leading():
        assert [cb.id for cb in await watch.check()] == ["cb1"]
    assert [a["callback_id"] for a in alerts] == ["cb1", "cb1"]


async def test_a_failed_alert_names_the_webhook_without_its_credentials(serve, caplog):
    rx = Receiver(statuses=(400,))
    url = (await serve(rx)).replace("http://", "http://ops:s3cret@") + "?key=abc"
    hook = Webhook(Delivery(url, retries=0))
    with caplog.at_level(logging.WARNING, logger="ari_app.alerts.webhook"):
        assert await hook.send(payload(callback(), NOW)) is False
    [line] = [r.getMessage() for r in caplog.records if "not delivered" in r.getMessage()]
    assert "s3cret" not in line and "ops" not in line and "key=abc" not in line
    assert "/hook" in line
    await hook.stop()
