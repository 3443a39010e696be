"""Transfers that go wrong, over real SIP: the customer is never dropped,
the transferring phone is told what became of its caller, and a REFER from
anyone but the phone is refused.

The frontline phone is SIPp where the test needs to read what the phone was
told (the sipfrag of each NOTIFY) or to send a REFER no Asterisk phone sends;
it is the phone simulator (an Asterisk) for an attended transfer done right.
Every assertion reads what Asterisk did (AMI events, bridges, channels) or
what the phone received, never the controller's account.
"""

from __future__ import annotations

import asyncio

import pytest

from lab.forged import refer_into_call_of, replaces
from lab.sipp import frontline_sipp, notifies
from lab.stack import FRONTLINE, SEATS, Stack


def _is(event: str, **headers: str):
    def match(msg) -> bool:
        return msg.get("Event") == event and all(msg.get(k) == v for k, v in headers.items())
    return match


async def _answered_by(lab: Stack, customer: str, mark: int) -> str:
    """The customer's channel once a frontline agent answered it (waits)."""
    joined = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "QueueCallerJoin" and m.get("Queue") == "frontline"
        and m.get("CallerIDNum") == customer, since=mark, timeout=20)
    channel = joined["Channel"]
    await lab.probe.log.wait_for(_is("AgentConnect", Queue="frontline", Channel=channel),
                                 since=mark, timeout=30)
    return channel


