"""A caller's side of a voice menu under ARI: prompts played, keys read.

``Dialog`` keeps, per channel in the menu, the keys pressed (a key pressed
while a prompt plays, or before a question is asked, is kept: a caller who
knows the menu is never ignored), the playbacks under way and whether the
caller is gone. The capture (``capture.py``) and its time steps
(``capture_time.py``) speak through it.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..ports import AriApplication, AriError, channel_gone, channel_path


class CallerGone(Exception):
    """The caller hung up (or the channel left the application)."""


@dataclass
class Caller:
    """Events of one channel in a menu: keys, finished playbacks, hangup."""
    id: str
    language: str
    digits: asyncio.Queue = field(default_factory=asyncio.Queue)
    finished: dict[str, asyncio.Event] = field(default_factory=dict)
    gone: asyncio.Event = field(default_factory=asyncio.Event)


class Dialog:
    def __init__(self, ari: AriApplication, *, digit_timeout: float = 6.0) -> None:
        """``digit_timeout``: seconds to wait for a key after a question."""
        self.ari, self.digit_timeout = ari, digit_timeout
        self.callers: dict[str, Caller] = {}
        ari.on_event("ChannelDtmfReceived", self._on_dtmf)
        ari.on_event("PlaybackFinished", self._on_playback)
        for gone in ("StasisEnd", "ChannelHangupRequest", "ChannelDestroyed"):
            ari.on_event(gone, self._on_gone)
        ari.on_connected(self._resume)

    def enter(self, channel_id: str, language: str) -> Caller:
        caller = self.callers[channel_id] = Caller(channel_id, language)
        return caller

    def leave(self, channel_id: str) -> None:
        self.callers.pop(channel_id, None)

    async def _resume(self, ari: AriApplication) -> None:
        """After the websocket came back: events missed meanwhile are lost, so
        ask Asterisk which of our playbacks are over, and whether our callers
        are still there."""
        for channel_id, ch in list(self.callers.items()):
            for playback_id, finished in list(ch.finished.items()):
                try:
                    await ari.request("GET", f"/playbacks/{playback_id}")
                except AriError as exc:
                    if exc.status == 404:
                        finished.set()
                except (OSError, asyncio.TimeoutError):
                    pass
            try:
                if await channel_gone(ari, channel_id):
                    ch.gone.set()
            except (AriError, OSError, asyncio.TimeoutError):
                pass

    # -- ARI events -----------------------------------------------------------
    def _on_dtmf(self, event: dict[str, Any]) -> None:
        ch = self.callers.get(event.get("channel", {}).get("id", ""))
        if ch is not None:
            ch.digits.put_nowait(event.get("digit", ""))

    def _on_playback(self, event: dict[str, Any]) -> None:
        playback = event.get("playback", {})
        target = playback.get("target_uri", "")
        ch = self.callers.get(target.removeprefix("channel:"))
        if ch is not None and playback.get("id") in ch.finished:
            ch.finished[playback["id"]].set()

    def _on_gone(self, event: dict[str, Any]) -> None:
        ch = self.callers.get(event.get("channel", {}).get("id", ""))
        if ch is not None:
            ch.gone.set()

    # -- speaking and listening ---------------------------------------------------
    async def say(self, ch: Caller, media: tuple[str, ...]) -> None:
        """Play ``media`` to its end (keys pressed meanwhile are kept)."""
        await self.play(ch, media, interruptible=False)

    async def ask(self, ch: Caller, media: tuple[str, ...]) -> str:
        """Play a question; the first key (during or after it) is the answer,
        "" when none comes within ``digit_timeout``."""
        digit = await self.play(ch, media, interruptible=True)
        return digit or await self.digit(ch, self.digit_timeout)

    async def collect(self, ch: Caller, media: tuple[str, ...]) -> str:
        """Keys up to '#', 20 of them, or a pause of ``digit_timeout``."""
        typed = await self.play(ch, media, interruptible=True)
        while not typed.endswith("#") and len(typed) <= 20:
            digit = await self.digit(ch, self.digit_timeout)
            if not digit:
                break
            typed += digit
        return typed.removesuffix("#")

    async def digit(self, ch: Caller, timeout: float) -> str:
        getter = asyncio.ensure_future(ch.digits.get())
        gone = asyncio.ensure_future(ch.gone.wait())
        done, _ = await asyncio.wait({getter, gone}, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        for task in (getter, gone):
            if task not in done:
                task.cancel()
        if getter in done:
            return getter.result()
        if gone in done:
            raise CallerGone()
        return ""

    async def play(self, ch: Caller, media: tuple[str, ...], *, interruptible: bool) -> str:
        """Play ``media``; if interruptible, a key stops it and is returned."""
        if ch.gone.is_set():
            raise CallerGone()
        uris = ",".join(m if ":" in m else f"sound:{m}" for m in media)
        playback_id = uuid.uuid4().hex
        finished = ch.finished[playback_id] = asyncio.Event()
        try:
            await self.call("POST", ch.id, "/play", {
                "media": uris, "lang": ch.language, "playbackId": playback_id})
            waits = {asyncio.ensure_future(finished.wait()): "done",
                     asyncio.ensure_future(ch.gone.wait()): "gone"}
            if interruptible:
                waits[asyncio.ensure_future(ch.digits.get())] = "digit"
            done, pending = await asyncio.wait(waits, timeout=120,
                                               return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            kinds = {waits[t]: t for t in done}
            if "gone" in kinds:
                raise CallerGone()
            if "digit" in kinds:
                try:
                    await self.ari.request("DELETE", f"/playbacks/{playback_id}")
                except (AriError, OSError, asyncio.TimeoutError):
                    pass  # it may just have ended
                return kinds["digit"].result()
            return ""
        finally:
            ch.finished.pop(playback_id, None)

    async def call(self, method: str, channel_id: str, tail: str,
                   params: dict[str, str] | None = None) -> Any:
        """A REST call on the channel; ``CallerGone`` when it has left."""
        try:
            return await self.ari.request(method, channel_path(channel_id) + tail, params=params)
        except AriError as exc:
            # 404: the channel is gone; 409: it has left our application (hung up).
            if exc.status in (404, 409):
                raise CallerGone() from exc
            raise
