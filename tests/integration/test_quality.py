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


async def stored_record(lab: Stack, name: str, timeout: float = 30) -> dict:
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

