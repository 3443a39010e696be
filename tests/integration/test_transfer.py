"""A frontline agent's blind transfer to the data desk, over real SIP.

The customer and the phones are the phone simulator (a second Asterisk); the
PBX runs our asterisk-conf/ and dialplan/; every assertion reads Asterisk's
own state (AMI events, CoreShowChannels), not the controller's logs.
"""

from __future__ import annotations

import asyncio

import pytest

from ari_app.lab.scenarios import customer_transferred, specialist_answers
from ari_app.lab.stack import SEATS


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
    # The desk queue connected that seat to this customer.
    connect = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "AgentConnect" and m.get("Queue") == "desk"
        and m.get("Channel") == transfer.customer_channel, timeout=5)
    assert connect.get("DestChannel") == seat


async def test_named_specialist_gets_the_call_when_ready(lab):
    transfer = await customer_transferred(lab, customer="13800138002", target="8603")
    assert transfer.route == "seat"
    customer, seat = await specialist_answers(lab, transfer)
    assert seat.startswith("PJSIP/8603-")


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
        and m.get("Context") == "desk-callback", timeout=10)
    await asyncio.sleep(0.5)
    joined = [e for e in lab.probe.log.events if e.get("Event") == "QueueCallerJoin"
              and e.get("Queue") == "desk" and e.get("Channel") == transfer.customer_channel]
    assert joined == []


@pytest.fixture
async def controller_stopped(lab):
    await lab.controller.stop()
    yield lab
    await lab.start_controller()


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
        and m.get("Context") == "desk-callback", timeout=10)


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
