"""Faults around a caller in capture, and what the logs must never hold."""

from __future__ import annotations

import asyncio
import time

from lab.scenarios import customer_transferred, in_capture
from lab.stack import SEATS
from tests.integration.test_callbacks import wait_status


async def test_controller_killed_during_capture_the_caller_is_picked_up_again(report, lab):
    number = "13800138901"
    await lab.probe.pause(SEATS, reason="x")
    transfer = await customer_transferred(lab, customer=number)
    assert transfer.route == "callback"
    await in_capture(lab, transfer)  # in capture, hearing the busy message
    lab.controller.kill()
    await lab.controller.process.wait()
    killed = time.monotonic()
    again = lab.pbx.log_file.stat().st_size
    await lab.start_controller()
    # The caller is still in the application; the new controller finds the
    # channel and starts the capture again: the caller hears the busy
    # message a second time and confirms the number.
    await in_capture(lab, transfer, since=again)
    await lab.phones.dtmf(transfer.phone_channel, "1")
    for _ in range(100):
        _, body = await lab.controller.request("GET", "/api/callbacks")
        found = [cb for cb in body["callbacks"] if cb["number"] == number]
        if found:
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError(f"no callback stored after the restart: {body}")
    report(f"caller served again {time.monotonic() - killed:.1f} s after the SIGKILL")
    # Stored once, by the second capture (the controller's, not the
    # dialplan's spool, which a caller left without a controller reaches).
    assert len(found) == 1 and found[0]["source"] == "ivr", found
    _, history = await lab.controller.request("GET", f"/api/callbacks/{found[0]['id']}")
    assert [h["event"] for h in history["history"]] == ["created"], history


async def test_secrets_never_reach_the_log(lab):
    # Provoke some logging with credentials around: a bad API token, a callback.
    await lab.controller.request("GET", "/api/seats", token="x" * 20)
    await lab.controller.request("POST", "/api/callbacks", {"number": "13800138902"})
    await asyncio.sleep(0.5)
    log = lab.controller.log.read_text()
    for secret in (lab.keys.ami, lab.keys.ari, lab.keys.api_token,
                   *lab.keys.role_tokens.values()):
        assert secret not in log


async def _numbers_logged(lab, transferred: str, registered: str) -> str:
    """A transfer of ``transferred`` (the route line names the caller) and a
    callback for ``registered`` dialled (the attempt line names the number):
    the controller's log written meanwhile."""
    mark = lab.controller.log.stat().st_size
    transfer = await customer_transferred(lab, customer=transferred)
    assert transfer.route == "queue"
    await lab.probe.hangup_all()
    status, created = await lab.controller.request(
        "POST", "/api/callbacks", {"number": registered},
        token=lab.keys.role_tokens["relay"])
    assert status == 201, created
    await wait_status(lab, created["callback"]["id"], {"dialling", "done", "failed"})
    deadline = time.monotonic() + 20
    while "attempt 1 to" not in lab.controller.log.read_bytes()[mark:].decode(errors="replace"):
        assert time.monotonic() < deadline, "no attempt line in the controller's log"
        await asyncio.sleep(0.2)
    return lab.controller.log.read_bytes()[mark:].decode(errors="replace")


async def test_customer_numbers_in_the_log_are_masked_unless_an_operator_turns_them_on(lab):
    log = await _numbers_logged(lab, "13800138911", "13800138912")
    assert "13800138911" not in log and "13800138912" not in log, log
    route = [line for line in log.splitlines() if '"msg": "route ' in line]
    attempt = [line for line in log.splitlines() if "attempt 1 to" in line]
    assert route and "caller=•••••••8911" in route[0], route
    assert attempt and "to •••••••8912" in attempt[0], attempt
    start = lab.controller.log.stat().st_size
    try:
        await lab.start_controller({"logs": {"full_numbers": True}})
        said = lab.controller.log.read_bytes()[start:].decode(errors="replace")
        assert "customers' numbers are logged in full ([logs] full_numbers = true)" in said
        log = await _numbers_logged(lab, "13800138913", "13800138914")
        assert "caller=13800138913" in log and "to 13800138914" in log, log
    finally:
        await lab.start_controller()
    said = lab.controller.log.read_bytes()[start:].decode(errors="replace")
    assert "masked to their last four digits ([logs] full_numbers = false)" in said


async def test_ari_websocket_cut_during_capture_the_same_capture_goes_on(lab):
    await lab.probe.pause(SEATS, reason="x")
    transfer = await customer_transferred(lab, customer="13800138903")
    assert transfer.route == "callback"
    await in_capture(lab, transfer)
    assert lab.ari_relay.cut() >= 1          # the websocket (and any REST link) reset
    await asyncio.sleep(1.0)                 # reconnected meanwhile
    await lab.phones.dtmf(transfer.phone_channel, "1")
    for _ in range(100):
        _, body = await lab.controller.request("GET", "/api/callbacks")
        found = [cb for cb in body["callbacks"] if cb["number"] == "13800138903"]
        if found:
            break
        await asyncio.sleep(0.2)
    assert len(found) == 1 and found[0]["source"] == "ivr"
    # One capture only: a second session would have stored or updated again.
    _, history = await lab.controller.request("GET", f"/api/callbacks/{found[0]['id']}")
    assert [h["event"] for h in history["history"]] == ["created"]


