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
import json
import subprocess
import time
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as redis

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
    # Today's satisfaction counts the rating (the reports, and the wallboard's today).
    _, report = await lab.controller.request("GET", "/api/reports?days=1")
    assert report["quality"]["total"]["satisfied"] >= 1
    assert report["quality"]["total"]["satisfaction_percent"] is not None
    board = await lab.controller.get("/api/wallboard")
    assert board["today"]["satisfaction_percent"] is not None


async def a_live_call(lab: Stack, number: str, **kw):
    """A live transfer from ``number`` answered by a seat, recorded and talked
    for 2 s: (the transfer, the customer's and the seat's channels, the
    recording's name)."""
    transfer = await customer_transferred(lab, customer=number, speaking=True, **kw)
    customer, seat = await specialist_answers(lab, transfer)
    started = await lab.probe.log.wait_for(_user_event("DeskRecording", Stage="started"),
                                           since=transfer.mark, timeout=10)
    await asyncio.sleep(2)
    return transfer, customer, seat, started["Name"]


async def test_a_named_seat_that_hangs_up_first_leaves_the_customer_to_the_survey(lab):
    """A transfer to one named seat (8602): recorded from its answer; when it
    hangs up the customer hears the survey and keys 2, stored as acceptable."""
    from lab.scenarios import seat_ready
    await seat_ready(lab, "8602")
    transfer, customer, seat, name = await a_live_call(lab, "13800138207", target="8602")
    assert seat.startswith("PJSIP/8602-"), seat
    await lab.probe.ami.send({"Action": "Hangup", "Channel": seat})
    await wait_played(lab.pbx.log_file, transfer.log_offset, customer, "desk-survey")
    await lab.phones.dtmf(transfer.phone_channel, "2")
    rated = await lab.probe.log.wait_for(_user_event("DeskSurvey", Name=name),
                                         since=transfer.mark, timeout=15)
    assert rated["Rating"] == "acceptable", rated
    record = await stored_record(lab, name)
    assert record["seat"] == "8602" and record["call"] == transfer.customer_uniqueid, record


@pytest.mark.parametrize("key", ["7", ""], ids=["invalid-key", "no-key"])
async def test_a_key_that_is_no_rating_or_none_at_all_is_stored_not_rated(lab, key):
    """After the seat hangs up first: a key other than 1-3, or no key within
    the survey's wait (4 s here), is "not-rated", never a rating."""
    transfer, customer, seat, name = await a_live_call(
        lab, "1380013820" + ("3" if key else "4"))
    await lab.probe.ami.send({"Action": "Hangup", "Channel": seat})
    await wait_played(lab.pbx.log_file, transfer.log_offset, customer, "desk-survey")
    if key:
        await lab.phones.dtmf(transfer.phone_channel, key)
    rated = await lab.probe.log.wait_for(_user_event("DeskSurvey", Name=name),
                                         since=transfer.mark, timeout=20)
    assert rated["Rating"] == "not-rated", rated
    record = await stored_record(lab, name)
    deadline = time.monotonic() + 20
    while record["rating"] is None and time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        record = await stored_record(lab, name)
    assert record["rating"] == "not-rated", record
    # No thanks for a rating that was not given.
    sounds = [f.rsplit(".", 1)[0] for f, _ in played(lab.pbx.log_file, transfer.log_offset,
                                                     customer)]
    assert "desk-survey-thanks" not in sounds, sounds


async def test_a_customer_who_hangs_up_first_is_neither_surveyed_nor_called_back(lab):
    """The customer ends the call: the recording is stored, unrated; nothing is
    asked, and no callback is made for the survey (none is open for the number
    and no call is placed to it)."""
    number = "13800138205"
    transfer, customer, _seat, name = await a_live_call(lab, number)
    await lab.probe.ami.send({"Action": "Hangup", "Channel": customer})
    await wait_file_closed(recording_dir(lab) / f"{name}.wav")
    record = await stored_record(lab, name)
    assert record["rating"] is None, record
    events = lab.probe.log.since(transfer.mark)
    assert not [e for e in events if _user_event("DeskSurvey")(e)]
    assert not [e for e in events if e.get("Event") == "DialBegin"
                and number in e.get("DestChannel", "") + e.get("DialString", "")]
    sounds = [f.rsplit(".", 1)[0] for f, _ in played(lab.pbx.log_file, transfer.log_offset,
                                                     customer)]
    assert "desk-survey" not in sounds, sounds
    _, body = await lab.controller.request("GET", "/api/callbacks")
    assert [cb for cb in body["callbacks"] if cb["number"] == number] == []


