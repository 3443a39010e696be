"""A frontline agent's blind transfer to the data desk, over real SIP.

The customer and the phones are the phone simulator (a second Asterisk); the
PBX runs our asterisk-conf/ and dialplan/; every assertion reads Asterisk's
own state (AMI events, CoreShowChannels), not the controller's logs.
"""

from __future__ import annotations

import asyncio

import pytest

from lab.scenarios import customer_transferred, phone_told, seat_ready, specialist_answers
from lab.sipp import frontline_sipp
from lab.stack import FRONTLINE, SEATS


async def test_transfer_reaches_a_specialist_through_the_controller(lab):
    transfer = await customer_transferred(lab, customer="13800138001")

    # The REFER came from a frontline phone and moved the customer's channel.
    assert transfer.transferer_channel.startswith(("PJSIP/1001-", "PJSIP/1002-"))
    assert transfer.customer_channel.startswith("PJSIP/carrier-")
    # The controller (not the dialplan fallback) chose the queue.
    assert transfer.route == "queue"

    customer, seat = await specialist_answers(lab, transfer)
    assert customer == transfer.customer_channel
    assert seat.split("/")[1].split("-")[0] in SEATS
    # The phone was told the transfer succeeded (a 2xx sipfrag).
    assert await phone_told(lab, transfer) == "0"
    # The desk queue connected that seat to this customer.
    connect = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "AgentConnect" and m.get("Queue") == "desk"
        and m.get("Channel") == transfer.customer_channel, since=transfer.mark, timeout=5)
    assert connect.get("DestChannel") == seat


async def test_named_specialist_gets_the_call_when_ready(lab):
    await seat_ready(lab, "8603")
    transfer = await customer_transferred(lab, customer="13800138002", target="8603")
    assert transfer.route == "seat"
    customer, seat = await specialist_answers(lab, transfer)
    assert seat.startswith("PJSIP/8603-")
    assert await phone_told(lab, transfer) == "0"


async def test_named_specialist_paused_falls_back_to_the_group(lab):
    await lab.probe.pause(["8604"])
    transfer = await customer_transferred(lab, customer="13800138003", target="8604")
    assert transfer.route == "queue"
    _, seat = await specialist_answers(lab, transfer)
    assert not seat.startswith("PJSIP/8604-")


async def test_all_seats_paused_caller_is_not_queued(lab):
    await lab.probe.pause(SEATS)
    transfer = await customer_transferred(lab, customer="13800138004")
    assert transfer.route == "callback"
    await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "Newexten" and m.get("Channel") == transfer.customer_channel
        and m.get("Context") == "desk-callback", since=transfer.mark, timeout=10)
    await asyncio.sleep(0.5)
    joined = [e for e in lab.probe.log.since(transfer.mark) if e.get("Event") == "QueueCallerJoin"
              and e.get("Queue") == "desk" and e.get("Channel") == transfer.customer_channel]
    assert joined == []
    # The phone was told the desk is busy: its caller leaves a number instead.
    assert await phone_told(lab, transfer) == "486"


async def test_without_the_controller_the_dialplan_still_reaches_the_desk(controller_stopped):
    lab = controller_stopped
    transfer = await customer_transferred(lab, customer="13800138005")
    # Stasis found no application: the dialplan routed on QUEUE_MEMBER(desk,ready).
    assert transfer.route == "fallback"
    customer, seat = await specialist_answers(lab, transfer)
    assert seat.split("/")[1].split("-")[0] in SEATS


async def test_without_the_controller_and_no_seat_ready_the_caller_hears_the_callback_path(
        controller_stopped):
    lab = controller_stopped
    await lab.probe.pause(SEATS)
    transfer = await customer_transferred(lab, customer="13800138006")
    assert transfer.route == "fallback"
    await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "Newexten" and m.get("Channel") == transfer.customer_channel
        and m.get("Context") == "desk-callback", since=transfer.mark, timeout=10)
    assert await phone_told(lab, transfer) == "486"


