"""The capture speaks the call's language, over real SIP: Asterisk plays every
prompt of the flow from the language's own directory (the Mandarin set is
generated, so a zh call that fell back to the English core sounds, which
are GSM, shows as a gsm file played), with no missing file, each file
non-silent speech (sox), the number read back digit by digit, and the
stored callback carries the language."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ari_app.asterisk.prompt_sets import EN_GENERATED
from ari_app.asterisk.sounds_played import number_files
from lab.prompts import within
from lab.scenarios import PLAYING, customer_transferred, played, wait_played
from lab.stack import SEATS
from tests.integration.test_callbacks import wait_status



async def open_callback(lab, number: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        _, body = await lab.controller.request("GET", "/api/callbacks")
        found = [cb for cb in body["callbacks"] if cb["number"] == number]
        if found:
            return found[0]
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.2)

FLOW = ["your", "telephone-number", "is"]
CONFIRM = ["if-correct-press", "digits/1", "vm-press", "digits/2", "vm-toenternumber"]


def sox_stat(path: Path) -> dict[str, float]:
    out = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True,
                         text=True).stderr
    return {k.strip(): float(v) for k, v in
            (line.split(":", 1) for line in out.splitlines() if ":" in line)
            if re.fullmatch(r"\s*-?[0-9.]+\s*", v)}


@dataclass
class Capture:
    log: Path        # the PBX's log ...
    since: int       # ... from this offset: the capture's lines
    channel: str     # the customer's channel on the PBX
    callback: dict   # the stored callback


async def captured(lab, number: str, *, target: str = "8600", route: str | None = "callback",
                   listen: float = 0) -> Capture:
    """Every seat paused, ``number`` is transferred to ``target``, reaches the
    callback capture, confirms its own number (1), is stored and hears
    goodbye. ``listen``: seconds heard of the question before the key."""
    await lab.probe.pause(SEATS)
    log = lab.pbx.log_file
    since = log.stat().st_size
    transfer = await customer_transferred(lab, customer=number, target=target)
    if route is not None:
        assert transfer.route == route
    chan = transfer.customer_channel
    # The busy message, the time told and the number read back come first.
    await wait_played(log, since, chan, "vm-toenternumber", timeout=90)
    await asyncio.sleep(listen)
    await lab.phones.dtmf(transfer.phone_channel, "1")
    cb = await open_callback(lab, number)
    await wait_played(log, since, chan, "goodbye", timeout=60)
    return Capture(log, since, chan, cb)


@pytest.mark.parametrize("language,ext", [("zh", "slin"), ("en", "gsm")])
async def test_capture_plays_every_prompt_in_the_call_language(lab, language, ext):
    number = {"zh": "13800138401", "en": "13800138402"}[language]
    if language != "zh":  # the desk's default is zh; an English desk says so
        await lab.start_controller({"callbacks": {"language": language}})
    try:
        # The question heard to its end: every prompt played in full.
        capture = await captured(lab, number, listen=3)
    finally:
        if language != "zh":
            await lab.start_controller()
    log, since, chan, cb = capture.log, capture.since, capture.channel, capture.callback
    assert cb["language"] == language and cb["source"] == "ivr"

    files = played(log, since, chan)
    names = [f.rsplit(".", 1)[0] for f, _ in files]
    # Busy, then when the desk expects to call, before the number is confirmed.
    assert names[:2] == ["tt-allbusy", "desk-time-expect"], names
    flow = names[names.index("your"):]
    digits = [n.split("/")[1] for n in flow[3:3 + len(number)]]
    assert flow[:3] == FLOW and digits == list(number), names      # read back digit by digit
    assert flow[3 + len(number):8 + len(number)] == CONFIRM, names
    assert names[-1] == "goodbye" and "desk-time-minutes" in flow and "added" in names, names
    assert {lang for _, lang in files} == {language}, files
    # Asterisk names the codec it plays: slin is the generated 16-bit .wav,
    # gsm the English core sounds; a zh file that fell back to en shows gsm
    # (English generates only what the core sounds lack).
    assert [f for f, _ in files if not f.endswith("." + ext)
            and not (language == "en" and f.rsplit(".", 1)[0] in EN_GENERATED)] == [], files
    text = log.read_bytes()[since:].decode(errors="replace")
    assert "does not exist" not in text and "Unable to open" not in text

    sounds = lab.pbx.tree / "usr" / "share" / "asterisk" / "sounds" / language
    if language == "zh":
        for name in set(names):
            stat = sox_stat(sounds / f"{name}.wav")
            assert 0.15 <= stat["Length (seconds)"] <= 8, (name, stat)   # plausible speech
            assert stat["RMS     amplitude"] > 0.02, (name, stat)         # not silence


# The lab's seats with a whisper language (lab/configs.py SEAT_LANGUAGES);
# 8601-8604 have none. Asterisk names the codec it plays: the generated
# .wav files show as slin, the English core sounds as gsm.
CODEC = {"zh": "slin", "en": "gsm"}


async def called_back(lab, *, seat: str, number: str, target: str = "8600"
                     ) -> tuple[dict, str, str, str]:
    """Every seat paused, the customer ``number`` is transferred to ``target``
    and captured (presses 1: this number), then ``seat`` alone unpauses and
    takes the callback. Returns the callback's record once done, the PBX
    log from the capture to the customer's greeting, the customer's channel
    and the channel that dialled it (the Local half bridged to the seat)."""
    capture = await captured(lab, number, target=target)
    log, since, cb = capture.log, capture.since, capture.callback
    mark = lab.probe.log.mark()
    await lab.probe.pause([seat], paused=False)
    body = await wait_status(lab, cb["id"], {"done", "failed"})
    connect = await lab.probe.log.wait_for(
        lambda e: e.get("Event") == "AgentConnect" and e.get("Queue") == "desk", since=mark)
    assert connect["Interface"] == f"PJSIP/{seat}", connect   # that seat took it
    customer = await lab.probe.log.wait_for(
        lambda e: e.get("Event") == "DialBegin" and number in e.get("DialString", ""),
        since=mark)
    await wait_played(log, since, customer["DestChannel"], "desk-greeting")
    await asyncio.sleep(0.5)  # the playback's end, and any warning after it
    text = log.read_bytes()[since:].decode(errors="replace")
    return body, text, customer["DestChannel"], customer["Channel"]


def plays(text: str, channel: str) -> list[tuple[str, str, str]]:
    """(name, codec, language) of every file Asterisk played on ``channel``."""
    return [(m["file"].rsplit(".", 1)[0], m["file"].rsplit(".", 1)[1], m["lang"])
            for m in PLAYING.finditer(text) if m["chan"] == channel]


@pytest.mark.parametrize("seat,seat_language,customer_language,number", [
    ("8606", "en", "zh", "13800138411"),     # the seat English, the customer Mandarin
    ("8605", "zh", "en", "13800138412"),     # the seat Mandarin, the customer English
])
async def test_the_seat_hears_its_language_and_the_customer_theirs(
        lab, seat, seat_language, customer_language, number):
    """A callback: the seat hears "calling" and the number in the seat's
    language (its endpoint's), the customer, on answering, the greeting in
    the language they were captured in; the receipt is written before the
    greeting; no file missing; the callback ends done."""
    # The desk speaks Mandarin; an English customer is one of the topic the
    # settings give English (21, callback-only).
    english = customer_language == "en"
    if english:
        await lab.start_controller({"topics": {"languages": {"phone-bill-micropayment": "en"}}})
    try:
        body, text, customer, whisperer = await called_back(
            lab, seat=seat, number=number, target="860021" if english else "8600")
    finally:
        if english:
            await lab.start_controller()
    assert body["callback"]["status"] == "done" and body["callback"]["language"] == \
        customer_language, body

    whisper = plays(text, whisperer)   # the Local half bridged to the seat
    assert [n for n, _, _ in whisper] == ["calling"] + [f"digits/{d}" for d in number], whisper
    assert {(c, lang) for _, c, lang in whisper} == {(CODEC[seat_language], seat_language)}
    # The greeting, then the recording notice, both in the customer's language.
    assert plays(text, customer)[:2] == [("desk-greeting", "slin", customer_language),
                                         ("desk-recording-notice", "slin", customer_language)], text
    assert "does not exist" not in text and "Unable to open" not in text

    # The receipt came first: written before the customer heard anything.
    receipt = text.index(f"Set(\"{customer}\", \"DB(desk-cb/{body['callback']['id']})")
    assert receipt < text.index(f"<{customer}> Playing 'desk-greeting"), text
    rows = await lab.probe.ami.rows({"Action": "DBGet", "Family": "desk-cb",
                                     "Key": body["callback"]["id"]})
    assert [r["Val"].split(",")[1] for r in rows if "Val" in r] == ["ANSWER"], rows

    greeting = (lab.pbx.tree / "usr" / "share" / "asterisk" / "sounds" / customer_language
                / "desk-greeting.wav")
    stat = sox_stat(within(lab.pbx.tree, greeting.parent) / greeting.name)
    assert 1 <= stat["Length (seconds)"] <= 8 and stat["RMS     amplitude"] > 0.02, stat


async def test_a_seat_without_a_language_hears_the_desks(lab):
    """Seat 8601 has no language (its channel would say en, Asterisk's
    default): its whisper is in the desk's, Mandarin, like the customer's
    greeting, captured on the Mandarin desk."""
    number = "13800138413"
    body, text, customer, whisperer = await called_back(lab, seat="8601", number=number)
    assert body["callback"]["status"] == "done" and body["callback"]["language"] == "zh", body
    whisper = plays(text, whisperer)
    assert [n for n, _, _ in whisper] == ["calling"] + [f"digits/{d}" for d in number], whisper
    assert {(c, lang) for _, c, lang in whisper} == {("slin", "zh")}, whisper
    assert plays(text, customer)[:2] == [("desk-greeting", "slin", "zh"),
                                         ("desk-recording-notice", "slin", "zh")], text
    assert "does not exist" not in text and "Unable to open" not in text


async def test_a_stored_language_the_desk_does_not_speak_greets_in_the_desks(lab):
    """CB_LANGUAGE comes from the store: whatever reaches the dialplan, only
    zh or en is used. An attempt placed as the dialer places it, but carrying
    "fr^x" (a Gosub argument separator, too): the customer is greeted in the
    desk's language and the receipt still says ANSWER."""
    number = "13800138414"
    await lab.probe.pause([s for s in SEATS if s != "8601"])
    log = lab.pbx.log_file
    since = log.stat().st_size
    mark = lab.probe.log.mark()
    try:
        await lab.probe.ami.command({
            "Action": "Originate", "Channel": "Local/s@desk-callback-seat/n",
            "Context": "desk-callback-customer", "Exten": number, "Priority": "1",
            "Timeout": "20000", "Async": "true",
            "Variable": ["CB_ID=hostile1", "CB_FENCE=1", "CB_RING=10", "CB_SEAT_WAIT=15",
                         "CB_LANGUAGE=fr^x"]}, timeout=25)
        customer = await lab.probe.log.wait_for(
            lambda e: e.get("Event") == "DialBegin" and number in e.get("DialString", ""),
            since=mark, timeout=30)
        await wait_played(log, since, customer["DestChannel"], "desk-greeting")
        rows = await lab.probe.ami.rows({"Action": "DBGet", "Family": "desk-cb",
                                         "Key": "hostile1"})
    finally:
        await lab.probe.ami.send({"Action": "DBDel", "Family": "desk-cb", "Key": "hostile1"})
    text = log.read_bytes()[since:].decode(errors="replace")
    assert "U(desk-callback-answered^hostile1^1^)" in text, text   # nothing of it passed on
    assert plays(text, customer["DestChannel"]) == [("desk-greeting", "slin", "zh")], text
    assert [r["Val"].split(",")[1] for r in rows if "Val" in r] == ["ANSWER"], rows


async def test_the_spool_without_the_controller_speaks_and_keeps_the_language(lab):
    """No controller: the dialplan spool plays the zh set (no English
    fallback), spools the language with the number, and the import keeps it."""
    number = "13800138404"
    await lab.probe.pause(SEATS)
    await lab.controller.stop()
    try:
        log = lab.pbx.log_file
        since = log.stat().st_size
        transfer = await customer_transferred(lab, customer=number)
        assert transfer.route == "fallback"
        await wait_played(log, since, transfer.customer_channel, "vm-toenternumber")
        await lab.phones.dtmf(transfer.phone_channel, "1")
        await wait_played(log, since, transfer.customer_channel, "goodbye")
        files = played(log, since, transfer.customer_channel)
        text = log.read_bytes()[since:].decode(errors="replace")
    finally:
        await lab.start_controller()
    names = [f.rsplit(".", 1)[0] for f, _ in files]
    # The dialplan alone tells no time: busy, then straight to the number.
    assert names[:4] == ["tt-allbusy", *FLOW], names
    assert [n.split("/")[1] for n in names[4:15]] == list(number), names
    assert {(f.rsplit(".", 1)[1], lang) for f, lang in files} == {("slin", "zh")}, files
    assert "does not exist" not in text
    cb = await open_callback(lab, number, timeout=30)
    assert cb["source"] == "spool" and cb["language"] == "zh"


def _hour(hour: int) -> list[str]:
    """An hour as Asterisk says it in Mandarin (digits/20 then digits/1 for 21)."""
    return [*number_files(hour, "zh"), "digits/oclock"]


async def test_a_closed_desk_tells_the_time_of_the_call_in_mandarin(lab):
    """Closed now, opening for one hour two hours from now (or at 00:00 or
    01:00 tomorrow): the request is given that hour's slot (its end is the
    deadline, as the SLA rule says), and the caller hears "我们将在 今天/明天
    N点 到 N+1点 之间给您回电" before confirming and again once stored, from the
    zh set, every file found in zh, none from English."""
    from datetime import datetime
    from zoneinfo import ZoneInfo
    number = "13800138405"
    shanghai = ZoneInfo("Asia/Shanghai")
    hour = datetime.now(shanghai).hour
    opening = hour + 2 if hour + 2 <= 22 else (1 if hour == 23 else 0)
    await lab.start_controller({"calendar": {
        "hours": f"{opening:02d}:00-{opening + 1:02d}:00", "holidays": [],
        "weekday_hours": {}}})
    try:
        capture = await captured(lab, number, route=None)
    finally:
        await lab.start_controller()
    files, cb = played(capture.log, capture.since, capture.channel), capture.callback
    names = [f.rsplit(".", 1)[0] for f, _ in files]
    assert names[:2] == ["im-sorry", "vm-nobodyavail"], names
    deadline = datetime.fromisoformat(cb["deadline"].replace("Z", "+00:00")).astimezone(shanghai)
    assert (deadline.hour, deadline.minute) == (opening + 1, 0), cb
    day = "digits/today" if opening > hour else "digits/tomorrow"
    said = ["desk-time-window", day, *_hour(opening), "desk-time-to", *_hour(opening + 1),
            "desk-time-end"]
    assert names[2:2 + len(said)] == said, names                   # before confirming
    assert names[names.index("added") + 1:] == said + ["goodbye"], names
    assert cb["promise"]["booking"] == "assigned" and cb["promise"]["told"] == "between", cb
    assert {(f.rsplit(".", 1)[1], lang) for f, lang in files} == {("slin", "zh")}, files


async def test_a_topic_set_to_english_is_captured_and_kept_in_english(lab):
    """[topics] languages: a callback-only topic (21) whose callers hear
    English; the rest of the desk stays Mandarin."""
    number = "13800138406"
    await lab.start_controller({"topics": {"languages": {"phone-bill-micropayment": "en"}}})
    try:
        capture = await captured(lab, number, target="860021")
    finally:
        await lab.start_controller()
    files, cb = played(capture.log, capture.since, capture.channel), capture.callback
    assert cb["language"] == "en" and cb["topic"] == "phone-bill-micropayment", cb
    assert {lang for _, lang in files} == {"en"} and "desk-time-expect.slin" in dict(files), files
    # English core sounds are gsm; only what they lack is generated (slin).
    assert [f for f, _ in files if not f.endswith(".gsm")
            and f.rsplit(".", 1)[0] not in EN_GENERATED] == [], files


def test_every_name_of_every_prompt_set_is_a_file_in_the_lab_tree(lab):
    """The sets' table is what the PBX has: each name a file in its
    language's directory (generated Mandarin, English core sounds)."""
    from ari_app.asterisk.prompt_sets import SETS
    sounds = lab.pbx.tree / "usr" / "share" / "asterisk" / "sounds"
    for language, names in SETS.items():
        where = within(lab.pbx.tree, sounds / language)
        lacking = [n for n in sorted(names) if not list((where / n).parent.glob(
            (where / n).name + ".*"))]
        assert lacking == [], (language, lacking)


async def test_a_customer_returned_from_a_mistyped_target_hears_mandarin(lab):
    """A frontline agent's REFER to 5555, a number the desk does not serve:
    the customer (whose carrier channel arrives in Asterisk's default
    English) hears "one moment please" from the Mandarin set, the desk's
    language, on the way back to the frontline queue."""
    from lab.stack import FRONTLINE
    log = lab.pbx.log_file
    since = log.stat().st_size
    mark = lab.probe.log.mark()
    for phone in FRONTLINE:
        await lab.phones.on_ring(phone, "transfer:5555")
    await lab.phones.customer_call("13800138421")
    blind = await lab.probe.log.wait_for(
        lambda e: e.get("Event") == "BlindTransfer" and e.get("Extension") == "5555",
        since=mark, timeout=30)
    await lab.phones.reset(*FRONTLINE)     # the returned customer is answered, not sent again
    customer = blind["TransfereeChannel"]
    await wait_played(log, since, customer, "one-moment-please")
    heard = played(log, since, customer)
    assert heard[0] == ("one-moment-please.slin", "zh"), heard   # slin: the generated zh file
    text = log.read_bytes()[since:].decode(errors="replace")
    assert "does not exist" not in text and "Unable to open" not in text


async def test_a_mandarin_seat_hears_its_feature_code_in_mandarin(lab):
    """Seat 8605 (endpoint language zh) dials *861 while logged in: "already
    logged in" comes from the Mandarin set, not the English core sound."""
    log = lab.pbx.log_file
    since = log.stat().st_size
    await lab.phones.dial("8605", "*861", hold=3)
    deadline = time.monotonic() + 15
    while not (heard := [(m["file"], m["lang"]) for m in PLAYING.finditer(
            log.read_bytes()[since:].decode(errors="replace"))
            if m["chan"].startswith("PJSIP/8605-")]):
        assert time.monotonic() < deadline, "the seat heard nothing"
        await asyncio.sleep(0.2)
    assert heard == [("agent-alreadyon.slin", "zh")], heard
