"""Several PBXs over real SIP: two frontline nodes transfer to the desk node.

Three PBX instances (the desk node with the controller, two frontline nodes,
each with its own phone simulator) joined by authenticated PJSIP trunks on
addresses of their own (lab/cluster.py). Every assertion reads Asterisk:
the desk node's AMI events and bridges, a frontline node's ExtensionState.
"""

from __future__ import annotations

import asyncio
import time

import pytest
import pytest_asyncio

from lab.cluster import Cluster, FrontlineNode, node_transfer
from lab.stack import FRONTLINE, SEATS


@pytest_asyncio.fixture(scope="session")
async def cluster():
    async with Cluster() as lab:
        yield lab


async def _settle(cluster: Cluster) -> None:
    """No calls anywhere, phones answering normally, seats unpaused, trunks up."""
    desk = cluster.desk
    for node in cluster.nodes:
        await node.phones.hangup_all()
        await node.probe.hangup_all()
        await node.phones.reset(*FRONTLINE)
    await desk.phones.hangup_all()
    await desk.probe.hangup_all()
    await desk.probe.pause(SEATS, paused=False, check=False)
    await desk.controller.wait_healthy()
    views = [desk.probe, desk.phones] + [v for n in cluster.nodes for v in (n.probe, n.phones)]
    deadline = time.monotonic() + 15
    while any([await v.channels() for v in views]):
        if time.monotonic() > deadline:
            raise TimeoutError("calls left over from the previous test")
        await asyncio.sleep(0.1)
    await asyncio.gather(*(cluster.wait_trunk(n) for n in cluster.nodes))


@pytest_asyncio.fixture
async def nodes(cluster):
    await _settle(cluster)
    yield cluster


async def lamp(node: FrontlineNode) -> str:
    reply = await node.probe.ami.send({"Action": "ExtensionState", "Exten": "8600",
                                       "Context": "desk-transfer"})
    return reply.get("StatusText", "")


async def wait_lamp(node: FrontlineNode, expected: str, timeout: float = 10) -> float:
    """Seconds until ``node``'s lamp shows ``expected``."""
    started = time.monotonic()
    while (state := await lamp(node)) != expected:
        if time.monotonic() - started > timeout:
            raise AssertionError(f"lamp on {node.link.name} is {state!r}, expected {expected!r}")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


@pytest.mark.parametrize("index", [0, 1], ids=["frontline-1", "frontline-2"])
async def test_group_transfer_from_a_frontline_node_reaches_a_seat(nodes, index):
    node = nodes.nodes[index]
    transfer = await node_transfer(nodes, node, customer=f"1380013{index}001")
    # It came over that node's trunk, with the customer's number and the
    # agent who transferred, and the controller chose the queue.
    assert transfer.channel.startswith(f"PJSIP/{node.link.name}-")
    assert transfer.caller_id == f"1380013{index}001"
    assert transfer.variables.get("DESK_TRANSFERER") in FRONTLINE
    assert transfer.route == "queue"
    customer, seat = await nodes.desk.probe.wait_bridged(transfer.channel, "PJSIP/86")
    assert seat.split("/")[1].split("-")[0] in SEATS


async def test_named_seat_transfer_from_the_second_node(nodes):
    transfer = await node_transfer(nodes, nodes.nodes[1], customer="13800132002",
                                   target="8603")
    assert transfer.variables.get("DESK_TARGET") == "8603"
    assert transfer.route == "seat"
    _, seat = await nodes.desk.probe.wait_bridged(transfer.channel, "PJSIP/86")
    assert seat.startswith("PJSIP/8603-")


@pytest.mark.parametrize("code, route", [("01", "queue"), ("22", "callback")])
async def test_topic_transfer_carries_the_topic_to_the_controller(nodes, code, route):
    # 860001 and 860022 differ only in the topic; the controller routes
    # topic 22 to callbacks (the lab's topic rules), so the route proves it
    # read the topic that crossed the trunk.
    transfer = await node_transfer(nodes, nodes.nodes[0], customer="13800131003",
                                   target=f"8600{code}")
    assert transfer.variables.get("DESK_TOPIC") == code
    assert transfer.variables.get("DESK_TARGET") == "desk"
    assert transfer.route == route


async def test_the_lamp_on_a_remote_frontline_node_follows_the_desk(nodes, report):
    node = nodes.nodes[1]
    await wait_lamp(node, "Idle")
    await nodes.desk.probe.pause(SEATS)
    busy = await wait_lamp(node, "Busy")
    await nodes.desk.probe.pause(SEATS, paused=False)
    free = await wait_lamp(node, "Idle")
    report(f"lamp on {node.link.name}: busy after {busy:.2f} s, free after {free:.2f} s")
