"""Callbacks end to end over real SIP: capture by DTMF, the agent-first
dialer, retries, and recovery after the controller is killed. Every claim
about calls is read from Asterisk (AMI events, bridges)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from lab.scenarios import customer_transferred, in_capture
from lab.stack import SEATS


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
    await lab.probe.pause(SEATS)
    mark = lab.probe.log.mark()
    transfer = await customer_transferred(lab, customer="13800138201")
    assert transfer.route == "callback"
    # The caller presses 2 (another number), keys it in, confirms with 1,
    # each key while the prompt that asks for it plays.
    await in_capture(lab, transfer)
    await lab.phones.dtmf(transfer.phone_channel, "2")
    await in_capture(lab, transfer, prompt="vm-enter-num-to-call")
    await lab.phones.dtmf(transfer.phone_channel, "13912345678#")
    await in_capture(lab, transfer, prompt="you-entered")
    await lab.phones.dtmf(transfer.phone_channel, "1")
    cb = await open_callback(lab, "13912345678")
    assert cb["status"] == "open" and cb["source"] == "ivr" and cb["attempts"] == 0
    assert not dials_to(lab, "13912345678", mark)  # every seat paused: nothing dialled

    await lab.probe.pause(["8605"], paused=False)
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


async def capture_ended(lab, transfer, since: int, timeout: float = 10) -> dict:
    """The controller's log line that ends the capture of ``transfer``'s
    caller who hung up (logged once the capture has let go of the call)."""
    deadline = time.monotonic() + timeout
    while True:
        ended = [e for e in log_entries(lab.controller.log, since)
                 if "hung up during capture" in e.get("msg", "")
                 and e.get("call") == transfer.customer_uniqueid]
        if ended:
            return ended[0]
        assert time.monotonic() < deadline, log_entries(lab.controller.log, since)
        await asyncio.sleep(0.1)


async def test_caller_confirms_the_caller_id_then_hangs_up_and_keeps_the_callback(lab):
    since = lab.controller.log.stat().st_size
    await lab.probe.pause(SEATS)
    transfer = await customer_transferred(lab, customer="13800138211")
    assert transfer.route == "callback"
    await in_capture(lab, transfer)
    await lab.phones.dtmf(transfer.phone_channel, "1")   # "your number is ... press 1"
    cb = await open_callback(lab, "13800138211")
    await lab.phones.hangup(transfer.phone_channel)       # gone before the thank-you
    ended = await capture_ended(lab, transfer, since)
    assert f"callback {cb['id']} kept" in ended["msg"]
    # Read again once the capture is over: still there, open, as stored.
    status, body = await lab.controller.request("GET", f"/api/callbacks/{cb['id']}")
    assert status == 200, body
    kept = body["callback"]
    assert kept["status"] == "open" and kept["source"] == "ivr", kept
    assert kept["number"] == "13800138211" and kept["attempts"] == 0, kept
    assert [h["event"] for h in body["history"]] == ["created"], body["history"]


async def test_caller_hangs_up_while_keying_in_and_nothing_is_stored(lab):
    since = lab.controller.log.stat().st_size
    await lab.probe.pause(SEATS)
    transfer = await customer_transferred(lab, customer="13800138212")
    await in_capture(lab, transfer)
    await lab.phones.dtmf(transfer.phone_channel, "2")
    await in_capture(lab, transfer, prompt="vm-enter-num-to-call")
    await lab.phones.dtmf(transfer.phone_channel, "139123")   # half a number, no #
    await lab.phones.hangup(transfer.phone_channel)
    ended = await capture_ended(lab, transfer, since)
    assert "nothing stored" in ended["msg"], ended
    _, body = await lab.controller.request("GET", "/api/callbacks")
    assert not [cb for cb in body["callbacks"]
                if cb["number"] in ("13800138212", "139123")]


def customer_dials(lab, number: str, since: int = 0) -> list:
    """DialBegin events of the PBX towards the customer ``number``."""
    return [e for e in lab.probe.log.since(since) if e.get("Event") == "DialBegin"
            and e.get("DialString") == f"{number}@carrier"]


async def register(lab, number: str, **fields) -> dict:
    status, body = await lab.controller.request("POST", "/api/callbacks",
                                                {"number": number, **fields})
    assert status in (200, 201), body
    return body["callback"]


@pytest.fixture
async def one_seat(lab):
    """Only seat 8601 is ready: callbacks go out one at a time."""
    await lab.probe.pause([s for s in SEATS if s != "8601"])
    yield lab


async def test_busy_customer_is_retried_then_failed_and_never_dialled_again(one_seat):
    lab = one_seat
    number = "13800138301"
    await lab.phones.on_ring(number, "busy")
    mark = lab.probe.log.mark()
    cb = await register(lab, number, topic="wlan", agent="1001")
    body = await wait_status(lab, cb["id"], {"done", "failed"}, timeout=90)
    record = body["callback"]
    assert record["status"] == "failed" and record["attempts"] == 3
    assert record["last_outcome"] == "busy" and record["sla"] == "met"
    assert [a["outcome"] for a in body["attempts"]] == ["busy", "busy", "busy"]
    # The back-off (2 s in the lab) separates the attempts, in Asterisk's own events.
    dials = customer_dials(lab, number, mark)
    assert len(dials) == 3
    gaps = [float(b["_received"]) - float(a["_received"]) for a, b in zip(dials, dials[1:], strict=False)]
    assert all(g >= 2 for g in gaps), gaps
    await asyncio.sleep(5)
    assert len(customer_dials(lab, number, mark)) == 3  # failed: never dialled again


async def test_no_answer_then_answered_on_the_retry(one_seat):
    lab = one_seat
    number = "13800138302"
    await lab.phones.on_ring(number, "ignore")
    mark = lab.probe.log.mark()
    cb = await register(lab, number)
    await lab.probe.log.wait_for(lambda m: m.get("Event") == "DialEnd"
                                 and m.get("DialStatus") == "NOANSWER"
                                 and m.get("DestChannel", "").startswith("PJSIP/carrier-"),
                                 since=mark, timeout=40)
    await lab.phones.on_ring(number, "answer")
    body = await wait_status(lab, cb["id"], {"done", "failed"}, timeout=60)
    assert body["callback"]["status"] == "done" and body["callback"]["attempts"] == 2
    assert [a["outcome"] for a in body["attempts"]] == ["no-answer", "answered"]
    assert len(customer_dials(lab, number, mark)) == 2


# A short lease for the recovery test: the lease is what recovery waits out,
# not what the test checks, and the lab's 20 s would be waited out in full.
SHORT_LEASE = {"callbacks": {"lease": 5}}


async def test_controller_killed_mid_dial_the_callback_completes_exactly_once(report, one_seat):
    lab = one_seat
    await lab.start_controller(SHORT_LEASE)
    try:
        await killed_mid_dial(lab, report)
    finally:
        await lab.start_controller()


async def killed_mid_dial(lab, report) -> None:
    number = "13800138303"
    await lab.phones.on_ring(number, "answer:3")  # rings 3 s: the kill lands while it rings
    mark = lab.probe.log.mark()
    cb = await register(lab, number)
    await lab.probe.log.wait_for(lambda m: m.get("Event") == "DialBegin"
                                 and m.get("DialString") == f"{number}@carrier",
                                 since=mark, timeout=30)
    lab.controller.kill()          # SIGKILL while the customer's phone rings
    await lab.controller.process.wait()
    killed_at = time.monotonic()
    since = lab.controller.log.stat().st_size
    await lab.start_controller(SHORT_LEASE)
    # Asterisk carries on without the controller: the customer answers.
    await lab.probe.wait_connected("PJSIP/8601-", "PJSIP/carrier-", timeout=15)
    # The new controller finds the attempt still up (once the lease has run
    # out) and follows it; it must not dial again.
    deadline = time.monotonic() + 30
    while not [e for e in log_entries(lab.controller.log, since)
               if e.get("callback") == cb["id"] and "following it" in e.get("msg", "")]:
        assert time.monotonic() < deadline, log_entries(lab.controller.log, since)
        await asyncio.sleep(0.2)
    assert await lab.probe.connected("PJSIP/8601-", "PJSIP/carrier-")  # followed while up
    assert len(customer_dials(lab, number, mark)) == 1
    await lab.probe.hangup_all()
    body = await wait_status(lab, cb["id"], {"done", "failed"}, timeout=40)
    report(f"callback recovered {time.monotonic() - killed_at:.1f} s after the kill")
    assert body["callback"]["status"] == "done" and body["callback"]["attempts"] == 1
    assert body["callback"]["last_outcome"] == "answered"
    assert [h["event"] for h in body["history"]][-1] == "recovered", body["history"]
    assert len(customer_dials(lab, number, mark)) == 1


async def test_a_customer_who_reaches_the_desk_live_has_the_callback_closed_as_served(lab):
    number = "13800138304"
    # Registered while the desk is closed: due at the next opening, not now.
    await lab.start_controller({"calendar": {"hours": "00:00-00:01", "holidays": []}})
    try:
        cb = await register(lab, number, topic="mobile-tv")
    finally:
        await lab.start_controller()
    transfer = await customer_transferred(lab, customer=number)
    assert transfer.route == "queue"
    body = await wait_status(lab, cb["id"], {"served"}, timeout=20)
    assert body["callback"]["attempts"] == 0
    assert not customer_dials(lab, number)


async def test_a_request_at_2330_is_not_dialled_before_0900_and_is_due_by_1000(stack):
    """The dialer's clock is injected; the store is the lab's real Redis."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import redis.asyncio as redis

    from ari_app.service import CallbacksService
    from ari_app.desk.board import Board, DeviceState, Seat
    from ari_app.desk.calendar import ServiceCalendar
    from ari_app.desk.numbers import NumberPolicy
    from ari_app.desk.topics import TopicCatalogue
    from ari_app.dialer import Dialer, DialerPorts, DialerRules
    from ari_app.asterisk.ami import AmiClient
    from ari_app.asterisk.ari_ import AriClient
    from ari_app.store.callback_store import CallbackStore
    from datetime import timedelta

    sh = ZoneInfo("Asia/Shanghai")
    client = redis.Redis.from_url(stack.redis.url, decode_responses=True)
    store = CallbackStore(client, prefix="test-night:cb")
    calendar = ServiceCalendar.build()
    service = CallbacksService(store, calendar, NumberPolicy(), TopicCatalogue(),
                               timedelta(minutes=60))
    night = datetime(2026, 11, 30, 23, 30, tzinfo=sh)
    accepted = await service.request(number="13800138305", source="api", now=night)
    assert accepted.deadline == datetime(2026, 12, 1, 10, 0, tzinfo=sh)
    assert accepted.due == datetime(2026, 12, 1, 9, 0, tzinfo=sh)

    board = Board("desk", ["8601"])
    board.update(Seat("8601", "PJSIP/8601", registered=True, in_queue=True,
                      state=DeviceState.NOT_INUSE))
    board.synced = True
    clock = [night.timestamp()]
    ami = AmiClient("127.0.0.1", 1, "u", "s")  # never started: nothing can be originated
    dialer = Dialer(DialerPorts(ami, AriClient("http://127.0.0.1:1", "u", "p", "x"), store),
                    board, DialerRules.of(calendar), leading=lambda: True,
                    clock=lambda: clock[0])
    for when in (night, datetime(2026, 12, 1, 3, 0, tzinfo=sh),
                 datetime(2026, 12, 1, 8, 59, 59, tzinfo=sh)):
        clock[0] = when.timestamp()
        await dialer._step()
        assert (await store.get(accepted.id)).status.value == "open", when
        assert await store.claim(lease=30, owner="probe", now=when.timestamp()) is None
    opening = datetime(2026, 12, 1, 9, 0, tzinfo=sh).timestamp()
    claimed = await store.claim(lease=30, owner="probe", now=opening)
    assert claimed is not None and claimed["id"] == accepted.id
    await client.aclose()


