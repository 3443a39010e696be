"""Seat presence as Asterisk reports it, the desk lamp, and topic routing,
against the real PBX. Seats act from their own phones (feature codes dialled
over SIP); truth is read back from Asterisk (QueueStatus, ExtensionState)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from lab.scenarios import board_mismatches, customer_transferred, seat_ready, specialist_answers
from lab.stack import SEATS


async def board(lab) -> dict[str, dict]:
    return {s["agent_id"]: s for s in (await lab.controller.get("/api/seats"))["seats"]}


async def wait_board(lab, check, timeout: float = 5) -> tuple[dict, float]:
    """Poll the controller's board until ``check(board)``; returns it and the wait."""
    started = time.monotonic()
    while True:
        seats = await board(lab)
        if check(seats):
            return seats, time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"board never matched: {seats}")
        await asyncio.sleep(0.05)


async def feature(lab, seat: str, code: str) -> None:
    """The seat's phone dials a feature code and the PBX answers it."""
    mark = lab.probe.log.mark()
    await lab.phones.dial(seat, code, hold=2)
    await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "Hangup" and m.get("Channel", "").startswith(f"PJSIP/{seat}-"),
        since=mark, timeout=10)


async def assert_board_equals_queuestatus(lab) -> None:
    assert await board_mismatches(lab, SEATS) == []


async def lamp(lab) -> str:
    reply = await lab.probe.ami.send({"Action": "ExtensionState", "Exten": "8600",
                                      "Context": "desk-transfer"})
    return reply.get("StatusText", "")


async def wait_lamp(lab, expected: str, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while (state := await lamp(lab)) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"lamp is {state!r}, expected {expected!r}")
        await asyncio.sleep(0.1)


@pytest.fixture
async def lab_seats(lab):
    """Every seat logged in, unpaused and registered, before and after."""
    await lab.log_in_seats()
    await lab.register_phones()
    yield lab
    await lab.phones.hangup_all()
    await lab.sim.rx("pjsip send register *all")
    await lab.log_in_seats()


async def test_a_seat_phone_unregisters_and_the_board_says_so_within_2_s(report, lab_seats):
    lab = lab_seats
    await wait_board(lab, lambda b: b["8605"]["registered"] is True)
    await lab.sim.rx("pjsip send unregister phone-8605")
    seats, waited = await wait_board(lab, lambda b: b["8605"]["registered"] is False, timeout=2)
    report(f"unregistered seen on the board after {waited * 1000:.0f} ms")
    assert seats["8605"]["activity"] == "unregistered" and not seats["8605"]["ready"]
    await lab.sim.rx("pjsip send register phone-8605")
    await wait_board(lab, lambda b: b["8605"]["registered"] is True and b["8605"]["ready"])


async def test_pause_with_reason_by_feature_code_and_unpause(lab_seats):
    lab = lab_seats
    await feature(lab, "8602", "*8633")  # 3 = training
    await wait_board(lab, lambda b: b["8602"]["paused"] and b["8602"]["paused_reason"] == "training")
    truth = {m["Name"]: m for m in await lab.probe.queue_members("desk")}
    assert truth["8602"]["Paused"] == "1" and truth["8602"]["PausedReason"] == "training"
    await assert_board_equals_queuestatus(lab)
    await feature(lab, "8602", "*864")
    # Ready once unpaused and its phone has hung up the feature-code call.
    seats, _ = await wait_board(lab, lambda b: not b["8602"]["paused"] and b["8602"]["ready"])
    assert seats["8602"]["paused_reason"] == ""
    await assert_board_equals_queuestatus(lab)


async def test_unknown_pause_code_changes_nothing(lab_seats):
    lab = lab_seats
    await feature(lab, "8602", "*8637")  # no reason 7
    truth = {m["Name"]: m for m in await lab.probe.queue_members("desk")}
    assert truth["8602"]["Paused"] == "0"


async def test_log_out_and_in_by_feature_code(lab_seats):
    lab = lab_seats
    # The board has seen the phone registered (after a PBX frozen by an
    # earlier test on this stack its contact may still be catching up).
    await wait_board(lab, lambda b: b["8603"]["activity"] != "unregistered", timeout=30)
    await feature(lab, "8603", "*862")
    await wait_board(lab, lambda b: not b["8603"]["in_queue"])
    assert "8603" not in {m["Name"] for m in await lab.probe.queue_members("desk")}
    # Shown logged out; on a loaded machine a qualify can time out (Asterisk
    # then holds the phone unreachable, and so does the board, until the
    # next qualify, 15 s later).
    await wait_board(lab, lambda b: b["8603"]["activity"] == "logged-out", timeout=20)
    await feature(lab, "8603", "*861")
    await wait_board(lab, lambda b: b["8603"]["in_queue"] and b["8603"]["ready"], timeout=20)