async def test_controller_reconnects_and_resyncs_after_asterisk_restarts(lab):
    await lab.probe.pause(["8601", "8602"], reason="training")
    await lab.restart_pbx()
    # AMI and ARI must both come back and the board be rebuilt from the new
    # Asterisk, which brings the dynamic members back (persistentmembers).
    health = await asyncio.wait_for(lab.controller.wait_healthy(), 30)
    assert health["ami"] == "ready" and health["ari"] == "connected"
    await lab.register_phones()
    members = {m["Name"]: m for m in await lab.probe.queue_members("desk")}
    assert set(members) == set(SEATS)
    assert members["8601"]["Paused"] == "1" and members["8602"]["Paused"] == "1"
    transfer = await customer_transferred(lab, customer="13800138007")
    assert transfer.route == "queue"
    _, seat = await specialist_answers(lab, transfer)
    assert not seat.startswith(("PJSIP/8601-", "PJSIP/8602-"))


def _after(lab, event) -> int:
    """The event log's index just past ``event``."""
    return next(i for i, e in enumerate(lab.probe.log.events) if e is event) + 1


@pytest.fixture
async def sipp_frontline(lab):
    """The frontline phone customers reach is SIPp (not an Asterisk), which
    blind-transfers to 5555 and hangs up on the 202."""
    keys = {"refer_to": f"sip:5555@127.0.0.1:{lab.ports.pbx_sip}"}
    async with frontline_sipp(lab, "frontline-refer-hangup.xml", keys) as phone:
        yield phone


async def test_a_phone_that_hangs_up_on_202_to_an_unknown_number_leaves_the_customer_queued(
        lab, sipp_frontline):
    phone = sipp_frontline
    mark = lab.probe.log.mark()
    await lab.phones.customer_call("13800138020")
    refer = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "BlindTransfer"
        and m.get("TransfererChannel", "").startswith(f"PJSIP/{phone.user}-"), since=mark,
        timeout=30)
    customer = refer.get("TransfereeChannel", "")
    assert customer.startswith("PJSIP/carrier-")
    assert (refer.get("Context"), refer.get("Extension")) == ("phone-transfer", "5555")
    await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "QueueCallerJoin" and m.get("Queue") == "frontline"
        and m.get("Channel") == customer, since=_after(lab, refer), timeout=15)
    # The phone took the 202 and hung up without waiting for the outcome.
    deadline = asyncio.get_running_loop().time() + 10
    while "BYE sip:" not in phone.log():
        assert asyncio.get_running_loop().time() < deadline, phone.log()[-2000:]
        await asyncio.sleep(0.1)
    log = phone.log()
    assert log.index("SIP/2.0 202") < log.index("BYE sip:")
    await asyncio.sleep(0.5)  # a BYE to the customer would follow within ms
    assert customer in [c["Channel"] for c in await lab.probe.channels()]
    assert not [m for m in lab.probe.log.since(mark)
                if m.get("Event") == "Hangup" and m.get("Channel") == customer]


@pytest.mark.parametrize("target", ["5555", "8607", "*861", "bob"])
async def test_a_transfer_the_desk_does_not_serve_returns_to_the_front_of_the_frontline(
        lab, target):
    """Another customer already waits for the frontline; the returned one is
    served first (QUEUE_PRIO), after a short word, never hung up."""
    await lab.probe.pause(FRONTLINE, queue="frontline")
    try:
        mark = lab.probe.log.mark()
        await lab.phones.customer_call("13800138021")
        waiting = await lab.probe.log.wait_for(
            lambda m: m.get("Event") == "QueueCallerJoin" and m.get("Queue") == "frontline",
            since=mark, timeout=15)
        # The customer's channel enters the transfer context as a REFER puts it.
        await lab.probe.ami.command({
            "Action": "Originate", "Channel": "PJSIP/13800138022@carrier",
            "Context": "phone-transfer", "Exten": target, "Priority": "1",
            "Timeout": "10000", "Async": "true"}, timeout=15)
        returned = await lab.probe.log.wait_for(
            lambda m: m.get("Event") == "QueueCallerJoin" and m.get("Queue") == "frontline"
            and m.get("Channel") != waiting.get("Channel"), since=mark, timeout=15)
        assert (returned.get("Position"), returned.get("Count")) == ("1", "2")
        ran = [m.get("Application") for m in lab.probe.log.since(mark)
               if m.get("Event") == "Newexten" and m.get("Channel") == returned.get("Channel")]
        assert "Playback" in ran and "Stasis" not in ran and "AddQueueMember" not in ran, ran
    finally:
        await lab.probe.pause(FRONTLINE, paused=False, queue="frontline", check=False)
