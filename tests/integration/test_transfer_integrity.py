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
import json

import aiohttp
import pytest

from lab.forged import refer_into_call_of, replaces
from lab.sipp import frontline_sipp, notifies
from lab.configs import SIPP_PHONE
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


async def _consulted_and_transferred(lab: Stack, number: str, mark: int) -> tuple[str, str]:
    """A phone's attended transfer done right: customer ``number`` reaches phone
    1002, which consults the desk from a second call and REFERs with Replaces
    naming that consultation. Returns (customer, seat) once they talk."""
    await lab.probe.pause(["1001"], queue="frontline")
    await lab.phones.customer_call(number)
    customer = await _answered_by(lab, number, mark)
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
    return customer, seat


async def test_an_attended_transfer_that_succeeds_ends_with_the_seat_as_before(frontline):
    """A phone's attended transfer done right (consult the desk, then REFER with
    Replaces naming that consultation): the customer talks to the seat, and
    when the seat hangs up the call is over, not queued again."""
    lab = frontline
    customer, seat = await _consulted_and_transferred(lab, "13800138302", lab.probe.log.mark())
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


# ------------------------------------- a REFER naming another customer's call

TAKEN_OVER = "datadesk_transfers_replaced_foreign_total"


async def _taken_over(lab: Stack) -> dict[str, int]:
    """The controller's takeover counter by endpoint label, read from /metrics."""
    async with aiohttp.ClientSession(headers=lab.controller.headers,
                                     timeout=aiohttp.ClientTimeout(total=10)) as http:
        async with http.get(lab.controller.url + "/metrics") as resp:
            text = await resp.text()
    return {line.split('"')[1]: int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
            if line.startswith(TAKEN_OVER + "{")}


def _takeover_lines(lab: Stack, since: int) -> list[dict]:
    """The controller's ERROR lines about a takeover, written after byte ``since``."""
    with lab.controller.log.open("rb") as log:
        log.seek(since)
        lines = log.read().decode(errors="replace").splitlines()
    found = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("level") == "error" and "another endpoint's call" in entry.get("msg", ""):
            found.append(entry)
    return found


async def _wait_takeover_lines(lab: Stack, since: int, timeout: float = 20) -> list[dict]:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (found := _takeover_lines(lab, since)):
        assert asyncio.get_running_loop().time() < deadline, lab.controller.tail()
        await asyncio.sleep(0.1)
    return found


@pytest.mark.controller({"desk": {"frontline_phones": [*FRONTLINE, SIPP_PHONE]}})
async def test_a_phone_replacing_another_customers_call_takes_it_over_and_is_reported(
        frontline):
    """Asterisk lets a phone's REFER with Replaces name any call it holds: SIPp
    phone 1004, talking to customer A, names the call of customer C, who waits
    in the frontline queue; C is hung up and A takes C's place. The controller
    cannot refuse it but reports it: one ERROR line naming the phone and C's
    call (C's number masked), and the takeover counter of phone 1004 up by one.
    A phone's attended transfer done right, just before, is neither."""
    lab = frontline
    since, before = lab.controller.log.stat().st_size, await _taken_over(lab)
    mark = lab.probe.log.mark()
    customer, seat = await _consulted_and_transferred(lab, "13800138352", mark)
    await lab.probe.ami.command({"Action": "Hangup", "Channel": seat})
    await lab.probe.log.wait_for(_is("Hangup", Channel=customer), since=mark, timeout=20)

    # C waits in the frontline queue; A waits too, moved ahead of C, so that
    # the SIPp phone, once in the queue, answers A while C goes on waiting.
    await lab.probe.pause(FRONTLINE, queue="frontline")
    mark = lab.probe.log.mark()
    waiting = {}
    for number in ("13800138350", "13800138351"):
        await lab.phones.customer_call(number)
        joined = await lab.probe.log.wait_for(
            lambda m, n=number: m.get("Event") == "QueueCallerJoin"
            and m.get("Queue") == "frontline" and m.get("CallerIDNum") == n,
            since=mark, timeout=20)
        waiting[number] = joined["Channel"]
    victim, customer = waiting["13800138350"], waiting["13800138351"]
    await lab.probe.ami.command({"Action": "QueueChangePriorityCaller", "Queue": "frontline",
                                 "Caller": customer, "Priority": "10", "Immediate": "yes"})
    # What the phone must know of C's call: its Call-ID and both tags.
    refer_to = _uri(lab, "8600") + replaces(await lab.probe.dialog(victim))
    keys = {"refer_to": refer_to, "own_dialog": "no"}
    async with frontline_sipp(lab, "frontline-refer-notify.xml", keys) as phone:
        await lab.probe.log.wait_for(_is("AgentConnect", Queue="frontline", Channel=customer),
                                     since=mark, timeout=30)
        await lab.probe.pause([phone.user], queue="frontline")   # no second offer to it
        done = await lab.probe.log.wait_for(
            _is("AttendedTransfer", SecondTransfererChannel=victim), since=mark, timeout=20)
        assert done.get("Result") == "Success", done
        assert done["OrigTransfererChannel"].startswith(f"PJSIP/{phone.user}-"), done
        await lab.probe.log.wait_for(_is("Hangup", Channel=victim), since=mark, timeout=20)

        [line] = await _wait_takeover_lines(lab, since)
    text = line["msg"]
    assert text.startswith(f"phone {phone.user} took over another endpoint's call"), text
    assert f"{victim} (caller •••••••8350)" in text, text
    assert "13800138350" not in text and "13800138351" not in text
    after = await _taken_over(lab)
    assert after == {**before, phone.user: before[phone.user] + 1}, (before, after)


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