async def test_a_live_call_on_a_topic_of_another_language_hears_the_notice_in_it(lab):
    """[topics] languages: WLAN callers hear English; a live transfer on that
    topic hears the notice in English, and its record says so."""
    await lab.start_controller({**(lab.controller_overrides or {}),
                                "topics": {"languages": {"wlan": "en"}}})
    try:
        transfer = await customer_transferred(lab, customer="13800138206", target="860007",
                                              speaking=True)
        customer, _seat = await specialist_answers(lab, transfer)
        started = await lab.probe.log.wait_for(_user_event("DeskRecording", Stage="started"),
                                               since=transfer.mark, timeout=10)
        notices = [lang for f, lang in played(lab.pbx.log_file, transfer.log_offset, customer)
                   if f.rsplit(".", 1)[0] == "desk-recording-notice"]
        assert notices == ["en"], notices
        assert started["CallLanguage"] == "en" and started["Topic"] == "07", started
        await lab.probe.ami.send({"Action": "Hangup", "Channel": customer})
        record = await stored_record(lab, started["Name"])
        assert record["language"] == "en" and record["topic"] == "wlan", record
    finally:
        await lab.start_controller(lab.controller_overrides or None)


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


async def echoing_handset(lab: Stack, timeout: float = 10) -> str:
    """The simulator's channel of a phone the PBX rang that now runs Echo()."""
    deadline = time.monotonic() + timeout
    while True:
        found = [c["Channel"] for c in await lab.phones.channels()
                 if c["Channel"].startswith("PJSIP/pbx-") and c.get("Application") == "Echo"]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no handset in Echo(): {await lab.phones.channels()}")
        await asyncio.sleep(0.1)


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
    # The seat's handset: the simulator's call from the PBX that answered with
    # echo (Answer() comes first: on a loaded machine the simulator may not
    # have reached Echo() yet when the PBX says answered).
    seat_phone = await echoing_handset(lab)
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
    # The tone at each change was played into the recorded channel (the PBX's log).
    tones = [f for f, _ in played(lab.pbx.log_file, transfer.log_offset, customer)
             if f.rsplit(".", 1)[0] == "beep"]
    assert len(tones) == 2, tones
    # Silent inside the span (a margin for the tones), voice on either side.
    assert sox_rms(path, begin + 0.6, end - begin - 1.2) < 0.001
    assert sox_rms(path, 0, max(begin - 0.5, 0.5)) > 0.01
    assert sox_rms(path, end + 0.6) > 0.01


# -- hostile input and roles against the running controller ----------------

async def a_stored_recording(lab: Stack, customer: str, **kw) -> tuple[str, Path]:
    """A live transfer talked for 2 s and ended by the customer: its name and file."""
    _transfer, customer_channel, _seat, name = await a_live_call(lab, customer, **kw)
    await lab.probe.ami.send({"Action": "Hangup", "Channel": customer_channel})
    path = recording_dir(lab) / f"{name}.wav"
    await wait_file_closed(path)
    await stored_record(lab, name)
    return name, path


async def test_a_hostile_caller_id_changes_no_file_name(lab):
    """The display name and the number carry shell and dialplan characters (the
    lab's own AMI refuses , ; | = in an Originate, so these are the rest)."""
    marker = Path("/tmp/dd-cid")
    marker.unlink(missing_ok=True)
    hostile = f"`touch {marker}`$(touch {marker})&${{SHELL(touch {marker})}}"
    name, path = await a_stored_recording(lab, "13800138231&$(id)${EXTEN}",
                                          caller_name=hostile)
    # The name is the channel's own id, nothing of the caller's; no other file appeared.
    assert name.startswith("desk-") and name[5:].isdigit()
    assert [p.name for p in recording_dir(lab).iterdir()
            if not p.name.startswith("desk-") or "1380013823" in p.name] == []
    assert not marker.exists()
    _, body = await lab.controller.request("GET", f"/api/recordings/{name}",
                                           token=lab.keys.role_tokens["supervisor"])
    assert body["recording"]["number"] == "13800138231"        # digits only


