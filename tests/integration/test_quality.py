"""Quality over real SIP: every desk call recorded after the notice, the
recording's length against Asterisk's own bridge, its sound (sox), a seat's
pause silent in the file, and the customer's survey key from their phone.

The assertions read the PBX: its AMI events (BridgeEnter/BridgeLeave times,
UserEvents), the file in its recording directory and its log of what it
played; the controller's record is checked against those.
"""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import time
from pathlib import Path

import pytest

from lab.scenarios import customer_transferred, played, specialist_answers, wait_played
from lab.stack import Stack

pytestmark = pytest.mark.controller({"quality": {"survey_wait": 4}})


def recording_dir(lab: Stack) -> Path:
    assert lab.pbx is not None
    return lab.pbx.home / "spool" / "recording"


def _user_event(name: str, **headers: str):
    def match(msg) -> bool:
        return (msg.get("Event") == "UserEvent" and msg.get("UserEvent") == name
                and all(msg.get(k) == v for k, v in headers.items()))
    return match


async def bridged_seconds(lab: Stack, channel: str, peer: str, since: int) -> float:
    """Seconds ``channel`` and ``peer`` spent in one bridge, by the PBX's own
    event times (the later BridgeEnter to the first BridgeLeave)."""
    log = lab.probe.log

    def entered(name: str):
        return lambda m: m.get("Event") == "BridgeEnter" and m.get("Channel") == name
    first = await log.wait_for(entered(peer), since=since, timeout=30)
    bridge = first["BridgeUniqueid"]
    other = await log.wait_for(lambda m: entered(channel)(m)
                               and m.get("BridgeUniqueid") == bridge, since=since, timeout=30)
    leave = await log.wait_for(lambda m: m.get("Event") == "BridgeLeave"
                               and m.get("BridgeUniqueid") == bridge
                               and m.get("Channel") in (channel, peer), since=since, timeout=60)
    return float(leave["Timestamp"]) - max(float(first["Timestamp"]),
                                           float(other["Timestamp"]))


def sox_seconds(path: Path) -> float:
    out = subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def sox_rms(path: Path, start: float = 0.0, length: float | None = None) -> float:
    """RMS amplitude (0..1) of ``path`` from ``start`` for ``length`` seconds."""
    trim = ["trim", str(start)] + ([str(length)] if length is not None else [])
    out = subprocess.run(["sox", str(path), "-n", *trim, "stat"], capture_output=True,
                         text=True, check=True)
    for line in out.stderr.splitlines():
        if line.startswith("RMS     amplitude"):
            return float(line.split(":")[1])
    raise AssertionError(out.stderr)


async def wait_file_closed(path: Path, timeout: float = 20) -> None:
    """Until MixMonitor closed ``path`` (its WAV header then gives the data's size)."""
    deadline = time.monotonic() + timeout
    while True:
        if path.exists() and path.stat().st_size > 44:
            head = path.read_bytes()[:44]
            data = int.from_bytes(head[40:44], "little")
            if data and data + 44 == path.stat().st_size:
                return
        assert time.monotonic() < deadline, f"{path} never closed"
        await asyncio.sleep(0.2)


async def stored_record(lab: Stack, name: str, timeout: float = 60) -> dict:
    """The controller's record of ``name`` once the file's facts are in it."""
    qa = lab.keys.role_tokens["qa"]
    deadline = time.monotonic() + timeout
    while True:
        status, body = await lab.controller.request("GET", f"/api/recordings/{name}", token=qa)
        if status == 200 and body["recording"]["state"] == "stored":
            return body["recording"]
        assert time.monotonic() < deadline, (status, body)
        await asyncio.sleep(0.3)


async def test_live_transfer_is_recorded_after_the_notice_and_rated_from_the_phone(lab):
    transfer = await customer_transferred(lab, customer="13800138201", speaking=True)
    customer, seat = await specialist_answers(lab, transfer)
    started = await lab.probe.log.wait_for(_user_event("DeskRecording", Stage="started"),
                                           since=transfer.mark, timeout=10)
    name = started["Name"]
    assert name == "desk-" + transfer.customer_uniqueid.replace(".", "")
    # The notice was played to the customer before the recording started.
    sounds = [f.rsplit(".", 1)[0] for f, _ in played(lab.pbx.log_file, transfer.log_offset,
                                                     customer)]
    assert "desk-recording-notice" in sounds
    await asyncio.sleep(4)
    await lab.probe.ami.send({"Action": "Hangup", "Channel": seat})   # the seat hangs up first
    talk = await bridged_seconds(lab, customer, seat, transfer.mark)
    # The survey, in the call's language; the customer keys 1 on their phone.
    await wait_played(lab.pbx.log_file, transfer.log_offset, customer, "desk-survey")
    await lab.phones.dtmf(transfer.phone_channel, "1")
    rated = await lab.probe.log.wait_for(_user_event("DeskSurvey", Name=name),
                                         since=transfer.mark, timeout=15)
    assert rated["Rating"] == "satisfied"

    path = recording_dir(lab) / f"{name}.wav"
    await wait_file_closed(path)
    assert abs(sox_seconds(path) - talk) <= 1.0, (sox_seconds(path), talk)
    assert sox_rms(path) > 0.01   # the customer's voice and the seat's echo

    # The controller's record: tied to the transfer, the file's own facts.
    record = await stored_record(lab, name)
    assert record["kind"] == "live" and record["call"] == transfer.customer_uniqueid
    assert record["seat"] == seat.split("/")[1].split("-")[0]
    assert record["rating"] == "satisfied" and record["language"] == "zh"
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert abs(record["seconds"] - sox_seconds(path)) < 0.05
    assert record["number"].endswith("8201")



