"""The dialer's steps on the fakes (``tests/fakes``): leadership, seat
counting, the Originate it sends, lease expiry and recovery, and what an
attempt's end records."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from panoramisk.message import Message

from ari_app.desk.board import Board, DeviceState, Seat
from ari_app.desk.calendar import ServiceCalendar
from ari_app.dialer import Dialer, DialerPorts, DialerRules
from ari_app.leadership import Leadership
from ari_app.store.memory import MemoryCallbackStore
from tests.fakes.ami import FakeAmi
from tests.fakes.ari import FakeAri

OPEN = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
SEATS = ["8601", "8602", "8603"]


class Desk:
    def __init__(self, *, ready: int = 3, seat_answers: bool = True):
        self.clock = [OPEN]
        self.store = MemoryCallbackStore(lambda: self.clock[0])
        self.answers = seat_answers
        self.ami = FakeAmi(self._originate)
        self.ari = FakeAri()
        self.board = Board("desk", SEATS)
        for i, agent_id in enumerate(SEATS):
            self.board.update(Seat(agent_id, f"PJSIP/{agent_id}", registered=True,
                                   in_queue=True, state=DeviceState.NOT_INUSE if i < ready
                                   else DeviceState.INUSE))
        self.board.synced = True
        self.dialer = Dialer(DialerPorts(self.ami, self.ari, self.store), self.board,
                             DialerRules.of(ServiceCalendar.build()), clock=lambda: self.clock[0])
        self.placed: list[dict] = []

    async def _originate(self, action):
        self.placed.append(action)
        response = "Success" if self.answers else "Failure"
        return [Message({"Response": "Success"}),
                Message({"Event": "OriginateResponse", "Response": response})]

    async def request(self, number: str) -> str:
        cb_id, _ = await self.store.create(number=number, topic="wlan", note="", agent="",
                                           source="api", deadline=OPEN + 3600, due=OPEN,
                                           now=OPEN)
        return cb_id

    async def settle(self) -> None:
        for _ in range(5):
            await asyncio.sleep(0)

    async def claimed(self, cb_id: str) -> None:
        while self.store.hashes[cb_id]["status"] != "dialling":
            await asyncio.sleep(0.01)


class Lease:
    """The leader lease as Redis would answer: held or not, as the test says."""

    def __init__(self) -> None:
        self.held = False

    async def take(self, key: str, owner: str, ttl: float) -> bool:
        return self.held

    async def resign(self, key: str, owner: str) -> None:
        self.held = False


async def test_only_the_leader_claims_and_the_role_lost_stops_the_claims():
    desk = Desk()
    await desk.request("13800138001")
    lease = Lease()
    leadership = Leadership(lease.take, lease.resign)
    leadership.while_leading("dialer", desk.dialer.leading)
    await leadership.renew()                      # standing by
    await desk.settle()
    assert not desk.dialer.active and desk.store.hashes["cb1"]["status"] == "open"
    lease.held = True
    await leadership.renew()                      # the lease taken: the claims start
    await asyncio.wait_for(desk.claimed("cb1"), 10)
    lease.held = False
    await leadership.renew()                      # the lease lost: they stop
    await desk.request("13800138002")
    desk.dialer.wake()
    await desk.settle()
    assert desk.store.hashes["cb2"]["status"] == "open" and "cb1" in desk.dialer.active
    await desk.dialer.stop()


async def test_one_claim_per_ready_seat_and_the_rest_wait():
    desk = Desk(ready=2)
    for i in range(4):
        await desk.request(f"1380013800{i}")
    await desk.dialer._step()
    assert len(desk.dialer.active) == 2
    statuses = sorted(h["status"] for h in desk.store.hashes.values())
    assert statuses == ["dialling", "dialling", "open", "open"]
    await desk.dialer._step()   # both still seek a seat: they hold the two ready seats
    assert len(desk.dialer.active) == 2
    await desk.dialer.stop()


async def test_the_originate_is_seat_first_with_the_attempts_ids():
    desk = Desk(ready=1)
    await desk.request("13800138001")
    await desk.dialer._step()
    await desk.settle()
    action = desk.placed[0]
    assert action["Channel"] == "Local/s@desk-callback-seat/n"
    assert action["Context"] == "desk-callback-customer" and action["Exten"] == "13800138001"
    assert action["ChannelId"] == "cb1-1" and action["OtherChannelId"] == "cb1-1-seat"
    assert "CB_SEAT_WAIT=30" in action["Variable"] and "CB_FENCE=1" in action["Variable"]
    assert action["CallerID"] == '"Callback wlan" <13800138001>'
    await desk.dialer.stop()


async def test_no_seat_taking_it_costs_the_customer_no_attempt():
    desk = Desk(ready=1, seat_answers=False)
    await desk.request("13800138001")
    await desk.dialer._step()
    await asyncio.gather(*desk.dialer.active.values())
    cb = desk.store.hashes["cb1"]
    assert cb["status"] == "open" and cb["last_outcome"] == "seat-no-answer"
    assert cb["attempts"] == "0" and float(cb["due"]) == OPEN + 30


@pytest.mark.parametrize("event, receipt, status, outcome, sla", [
    ({"Event": "DialEnd", "DialStatus": "ANSWER"}, None, "done", "answered", "met"),
    ({"Event": "DialEnd", "DialStatus": "BUSY"}, None, "open", "busy", "met"),
    ({"Event": "Hangup"}, "1,ANSWER,1800000000", "done", "answered", "met"),
    ({"Event": "Hangup"}, "1,SEATGONE,1800000000", "open", "seat-hung-up", None),
    ({"Event": "Hangup"}, "1,REFUSED,1800000000", "failed", "refused", None),
])
async def test_an_attempts_end_is_recorded_from_the_event_or_the_receipt(event, receipt,
                                                                       status, outcome, sla):
    desk = Desk(ready=1)
    await desk.request("13800138001")
    if receipt:
        desk.ami.receipts["cb1"] = receipt
    await desk.dialer._step()
    await desk.settle()
    assert desk.dialer.attempts.seated == 1 and desk.dialer.attempts.of("cb1").seated
    desk.ami.emit({**event, "Uniqueid": "cb1-1"})
    await asyncio.gather(*desk.dialer.active.values())
    cb = desk.store.hashes["cb1"]
    assert (cb["status"], cb["last_outcome"], cb.get("sla")) == (status, outcome, sla)
    assert desk.dialer.sla == ({sla: 1} if sla else {})
    assert desk.dialer.not_placed == ({"dialplan-refused": 1} if outcome == "refused" else {})


async def test_a_refused_stored_number_is_never_dialled():
    desk = Desk(ready=1)
    await desk.request("13800138001")
    desk.store.hashes["cb1"]["number"] = "95555"
    await desk.dialer._step()
    await asyncio.gather(*desk.dialer.active.values())
    assert not desk.placed and desk.store.hashes["cb1"]["status"] == "failed"
    assert desk.dialer.not_placed == {"number-refused": 1}


async def lapsed(desk: Desk) -> None:
    """A claim by a dialer that died: its lease has run out."""
    await desk.request("13800138001")
    await desk.store.claim(lease=90, owner="gone", now=OPEN - 200)
    desk.board.synced = False   # nothing new is claimed: only recovery acts


async def test_a_lapsed_lease_without_a_receipt_goes_back_to_the_queue_as_a_seat_try():
    desk = Desk()
    await lapsed(desk)
    await desk.dialer._step()
    cb = desk.store.hashes["cb1"]
    assert cb["status"] == "open" and cb["last_outcome"] == "seat-no-answer"
    assert cb["reason"].startswith("lease ran out before a seat answered; seat-no-answer")
    assert float(cb["due"]) == OPEN + 30 and cb["attempts"] == "0"   # the seat retry
    assert desk.store.log["cb1"][-1]["event"] == "requeued"


async def test_a_lapsed_lease_whose_attempt_ended_is_recorded_from_the_receipt():
    desk = Desk()
    await lapsed(desk)
    desk.ami.receipts["cb1"] = f"1,ANSWER,{int(OPEN - 150)}"
    await desk.dialer._step()
    cb = desk.store.hashes["cb1"]
    assert cb["status"] == "done" and cb["sla"] == "met"
    assert float(cb["answered_at"]) == OPEN - 150
    assert desk.store.log["cb1"][-1]["event"] == "recovered"


async def test_a_lapsed_lease_whose_call_is_up_is_followed_to_its_end():
    desk = Desk()
    await lapsed(desk)
    desk.ari.up.add("cb1-1")
    await desk.dialer._step()
    assert "cb1" in desk.dialer.active
    assert float(desk.store.hashes["cb1"]["lease_until"]) == OPEN + 90
    await desk.settle()
    desk.ami.emit({"Event": "DialEnd", "Uniqueid": "cb1-1", "DialStatus": "NOANSWER"})
    await asyncio.gather(*desk.dialer.active.values())
    cb = desk.store.hashes["cb1"]
    assert cb["status"] == "open" and cb["last_outcome"] == "no-answer"
    assert cb["attempts"] == "1"


async def test_a_live_caller_reaching_a_seat_serves_their_open_callback():
    desk = Desk()          # not claiming (a standby's dialer serves it too)
    await desk.request("13800138001")
    desk.ami.emit({"Event": "AgentConnect", "Queue": "desk", "Channel": "PJSIP/carrier-1",
                   "CallerIDNum": "13800138001"})
    await desk.settle()
    assert desk.store.hashes["cb1"]["status"] == "served"


async def test_an_attempt_takes_only_its_own_channels_end():
    desk = Desk(ready=1)
    await desk.request("13800138001")
    await desk.dialer._step()
    await desk.settle()
    desk.ami.emit({"Event": "DialEnd", "Uniqueid": "cb1-2", "DialStatus": "BUSY"})  # a later fence
    desk.ami.emit({"Event": "Hangup", "Uniqueid": "cb9-1"})
    await desk.settle()
    assert "cb1" in desk.dialer.active and desk.store.hashes["cb1"]["status"] == "dialling"
    desk.ami.emit({"Event": "DialEnd", "Uniqueid": "cb1-1", "DialStatus": "ANSWER"})
    await asyncio.gather(*desk.dialer.active.values())
    assert desk.store.hashes["cb1"]["last_outcome"] == "answered"


@pytest.mark.parametrize("up, status", [(False, "done"), (True, "dialling")])
async def test_after_an_ami_reconnect_an_attempt_whose_channel_is_gone_ends_from_its_receipt(
        up, status):
    """Events are lost while AMI is away: its channel gone from Asterisk, the
    attempt ends now, as its receipt says; still up, it waits on."""
    desk = Desk(ready=1)
    await desk.request("13800138001")
    desk.ami.receipts["cb1"] = "1,ANSWER,1800000000"
    await desk.dialer._step()
    await desk.settle()
    if up:
        desk.ari.up.add("cb1-1")
    for hook in desk.ami.hooks:          # AMI is back; no DialEnd or Hangup was seen
        await hook(desk.ami)
    await desk.settle()
    assert desk.store.hashes["cb1"]["status"] == status
    assert ("cb1" in desk.dialer.active) is up
    await desk.dialer.stop()


async def test_a_callback_claimed_before_its_booked_time_is_not_dialled_and_waits_again():
    """A booked callback put among the due ones behind the store's back (its
    slot starts in ten minutes): claimed, never originated, waiting again
    until its time; then dialled."""
    desk = Desk()
    start = OPEN + 600
    cb_id, _ = await desk.store.create(number="13800138009", topic="wlan", note="", agent="",
                                       source="api", deadline=start + 3600, due=start, now=OPEN)
    desk.store.ready[cb_id] = desk.store.waiting.pop(cb_id)   # a record moved by hand
    await desk.dialer._step()
    await asyncio.wait_for(asyncio.gather(*desk.dialer.active.values()), 5)
    assert desk.placed == []
    assert desk.store.hashes[cb_id]["status"] == "open" and desk.store.waiting[cb_id] == start
    assert desk.store.log[cb_id][-1]["event"] == "deferred"
    desk.clock[0] = start
    await desk.dialer._step()
    await asyncio.wait_for(desk.claimed(cb_id), 5)
    await desk.settle()
    assert len(desk.placed) == 1
    await desk.dialer.stop()
