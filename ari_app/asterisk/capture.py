"""Callback capture: the caller leaves a number for the desk to call back.

Runs under ARI on a caller the desk cannot take now. The caller hears that
the desk is busy (or closed) and when the desk expects to call, confirms the
calling number or keys in another, and hears that the request is recorded
and its time; then may choose a later slot (``capture_time.py``). A caller
whose callback is still open hears its time and keeps or cancels it instead.
A digit pressed while a prompt plays counts as the answer (the prompt
stops), so a caller who knows the menu is never ignored. Only a confirmed
number is stored; a caller who hangs up after confirming keeps the
callback, one who hangs up while keying in leaves nothing half-typed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError

from ..service import Accepted, CallbacksService, RequestError
from ..desk.numbers import InvalidNumber
from ..timefmt import for_machines
from ..logs import cause
from ..ports import AriApplication, AriError
from ..store.away import STORE_ERRORS
from .capture_time import TimeSteps
from .ivr import Caller, CallerGone, Dialog
from .prompts import Prompts, call_language

log = logging.getLogger(__name__)

# Where a confirmed number goes when the store is away (dialplan/35-spool.conf).
SPOOL_CONTEXT = "desk-spool"


class CallbackCapture:
    def __init__(self, ari: AriApplication, service: CallbacksService, *,
                 prompts: Prompts, clock: Callable[[], datetime],
                 digit_timeout: float = 6.0, tries: int = 3) -> None:
        self.ari, self.service, self.prompts, self.clock = ari, service, prompts, clock
        # How many times a caller may key in a number.
        self.tries = tries
        self.dialog = Dialog(ari, digit_timeout=digit_timeout)
        self.time = TimeSteps(self.dialog, service, clock)
        # Told (channel id, when its capture began) of a caller who hung up
        # before a callback was stored: the desk's abandon figures.
        self.on_abandoned: Callable[[str, float], None] | None = None

    def active(self, channel_id: str) -> bool:
        """Is a capture already running on this channel (in this process)?"""
        return channel_id in self.dialog.callers

    # -- the dialog -----------------------------------------------------------
    async def run(self, channel: dict[str, Any], *, topic: str = "", closed: bool = False,
                  language: str = "") -> str | None:
        """Capture a callback from ``channel``, speaking ``language`` (the
        desk's default if empty or unknown); returns the callback id, if any
        (a caller whose callback is open: that one's, kept or cancelled)."""
        channel_id = channel["id"]
        caller = channel.get("caller", {}).get("number", "")
        ch = self.dialog.enter(channel_id, call_language(language, self.prompts.language))
        cb_id = None
        started: float | None = self.clock().timestamp()  # None: nothing to abandon
        handed = False  # continued into the dialplan spool: not ours to hang up
        try:
            await self.dialog.call("POST", channel_id, "/answer")
            await self.dialog.say(ch, self.prompts.closed if closed else self.prompts.busy)
            open_cb = await self._open_callback(caller)
            if open_cb is not None:
                started = None  # their callback stands: hanging up now abandons nothing
                await self.time.returning(ch, open_cb)
                return open_cb.id
            await self.time.preview(ch)
            number = await self._confirm_caller_id(ch, caller)
            if number is None:
                number = await self._key_in(ch)
            if number is None:
                await self.dialog.say(ch, self.prompts.failed + self.prompts.goodbye)
                return None
            accepted = await self._store(ch, number, topic)
            if isinstance(accepted, bool):
                handed = accepted
                return None
            cb_id = accepted.id
            await self.dialog.say(ch, self.prompts.recorded
                                  + self.time.said(accepted.promise, ch.language))
            booked = await self.time.offer(ch, accepted, topic)
            await self.dialog.say(ch, (self.time.said(booked.promise, ch.language)
                                       if booked is not accepted else ()) + self.prompts.goodbye)
            return cb_id
        except CallerGone:
            log.info("caller %s hung up during capture%s", caller,
                     f" (callback {cb_id} kept)" if cb_id else " (nothing stored)",
                     extra={"call": channel_id})
            if cb_id is None and started is not None and self.on_abandoned is not None:
                self.on_abandoned(channel_id, started)
            return cb_id
        finally:
            self.dialog.leave(channel_id)
            if not handed:
                await self._hang_up(channel_id)

    async def _open_callback(self, caller: str):
        """The caller's open callback, if their number is one the desk calls
        and the store answers (else the capture goes on as for anyone)."""
        try:
            return await self.service.open_for(caller)
        except RequestError:  # a number the desk does not call: nothing to look up
            return None
        except STORE_ERRORS as exc:
            log.warning("capture: the store did not say whether caller %s has a callback "
                        "open (%s); capturing as for a new request", caller, cause(exc))
            return None

    async def _store(self, ch: Caller, number: str, topic: str) -> Accepted | bool:
        """The confirmed request stored; True when it was handed to the
        dialplan spool instead (the store is away), False when refused (the
        caller was told)."""
        try:
            accepted = await self.service.request(number=number, topic=topic, source="ivr",
                                                  now=self.clock(), language=ch.language)
        except (RedisError, OSError) as exc:
            # The store went away mid-capture: the dialplan spools the
            # confirmed number instead (dialplan/35-spool.conf).
            if await self._to_spool(ch.id, number, ch.language):
                log.error("callback for %s not stored (%s); handed to the dialplan spool",
                          number, exc, extra={"call": ch.id})
                return True
            await self._not_stored(ch, number, exc)
            return False
        except RequestError as exc:
            await self._not_stored(ch, number, exc)
            return False
        log.info("callback %s %s for %s (topic %s, deadline %s)", accepted.id,
                 "stored" if accepted.created else "updated", number, topic or "-",
                 for_machines(accepted.deadline), extra={"callback": accepted.id,
                                                       "call": ch.id})
        return accepted

    async def _not_stored(self, ch: Caller, number: str, exc: Exception) -> None:
        log.error("callback for %s NOT stored (%s); the caller was told to call again",
                  number, exc, extra={"call": ch.id})
        await self.dialog.say(ch, self.prompts.failed + self.prompts.goodbye)

    async def _to_spool(self, channel_id: str, number: str, language: str) -> bool:
        """Continue the caller into the dialplan spool with the confirmed
        number (the dialplan checks its shape again); False if ARI failed."""
        try:  # the spool goes on in the caller's language; its default if this fails
            await self.dialog.call("POST", channel_id, "/variable",
                                   {"variable": "DESK_LANGUAGE", "value": language})
        except (AriError, OSError, asyncio.TimeoutError):
            pass
        try:
            await self.dialog.call("POST", channel_id, "/variable",
                                   {"variable": "SPOOL_NUMBER", "value": number})
            await self.dialog.call("POST", channel_id, "/continue", {
                "context": SPOOL_CONTEXT, "extension": "store", "priority": "1"})
            return True
        except (AriError, OSError, asyncio.TimeoutError):
            return False

    async def _hang_up(self, channel_id: str) -> None:
        """End the call after capture. A caller already gone is the normal end of
        a capture (said above at INFO), not an error."""
        try:
            await self.dialog.call("DELETE", channel_id, "")
        except CallerGone:
            pass
        except (AriError, OSError, asyncio.TimeoutError) as exc:
            log.warning("could not hang up %s after capture: %s", channel_id, exc,
                        extra={"call": channel_id})

    async def _confirm_caller_id(self, ch: Caller, caller: str) -> str | None:
        try:
            number = self.service.numbers.check(caller)
        except InvalidNumber:
            return None  # withheld or not callable: ask for one
        for _ in range(2):
            digit = await self.dialog.ask(ch, self.prompts.your_number_is
                                          + (f"digits:{number}",) + self.prompts.confirm)
            if digit == "1":
                return number
            if digit == "2":
                return None
        return None

    async def _key_in(self, ch: Caller) -> str | None:
        for _ in range(self.tries):
            typed = await self.dialog.collect(ch, self.prompts.enter_number)
            try:
                number = self.service.numbers.check(typed)
            except InvalidNumber:
                await self.dialog.say(ch, self.prompts.invalid)
                continue
            digit = await self.dialog.ask(ch, self.prompts.you_entered
                                          + (f"digits:{number}",) + self.prompts.confirm)
            if digit == "1":
                return number
        return None