async def dials(lab, number: str, since: int) -> int:
    return sum(1 for e in lab.probe.log.since(since) if e.get("Event") == "DialBegin"
               and e.get("DialString") == f"{number}@carrier")


async def wait_final(lab, cb_id: str, timeout: float = 60) -> dict:
    for _ in range(int(timeout * 5)):
        status, body = await lab.controller.request("GET", f"/api/callbacks/{cb_id}")
        if status == 200 and body["callback"]["status"] not in ("open", "dialling"):
            return body["callback"]
        await asyncio.sleep(0.2)
    raise AssertionError(f"callback {cb_id} never finished: {body}")


async def test_asterisk_restarted_while_callbacks_wait_each_is_dialled_once(report, lab):
    await lab.probe.pause(SEATS, reason="x")
    numbers = ["13800138911", "13800138912"]
    ids = []
    for number in numbers:
        await lab.phones.on_ring(number, "talk:3")  # each call ends, freeing the one seat
        status, body = await lab.controller.request("POST", "/api/callbacks", {"number": number})
        assert status == 201
        ids.append(body["callback"]["id"])
    started = time.monotonic()
    await lab.restart_pbx()
    await asyncio.wait_for(lab.controller.wait_healthy(), 30)
    report(f"Asterisk restarted; controller back in sync {time.monotonic() - started:.1f} s "
           "after the restart began")
    await lab.register_phones()
    mark = lab.probe.log.mark()
    await lab.probe.pause(["8601"], paused=False)
    for cb_id in ids:
        record = await wait_final(lab, cb_id)
        assert record["status"] == "done" and record["attempts"] == 1
    for number in numbers:
        assert await dials(lab, number, mark) == 1


async def test_redis_restarted_with_a_claim_in_flight_the_callback_completes_once(report, lab):
    await lab.probe.pause(SEATS[1:], reason="x")
    number = "13800138913"
    await lab.phones.on_ring(number, "answer:3")
    mark = lab.probe.log.mark()
    status, body = await lab.controller.request("POST", "/api/callbacks", {"number": number})
    assert status == 201
    await lab.probe.log.wait_for(lambda m: m.get("Event") == "DialBegin"
                                 and m.get("DialString") == f"{number}@carrier",
                                 since=mark, timeout=30)
    await asyncio.sleep(1.2)     # AOF everysec: the claim is on disk
    started = time.monotonic()
    await lab.redis.stop()       # the claim is in flight: the customer's phone rings
    await lab.redis.start()
    record = await wait_final(lab, body["callback"]["id"])
    report(f"Redis restarted mid-claim; callback recorded done {time.monotonic() - started:.1f} s "
           f"later; dials={await dials(lab, number, mark)}")
    assert record["status"] == "done" and record["attempts"] == 1
    assert record["last_outcome"] == "answered"
    assert await dials(lab, number, mark) == 1


async def test_ami_cut_while_a_callback_rings_the_customer_it_is_recorded_once(report, lab):
    await lab.probe.pause(SEATS[1:], reason="x")
    number = "13800138914"
    await lab.phones.on_ring(number, "talk:3")
    mark = lab.probe.log.mark()
    status, body = await lab.controller.request("POST", "/api/callbacks", {"number": number})
    assert status == 201
    await lab.probe.log.wait_for(lambda m: m.get("Event") == "DialBegin"
                                 and m.get("DialString") == f"{number}@carrier",
                                 since=mark, timeout=30)
    lab.ami_relay.accepting = False
    lab.ami_relay.cut()              # the answer and the hang-up happen while AMI is away
    # Until Asterisk itself (the lab's own AMI link, not cut) says the call
    # was answered and every leg of it has hung up.
    await lab.probe.log.wait_for(lambda m: m.get("Event") == "DialEnd"
                                 and m.get("DialStatus") == "ANSWER"
                                 and m.get("DestChannel", "").startswith("PJSIP/carrier-"),
                                 since=mark, timeout=30)
    deadline = time.monotonic() + 30
    while await lab.probe.channels():
        assert time.monotonic() < deadline, "the callback's call never ended"
        await asyncio.sleep(0.1)
    lab.ami_relay.accepting = True
    started = time.monotonic()
    record = await wait_final(lab, body["callback"]["id"], timeout=30)
    report(f"AMI cut during a callback; recorded {record['status']} "
           f"{time.monotonic() - started:.1f} s after the link came back")
    assert record["status"] == "done" and record["last_outcome"] == "answered"
    assert record["attempts"] == 1 and await dials(lab, number, mark) == 1
