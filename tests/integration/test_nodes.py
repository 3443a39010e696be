"""Several PBXs over real SIP: two frontline nodes transfer to the desk node.

Three PBX instances (the desk node with the controller, two frontline nodes,
each with its own phone simulator) joined by authenticated PJSIP trunks on
addresses of their own (lab/cluster.py). Every assertion reads Asterisk:
the desk node's AMI events and bridges, a frontline node's ExtensionState.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from lab.cluster import DESK_ADDRESS, Cluster, FrontlineNode, node_transfer
from lab.stack import FRONTLINE, SEATS

# Its tests share one expensive fixture: they run on one pytest-xdist worker.
pytestmark = pytest.mark.xdist_group("nodes")


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


async def test_the_remote_lamp_says_closed_when_the_desk_is_closed(nodes):
    node = nodes.nodes[0]
    await wait_lamp(node, "Idle")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    await nodes.desk.start_controller({"calendar": {"holidays": [today]}})
    try:
        await wait_lamp(node, "Unavailable")
    finally:
        await nodes.desk.start_controller()
    await wait_lamp(node, "Idle")


async def test_a_restarted_frontline_node_gets_the_lamp_back(nodes, report):
    node = nodes.nodes[1]
    # A state other than a fresh node's: the lamp must come from the desk node.
    await nodes.desk.probe.pause(SEATS)
    await wait_lamp(node, "Busy")
    await node.restart()
    back = await wait_lamp(node, "Busy", timeout=20)
    report(f"lamp back on a restarted {node.link.name} {back:.2f} s after its boot")


def _var(channel_prefix: str, name: str, value: str):
    def match(m) -> bool:
        return (m.get("Event") == "VarSet" and m.get("Variable") == name
                and m.get("Value") == value and m.get("Channel", "").startswith(channel_prefix))
    return match


async def test_desk_node_down_the_frontline_node_falls_back_then_transfers_resume(
        nodes, report):
    desk, node = nodes.desk, nodes.nodes[0]
    await desk.pbx.stop()
    try:
        deadline = time.monotonic() + 15
        while await node.desk_reachable():
            assert time.monotonic() < deadline, "the node still sees the desk node"
            await asyncio.sleep(0.2)
        log = node.probe.log
        mark, phones_mark = log.mark(), node.phones.log.mark()
        for phone in FRONTLINE:
            await node.phones.on_ring(phone, "transfer:8600")
        await node.phones.customer_call("13800131005")
        outcome = await log.wait_for(_var("PJSIP/carrier-", "DESK_OUTCOME",
                                          "desk-node-unreachable"), since=mark, timeout=20)
        channel = outcome["Channel"]
        after = log.mark()
        for phone in FRONTLINE:
            await node.phones.on_ring(phone, "ignore")
        # The busy message, then the front of the node's own frontline queue.
        await log.wait_for(lambda m: m.get("Event") == "Newexten" and m.get("Channel") == channel
                           and "tt-allbusy" in m.get("AppData", ""), since=mark, timeout=10)
        await log.wait_for(lambda m: m.get("Event") == "QueueCallerJoin"
                           and m.get("Queue") == "frontline" and m.get("Channel") == channel,
                           since=after, timeout=15)
        # The agent's phone is told the transfer did not reach the desk (503).
        told = await node.phones.log.wait_for(
            lambda m: m.get("Event") == "VarSet" and m.get("Variable") == "TRANSFERSTATUSPROTOCOL",
            since=phones_mark, timeout=15)
        assert told.get("Value") == "503", told
    finally:
        await node.phones.hangup_all()
        started = time.monotonic()
        await desk.pbx.start()
    await desk.probe.ami.wait_ready(20)
    await nodes.wait_trunk(node)
    await desk.register_phones()
    await desk.log_in_seats()
    await desk.controller.wait_healthy()
    report(f"desk node back and its trunk up {time.monotonic() - started:.1f} s after its start")
    await _settle(nodes)
    transfer = await node_transfer(nodes, node, customer="13800131006")
    assert transfer.route == "queue"
    await desk.probe.wait_bridged(transfer.channel, "PJSIP/86")
    # The restarted desk node publishes the lamp to the nodes again.
    await _settle(nodes)
    await desk.probe.pause(SEATS)
    await wait_lamp(node, "Busy")


async def test_a_callback_customer_leg_leaves_by_the_frontline_node_trunk(nodes):
    desk, node = nodes.desk, nodes.nodes[0]  # the lab's DESK_OUT_TRUNK
    number = "13800131007"
    mark, node_mark = desk.probe.log.mark(), node.probe.log.mark()
    status, body = await desk.controller.request("POST", "/api/callbacks", {"number": number})
    assert status in (200, 201), body
    cb_id = body["callback"]["id"]
    # The desk node dials the customer over the node's trunk ...
    begin = await desk.probe.log.wait_for(
        lambda m: m.get("Event") == "DialBegin" and m.get("DialString") == f"{number}@{node.link.name}",
        since=mark, timeout=30)
    assert begin["DestChannel"].startswith(f"PJSIP/{node.link.name}-")
    # ... and the node places it on its own carrier, from the desk node's call.
    out = await node.probe.log.wait_for(
        lambda m: m.get("Event") == "DialBegin" and m.get("DialString") == f"{number}@carrier",
        since=node_mark, timeout=15)
    assert out["Channel"].startswith("PJSIP/desk-node-")
    # The seat and the customer talk: the attempt is recorded as done.
    deadline = time.monotonic() + 40
    while True:
        _, got = await desk.controller.request("GET", f"/api/callbacks/{cb_id}")
        if got["callback"]["status"] == "done":
            break
        assert time.monotonic() < deadline, got
        await asyncio.sleep(0.2)
    assert not any(m.get("Event") == "DialBegin" and m.get("DialString", "").endswith("@carrier")
                   for m in desk.probe.log.since(mark))


def _node_invite(sock: socket.socket, desk_port: int, from_user: str) -> str:
    """An INVITE to 8600 at the desk node's trunk transport with X-Desk-*
    headers, sent from ``sock``; returns the final response line."""
    host, port = sock.getsockname()
    target = f"{DESK_ADDRESS}:{desk_port}"
    request = (
        f"INVITE sip:8600@{target} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{secrets.token_hex(6)};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:{from_user}@{host}>;tag={secrets.token_hex(4)}\r\n"
        f"To: <sip:8600@{target}>\r\n"
        f"Call-ID: {secrets.token_hex(8)}@{host}\r\nCSeq: 1 INVITE\r\n"
        f"Contact: <sip:{from_user}@{host}:{port}>\r\n"
        "X-Desk-Transferer: 1001\r\nX-Desk-Topic: 43\r\n"
        "Content-Length: 0\r\n\r\n")
    sock.sendto(request.encode(), (DESK_ADDRESS, desk_port))
    while True:
        data, _ = sock.recvfrom(65535)
        status = data.decode(errors="replace").split("\r\n", 1)[0]
        if status.startswith("SIP/2.0 ") and not status.startswith("SIP/2.0 1"):
            return status


@pytest.mark.parametrize("source", ["127.0.0.21", "127.0.0.29"],
                         ids=["node-address-no-password", "unknown-address"])
async def test_a_transfer_that_is_not_from_a_configured_node_is_refused(nodes, report, source):
    """The node's address alone is not enough (UDP can be spoofed), and an
    unknown address is nobody: no channel reaches from-frontline-node."""
    desk = nodes.desk
    mark = desk.probe.log.mark()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.settimeout(10)
        status = await asyncio.to_thread(_node_invite, sock, desk.node_port, "frontline-1")
    report(f"INVITE with X-Desk-* headers from {source}: {status}")
    assert status.split()[1] in ("401", "403"), status
    # The real node still gets through afterwards.
    transfer = await node_transfer(nodes, nodes.nodes[0], customer="13800131008")
    assert transfer.route == "queue"
    entered = [m for m in desk.probe.log.since(mark) if m.get("Event") == "Newexten"
               and m.get("Context") == "from-frontline-node"]
    assert {m.get("Channel") for m in entered} == {transfer.channel}