async def _told(phone, timeout: float = 20) -> tuple[str, str]:
    """The NOTIFY that ended the phone's REFER subscription (waits for it)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        final = [n for n in notifies(phone.log()) if n[0].startswith("terminated")]
        if final:
            return final[0]
        assert asyncio.get_running_loop().time() < deadline, phone.log()[-3000:]
        await asyncio.sleep(0.1)


async def _queued_again(lab: Stack, customer: str, mark: int) -> None:
    """Until the dialplan has found the customer's agent taken away by a failed
    transfer and the customer has joined the frontline queue again after it."""
    found = await lab.probe.log.wait_for(
        _is("VarSet", Channel=customer, Variable="DESK_OUTCOME", Value="transfer-failed"),
        since=mark, timeout=20)
    after = next(i for i, e in enumerate(lab.probe.log.events) if e is found)
    await lab.probe.log.wait_for(
        _is("QueueCallerJoin", Queue="frontline", Channel=customer), since=after, timeout=20)


def _hung_up(lab: Stack, channel: str, mark: int) -> bool:
    return any(m.get("Event") == "Hangup" and m.get("Channel") == channel
               for m in lab.probe.log.since(mark))


def _uri(lab: Stack, target: str) -> str:
    return f"sip:{target}@127.0.0.1:{lab.ports.pbx_sip}"


@pytest.fixture
async def frontline(lab):
    """The stack; every frontline phone unpaused in the frontline queue after
    the test (which pauses some to choose who answers)."""
    yield lab
    await lab.probe.pause(FRONTLINE, paused=False, queue="frontline", check=False)


# ------------------------------------------------ a failed attended transfer


async def test_a_refer_replacing_the_phones_own_call_fails_and_the_customer_is_queued_again(
        lab):
    """REFER with Replaces naming the very call it is sent in: Asterisk fails
    the transfer and hangs up the phone's leg; the customer is not hung up
    but back in the frontline queue, and the phone is told it failed."""
    keys = {"refer_to": _uri(lab, "8600"), "own_dialog": "yes"}
    async with frontline_sipp(lab, "frontline-refer-notify.xml", keys) as phone:
        mark = lab.probe.log.mark()
        await lab.phones.customer_call("13800138301")
        customer = await _answered_by(lab, "13800138301", mark)
        # The phone gets no more calls: the customer must wait for another agent.
        await lab.probe.pause([phone.user], queue="frontline")
        failed = await lab.probe.log.wait_for(
            _is("AttendedTransfer", TransfereeChannel=customer), since=mark, timeout=20)
        assert failed.get("Result") == "Fail", failed
        await _queued_again(lab, customer, mark)
        assert customer in [c["Channel"] for c in await lab.probe.channels()]
        assert not _hung_up(lab, customer, mark)
        state, sipfrag = await _told(phone)
        assert sipfrag == "SIP/2.0 500 Server Internal Error", (state, sipfrag)


async def test_an_asterisk_phone_replacing_its_own_call_also_leaves_its_customer_queued(
        frontline):
    """The same REFER from a phone that shows who it is (the simulator's
    Asterisk: the customer's connected line names the phone): the customer
    is queued again and the phone learns the transfer failed."""
    lab = frontline
    await lab.probe.pause(["1001"], queue="frontline")
    mark, phones_mark = lab.probe.log.mark(), lab.phones.log.mark()
    await lab.phones.customer_call("13800138303")
    customer = await _answered_by(lab, "13800138303", mark)
    await lab.probe.pause(FRONTLINE, queue="frontline")
    _, leg = await lab.probe.wait_bridged(customer, "PJSIP/1002-")   # the phone's end
    call = await lab.phones.call_of("1002")
    await lab.phones.refer(call, _uri(lab, "8600") + replaces(await lab.probe.dialog(leg)))
    failed = await lab.probe.log.wait_for(
        _is("AttendedTransfer", TransfereeChannel=customer), since=mark, timeout=20)
    assert failed.get("Result") == "Fail", failed
    await _queued_again(lab, customer, mark)
    assert not _hung_up(lab, customer, mark)
    # The phone's Transfer() ends in FAILURE: told 500, or its leg hung up
    # before the NOTIFY could be read (both race, Asterisk sends both at once).
    told = await lab.phones.log.wait_for(
        _is("VarSet", Variable="TRANSFERSTATUS"), since=phones_mark, timeout=20)
    assert told.get("Value") == "FAILURE", told


async def test_an_attended_transfer_that_succeeds_ends_with_the_seat_as_before(frontline):
    """A phone's attended transfer done right (consult the desk, then REFER with
    Replaces naming that consultation): the customer talks to the seat, and
    when the seat hangs up the call is over, not queued again."""
    lab = frontline
    await lab.probe.pause(["1001"], queue="frontline")
    mark = lab.probe.log.mark()
    await lab.phones.customer_call("13800138302")
    customer = await _answered_by(lab, "13800138302", mark)
    call = await lab.phones.call_of("1002")
    # The agent consults the desk from the same phone ...
    await lab.phones.ami.command({
        "Action": "Originate", "Channel": "PJSIP/8600@phone-1002", "Application": "Wait",
        "Data": "60", "Timeout": "10000", "Async": "true"}, timeout=15)
    consult, seat = await lab.probe.wait_bridged("PJSIP/1002-", "PJSIP/86", timeout=30)
    # ... and transfers the customer to the seat it talks to.
    target = _uri(lab, "8600") + replaces(await lab.probe.dialog(consult))
    await lab.phones.refer(call, target)
    done = await lab.probe.log.wait_for(
        _is("AttendedTransfer", TransfereeChannel=customer), since=mark, timeout=20)
    assert done.get("Result") == "Success", done
    await lab.probe.wait_connected(customer, seat)
    after = lab.probe.log.mark()
    await lab.probe.ami.command({"Action": "Hangup", "Channel": seat})
    await lab.probe.log.wait_for(_is("Hangup", Channel=customer), since=after, timeout=20)
    assert not [m for m in lab.probe.log.since(after) if m.get("Event") == "QueueCallerJoin"
                and m.get("Channel") == customer]


async def test_a_seat_whose_transfer_fails_during_a_callback_leaves_the_customer_to_another(
        lab):
    """A callback: seat 8601 talks to the customer, then its phone sends a REFER
    with Replaces naming its own call. Its leg is hung up; the customer, still
    on the line, waits at the front of the desk queue and seat 8602 gets it."""
    await lab.probe.pause([s for s in SEATS if s != "8601"])
    mark = lab.probe.log.mark()
    status, body = await lab.controller.request("POST", "/api/callbacks",
                                                {"number": "13800138340"})
    assert status in (200, 201), body
    dialled = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "DialBegin" and m.get("DialString") == "13800138340@carrier",
        since=mark, timeout=40)
    customer = dialled["DestChannel"]
    await lab.probe.wait_connected(customer, "PJSIP/8601-")
    leg = next(c["Channel"] for c in await lab.probe.channels()
               if c["Channel"].startswith("PJSIP/8601-"))
    call = await lab.phones.call_of("8601")
    await lab.probe.pause(["8602"], paused=False)
    await lab.phones.refer(call, _uri(lab, "8600") + replaces(await lab.probe.dialog(leg)))
    failed = await lab.probe.log.wait_for(
        _is("AttendedTransfer", OrigTransfererChannel=leg), since=mark, timeout=20)
    assert failed.get("Result") == "Fail", failed
    await lab.probe.wait_connected(customer, "PJSIP/8602-", timeout=30)
    assert not _hung_up(lab, customer, mark)


# ---------------------------------------------- what the phone is told


# target, seats paused, the final sipfrag the phone gets, where Asterisk puts
# the customer (a bridge with a seat, the frontline queue, or a context)
OUTCOMES = {
    "live": ("8600", False, "SIP/2.0 200 OK", "seat"),
    "callback": ("8600", True, "SIP/2.0 486 Busy Here", "desk-callback"),
    "not-served": ("5555", False, "SIP/2.0 503 Service Unavailable", "frontline"),
    "out-of-scope": ("860041", False, "SIP/2.0 503 Service Unavailable", "frontline"),
}
# Without the controller: the dialplan's fallback, into the queue or its spool.
FALLBACK = {
    "live": OUTCOMES["live"],
    "spool": ("8600", True, "SIP/2.0 486 Busy Here", "desk-spool"),
}


async def _where(lab: Stack, customer: str, place: str, mark: int) -> None:
    if place == "seat":
        await lab.probe.wait_bridged(customer, "PJSIP/86", timeout=30)
    elif place == "frontline":
        await lab.probe.log.wait_for(
            _is("QueueCallerJoin", Queue="frontline", Channel=customer), since=mark, timeout=20)
    else:
        await lab.probe.log.wait_for(_is("Newexten", Channel=customer, Context=place),
                                     since=mark, timeout=20)


async def _transfer_and_listen(lab: Stack, outcome: tuple[str, bool, str, str],
                               number: str) -> None:
    """A customer reaches the SIPp phone, which blind-transfers to the target;
    the phone's final sipfrag and the customer's whereabouts are checked."""
    target, paused, sipfrag, place = outcome
    if paused:
        await lab.probe.pause(SEATS)
    keys = {"refer_to": _uri(lab, target), "own_dialog": "no"}
    async with frontline_sipp(lab, "frontline-refer-notify.xml", keys) as phone:
        mark = lab.probe.log.mark()
        await lab.phones.customer_call(number)
        customer = await _answered_by(lab, number, mark)
        await lab.probe.pause([phone.user], queue="frontline")   # no second offer to it
        await lab.probe.log.wait_for(_is("BlindTransfer", TransfereeChannel=customer),
                                     since=mark, timeout=20)
        told = await _told(phone)
        assert told[1] == sipfrag, notifies(phone.log())
        await _where(lab, customer, place, mark)
    assert customer in [c["Channel"] for c in await lab.probe.channels()]
    assert not _hung_up(lab, customer, mark)


@pytest.mark.parametrize("case", list(OUTCOMES))
async def test_the_transferring_phone_is_told_what_became_of_its_caller(lab, case):
    """Live at the desk: 200 OK; the desk's callback capture: 486 Busy Here; back
    to the frontline queue: 503 Service Unavailable. The caller stays in every case."""
    await _transfer_and_listen(lab, OUTCOMES[case], f"1380013831{list(OUTCOMES).index(case)}")


@pytest.mark.parametrize("case", list(FALLBACK))
async def test_without_the_controller_the_dialplan_tells_the_phone_the_same(
        controller_stopped, case):
    """The dialplan's own fallback (the queue if a seat is ready, else its spool)
    tells the phone as the controller's routes do."""
    await _transfer_and_listen(controller_stopped, FALLBACK[case],
                               f"1380013832{list(FALLBACK).index(case)}")


# ------------------------------------------- a REFER from another address


async def test_a_refer_injected_into_a_phones_call_from_another_address_is_refused(frontline):
    """A REFER with phone 1001's Call-ID and tags, from 127.0.0.2 and without
    credentials, is refused (403) before Asterisk looks for the call: the
    customer stays with the phone and nothing is transferred."""
    lab = frontline
    await lab.probe.pause(["1002"], queue="frontline")
    mark = lab.probe.log.mark()
    await lab.phones.customer_call("13800138330")
    customer = await _answered_by(lab, "13800138330", mark)

    status = await refer_into_call_of(lab.probe, lab.ports.pbx_sip, "1001",
                                      "sip:8600@127.0.0.1", source="127.0.0.2")

    assert status.startswith("SIP/2.0 403"), status
    assert not [m for m in lab.probe.log.since(mark) if m.get("Event") == "BlindTransfer"]
    assert await lab.probe.connected(customer, "PJSIP/1001-")
