"""docker/compose.yaml with docker/compose.sentinel.yaml, built and run with
podman: the same calls as the plain file, then the Redis master's container
SIGKILLed while callbacks are open."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter

import pytest_asyncio
import redis.asyncio as redis
from redis.exceptions import RedisError

from lab.compose import SENTINEL_PORTS
from lab.compose_lab import ComposeLab
from lab.stack import SEATS

from tests.compose.conftest import deployed
from tests.compose.flows import (callback_captured_stored_dialled, customer_dials,
                                 down_leaves_only_its_volumes, http_faces, settle,
                                 transfer_bridged, wait_status)

SERVERS = {6379: "redis", SENTINEL_PORTS["redis-replica"]: "redis-replica"}


@pytest_asyncio.fixture(scope="module")
async def lab(podman, built):
    async for lab in deployed(podman, "sentinel", sentinel=True):
        yield lab


def admin(lab: ComposeLab, port: int) -> redis.Redis:
    return redis.Redis(port=port, username="default", socket_timeout=2,
                       password=lab.deployment.keys.redis_admin, decode_responses=True)


async def master_port(lab: ComposeLab) -> int | None:
    """The master's port as a majority of the three sentinels name it."""
    seen: Counter[int] = Counter()
    for name in ("sentinel-1", "sentinel-2", "sentinel-3"):
        client = admin(lab, SENTINEL_PORTS[name])
        try:
            addr = await client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME",
                                                "datadesk")
            if addr:
                seen[int(addr[1])] += 1
        except (RedisError, OSError):
            pass
        finally:
            await client.aclose()
    port, votes = seen.most_common(1)[0] if seen else (None, 0)
    return port if votes >= 2 else None


async def role(lab: ComposeLab, port: int) -> str:
    client = admin(lab, port)
    try:
        info = await client.info("replication")
        return f"{info['role']} {info.get('master_link_status', '')}".strip()
    except (RedisError, OSError):
        return "down"
    finally:
        await client.aclose()


async def until(what, timeout: float, step: float = 0.2) -> float:
    """Seconds until ``await what()`` is true."""
    started = time.monotonic()
    while not await what():
        assert time.monotonic() - started < timeout, f"not within {timeout} s: {what.__doc__}"
        await asyncio.sleep(step)
    return time.monotonic() - started


async def test_every_service_turns_healthy_and_the_controller_leads_through_sentinels(
        lab, report):
    report(f"every health check passed {lab.healthy_after:.1f} s after `up` returned")
    states = {s: await lab.deployment.health(s) for s in lab.deployment.services}
    assert set(states.values()) == {"healthy"} and len(states) == 7, states
    assert await master_port(lab) == 6379
    assert await role(lab, 6380) == "slave up"


async def test_a_referred_customer_is_bridged_to_a_seat(lab, report):
    transfer, pair = await transfer_bridged(lab, "13800138011")
    report(f"the PBX container's AMI: DESK_ROUTE={transfer.route}, bridged {pair[0]} <-> {pair[1]}")


async def test_all_seats_paused_the_callback_is_captured_stored_and_dialled_once(lab):
    body = await callback_captured_stored_dialled(lab, "13800138012")
    assert body["callback"]["attempts"] == 1


async def test_readyz_metrics_and_the_wallboard_answer_on_the_loopback_port(lab):
    seen = await http_faces(lab)
    assert seen == {"/readyz": 200, "/metrics without a token": 401, "/metrics": 200,
                    "/wallboard": 200, "/api/wallboard": 200}


class OpenCallbacks:
    """Callbacks registered while every seat is paused; then more tried."""

    def __init__(self, lab: ComposeLab) -> None:
        self.lab = lab
        self.opened: dict[str, str] = {}   # id -> number: what the API answered 201 for
        self.refused = 0                   # answered 503 (the caller is told to try again)
        self.mark = 0

    async def open(self, numbers: list[str]) -> None:
        await settle(self.lab)
        await self.lab.probe.pause(SEATS)
        self.mark = self.lab.probe.log.mark()
        for number in numbers:
            assert await self.request(number), number

    async def request(self, number: str) -> bool:
        """One more callback: True if acknowledged (201), False if refused (503)."""
        await self.lab.phones.on_ring(number, "talk:2")
        status, body = await self.lab.api.request("POST", "/api/callbacks", {"number": number})
        if status == 201:
            self.opened[body["callback"]["id"]] = number
            return True
        assert status == 503, body
        self.refused += 1
        return False

    async def all_kept_then_each_dialled_once(self) -> None:
        """Every acknowledged callback is there with its number; once the
        seats are back, each is done with its number dialled exactly once."""
        _, listing = await self.lab.api.request("GET", "/api/callbacks?limit=1000")
        have = {cb["id"]: cb["number"] for cb in listing["callbacks"]}
        assert {i: have.get(i) for i in self.opened} == self.opened
        await self.lab.probe.pause(SEATS, paused=False)
        for cb_id in self.opened:
            body = await wait_status(self.lab, cb_id, {"done", "failed"}, timeout=180)
            assert body["callback"]["status"] == "done", body["callback"]
        dials = {n: len(customer_dials(self.lab, n, self.mark)) for n in self.opened.values()}
        assert dials == {n: 1 for n in self.opened.values()}, dials