@pytest.mark.parametrize("number, reason", [
    ("23456", "mainland"), ("1380013800", "mainland"), ("0086138001380000", "international"), ("+8613800138000", "international"),
    ("95555", "premium"), ("10086", "premium"), ("1380013800&PJSIP/evil", "digits only"),
    ("13800138000,1", "digits only"), ("1380013(8000)", "digits only"),
    ("1380/0138000", "digits only"), ("13800138000\r\nAction: Originate", "digits only"),
    ("1" * 5000, "too long"), ("", "empty"), ("１３８００１３８０００", "digits only"),
])
async def test_api_refuses_bad_numbers_and_nothing_is_dialled(lab, number, reason):
    mark = lab.probe.log.mark()
    status, body = await lab.controller.request("POST", "/api/callbacks", {"number": number})
    assert status == 422 and body["field"] == "number" and reason in body["error"]
    _, listing = await lab.controller.request("GET", "/api/callbacks")
    assert all(number not in cb["number"] for cb in listing["callbacks"] if number)
    await asyncio.sleep(0.3)
    assert not [e for e in lab.probe.log.since(mark)
                if e.get("Event") in ("DialBegin", "OriginateResponse", "Newchannel")]


@pytest.mark.parametrize("body, status", [
    (b"{not json", 400), (b"[1, 2]", 400), (b'{"number": "13800138000", "x": 1}', 400),
    (b'{"topic": "wlan"}', 422), (b'{"number": 13800138000}', 422),
    (b'{"number": "13800138000", "topic": "pizza"}', 422),
    (b'{"number": "13800138000", "note": "a\\u0000b"}', 422),
])
async def test_api_rejects_broken_requests_with_a_clear_4xx(lab, body, status):
    got, answer = await lab.controller.request("POST", "/api/callbacks", raw=body)
    assert got == status and answer["error"]


