"""Pause for payment details: a seat mutes its call's recording and resumes it.

The seat keys ``*7`` in the call (``features.conf`` applicationmap); the
dialplan plays the tone to the seat's peer (so it is in the file), then sends
``UserEvent: DeskRecordingPause`` (``Seat``, ``Muted`` 1 or 0) and waits
until the controller says it is done by setting ``DESK_REC_MUTED`` on that
channel. The controller mutes the MixMonitor of the seat's current
recording (AMI ``MixMonitorMute``, both directions: silence in the file,
the time kept) and writes the span (who, from, to) into the record.

The API (``POST /api/recordings/{name}/pause``) keys the same ``*7`` on the
seat's channel (AMI ``PlayDTMF`` with ``Receive``), so a pause through the
API has its tones in the file and its span in the record the same way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

from redis.exceptions import RedisError

from ..asterisk.ami import AmiError
from ..store.recordings import RecordingStore
from ..tasks import TaskSet
from .tracker import RecordingTracker

log = logging.getLogger(__name__)

FEATURE_KEYS = "*7"   # features.conf [applicationmap] desk-record-pause


class PauseRefused(RuntimeError):
    """The pause cannot be changed now (no such call, not this seat's)."""


def with_span(pauses: list[dict], by: str, muted: bool, at: float) -> list[dict]:
    """The pauses after ``by`` muted (a new open span) or resumed (the open one closed)."""
    spans = [dict(p) for p in pauses if isinstance(p, dict)]
    open_spans = [p for p in spans if not p.get("to")]
    if muted and not open_spans:
        spans.append({"by": by, "from": round(at, 3), "to": None})
    elif not muted and open_spans:
        open_spans[-1]["to"] = round(at, 3)
        open_spans[-1]["resumed_by"] = by
    return spans


class RecordingPause:
    def __init__(self, ami, store: RecordingStore, tracker: RecordingTracker, *,
                 leading: Callable[[], bool], clock: Callable[[], float] = time.time) -> None:
        self.ami, self.store, self.tracker = ami, store, tracker
        self.leading, self.clock = leading, clock
        self.changed = asyncio.Condition()
        self.tasks = TaskSet("recording pauses")
        ami.on_event("UserEvent", self.on_user_event)

    def on_user_event(self, msg) -> None:
        if msg.get("UserEvent") == "DeskRecordingPause" and self.leading():
            self.tasks.spawn(self.apply(msg.get("Seat", ""), msg.get("Muted") == "1",
                                        peer=msg.get("Channel", "")))

    def _recording_of(self, seat: str) -> tuple[str, str] | None:
        """(name, recorded channel) of the seat's call now."""
        name = self.tracker.by_seat.get(seat)
        channels = [c for c, n in self.tracker.recording.items() if n == name]
        return (name, channels[0]) if name and channels else None

    async def apply(self, seat: str, muted: bool, *, peer: str) -> None:
        """Mute or resume the seat's recording, keep the span, tell the dialplan."""
        found = self._recording_of(seat)
        if found is None:
            log.warning("recording pause by seat %r: no recording of its call known", seat[:40])
            self.tracker.failures["pause"] += 1
            return
        name, channel = found
        try:
            await self.ami.command({"Action": "MixMonitorMute", "Channel": channel,
                                    "Direction": "both", "State": "1" if muted else "0"})
            record = await self.store.get(name)
            if record is not None:
                spans = with_span(record.pauses, seat, muted, self.clock())
                await self.store.update(name, {"pauses": json.dumps(spans)})
            if peer:
                await self.ami.command({"Action": "Setvar", "Channel": peer,
                                        "Variable": "DESK_REC_MUTED",
                                        "Value": "1" if muted else "0"})
            log.info("recording %s %s by seat %s", name, "paused" if muted else "resumed", seat)
        except (AmiError, OSError, asyncio.TimeoutError, RedisError) as exc:
            self.tracker.failed("pause", name, exc)
        async with self.changed:
            self.changed.notify_all()

    async def request(self, name: str, muted: bool, timeout: float = 6.0) -> list[dict]:
        """The API's pause: key ``*7`` on the seat's channel as the seat would,
        and wait until the span is in the record. ``PauseRefused`` if the
        recording's call is not up or already in that state."""
        record = await self.store.get(name)
        if record is None or self.tracker.by_seat.get(record.seat) != name:
            raise PauseRefused("the recording's call is not in progress")
        if bool(record.pauses and not record.pauses[-1].get("to")) == muted:
            raise PauseRefused("already " + ("paused" if muted else "recording"))
        seat_channel = await self._seat_channel(record.seat)
        for key in FEATURE_KEYS:
            await self.ami.command({"Action": "PlayDTMF", "Channel": seat_channel,
                                    "Digit": key, "Duration": "100", "Receive": "true"})
        deadline = self.clock() + timeout
        while True:
            record = await self.store.get(name)
            if record is not None and bool(record.pauses
                                           and not record.pauses[-1].get("to")) == muted:
                return record.pauses
            if self.clock() > deadline:
                raise PauseRefused("the PBX did not confirm the change")
            async with self.changed:
                try:
                    await asyncio.wait_for(self.changed.wait(), 0.5)
                except asyncio.TimeoutError:
                    pass

    async def _seat_channel(self, seat: str) -> str:
        rows = await self.ami.rows({"Action": "CoreShowChannels"})
        for row in rows:
            channel = row.get("Channel", "")
            if channel.startswith(f"PJSIP/{seat}-") and row.get("BridgeId"):
                return channel
        raise PauseRefused(f"seat {seat} has no call in a bridge")

    async def stop(self) -> None:
        await self.tasks.close()