async def leading(lab: ComposeLab) -> bool:
    status, ready = await lab.api.health()
    return status == 200 and ready["role"] == "leader" and ready["redis"] == "up"


async def test_master_container_killed_with_callbacks_open_nothing_lost_none_dialled_twice(
        lab, report):
    callbacks = OpenCallbacks(lab)
    await callbacks.open([f"1390013{n:04d}" for n in range(6)])
    old = await master_port(lab)
    assert old in SERVERS, old
    victim = lab.deployment.container(SERVERS[old])
    # `podman kill` (as `docker kill`) leaves the container stopped: the
    # restart policy does not bring it back, and the sentinels fail over.
    await lab.deployment.podman.run("kill", "--signal", "KILL", victim)

    async def promoted() -> bool:
        """the sentinels name another master"""
        return (await master_port(lab)) not in (None, old)
    failover = await until(promoted, 60)
    new = await master_port(lab)

    # With its one replica promoted, the new master refuses writes no
    # replica confirms (min-replicas-to-write 1): the operator starts the
    # killed container again, and it rejoins as the new master's replica.
    await asyncio.sleep(3)
    assert not await callbacks.request("13900139998")
    started = time.monotonic()
    await lab.deployment.podman.run("start", victim)

    async def rejoined() -> bool:
        """the killed server is back, as the new master's replica"""
        return await role(lab, old) == "slave up"
    await until(rejoined, 90)
    replica_back = time.monotonic() - started

    async def accepted() -> bool:
        """the controller accepts a callback again (written to the new master)"""
        return await callbacks.request("13900139999")
    await until(accepted, 60, step=1)
    writes_back = time.monotonic() - started

    async def leads() -> bool:
        """the controller leads again (it stood by while no write was possible)"""
        return await leading(lab)
    await until(leads, 30)
    lead_back = time.monotonic() - started

    await callbacks.all_kept_then_each_dialled_once()
    report(f"master {SERVERS[old]} ({old}) SIGKILLed: sentinels named {new} after "
           f"{failover:.1f} s; the killed container started again, back as replica in "
           f"{replica_back:.1f} s; the controller accepted a callback {writes_back:.1f} s "
           f"and led again {lead_back:.1f} s after that start ({callbacks.refused} answered "
           f"503 before); {len(callbacks.opened)} callbacks, none lost, each dialled once")


async def test_master_process_crashing_is_restarted_by_its_policy_and_nothing_is_lost(
        lab, report):
    callbacks = OpenCallbacks(lab)
    await callbacks.open([f"1390014{n:04d}" for n in range(4)])
    old = await master_port(lab)
    assert old in SERVERS, old
    victim = lab.deployment.container(SERVERS[old])
    before = await lab.deployment.podman.inspect(victim)
    crashed = time.monotonic()
    # The server itself dies (an OOM kill, a crash), not the container
    # stopped by hand: `restart: unless-stopped` starts it again.
    os.kill(before["State"]["Pid"], signal.SIGKILL)

    async def restarted() -> bool:
        """the crashed container runs again"""
        info = await lab.deployment.podman.inspect(victim)
        return info["State"]["Running"] and info["State"]["Pid"] != before["State"]["Pid"]
    back = await until(restarted, 60)

    async def settled() -> bool:
        """a master the sentinels agree on, its replica in sync, the controller leading"""
        master = await master_port(lab)
        other = next((p for p in SERVERS if p != master), None)
        return master in SERVERS and await role(lab, other) == "slave up" and \
            await leading(lab)
    await until(settled, 90)
    settled_after = time.monotonic() - crashed
    new = await master_port(lab)

    async def accepted() -> bool:
        """the controller accepts a callback again"""
        return await callbacks.request("13900149999")
    await until(accepted, 60, step=1)

    await callbacks.all_kept_then_each_dialled_once()
    report(f"master {SERVERS[old]} ({old}) crashed (its redis-server SIGKILLed): restarted "
           f"by its policy after {back:.1f} s; "
           + (f"no failover (back within the sentinels' 5 s), still master"
              if new == old else f"the sentinels failed over to {new}")
           + f"; settled and leading {settled_after:.1f} s after the crash; "
           f"{len(callbacks.opened)} callbacks, none lost, each dialled once")


async def test_down_leaves_no_container_network_or_pod_and_keeps_only_its_volumes(lab, report):
    kept = await down_leaves_only_its_volumes(lab)
    report(f"after down: kept {kept}, nothing else")
