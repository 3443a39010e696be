"""Callback capture: the caller leaves a number for the desk to call back.

Runs under ARI on a caller the desk cannot take now. The caller hears that
the desk is busy (or closed), confirms the calling number or keys in
another, and hears that the request is recorded and when to expect the call.
A digit pressed while a prompt plays counts as the answer (the prompt
stops), so a caller who knows the menu is never ignored. Only a confirmed
number is stored; a caller who hangs up after confirming keeps the
callback, one who hangs up while keying in leaves nothing half-typed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError

from ..service import CallbacksService, RequestError
from ..desk.numbers import InvalidNumber
from ..timefmt import for_machines
from ..ports import AriApplication, AriError, channel_gone, channel_path
from .prompts import Prompts, call_language, promise

log = logging.getLogger(__name__)

# Where a confirmed number goes when the store is away (dialplan/35-spool.conf).
SPOOL_CONTEXT = "desk-spool"


class CallerGone(Exception):
    """The caller hung up (or the channel left the application)."""


@dataclass
class _Channel:
    """Events of one channel in capture: digits, finished playbacks, hangup."""
    digits: asyncio.Queue = field(default_factory=asyncio.Queue)
    finished: dict[str, asyncio.Event] = field(default_factory=dict)
    gone: asyncio.Event = field(default_factory=asyncio.Event)
    language: str = ""


class CallbackCapture:
    def __init__(self, ari: AriApplication, service: CallbacksService, *,
                 prompts: Prompts, clock: Callable[[], datetime],
                 digit_timeout: float = 6.0, tries: int = 3) -> None:
        self.ari, self.service, self.prompts, self.clock = ari, service, prompts, clock
        # Seconds to wait for a digit, and how many times a caller may key in.
        self.digit_timeout, self.tries = digit_timeout, tries
        self._channels: dict[str, _Channel] = {}
        # Told (channel id, when its capture began) of a caller who hung up
        # before a callback was stored: the desk's abandon figures.
        self.on_abandoned: Callable[[str, float], None] | None = None
        ari.on_event("ChannelDtmfReceived", self._on_dtmf)
        ari.on_event("PlaybackFinished", self._on_playback)
        for gone in ("StasisEnd", "ChannelHangupRequest", "ChannelDestroyed"):
            ari.on_event(gone, self._on_gone)
        ari.on_connected(self._resume)

    def active(self, channel_id: str) -> bool:
        """Is a capture already running on this channel (in this process)?"""
        return channel_id in self._channels

    async def _resume(self, ari: AriApplication) -> None:
        """After the websocket came back: events missed meanwhile are lost, so
        ask Asterisk which of our playbacks are over, and whether our callers
        are still there."""
        for channel_id, ch in list(self._channels.items()):
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
        ch = self._channels.get(event.get("channel", {}).get("id", ""))
        if ch is not None:
            ch.digits.put_nowait(event.get("digit", ""))

    def _on_playback(self, event: dict[str, Any]) -> None:
        playback = event.get("playback", {})
        target = playback.get("target_uri", "")
        ch = self._channels.get(target.removeprefix("channel:"))
        if ch is not None and playback.get("id") in ch.finished:
            ch.finished[playback["id"]].set()

    def _on_gone(self, event: dict[str, Any]) -> None:
        ch = self._channels.get(event.get("channel", {}).get("id", ""))
        if ch is not None:
            ch.gone.set()

    # -- the dialog -----------------------------------------------------------
    async def run(self, channel: dict[str, Any], *, topic: str = "", closed: bool = False,
                  language: str = "") -> str | None:
        """Capture a callback from ``channel``, speaking ``language`` (the
        desk's default if empty or unknown); returns the callback id, if any."""
        channel_id = channel["id"]
        caller = channel.get("caller", {}).get("number", "")
        ch = self._channels[channel_id] = _Channel(
            language=call_language(language, self.prompts.language))
        cb_id, started = None, self.clock().timestamp()
        handed = False  # continued into the dialplan spool: not ours to hang up
        try:
            await self._call("POST", channel_id, "/answer")
            await self._play(channel_id, ch, self.prompts.closed if closed else self.prompts.busy,
                             interruptible=False)
            number = await self._confirm_caller_id(channel_id, ch, caller)
            if number is None:
                number = await self._key_in(channel_id, ch)
            if number is None:
                await self._play(channel_id, ch, self.prompts.failed + self.prompts.goodbye,
                                 interruptible=False)
                return None
            try:
                accepted = await self.service.request(number=number, topic=topic, source="ivr",
                                                      now=self.clock(), language=ch.language)
            except (RedisError, OSError) as exc:
                # The store went away mid-capture: the dialplan spools the
                # confirmed number instead (dialplan/35-spool.conf).
                if await self._to_spool(channel_id, number, ch.language):
                    handed = True
                    log.error("callback for %s not stored (%s); handed to the dialplan spool",
                              number, exc, extra={"call": channel_id})
                    return None
                await self._not_stored(channel_id, ch, number, exc)
                return None
            except RequestError as exc:
                await self._not_stored(channel_id, ch, number, exc)
                return None
            cb_id = accepted.id
            log.info("callback %s %s for %s (topic %s, deadline %s)", accepted.id,
                     "stored" if accepted.created else "updated", number, topic or "-",
                     for_machines(accepted.deadline), extra={"callback": accepted.id,
                                                           "call": channel_id})
            when = promise(self.clock(), accepted.deadline, self.service.calendar.zone,
                           self.service.sla, ch.language)
            await self._play(channel_id, ch, self.prompts.recorded + when
                             + self.prompts.goodbye, interruptible=False)
            return cb_id
        except CallerGone:
            log.info("caller %s hung up during capture%s", caller,
                     f" (callback {cb_id} kept)" if cb_id else " (nothing stored)",
                     extra={"call": channel_id})
            if cb_id is None and self.on_abandoned is not None:
                self.on_abandoned(channel_id, started)
            return cb_id
        finally:
            self._channels.pop(channel_id, None)
            if not handed:
                await self._hang_up(channel_id)

    async def _not_stored(self, channel_id: str, ch: _Channel, number: str,
                          exc: Exception) -> None:
        log.error("callback for %s NOT stored (%s); the caller was told to call again",
                  number, exc, extra={"call": channel_id})
        await self._play(channel_id, ch, self.prompts.failed + self.prompts.goodbye,
                         interruptible=False)

    async def _to_spool(self, channel_id: str, number: str, language: str) -> bool:
        """Continue the caller into the dialplan spool with the confirmed
        number (the dialplan checks its shape again); False if ARI failed."""
        try:  # the spool goes on in the caller's language; its default if this fails
            await self._call("POST", channel_id, "/variable",
                             {"variable": "DESK_LANGUAGE", "value": language})
        except (AriError, OSError, asyncio.TimeoutError):
            pass
        try:
            await self._call("POST", channel_id, "/variable",
                             {"variable": "SPOOL_NUMBER", "value": number})
            await self._call("POST", channel_id, "/continue",
                             {"context": SPOOL_CONTEXT, "extension": "store", "priority": "1"})
            return True
        except (AriError, OSError, asyncio.TimeoutError):
            return False

    async def _hang_up(self, channel_id: str) -> None:
        """End the call after capture. A caller already gone is the normal end of
        a capture (said above at INFO), not an error."""
        try:
            await self._call("DELETE", channel_id, "")
        except CallerGone:
            pass
        except (AriError, OSError, asyncio.TimeoutError) as exc:
            log.warning("could not hang up %s after capture: %s", channel_id, exc,
                        extra={"call": channel_id})

    async def _confirm_caller_id(self, channel_id: str, ch: _Channel, caller: str) -> str | None:
        try:
            number = self.service.numbers.check(caller)
        except InvalidNumber:
            return None  # withheld or not callable: ask for one
        for _ in range(2):
            digit = await self._ask(channel_id, ch, self.prompts.your_number_is
                                    + (f"digits:{number}",) + self.prompts.confirm)
            if digit == "1":
                return number
            if digit == "2":
                return None
        return None

    async def _key_in(self, channel_id: str, ch: _Channel) -> str | None:
        for _ in range(self.tries):
            typed = await self._collect(channel_id, ch, self.prompts.enter_number)
            try:
                number = self.service.numbers.check(typed)
            except InvalidNumber:
                await self._play(channel_id, ch, self.prompts.invalid, interruptible=False)
                continue
            digit = await self._ask(channel_id, ch, self.prompts.you_entered + (f"digits:{number}",)
                                    + self.prompts.confirm)
            if digit == "1":
                return number
        return None

    async def _ask(self, channel_id: str, ch: _Channel, media: tuple[str, ...]) -> str:
        """Play a question; the first digit (during or after it) is the answer."""
        digit = await self._play(channel_id, ch, media, interruptible=True)
        return digit or await self._digit(ch, self.digit_timeout)

    async def _collect(self, channel_id: str, ch: _Channel, media: tuple[str, ...]) -> str:
        """Digits up to '#', 20 digits, or a pause of ``digit_timeout``."""
        typed = await self._play(channel_id, ch, media, interruptible=True)
        while not typed.endswith("#") and len(typed) <= 20:
            digit = await self._digit(ch, self.digit_timeout)
            if not digit:
                break
            typed += digit
        return typed.removesuffix("#")

    async def _digit(self, ch: _Channel, timeout: float) -> str:
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

    async def _play(self, channel_id: str, ch: _Channel, media: tuple[str, ...], *,
                    interruptible: bool) -> str:
        """Play ``media``; if interruptible, a digit stops it and is returned."""
        if ch.gone.is_set():
            raise CallerGone()
        uris = ",".join(m if ":" in m else f"sound:{m}" for m in media)
        playback_id = uuid.uuid4().hex
        finished = ch.finished[playback_id] = asyncio.Event()
        try:
            await self._call("POST", channel_id, "/play", {
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

    async def _call(self, method: str, channel_id: str, tail: str,
                    params: dict[str, str] | None = None) -> Any:
        try:
            return await self.ari.request(method, channel_path(channel_id) + tail, params=params)
        except AriError as exc:
            # 404: the channel is gone; 409: it has left our application (hung up).
            if exc.status in (404, 409):
                raise CallerGone() from exc
            raise