async def callback_customer_answers(lab: Stack, number: str, seat: str) -> tuple[str, str, int]:
    """A callback registered for ``number`` with only ``seat`` ready; the
    customer's phone speaks when it answers. Returns (the customer's channel
    on the PBX, the callback's id, the probe log's mark)."""
    others = [s for s in ("8601", "8602", "8603", "8604", "8605", "8606") if s != seat]
    await lab.probe.pause(others)
    await lab.phones.on_ring(number, "speak")
    mark = lab.probe.log.mark()
    status, body = await lab.controller.request("POST", "/api/callbacks",
                                                {"number": number, "topic": "wlan"})
    assert status in (200, 201), body
    dialled = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "DialEnd" and m.get("DialStatus") == "ANSWER"
        and m.get("DestChannel", "").startswith("PJSIP/carrier-"), since=mark, timeout=40)
    return dialled["DestChannel"], body["callback"]["id"], mark


async def test_callback_is_recorded_from_the_customer_answer_and_rated_on_hang_up(lab):
    customer, cb_id, mark = await callback_customer_answers(lab, "13800138211", "8605")
    started = await lab.probe.log.wait_for(_user_event("DeskRecording", Stage="started"),
                                           since=mark, timeout=10)
    name = started["Name"]
    assert name.startswith(f"desk-{cb_id}-") and started["Kind"] == "callback"
    local = started["Channel"]        # the callback's Local half that dials the customer
    await lab.probe.log.wait_for(_user_event("DeskRecording", Stage="answered", Name=name),
                                 since=mark, timeout=15)
    await asyncio.sleep(3)
    seat = next(c["Channel"] for c in await lab.probe.channels()
                if c["Channel"].startswith("PJSIP/8605-"))
    await lab.probe.ami.send({"Action": "Hangup", "Channel": seat})     # the seat hangs up first
    talk = await bridged_seconds(lab, customer, local, mark)
    # The customer hears the survey and hangs up without a key: "not-rated".
    await wait_played(lab.pbx.log_file, 0, customer, "desk-survey")
    await lab.probe.ami.send({"Action": "Hangup", "Channel": customer})
    rated = await lab.probe.log.wait_for(_user_event("DeskSurvey", Name=name), since=mark,
                                         timeout=15)
    assert rated["Rating"] == "not-rated"
    # The notice was played to the customer, after the greeting, before the audio.
    sounds = [f.rsplit(".", 1)[0] for f, _ in played(lab.pbx.log_file, 0, customer)]
    assert sounds.index("desk-greeting") < sounds.index("desk-recording-notice")

    path = recording_dir(lab) / f"{name}.wav"
    await wait_file_closed(path)
    assert abs(sox_seconds(path) - talk) <= 1.0, (sox_seconds(path), talk)
    assert sox_rms(path) > 0.01
    record = await stored_record(lab, name)
    assert record["kind"] == "callback" and record["callback"] == cb_id
    assert record["attempt"] == name.rsplit("-", 1)[1] and record["seat"] == "8605"
    assert record["rating"] == "not-rated" and record["topic"] == "wlan"
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_paused_span_is_silent_in_the_file_and_listed_in_the_record(lab):
    """Seat 8601 is named: it keys *7 (pause); its specialist resumes through
    the API. The customer speaks all along, so only the pause can make the
    file silent."""
    from lab.scenarios import seat_ready
    await seat_ready(lab, "8601")
    transfer = await customer_transferred(lab, customer="13800138221", target="8601",
                                          speaking=True)
    customer, seat = await specialist_answers(lab, transfer)
    answered = await lab.probe.log.wait_for(_user_event("DeskRecording", Stage="answered"),
                                            since=transfer.mark, timeout=10)
    name = answered["Name"]
    # The seat's handset: the simulator's call from the PBX that answered with echo.
    seat_phone = next(c["Channel"] for c in await lab.phones.channels()
                      if c["Channel"].startswith("PJSIP/pbx-") and c.get("Application") == "Echo")
    await asyncio.sleep(2)
    await lab.phones.dtmf(seat_phone, "*7", gap=0.1)
    paused = await lab.probe.log.wait_for(_user_event("DeskRecordingPause", Muted="1"),
                                          since=transfer.mark, timeout=10)
    assert paused["Seat"] == "8601"
    await asyncio.sleep(4)
    # The API resumes it on the seat's behalf (the same *7, keyed by the PBX).
    status, body = await lab.controller.request(
        "POST", f"/api/recordings/{name}/pause", {"paused": False},
        token=lab.keys.role_tokens["specialist"])
    assert status == 200, body
    await asyncio.sleep(2)
    await lab.probe.ami.send({"Action": "Hangup", "Channel": customer})
    path = recording_dir(lab) / f"{name}.wav"
    await wait_file_closed(path)
    record = await stored_record(lab, name)
    [span] = record["pauses"]
    assert span["by"] == "8601" and span["to"] is not None
    begin, end = span["from_second"], span["to_second"]
    assert 3 <= end - begin <= 8, span
    # Silent inside the span (a margin for the tones), voice on either side.
    assert sox_rms(path, begin + 0.6, end - begin - 1.2) < 0.001
    assert sox_rms(path, 0, max(begin - 0.5, 0.5)) > 0.01
    assert sox_rms(path, end + 0.6) > 0.01