@pytest.mark.parametrize("bad, statuses", [
    ("..%2F..%2Fetc%2Fpasswd", {400, 404}), ("%2e%2e%2fetc%2fpasswd", {400, 404}),
    ("desk-1%00", {400}), ("desk-1,desk-2", {400}), ("desk-123456789012", {404}),
    ("desk-..", {400}), ("../../etc/passwd", {400, 404}), ("desk-cb1-1%2F..", {400, 404}),
])
async def test_a_recording_name_that_is_not_one_never_reaches_a_file(lab, bad, statuses):
    qa = lab.keys.role_tokens["qa"]
    for suffix in ("", "/file"):
        status, body = await lab.controller.request("GET", f"/api/recordings/{bad}{suffix}",
                                                    token=qa)
        assert status in statuses, (bad, suffix, status, body)
        assert "root:" not in json.dumps(body)


async def test_play_serves_ranges_refuses_out_of_bounds_and_audits_every_play(lab):
    name, path = await a_stored_recording(lab, "13800138241")
    size = path.stat().st_size
    qa = lab.keys.role_tokens["qa"]
    url = f"{lab.controller.url}/api/recordings/{name}/file"
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers={"Authorization": f"Bearer {qa}",
                                          "Range": "bytes=0-99"}) as resp:
            assert resp.status == 206 and resp.headers["Content-Type"] == "audio/wav"
            assert resp.headers["Content-Range"] == f"bytes 0-99/{size}"
            assert await resp.read() == path.read_bytes()[:100]
        async with http.get(url + f"?access_token={qa}",
                            headers={"Range": f"bytes={size}-"}) as resp:
            assert resp.status == 416 and resp.headers["Content-Range"] == f"bytes */{size}"
        async with http.get(url + "?download=1", headers={"Authorization": f"Bearer {qa}"}) as resp:
            assert resp.status == 200 and await resp.read() == path.read_bytes()
            assert "attachment" in resp.headers["Content-Disposition"]
        for role in ("wallboard", "relay", "metrics", "specialist"):
            token = lab.keys.role_tokens[role]
            async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as resp:
                assert resp.status == 403, role
    entries = await audit_entries(lab, name)
    assert [(e["action"], e["role"]) for e in entries] == [
        ("play", "qa"), ("download", "qa")]      # the 416 served nothing; 403s reach nothing
    assert all(e["who"].startswith("qa#") for e in entries)


async def audit_entries(lab: Stack, name: str) -> list[dict]:
    client = redis.Redis.from_url(lab.redis.url, decode_responses=True)
    try:
        rows = await client.xrange("datadesk:recordings:audit")
    finally:
        await client.aclose()
    return [fields for _id, fields in rows if fields.get("recording") == name]


async def test_score_appeal_once_and_decision_keep_who_and_when(lab):
    from lab.scenarios import seat_ready
    await seat_ready(lab, "8601")
    name, _path = await a_stored_recording(lab, "13800138251", target="8601")
    tokens = lab.keys.role_tokens
    post = lab.controller.request
    status, _ = await post("POST", f"/api/recordings/{name}/appeal", {"reason": "x"},
                           token=tokens["specialist"])
    assert status == 409                                       # nothing scored yet
    status, body = await post("POST", f"/api/recordings/{name}/score",
                              {"score": 62, "comment": "没有核实身份"}, token=tokens["qa"])
    assert status == 200 and body["recording"]["score"] == 62, body
    status, _ = await post("POST", f"/api/recordings/{name}/score", {"score": 101},
                           token=tokens["qa"])
    assert status == 400
    status, _ = await post("POST", f"/api/recordings/{name}/score", {"score": 90},
                           token=tokens["supervisor"])
    assert status == 403                                       # scoring is QA's
    status, body = await post("POST", f"/api/recordings/{name}/appeal",
                              {"reason": "客户拒绝提供身份信息"}, token=tokens["specialist"])
    assert status == 200 and body["recording"]["under_review"], body
    status, _ = await post("POST", f"/api/recordings/{name}/appeal", {"reason": "again"},
                           token=tokens["specialist"])
    assert status == 409                                       # once only
    status, body = await post("POST", f"/api/recordings/{name}/decision",
                              {"decision": "changed", "score": 85}, token=tokens["supervisor"])
    assert status == 200, body
    review = body["recording"]["review"]
    assert body["recording"]["score"] == 85 and not body["recording"]["under_review"]
    assert review["scored_by"].startswith("qa#") and review["appealed_by"] == "specialist/8601"
    assert review["decided_by"].startswith("supervisor#")
    assert review["scored_at"] <= review["appealed_at"] <= review["decided_at"]


