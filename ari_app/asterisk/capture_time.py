"""What the capture says and asks about time (``capture.py`` runs these):

* ``preview``: before the caller confirms, when the desk expects to call
  (the service's ``preview``: the estimate, or a morning slot while closed);
* ``offer``: once the callback is stored, the next slots with room, one key
  each from 2 (1, or no key, keeps the time told); a key that was not
  offered is answered "not one of the choices" and asked again once, then
  the time told stands;
* ``returning``: a caller transferred again while their callback is open
  hears its time and keeps it (1, or no key) or cancels it (2), instead of
  a second capture.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from redis.exceptions import RedisError

from ..booking import promise_of
from ..desk.callback import Callback
from ..desk.promise import Booking, Promise, Told
from ..service import Accepted, CallbacksService, SlotTaken
from . import told
from .ivr import Caller, Dialog

log = logging.getLogger(__name__)
KEEP, CANCEL = "1", "2"


class TimeSteps:
    def __init__(self, dialog: Dialog, service: CallbacksService,
                 clock: Callable[[], datetime]) -> None:
        self.dialog, self.service, self.clock = dialog, service, clock
        self.zone = service.calendar.zone

    def said(self, promise: Promise | None, language: str) -> tuple[str, ...]:
        """The sentence of ``promise`` (nothing when none was made)."""
        return () if promise is None else told.said(promise, self.clock(), self.zone, language)

    async def preview(self, ch: Caller) -> None:
        """Say when the desk expects to call, before the caller confirms
        (nothing, when the store cannot say: the capture goes on, and the
        request meets the store's fault where it is stored)."""
        try:
            promise = await self.service.preview(self.clock())
        except (RedisError, OSError) as exc:
            log.info("time not told before confirming: the store is unavailable (%s)", exc,
                     extra={"call": ch.id})
            return
        await self.dialog.say(ch, self.said(promise, ch.language))

    async def offer(self, ch: Caller, accepted: Accepted, topic: str) -> Accepted:
        """Offer the next slots with room after the time told; the callback
        as it stands after the caller's key (moved to a slot, or as it was)."""
        promises, promise = self.service.promises, accepted.promise
        if promises is None or promise is None or promises.rules.offered <= 0:
            return accepted
        now = self.clock()
        try:
            slots = await promises.slots(now, promise.end or promise.start,
                                         promises.rules.offered)
        except (RedisError, OSError):
            return accepted   # stored already: the time told stands
        if not slots:
            return accepted
        question = told.offer(slots, now, self.zone, ch.language)
        for attempt in range(2):
            choice = told.chosen(await self.dialog.ask(ch, question), slots)
            if choice is not False:
                break
            await self.dialog.say(ch, ("desk-time-not-offered",))
        if not choice:          # 1, no key, or a wrong key twice: the time told stands
            return accepted
        try:
            return await self.service.request(number=accepted.number, topic=topic, source="ivr",
                                              now=self.clock(), language=ch.language,
                                              slot=choice)
        except (SlotTaken, RedisError, OSError) as exc:
            log.info("callback %s: the slot chosen was not booked (%s); the time told stands",
                     accepted.id, exc, extra={"callback": accepted.id, "call": ch.id})
            return accepted

    async def returning(self, ch: Caller, cb: Callback) -> None:
        """The caller has an open callback: say its time, keep it or cancel it."""
        question = ("desk-time-already", *self.said(await self._retold(cb), ch.language),
                    "desk-time-keep-or-cancel")
        for attempt in range(2):
            digit = await self.dialog.ask(ch, question)
            if digit in (KEEP, CANCEL, ""):
                break
            await self.dialog.say(ch, ("desk-time-not-offered",))
        if digit == CANCEL:
            try:
                done = await self.service.cancel(cb.id, "cancelled by the customer on a "
                                                        "repeat transfer")
            except (RedisError, OSError) as exc:
                log.error("callback %s NOT cancelled (%s): the store is unavailable; the "
                          "caller was told to call again", cb.id, exc,
                          extra={"callback": cb.id, "call": ch.id})
                await self.dialog.say(ch, ("please-try-call-later", "goodbye"))
                return
            log.info("callback %s cancelled by the customer on a repeat transfer (%s)", cb.id,
                     done.result.value, extra={"callback": cb.id, "call": ch.id})
            await self.dialog.say(ch, ("desk-time-cancelled", "goodbye"))
            return
        log.info("callback %s kept by the customer on a repeat transfer", cb.id,
                 extra={"callback": cb.id, "call": ch.id})
        await self.dialog.say(ch, ("desk-time-kept", "goodbye"))

    async def _retold(self, cb: Callback) -> Promise | None:
        """The callback's time as it stands now: its slot; the minutes left
        of a time still ahead; else a fresh estimate from its deadline."""
        now, promise = self.clock(), promise_of(cb)
        if promise is not None and (promise.booking is not Booking.NONE or (
                promise.end is not None and promise.end > now and promise.told is not Told.WITHIN)):
            return promise
        if promise is not None and promise.told is Told.WITHIN and promise.end is not None \
                and promise.end > now:
            left = max(5, math.ceil((promise.end - now).total_seconds() / 300) * 5)
            return replace(promise, start=now, end=now + timedelta(minutes=left), minutes=left)
        if self.service.promises is None:
            return None
        deadline = datetime.fromtimestamp(cb.times.deadline, timezone.utc)
        return await self.service.promises.estimate(now, max(deadline, now))
