"""Redis with Sentinel: the master SIGKILLed under the controller's own Redis
code (its client, its callback store, its leader lease) on a real master, a
real replica and three real sentinels (lab/sentinel.py).

The five processes are started once for the file (their start takes
seconds) and shared by its tests, which run on one pytest-xdist worker.
After the sentinels have promoted the replica, the killed server is started
again as the new master's replica, because with the one replica promoted no
write can be confirmed by a replica and none is acknowledged (the master
refuses them: ``min-replicas-to-write 1``). Each test starts on a set that
is steady again (a master, its replica in sync, every sentinel agreeing)
and empty, and asks which server is master now rather than assume the
first.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter

import pytest
import pytest_asyncio
import redis.asyncio as redis
from redis.exceptions import RedisError

from ari_app.leader import Leadership
from ari_app.lease_clock import LeaseClock
from ari_app.store.callback_store import CallbackStore
from ari_app.store.leases import LeaderLease
from ari_app.store.connection import RedisStore
from ari_app.store.durable import NotDurable, Replication
from lab.controller import ControllerProcess
from lab.sentinel import MASTER_NAME, SentinelRedis
from lab.stack import SEATS

pytestmark = pytest.mark.xdist_group("sentinel")

# Failures during the failover are expected and counted; nothing else is.
IN_DOUBT = (RedisError, OSError, asyncio.TimeoutError)
# Failovers per test: 1 in `make test`, more in `make test-failover`.
ROUNDS = int(os.environ.get("DATADESK_FAILOVERS", "1"))


@pytest_asyncio.fixture(scope="module")
async def sentinel_set():
    lab = SentinelRedis()
    try:
        await lab.start()
        yield lab
    finally:
        await lab.stop()


@pytest_asyncio.fixture
async def sentinels(sentinel_set):
    """The set, steady and empty, whatever the test before left."""
    await sentinel_set.steady()
    yield sentinel_set


def controller_store(lab: SentinelRedis) -> RedisStore:
    """What a controller with ``[redis] sentinels``, ``master_name`` and
    ``wait_replicas = 1`` builds (its own user, discovery only on the sentinels)."""
    return RedisStore("", username="datadesk", password=lab.controller_password,
                      replication=Replication(tuple(("127.0.0.1", p) for p in lab.sentinel_ports),
                                              MASTER_NAME, replicas=1, wait_ms=500))


async def fail_over(lab: SentinelRedis) -> tuple[float, float]:
    """SIGKILL the master; returns (when, seconds until the sentinels named
    another), then brings the killed server back as the new replica."""
    victim, killed = await lab.kill_master()
    promoted = await lab.wait_failover(victim.port)
    await lab.restart_as_replica(victim)
    return killed, promoted - killed


async def admin_read(lab: SentinelRedis) -> redis.Redis:
    port = await lab.master_port()
    return redis.Redis(port=port, password=lab.admin_password, decode_responses=True)


def new_request(store: CallbackStore, number: str):
    now = time.time()
    return store.create(number=number, topic="billing", note="", agent="a1", source="api",
                        deadline=now + 3600, due=0, now=now)


async def test_callbacks_acknowledged_before_the_master_is_killed_all_survive(sentinels, report):
    store = controller_store(sentinels)
    callbacks = CallbackStore(store.client)
    acknowledged: dict[str, str] = {}   # id -> number: what the API answered 201 for
    refused = 0
    stop = asyncio.Event()

    async def agents() -> None:
        nonlocal refused
        n = 0
        while not stop.is_set():
            n += 1
            number = f"1380013{n:04d}"
            try:
                cb_id, _ = await asyncio.wait_for(new_request(callbacks, number), 3)
                acknowledged[cb_id] = number
            except IN_DOUBT:
                refused += 1          # the API answers 503: the agent is told to retry
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.005)

    writer = asyncio.create_task(agents())
    failovers, backs = [], []
    while len(acknowledged) < 50:
        await asyncio.sleep(0.01)
    for _ in range(ROUNDS):
        before = len(acknowledged)
        killed, failover = await fail_over(sentinels)
        while len(acknowledged) < before + 50:   # acknowledged again after the failover
            await asyncio.sleep(0.05)
        failovers.append(failover)
        backs.append(time.monotonic() - killed)
    stop.set()
    await writer
    admin = await admin_read(sentinels)
    lost = [i for i, number in acknowledged.items()
            if (await admin.hget(f"datadesk:cb:{i}", "number")) != number]
    await admin.aclose()
    await store.stop()
    report(f"{ROUNDS} failover(s), at most {max(failovers):.1f} s (SIGKILL to a new master); "
           f"requests acknowledged again at most {max(backs):.1f} s after the kill "
           f"(the killed server back as replica); {len(acknowledged)} callbacks acknowledged, "
           f"{len(lost)} lost; {refused} answered 503 during the failover")
    assert not lost


async def test_claims_in_flight_when_the_master_is_killed_dial_no_number_twice(sentinels, report):
    store = controller_store(sentinels)
    callbacks = CallbackStore(store.client)
    total = 80 * ROUNDS
    for n in range(total):
        await new_request(callbacks, f"139001{n:05d}")
    dials: list[tuple[str, str, str]] = []   # (id, fence, number) of each claim returned
    in_doubt = 0
    stop = asyncio.Event()

    async def dialer() -> None:
        nonlocal in_doubt
        while not stop.is_set():
            try:
                cb = await asyncio.wait_for(callbacks.claim(lease=90, owner="replica-a"), 3)
            except IN_DOUBT:
                in_doubt += 1         # not returned: the dialer places no call for it
                await asyncio.sleep(0.05)
                continue
            if cb is None:
                return
            dials.append((cb["id"], cb["fence"], cb["number"]))
            await asyncio.sleep(0.02)

    task = asyncio.create_task(dialer())
    failovers = []
    for _ in range(ROUNDS):
        before = len(dials)
        while len(dials) < before + 20:
            await asyncio.sleep(0.01)
        failovers.append((await fail_over(sentinels))[1])
    await asyncio.wait_for(task, 120)
    stop.set()
    twice = [n for n, count in Counter(number for _, _, number in dials).items() if count > 1]
    admin = await admin_read(sentinels)
    # The fence each call carried is the one the promoted master holds: no
    # later claim can carry it again.
    moved = [(i, f) for i, f, _ in dials if await admin.hget(f"datadesk:cb:{i}", "fence") != f]
    await admin.aclose()
    await store.stop()
    report(f"{ROUNDS} failover(s), at most {max(failovers):.1f} s; {len(dials)} claims dialled "
           f"of {total}, {in_doubt} claims "
           f"refused or unanswered during the failover (none dialled); "
           f"numbers dialled twice: {len(twice)}")
    assert not twice and not moved
    assert len(dials) >= 20 * ROUNDS


async def test_two_replicas_while_the_leader_renews_its_lease_never_lead_at_once(
        sentinels, report):
    stores = [controller_store(sentinels) for _ in range(2)]
    leases = [LeaderLease(s.client) for s in stores]
    replicas = [Leadership(LeaseClock(lease.take), lease.resign) for lease in leases]
    samples: list[int] = []
    stop = asyncio.Event()

    async def watch() -> None:
        while not stop.is_set():
            samples.append(sum(r.is_leader for r in replicas))
            await asyncio.sleep(0.01)

    for replica in replicas:
        replica.start()
    watcher = asyncio.create_task(watch())
    while not any(r.is_leader for r in replicas):
        await asyncio.sleep(0.05)
    first = next(r for r in replicas if r.is_leader)
    failovers = []
    for _ in range(ROUNDS):
        await asyncio.sleep(1.5)      # a renewal or two, then the kill while it renews
        killed, failover = await fail_over(sentinels)
        failovers.append(failover)
        await steady_leader(replicas, killed)
    stop.set()
    await watcher
    for replica in replicas:
        await replica.stop()
    for store in stores:
        await store.stop()
    leaderless = sum(1 for s in samples if s == 0) * 0.01
    report(f"{ROUNDS} failover(s), at most {max(failovers):.1f} s; leaders at once: at most {max(samples)} "
           f"({len(samples)} samples); leaderless about {leaderless:.1f} s; "
           f"{'the same' if first.is_leader else 'the other'} replica leads after")
    assert max(samples) == 1


async def steady_leader(replicas: list[Leadership], killed: float) -> None:
    """Until one replica has led for 2.5 s (two renewals) without a break."""
    since = None
    while since is None or time.monotonic() - since < 2.5:
        leading = any(r.is_leader for r in replicas)
        since = (since or time.monotonic()) if leading else None
        assert time.monotonic() - killed < 60, "no leader within 60 s of the failover"
        await asyncio.sleep(0.05)


async def test_two_controllers_on_sentinel_master_killed_with_callbacks_open(
        sentinels, stack, report):
    """The whole controller: two replicas on the Sentinel set, callbacks
    accepted by the API (201) while every seat is paused, the master
    SIGKILLed; then the seats come back: each callback is dialled once, and
    at no moment do both replicas say they lead."""
    await stack.controller.stop()   # the lab's own controller holds the plain Redis
    settings = stack.controller_settings({"redis": {
        "sentinels": sentinels.sentinel_addresses, "master_name": MASTER_NAME,
        "wait_replicas": 1, "username": "datadesk", "password": sentinels.controller_password}})
    a, b = ControllerProcess(settings), ControllerProcess(settings)
    numbers = [f"1380013883{i}" for i in range(4)]
    samples: list[int] = []
    stop = asyncio.Event()

    async def roles() -> None:
        while not stop.is_set():
            leading = 0
            for replica in (a, b):
                try:
                    leading += (await replica.health())[1].get("role") == "leader"
                except Exception:
                    pass      # a replica not answering is not leading
            samples.append(leading)
            await asyncio.sleep(0.1)

    watcher = None
    try:
        await a.start()
        await b.start(role="standby")
        watcher = asyncio.create_task(roles())
        await stack.probe.pause(SEATS, reason="meeting")
        for number in numbers:
            await stack.phones.on_ring(number, "answer")
        mark = stack.probe.log.mark()
        ids = []
        for number in numbers:
            status, body = await a.request("POST", "/api/callbacks", {"number": number})
            assert status == 201, body
            ids.append(body["callback"]["id"])
        _, failover = await fail_over(sentinels)
        await stack.probe.pause(SEATS, paused=False)
        ended = await callbacks_ended(a, b, ids)
        stop.set()
        await watcher
        dials = Counter(e.get("DialString") for e in stack.probe.log.since(mark)
                        if e.get("Event") == "DialBegin")
        twice = [n for n in numbers if dials[f"{n}@carrier"] > 1]
        report(f"failover {failover:.1f} s; {len(ids)} callbacks accepted (201), "
               f"{sum(1 for cb in ended if cb['status'] == 'done')} done after it, lost "
               f"{len(ids) - len(ended)}; numbers dialled twice: {len(twice)}; leaders at "
               f"once: at most {max(samples)} ({len(samples)} samples of /healthz)")
        assert len(ended) == len(ids) and all(cb["status"] == "done" for cb in ended)
        assert all(dials[f"{n}@carrier"] == 1 for n in numbers)
        assert max(samples) <= 1
    finally:
        stop.set()
        if watcher is not None:
            await asyncio.gather(watcher, return_exceptions=True)
        for replica in (a, b):
            await replica.stop()
            replica.remove()
        await stack.probe.pause(SEATS, paused=False, check=False)
        await stack.start_controller()


async def callbacks_ended(a, b, ids: list[str], timeout: float = 120) -> list[dict]:
    """The callbacks once all have ended (asked of whichever replica answers)."""
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for cb_id in ids:
            for replica in (a, b):
                try:
                    status, body = await replica.request("GET", f"/api/callbacks/{cb_id}")
                except Exception:
                    continue
                if status == 200:
                    found.append(body["callback"])
                    break
        if len(found) == len(ids) and all(cb["status"] not in ("open", "dialling")
                                          for cb in found):
            return found
        if time.monotonic() > deadline:
            return [cb for cb in found if cb["status"] not in ("open", "dialling")]
        await asyncio.sleep(0.5)


async def test_a_write_no_replica_confirms_is_not_acknowledged(sentinels, report):
    """The replica stopped (SIGSTOP): the master takes the create but WAIT
    times out, so the controller answers an error (the API's 503), never 201."""
    store = controller_store(sentinels)
    callbacks = CallbackStore(store.client)
    await new_request(callbacks, "13700137000")           # the replica confirms
    _, replica = await sentinels.roles()
    replica.kill(signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(NotDurable, match="0 of 1 replica"):
            await new_request(callbacks, "13700137001")
        refused_in = time.monotonic() - started
    finally:
        replica.kill(signal.SIGCONT)
    await new_request(callbacks, "13700137002")           # confirmed again
    await store.stop()
    report(f"a create no replica confirmed was refused after {refused_in * 1000:.0f} ms "
           f"(wait_timeout 500 ms)")