async def test_another_seats_specialist_may_neither_appeal_nor_pause_a_call(lab):
    """The lab's specialist token is seat 8601's: a call seat 8602 took, scored,
    is not its to appeal nor to pause (403), and nothing of the review changes."""
    from lab.scenarios import seat_ready
    await seat_ready(lab, "8602")
    name, _path = await a_stored_recording(lab, "13800138252", target="8602")
    tokens, post = lab.keys.role_tokens, lab.controller.request
    status, _ = await post("POST", f"/api/recordings/{name}/score", {"score": 50},
                           token=tokens["qa"])
    assert status == 200
    status, body = await post("POST", f"/api/recordings/{name}/appeal", {"reason": "not mine"},
                              token=tokens["specialist"])
    assert status == 403, body
    status, body = await post("POST", f"/api/recordings/{name}/pause", {"paused": True},
                              token=tokens["specialist"])
    assert status == 403, body
    _, body = await post("GET", f"/api/recordings/{name}", token=tokens["qa"])
    assert body["recording"]["seat"] == "8602" and not body["recording"]["under_review"]
    assert "appealed_by" not in body["recording"]["review"], body["recording"]["review"]


async def test_retention_deletes_old_recordings_but_never_one_under_review(lab):
    """Against the lab's Redis and the PBX's ARI: two recordings past their
    keeping, one of them appealed and undecided; one recent."""
    from ari_app.asterisk.ari_ import AriClient
    from ari_app.quality.files import RecordingFiles
    from ari_app.quality.retention import RetentionSweep
    from ari_app.store.recordings import RecordingStore
    now = time.time()
    names = {"old": "desk-100000000001", "appealed": "desk-100000000002",
             "recent": "desk-100000000003"}
    tone = recording_dir(lab) / "tone.tmp.wav"
    recording_dir(lab).mkdir(parents=True, exist_ok=True)
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(tone),
                    "synth", "1", "sine", "440"], check=True)
    client = redis.Redis.from_url(lab.redis.url, decode_responses=True)
    store = RecordingStore(client)
    for key, name in names.items():
        (recording_dir(lab) / f"{name}.wav").write_bytes(tone.read_bytes())
        at = now - (3 * 86400 if key == "recent" else 200 * 86400)
        await store.started(name, {"kind": "live", "answered": str(at)}, at)
        await store.stored(name, seconds=1.0, size=tone.stat().st_size, sha256="0" * 64,
                           ended=at)
    tone.unlink()
    await store.update(names["appealed"], {"review": json.dumps(
        {"score": 40, "appealed_at": now - 86400, "appeal_reason": "r"})})
    ari = AriClient(f"http://127.0.0.1:{lab.ports.pbx_http}", "datadesk", lab.keys.ari,
                    "retention-test")
    ari.start()
    try:
        sweep = RetentionSweep(store, RecordingFiles(ari), 180, leading=lambda: True)
        assert await sweep.sweep() == 1
        assert sweep.counts["deleted"] == 1 and sweep.counts["kept-under-review"] == 1
        assert not (recording_dir(lab) / f"{names['old']}.wav").exists()
        assert await store.get(names["old"]) is None
        for kept in ("appealed", "recent"):
            assert (recording_dir(lab) / f"{names[kept]}.wav").exists()
            assert await store.get(names[kept]) is not None
        # The review ends: the next sweep deletes it.
        await store.update(names["appealed"], {"review": json.dumps(
            {"score": 40, "appealed_at": now - 86400, "decided_at": now, "decision": "upheld"})})
        assert await sweep.sweep() == 1
        assert not (recording_dir(lab) / f"{names['appealed']}.wav").exists()
    finally:
        await ari.stop()
        for name in names.values():
            await store.delete(name)
            (recording_dir(lab) / f"{name}.wav").unlink(missing_ok=True)
        await client.aclose()