async def test_all_paused_then_one_unpauses_and_the_next_transfer_reaches_it(lab_seats):
    lab = lab_seats
    await asyncio.gather(*(feature(lab, seat, "*8631") for seat in SEATS))
    await wait_board(lab, lambda b: all(s["paused"] for s in b.values()))
    await wait_lamp(lab, "Busy")
    first = await customer_transferred(lab, customer="13800138101")
    assert first.route == "callback"
    await lab.phones.hangup_all()

    await feature(lab, "8605", "*864")
    await wait_board(lab, lambda b: b["8605"]["ready"])
    await wait_lamp(lab, "Idle")
    second = await customer_transferred(lab, customer="13800138102")
    assert second.route == "queue"
    _, seat = await specialist_answers(lab, second)
    assert seat.startswith("PJSIP/8605-")


async def test_lamp_follows_the_desk_free_busy_closed(lab_seats):
    lab = lab_seats
    await wait_lamp(lab, "Idle")  # free
    await lab.probe.pause(SEATS, reason="meeting")
    await wait_lamp(lab, "Busy")
    await lab.probe.pause(SEATS, paused=False)
    await wait_lamp(lab, "Idle")
    # Today is a holiday: the desk is closed whatever the seats do.
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    await lab.start_controller({"calendar": {"holidays": [today]}})
    try:
        await wait_lamp(lab, "Unavailable")
        # Channel names repeat after a PBX restart: read only this call's events.
        mark = lab.probe.log.mark()
        transfer = await customer_transferred(lab, customer="13800138103")
        assert transfer.route == "callback"
        reason = await lab.probe.log.wait_for(
            lambda m: m.get("Event") == "VarSet" and m.get("Channel") == transfer.customer_channel
            and m.get("Variable") == "DESK_CALLBACK_REASON", since=mark, timeout=5)
        assert reason["Value"].startswith("desk closed")
    finally:
        await lab.start_controller()
    await wait_lamp(lab, "Idle")


@pytest.mark.parametrize("code, route", [("01", "queue"), ("22", "callback"),
                                         ("43", "out-of-scope")])
async def test_topic_codes_on_the_desk_number(lab_seats, code, route):
    lab = lab_seats
    transfer = await customer_transferred(lab, customer="13800138104", target=f"8600{code}")
    assert transfer.route == route
    if route == "out-of-scope":
        # Back to a frontline agent, not to the desk.
        await lab.probe.log.wait_for(
            lambda m: m.get("Event") == "QueueCallerJoin" and m.get("Queue") == "frontline"
            and m.get("Channel") == transfer.customer_channel, since=transfer.mark, timeout=10)


async def test_caller_waits_at_most_queue_wait_then_goes_to_the_callback_path(lab_seats):
    lab = lab_seats
    await lab.start_controller({"desk": {"queue_wait": 3}})
    try:
        for seat in SEATS:
            await lab.phones.on_ring(seat, "ignore")
        transfer = await customer_transferred(lab, customer="13800138105")
        assert transfer.route == "queue"
        joined = await lab.probe.log.wait_for(
            lambda m: m.get("Event") == "QueueCallerJoin" and m.get("Queue") == "desk"
            and m.get("Channel") == transfer.customer_channel, since=transfer.mark, timeout=10)
        left = await lab.probe.log.wait_for(
            lambda m: m.get("Event") == "Newexten" and m.get("Context") == "desk-callback"
            and m.get("Channel") == transfer.customer_channel, since=transfer.mark, timeout=15)
        waited = float(left["_received"]) - float(joined["_received"])
        assert 2.5 <= waited <= 8, waited
    finally:
        await lab.phones.reset(*SEATS)
        await lab.start_controller()


async def test_board_equals_queuestatus_after_the_ami_link_is_cut(report, lab_seats):
    lab = lab_seats
    lab.ami_relay.accepting = False
    assert lab.ami_relay.cut() >= 1
    # While the link is down, changes happen in Asterisk that no event reports.
    await lab.probe.pause(["8604"], reason="meeting")
    await lab.probe.ami.command({"Action": "QueueRemove", "Queue": "desk",
                                 "Interface": "PJSIP/8606"})
    await asyncio.sleep(0.5)
    status, health = await lab.controller.health()
    assert status == 503 and health["ami"] == "down" and health["board"] == "stale"
    # A transfer now is routed by the dialplan's fallback, not on a stale board.
    transfer = await customer_transferred(lab, customer="13800138106")
    assert transfer.route == "fallback"
    _, seat = await specialist_answers(lab, transfer)
    assert not seat.startswith(("PJSIP/8604-", "PJSIP/8606-"))
    await lab.phones.hangup_all()
    lab.ami_relay.accepting = True
    started = time.monotonic()
    await lab.controller.wait_healthy()
    report(f"AMI link back and board resynced in {time.monotonic() - started:.2f} s")
    await assert_board_equals_queuestatus(lab)
    seats = await board(lab)
    assert seats["8604"]["paused_reason"] == "meeting" and not seats["8606"]["in_queue"]