async def test_repeat_request_updates_the_open_callback(lab):
    await lab.probe.pause(SEATS)  # keep it from being dialled meanwhile
    first = await register(lab, "13800138306", topic="wlan", note="first")
    status, body = await lab.controller.request(
        "POST", "/api/callbacks", {"number": "138 0013 8306", "note": "second"})
    assert status == 200 and body["created"] is False and "updated" in body["message"]
    assert body["callback"]["id"] == first["id"] and body["callback"]["note"] == "second"
    status, cancelled = await lab.controller.request("DELETE", f"/api/callbacks/{first['id']}")
    assert status == 200 and cancelled["callback"]["status"] == "cancelled"
    status, again = await lab.controller.request("DELETE", f"/api/callbacks/{first['id']}")
    assert status == 409


def log_entries(path, since: int) -> list[dict]:
    """The controller's JSON log lines written after byte ``since``."""
    with path.open("rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    entries = []
    for line in text.splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            entries.append({"level": "raw", "msg": line})
    return entries


async def test_a_caller_hanging_up_mid_capture_is_an_info_line_not_an_error(lab):
    since = lab.controller.log.stat().st_size
    await lab.probe.pause(SEATS)
    transfer = await customer_transferred(lab, customer="13800138214")
    assert transfer.route == "callback"
    await in_capture(lab, transfer)               # the busy prompt is playing
    await lab.phones.hangup(transfer.phone_channel)
    hangup = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "Hangup" and m.get("Channel") == transfer.customer_channel,
        since=transfer.mark, timeout=10)
    deadline = time.monotonic() + 10
    while not [e for e in log_entries(lab.controller.log, since)
               if "hung up during capture" in e.get("msg", "")]:
        assert time.monotonic() < deadline, log_entries(lab.controller.log, since)
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)                      # the capture's last ARI request is answered
    entries = log_entries(lab.controller.log, since)
    gone = [e for e in entries if "hung up during capture" in e.get("msg", "")]
    assert len(gone) == 1 and gone[0]["level"] == "info"
    assert gone[0]["call"] == hangup["Uniqueid"] and "nothing stored" in gone[0]["msg"]
    assert not [e for e in entries if e.get("level") in ("error", "critical", "raw")
                or "exc" in e or "Traceback" in e.get("msg", "")], entries