@pytest.fixture
async def controller_stopped(lab):
    await lab.controller.stop()
    yield lab
    if lab.controller.process is None or lab.controller.process.returncode is not None:
        await lab.start_controller(lab.controller_overrides or None)


async def test_without_the_controller_the_call_is_still_recorded_and_indexed_later(
        controller_stopped):
    lab = controller_stopped
    transfer = await customer_transferred(lab, customer="13800138261", speaking=True)
    assert transfer.route == "fallback"
    customer, seat = await specialist_answers(lab, transfer)
    await asyncio.sleep(3)
    await lab.probe.ami.send({"Action": "Hangup", "Channel": seat})
    talk = await bridged_seconds(lab, customer, seat, transfer.mark)
    name = "desk-" + transfer.customer_uniqueid.replace(".", "")
    path = recording_dir(lab) / f"{name}.wav"
    await wait_file_closed(path)
    assert abs(sox_seconds(path) - talk) <= 1.0 and sox_rms(path) > 0.01
    # The survey ran without the controller too (the dialplan's own).
    await wait_played(lab.pbx.log_file, transfer.log_offset, customer, "desk-survey")
    await lab.start_controller(lab.controller_overrides or None)
    record = await stored_record(lab, name)
    assert record["source"] == "reconciled" and record["call"] == transfer.customer_uniqueid
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


async def test_the_qa_page_lists_plays_with_ranges_and_scores_in_both_languages(lab):
    """Headless Chromium: the QA officer's page in Chinese and English lists
    today's recording, the audio element plays it (the browser asks with
    Range: the audit log has the play), and a score saved on the page is the
    record's."""
    from lab.browser import Browser
    name, _path = await a_stored_recording(lab, "13800138271")
    qa = lab.keys.role_tokens["qa"]
    artifacts = Path(__file__).resolve().parents[2] / "artifacts"
    async with Browser() as browser:
        for lang, heading in (("zh", "录音质检"), ("en", "Call quality review")):
            await browser.goto(f"{lab.controller.url}/quality?access_token={qa}&lang={lang}")
            await wait_until(browser, f"!!document.querySelector('tr[data-name=\"{name}\"]')")
            assert await browser.evaluate("document.querySelector('h1').textContent") == heading
            assert await browser.evaluate("document.documentElement.lang") == lang
            await browser.screenshot(artifacts / f"quality-{lang}.png")
        await browser.evaluate(f"document.querySelector('tr[data-name=\"{name}\"] button').click()")
        await wait_until(browser, "document.getElementById('audio').readyState >= 1")
        assert await browser.evaluate("document.getElementById('audio').duration") > 1.5
        await browser.evaluate("document.getElementById('score').value = '77';"
                               "document.getElementById('comment').value = 'clear answer';"
                               "document.getElementById('save').click()")
        await wait_until(browser, "document.getElementById('msg').textContent === 'saved'")
        await browser.screenshot(artifacts / "quality-playing.png")
    status, body = await lab.controller.request("GET", f"/api/recordings/{name}", token=qa)
    assert body["recording"]["score"] == 77 and body["recording"]["review"]["comment"] == \
        "clear answer"
    assert any(e["action"] == "play" for e in await audit_entries(lab, name))


async def wait_until(browser, expression: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not await browser.evaluate(expression):
        assert time.monotonic() < deadline, expression
        await asyncio.sleep(0.1)


@pytest.mark.controller({"quality": {"survey": False, "notice": False}})
async def test_with_the_survey_and_notice_off_the_customer_hears_neither(lab):
    transfer = await customer_transferred(lab, customer="13800138281", speaking=True)
    customer, seat = await specialist_answers(lab, transfer)
    await lab.probe.log.wait_for(_user_event("DeskRecording", Stage="answered"),
                                 since=transfer.mark, timeout=10)
    await lab.probe.ami.send({"Action": "Hangup", "Channel": seat})
    await lab.probe.log.wait_for(lambda m: m.get("Event") == "Hangup"
                                 and m.get("Channel") == customer, since=transfer.mark,
                                 timeout=15)
    sounds = [f.rsplit(".", 1)[0] for f, _ in played(lab.pbx.log_file, transfer.log_offset,
                                                     customer)]
    assert "desk-survey" not in sounds and "desk-recording-notice" not in sounds, sounds
    assert not [e for e in lab.probe.log.since(transfer.mark)
                if _user_event("DeskSurvey")(e)]