async def test_board_equals_queuestatus_after_asterisk_restarts(lab_seats):
    lab = lab_seats
    await feature(lab, "8601", "*8634")  # meeting
    await feature(lab, "8606", "*862")   # log out
    await lab.restart_pbx()
    await asyncio.wait_for(lab.controller.wait_healthy(), 30)
    await lab.register_phones()
    truth = {m["Name"]: m for m in await lab.probe.queue_members("desk")}
    assert "8606" not in truth and truth["8601"]["Paused"] == "1"
    await assert_board_equals_queuestatus(lab)


async def test_a_seat_transferring_its_customer_to_a_feature_code_enrols_nobody(lab_seats):
    """A seat's REFER lands in phone-transfer, not among the feature codes: the
    customer (the carrier's channel) goes back to the frontline, never into the
    desk queue as a member."""
    lab = lab_seats
    await lab.phones.on_ring("8601", "transfer:*861")
    await seat_ready(lab, "8601")
    transfer = await customer_transferred(lab, customer="13800138110", target="8601")
    assert transfer.route == "seat"
    refer = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "BlindTransfer"
        and m.get("TransfererChannel", "").startswith("PJSIP/8601-"),
        since=transfer.mark, timeout=20)
    assert refer.get("TransfereeChannel") == transfer.customer_channel
    assert (refer.get("Context"), refer.get("Extension")) == ("phone-transfer", "*861")
    await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "QueueCallerJoin" and m.get("Queue") == "frontline"
        and m.get("Channel") == transfer.customer_channel, since=transfer.mark, timeout=15)
    members = await lab.probe.queue_members("desk")
    assert sorted(m["Name"] for m in members) == sorted(SEATS)
    assert not any("carrier" in m.get("Location", "") for m in members)
    assert "carrier" not in await board(lab)
    ran = {m.get("Context") for m in lab.probe.log.since(transfer.mark)
           if m.get("Event") == "Newexten" and m.get("Channel") == transfer.customer_channel}
    assert not ran & {"seat-phone", "seat-identity"}, ran


async def test_a_carrier_channel_that_reaches_a_feature_code_is_refused(lab_seats):
    """The feature codes act only for seat phones: a carrier channel put straight
    into [seat-phone] (as a transfer would, were one to land there) is hung up
    with no queue change."""
    lab = lab_seats
    mark = lab.probe.log.mark()
    await lab.probe.ami.command({
        "Action": "Originate", "Channel": "PJSIP/13800138111@carrier",
        "Context": "seat-phone", "Exten": "*861", "Priority": "1", "Timeout": "10000",
        "Async": "true"}, timeout=15)
    hangup = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "Hangup" and m.get("Channel", "").startswith("PJSIP/carrier-"),
        since=mark, timeout=20)
    ran = [(m.get("Context"), m.get("Application")) for m in lab.probe.log.since(mark)
           if m.get("Event") == "Newexten" and m.get("Channel") == hangup["Channel"]]
    assert ("seat-identity", "Hangup") in ran, ran
    assert ("seat-phone", "AddQueueMember") not in ran, ran
    assert hangup.get("Cause") == "21"
    assert not [m for m in lab.probe.log.since(mark) if m.get("Event") == "QueueMemberAdded"]
    assert sorted(m["Name"] for m in await lab.probe.queue_members("desk")) == sorted(SEATS)


async def wait_log(lab, text: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while text not in lab.controller.log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise AssertionError(f"controller never logged {text!r}")
        await asyncio.sleep(0.1)


async def test_the_controller_ignores_and_logs_a_queue_member_that_is_not_a_seat(lab_seats):
    """Were PJSIP/carrier in the desk queue anyway (say persisted from before),
    the controller neither shows nor counts it, live or after a resync."""
    lab = lab_seats
    mark = lab.probe.log.mark()
    # as_list=False: panoramisk takes "Added interface to queue" for a list.
    await lab.probe.ami.command({"Action": "QueueAdd", "Queue": "desk",
                                 "Interface": "PJSIP/carrier", "MemberName": "carrier"},
                                as_list=False)
    try:
        await lab.probe.log.wait_for(
            lambda m: m.get("Event") == "QueueMemberAdded" and m.get("Interface") == "PJSIP/carrier",
            since=mark, timeout=10)
        await wait_log(lab, "member PJSIP/carrier, which is not a configured seat")
        seats = await board(lab)
        assert "carrier" not in seats and sorted(seats) == sorted(SEATS)
        assert await board_mismatches(lab, SEATS) == []
        # A restarted controller reads QueueStatus: still left out, logged again.
        await lab.start_controller()
        await wait_log(lab, "member PJSIP/carrier, which is not a configured seat")
        assert "carrier" not in await board(lab)
    finally:
        await lab.probe.ami.command({"Action": "QueueRemove", "Queue": "desk",
                                     "Interface": "PJSIP/carrier"})
