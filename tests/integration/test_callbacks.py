"""Callbacks end to end over real SIP: capture by DTMF, the agent-first
dialer, retries, and recovery after the controller is killed. Every claim
about calls is read from Asterisk (AMI events, bridges)."""

from __future__ import annotations

import asyncio
import time

import pytest

from ari_app.lab.scenarios import customer_transferred
from ari_app.lab.stack import SEATS


async def pause(lab, seats, paused=True, reason="break"):
    for seat in seats:
        await lab.probe.ami.command({"Action": "QueuePause", "Queue": "desk",
                                     "Interface": f"PJSIP/{seat}",
                                     "Paused": "true" if paused else "false",
                                     "Reason": reason if paused else ""})


async def open_callback(lab, number: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        _, body = await lab.controller.request("GET", "/api/callbacks")
        for cb in body["callbacks"]:
            if cb["number"] == number:
                return cb
        if time.monotonic() > deadline:
            raise AssertionError(f"no open callback for {number}: {body}")
        await asyncio.sleep(0.2)


async def wait_status(lab, cb_id: str, statuses: set[str], timeout: float = 40) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, body = await lab.controller.request("GET", f"/api/callbacks/{cb_id}")
        assert status == 200, body
        if body["callback"]["status"] in statuses:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"callback {cb_id} still {body['callback']['status']}: {body}")
        await asyncio.sleep(0.2)


def dials_to(lab, number: str, since: int = 0):
    return [e for e in lab.probe.log.since(since) if e.get("Event") == "DialBegin"
            and e.get("DestChannel", "").startswith("PJSIP/carrier-")
            and e.get("DestCallerIDNum", e.get("DestConnectedLineNum", "")) in (number, "")
            and number in e.get("DialString", "")]


async def test_all_paused_caller_keys_a_number_and_is_called_back_seat_first(lab):
    await pause(lab, SEATS)
    mark = lab.probe.log.mark()
    transfer = await customer_transferred(lab, customer="13800138201")
    assert transfer.route == "callback"
    # The caller presses 2 (another number), keys it in, confirms with 1.
    await asyncio.sleep(1.0)
    await lab.phones.dtmf(transfer.phone_channel, "2")
    await asyncio.sleep(1.0)
    await lab.phones.dtmf(transfer.phone_channel, "13912345678#")
    await asyncio.sleep(1.0)
    await lab.phones.dtmf(transfer.phone_channel, "1")
    cb = await open_callback(lab, "13912345678")
    assert cb["status"] == "open" and cb["source"] == "ivr" and cb["attempts"] == 0
    assert not dials_to(lab, "13912345678", mark)  # every seat paused: nothing dialled

    await pause(lab, ["8605"], paused=False)
    body = await wait_status(lab, cb["id"], {"done", "failed"})
    record = body["callback"]
    assert record["status"] == "done" and record["attempts"] == 1
    assert record["last_outcome"] == "answered" and record["sla"] == "met"
    assert len(body["attempts"]) == 1 and body["attempts"][0]["outcome"] == "answered"

    # From Asterisk: seat 8605 answered first, then the customer was dialled,
    # and the two talk through the callback's Local pair.
    events = lab.probe.log.since(mark)
    seat_up = next(i for i, e in enumerate(events) if e.get("Event") == "AgentConnect"
                   and e.get("Queue") == "desk" and e.get("Interface") == "PJSIP/8605")
    dialled = [i for i, e in enumerate(events) if e.get("Event") == "DialBegin"
               and e.get("DialString") == "13912345678@carrier"]
    assert len(dialled) == 1 and seat_up < dialled[0]
    await lab.probe.wait_connected("PJSIP/8605-", "PJSIP/carrier-", timeout=10)
