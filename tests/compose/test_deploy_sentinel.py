"""docker/compose.yaml with docker/compose.sentinel.yaml, built and run with
podman: the same calls as the plain file, then the Redis master's container
SIGKILLed while callbacks are open."""

from __future__ import annotations

import asyncio
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


async def test_master_container_killed_with_callbacks_open_nothing_lost_none_dialled_twice(
        lab, report):
    await settle(lab)
    await lab.probe.pause(SEATS)
    numbers = [f"1390013{n:04d}" for n in range(6)]
    for number in numbers:
        await lab.phones.on_ring(number, "talk:2")
    opened: dict[str, str] = {}
    for number in numbers:
        status, body = await lab.api.request("POST", "/api/callbacks", {"number": number})
        assert status == 201, body
        opened[body["callback"]["id"]] = number
    mark = lab.probe.log.mark()

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

    refused = 0
    late = "13900139999"
    await lab.phones.on_ring(late, "talk:2")

    async def accepted() -> bool:
        """the controller accepts a callback again (written to the new master)"""
        nonlocal refused
        status, body = await lab.api.request("POST", "/api/callbacks", {"number": late})
        if status == 201:
            opened[body["callback"]["id"]] = late
            return True
        assert status == 503, body
        refused += 1
        return False

    # With its one replica promoted, the new master refuses writes no
    # replica confirms (min-replicas-to-write 1): the operator starts the
    # killed container again, and it rejoins as the new master's replica.
    await asyncio.sleep(3)
    assert not await accepted()
    started = time.monotonic()
    await lab.deployment.podman.run("start", victim)

    async def rejoined() -> bool:
        """the killed server is back, as the new master's replica"""
        return await role(lab, old) == "slave up"
    await until(rejoined, 90)
    replica_back = time.monotonic() - started
    writes_back = time.monotonic() - started + await until(accepted, 60, step=1)

    async def leading() -> bool:
        """the controller leads again (it stood by while no write was possible)"""
        status, ready = await lab.api.health()
        return status == 200 and ready["role"] == "leader" and ready["redis"] == "up"
    await until(leading, 30)
    lead_back = time.monotonic() - started

    # Nothing acknowledged is lost: every callback is there, with its number.
    _, listing = await lab.api.request("GET", "/api/callbacks?limit=1000")
    have = {cb["id"]: cb["number"] for cb in listing["callbacks"]}
    assert {i: have.get(i) for i in opened} == opened

    # Seats come back: every callback is dialled, and no number twice.
    await lab.probe.pause(SEATS, paused=False)
    for cb_id in opened:
        body = await wait_status(lab, cb_id, {"done", "failed"}, timeout=180)
        assert body["callback"]["status"] == "done", body["callback"]
    dials = {number: len(customer_dials(lab, number, mark)) for number in opened.values()}
    assert dials == {number: 1 for number in opened.values()}, dials
    report(f"master {SERVERS[old]} ({old}) SIGKILLed: sentinels named {new} after "
           f"{failover:.1f} s; the killed container started again, back as replica in "
           f"{replica_back:.1f} s; the controller accepted a callback {writes_back:.1f} s "
           f"and led again {lead_back:.1f} s after that start ({refused} answered 503 "
           f"before); "
           f"{len(opened)} callbacks, none lost, each dialled once")


async def test_down_leaves_no_container_network_or_pod_and_keeps_only_its_volumes(lab, report):
    kept = await down_leaves_only_its_volumes(lab)
    report(f"after down: kept {kept}, nothing else")
