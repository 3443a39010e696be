"""The index of recordings, kept from the dialplan's own AMI events.

``dialplan/32-quality.conf`` sends ``UserEvent: DeskRecording`` with
``Stage: started`` once MixMonitor runs (name, live or callback, topic code,
language, callback id and attempt; the event's own ``Uniqueid`` is the
recorded channel's id, the transfer event's ``call``) and ``Stage:
answered`` when the seat (live) or the customer (callback) answers, naming
the seat; ``DeskSurvey`` carries the customer's key. When the recorded
channel hangs up the file is read over ARI until MixMonitor has closed it,
and its length, size and SHA-256 are stored. Every value is checked as it
comes in: a name not of the recording shape, a seat not configured, a topic
code unknown or a rating not of the four words is dropped with one log line.

Only the leader writes (replicas all see the same events). A failure here
never touches a call: the recording goes on in Asterisk; the operator sees
a log line and ``datadesk_recording_failures_total{stage}``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from ..desk.topics import TopicCatalogue
from ..store.away import STORE_ERRORS
from ..store.recordings import RecordingStore
from ..tasks import TaskSet
from .files import FileMissing, FileUnavailable, RecordingFiles, digest, wav_facts
from .names import NAME

log = logging.getLogger(__name__)

RATINGS = ("satisfied", "acceptable", "dissatisfied", "not-rated")
_DIGITS = re.compile(r"[0-9]{0,12}")
_NUMBER = re.compile(r"[0-9]{0,20}")
_AGENT = re.compile(r"[0-9A-Za-z]{1,32}")
_CALLBACK = re.compile(r"cb[0-9]{1,12}")
_CHANNEL_ID = re.compile(r"[0-9A-Za-z._-]{1,64}")
# How long a closed call's file is waited for (MixMonitor closes it on its
# own thread after the hang-up) and how often it is looked at meanwhile.
CLOSE_WAIT, CLOSE_POLL = 30.0, 0.5


class RecordingTracker:
    def __init__(self, ami, store: RecordingStore, files: RecordingFiles,
                 topics: TopicCatalogue, *, is_seat: Callable[[str], bool],
                 leading: Callable[[], bool]) -> None:
        self.store, self.files, self.topics = store, files, topics
        self.is_seat, self.leading = is_seat, leading
        self.clock: Callable[[], float] = time.time
        # A callback's topic (its record in the callback store): set by the wiring.
        self.callback_topic: Callable[[str], Awaitable[str]] | None = None
        # The day's satisfaction figures (at, seat, topic, rating): set by the wiring.
        self.on_rated: Callable[[float, str, str, str], Awaitable[None]] | None = None
        self.recording: dict[str, str] = {}   # recorded channel -> recording name
        self.by_seat: dict[str, str] = {}     # seat -> the recording of its call now
        self.failures: Counter[str] = Counter()
        self.tasks = TaskSet("recordings")
        ami.on_event("UserEvent", self.on_user_event)
        ami.on_event("Hangup", self.on_hangup)
        ami.on_connected(self.resync)

    def on_user_event(self, msg) -> None:
        if not self.leading():
            return
        kind, name = msg.get("UserEvent"), msg.get("Name", "")
        if kind not in ("DeskRecording", "DeskSurvey"):
            return
        if not NAME.fullmatch(name):
            log.warning("recording event %s with a malformed name %r ignored", kind, name[:60])
            self.failures["event"] += 1
            return
        if kind == "DeskSurvey":
            self.tasks.spawn(self._rated(name, msg.get("Rating", "")))
        elif msg.get("Stage") == "started":
            self.tasks.spawn(self._started(name, msg))
        elif msg.get("Stage") == "answered":
            self.tasks.spawn(self._answered(name, msg.get("Seat", "")))

    def on_hangup(self, msg) -> None:
        name = self.recording.pop(msg.get("Channel", ""), None)
        if name is None:
            return
        for seat, current in list(self.by_seat.items()):
            if current == name:
                del self.by_seat[seat]
        if self.leading():
            self.tasks.spawn(self.finish(name))

    async def resync(self, ami) -> None:
        """After an AMI (re)connect: recordings whose channel hung up while the
        link was down are finished now (Asterisk sends no missed Hangup)."""
        if not self.recording:
            return
        try:
            rows = await ami.rows({"Action": "CoreShowChannels"})
        except Exception as exc:  # AMI away again: the next connect tries again
            log.warning("recordings: channels not listed after the AMI connect: %s", exc)
            return
        up = {row.get("Channel", "") for row in rows}
        for channel in [c for c in self.recording if c not in up]:
            self.on_hangup({"Channel": channel})

    def fields_of(self, msg) -> dict[str, str]:
        """What a ``started`` event says, each value checked (bad: left empty)."""
        topic = self.topics.classify(msg.get("Topic", "")) if msg.get("Topic") else None
        callback = msg.get("Callback", "")
        uniqueid = msg.get("Uniqueid", "")
        return {
            "kind": "callback" if msg.get("Kind") == "callback" else "live",
            "call": uniqueid if _CHANNEL_ID.fullmatch(uniqueid) else "",
            "channel": msg.get("Channel", "")[:128],
            "callback": callback if _CALLBACK.fullmatch(callback) else "",
            "attempt": msg.get("Attempt", "") if _DIGITS.fullmatch(msg.get("Attempt", "")) else "",
            "number": msg.get("Number", "") if _NUMBER.fullmatch(msg.get("Number", "")) else "",
            "topic": topic.name if topic is not None and topic.name != "unknown" else "",
            "language": msg.get("CallLanguage", "") if msg.get("CallLanguage") in ("zh", "en")
            else "",
        }

    async def _started(self, name: str, msg) -> None:
        fields = self.fields_of(msg)
        self.recording[fields["channel"]] = name
        try:
            if fields["callback"] and not fields["topic"] and self.callback_topic is not None:
                fields["topic"] = await self.callback_topic(fields["callback"])
            await self.store.started(name, fields, self.clock())
        except STORE_ERRORS as exc:
            self.failed("index", name, exc)

    async def _answered(self, name: str, seat: str) -> None:
        if not _AGENT.fullmatch(seat) or not self.is_seat(f"PJSIP/{seat}"):
            log.warning("recording %s: answered by %r, not a desk seat; seat left empty",
                        name, seat[:40])
            seat = ""
        if seat:
            self.by_seat[seat] = name
        try:
            await self.store.update(name, {"seat": seat, "answered": f"{self.clock():.3f}"})
        except STORE_ERRORS as exc:
            self.failed("index", name, exc)

    async def _rated(self, name: str, rating: str) -> None:
        if rating not in RATINGS:
            log.warning("recording %s: survey answer %r is not a rating; stored as not-rated",
                        name, rating[:20])
            rating = "not-rated"
        try:
            if not await self.store.update(name, {"rating": rating}):
                return
            record = await self.store.get(name)
            if record is not None and self.on_rated is not None:
                await self.on_rated(record.answered or record.started, record.seat,
                                    record.topic, rating)
        except STORE_ERRORS as exc:
            self.failed("survey", name, exc)

    async def finish(self, name: str) -> None:
        """The call is over: wait for the closed file, then store its facts.
        A recording never answered has no audio: its file and record go."""
        try:
            record = await self.store.get(name)
            if record is not None and not record.answered:
                await self.files.delete(name)
                await self.store.delete(name)
                return
            data = await self._closed_file(name)
            facts = wav_facts(data)
            await self.store.stored(name, seconds=facts.seconds, size=len(data),
                                    sha256=await digest(data), ended=self.clock())
            log.info("recording %s stored: %.1f s, %d bytes", name, facts.seconds, len(data))
        except FileMissing:
            self.failed("file", name, "no file in ARI's stored recordings")
            await self._mark(name, "missing")
        except (FileUnavailable, ValueError) as exc:
            self.failed("file", name, exc)
        except STORE_ERRORS as exc:
            self.failed("index", name, exc)

    async def _closed_file(self, name: str) -> bytes:
        deadline = self.clock() + CLOSE_WAIT
        while True:
            try:
                data = await self.files.read(name)
                if wav_facts(data).closed or self.clock() > deadline:
                    return data
            except FileMissing:
                if self.clock() > deadline:
                    raise
            await asyncio.sleep(CLOSE_POLL)

    async def _mark(self, name: str, state: str) -> None:
        """Note ``state`` in the recording's record; a store that cannot is
        a failure of the index, told and counted like any other."""
        try:
            await self.store.update(name, {"state": state})
        except STORE_ERRORS as exc:
            self.failed("index", name, f"cannot mark it {state}: {exc}")

    def failed(self, stage: str, name: str, why: object) -> None:
        self.failures[stage] += 1
        log.error("recording %s: %s failed: %s (the call was not affected)", name, stage, why)

    async def stop(self) -> None:
        await self.tasks.close()
