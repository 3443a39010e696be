"""Callback requests: validated, given their deadline, stored.

The one place where a request from a caller (IVR capture) or from a
frontline agent (the API) becomes a stored callback: the number passes the
number policy, the topic is a known topic name, the deadline comes from the
calendar's SLA rule and the first attempt is due at once if the desk is open,
else at its next opening. Text fields (topic, note, agent) hold visible text
only: controls, format characters and line separators are refused.

It is also the one way from the API, the wallboard, /metrics and the spool
import to stored callbacks (list, show, count, cancel, import once): ids are
checked here, once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .booking import NoRoom, choose, promise_of, slot_from
from .clock import utc
from .desk.calendar import ServiceCalendar
from .desk.callback import LANGUAGES, Callback, Cancel, Cancellation, Promised
from .desk.numbers import InvalidNumber, NumberPolicy
from .desk.promise import Promise, Slot
from .desk.topics import TopicCatalogue
from .ports import SlotFull
from .notify.message import Event
from .promises import Promises
from .store.callback_store import CallbackStore
from .store.limits import RateLimits

# Characters a reader cannot see, or that change how the text around them is
# shown (C0/C1 controls incl. CSI U+009B, bidi overrides such as U+202E, zero-
# width and other format characters, line/paragraph separators U+2028/9), and
# lone surrogates, which cannot even be stored as UTF-8. Refused, never stripped:
# text that holds them was not typed to be read as it looks.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# A callback's id as the store makes them ("cb" and its sequence number).
CALLBACK_ID = re.compile(r"^cb[0-9]{1,12}$")
NOTE_LENGTH = 500
AGENT_LENGTH = 32
TOPIC_LENGTH = 64


class RequestError(ValueError):
    """A request that cannot be accepted; the message says which field and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def invisible_character(text: str) -> tuple[int, str] | None:
    """The first refused character in ``text`` as (position, ``U+XXXX``), or None."""
    for position, char in enumerate(text):
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            return position, f"U+{ord(char):04X}"
    return None


def check_text(field: str, value: object, limit: int) -> str:
    """``value`` if it is a string of at most ``limit`` characters, none of them
    refused; else ``RequestError`` naming ``field``, the character and where."""
    if not isinstance(value, str) or len(value) > limit:
        raise RequestError(field, f"expected text of at most {limit} characters")
    found = invisible_character(value)
    if found is not None:
        raise RequestError(field, f"invisible or control character {found[1]} at position "
                                  f"{found[0]} (controls, format characters and line "
                                  "separators are refused)")
    return value


class SlotTaken(RequestError):
    """The slot asked for is full (or filled meanwhile); ``offers``: the
    next slots with room."""

    def __init__(self, message: str, offers: list[Slot]) -> None:
        super().__init__("not_before", message)
        self.offers = offers


class RateLimited(RequestError):
    """Too many requests (for this number, or in all): try again later."""

    def __init__(self, field: str, message: str, retry_after: int) -> None:
        super().__init__(field, message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RequestLimits:
    """Requests per number per hour and in all per minute, counted in ``rates``
    (``[callbacks]`` requests_per_number_hour, requests_per_minute)."""
    rates: RateLimits
    per_number_hour: int
    per_minute: int


@dataclass
class Accepted:
    id: str
    created: bool
    number: str
    deadline: datetime
    due: datetime
    # What the customer was told (the stored callback's: a repeat request
    # keeps the first promise unless it books); None without promises.
    promise: Promise | None = None


def _promised(told: Promise | None) -> Promised:
    """A promise as the store keeps it."""
    if told is None:
        return Promised()
    return Promised(told.told, told.start.timestamp(),
                    None if told.end is None else told.end.timestamp(), told.booking)


class CallbacksService:
    def __init__(self, store: CallbackStore, calendar: ServiceCalendar, numbers: NumberPolicy,
                 topics: TopicCatalogue, sla: timedelta, *,
                 limits: RequestLimits | None = None) -> None:
        """``limits``: None for none."""
        self.store, self.limits = store, limits
        self.calendar, self.numbers, self.topics, self.sla = calendar, numbers, topics, sla
        # Called (awaited, must not raise) once per newly stored callback.
        self.on_created: Callable[[], Awaitable[None]] | None = None
        # The estimate and the slots (None: only the deadline is known).
        self.promises: Promises | None = None
        # Queues a confirmation to the customer (awaited, must not raise; None: none).
        self.confirm: Callable[[Event, Callback], Awaitable[None]] | None = None

    def check(self, number: object, topic: object = "", note: object = "",
              agent: object = "") -> tuple[str, str, str, str]:
        """Validate a request's fields; raise ``RequestError`` naming the field."""
        try:
            clean = self.numbers.check(number)
        except InvalidNumber as exc:
            raise RequestError("number", str(exc)) from exc
        topic = check_text("topic", topic, TOPIC_LENGTH)
        if topic and self.topics.by_name(topic) is None:
            raise RequestError("topic", f"unknown topic {topic!r}")
        return (clean, topic, check_text("note", note, NOTE_LENGTH),
                check_text("agent", agent, AGENT_LENGTH))

    async def request(self, *, number: object, topic: object = "", note: object = "",
                      agent: object = "", source: str, now: datetime,
                      language: str = "", slot: Slot | None = None) -> Accepted:
        """``language``: the customer's, as captured (zh, en), kept with the
        callback so the customer is called back in it. ``slot``: the one the
        customer chose (``SlotTaken`` if it filled meanwhile); a request for a
        number with an open callback moves that callback to it."""
        clean, topic, note, agent = self.check(number, topic, note, agent)
        if language not in ("", *LANGUAGES):
            raise RequestError("language", f"unknown language {language!r}")
        await self._within_limits(clean)
        deadline = self.calendar.sla_deadline(now, self.sla)
        due = self.calendar.next_opening(now)
        for _ in range(3):   # a morning slot that filled meanwhile: the next one
            chosen = await choose(self.promises, now, deadline, slot)
            told = chosen.promise
            booked_ = told is not None and chosen.room is not None and told.end is not None
            try:
                cb_id, created = await self.store.create(
                    number=clean, topic=topic, note=note, agent=agent, source=source,
                    deadline=(told.end if booked_ else deadline).timestamp(),
                    due=(told.start if booked_ else due).timestamp(), now=now.timestamp(),
                    language=language, promised=_promised(told), room=chosen.room)
                break
            except SlotFull:
                if slot is not None:
                    raise SlotTaken("the slot chosen has just filled", []) from None
        else:
            raise RequestError("number", "no slot with room could be booked; try again")
        if created and self.on_created is not None:  # the daily figures
            await self.on_created()
        stored = await self.store.get(cb_id)
        if stored is None:
            return Accepted(cb_id, created, clean, deadline, due, told)
        moved = slot is not None and stored.times.due == slot.start.timestamp()
        if self.confirm is not None and (created or moved):
            await self.confirm(Event.BOOKED if stored.booked else Event.REGISTERED, stored)
        return Accepted(cb_id, created, clean, utc(stored.times.deadline),
                        utc(stored.times.due), promise_of(stored))

    async def _within_limits(self, number: str) -> None:
        rl = self.limits
        if rl is None:
            return
        ok, wait = await rl.rates.allow("request", number, rl.per_number_hour, 3600)
        if not ok:
            raise RateLimited("number", f"too many callback requests for {number} this "
                                        "hour", wait)
        ok, wait = await rl.rates.allow("request", "all", rl.per_minute, 60)
        if not ok:
            raise RateLimited("number", "too many callback requests right now", wait)

    async def preview(self, now: datetime) -> Promise | None:
        """What a request made now would be told (the capture says it before
        the caller confirms); None without promises."""
        return (await choose(self.promises, now, self.calendar.sla_deadline(now, self.sla),
                             None)).promise

    async def slot_from(self, not_before: object, now: datetime, number: str) -> Slot:
        """The slot the API's ``not_before`` books for ``number`` (checked);
        ``RequestError`` naming ``not_before`` when it may not be,
        ``SlotTaken`` when it is full."""
        if self.promises is None:
            raise RequestError("not_before", "booking is not available")
        try:
            return await slot_from(not_before, self.promises, now,
                                   await self.store.open_for(number))
        except NoRoom as exc:
            raise SlotTaken(str(exc), exc.offers) from None
        except ValueError as exc:
            raise RequestError("not_before", str(exc)) from None

    async def request_once(self, key: str, keep: int, *, number: object, topic: str,
                           source: str, now: datetime, language: str = "") -> Accepted | None:
        """``request``, for a request from outside the store named ``key``
        (an AstDB spool entry): None when one of that name was stored in the
        last ``keep`` seconds, so it is never stored twice (a finished
        callback would otherwise be created anew, its customer called again)."""
        if await self.store.imported(key):
            return None
        accepted = await self.request(number=number, topic=topic, source=source, now=now,
                                      language=language)
        await self.store.mark_imported(key, accepted.id, keep)
        return accepted

    # -- reading and cancelling: the API, the wallboard and the CLI come here --
    async def get(self, cb_id: object) -> Callback | None:
        """The callback of that id; None for none, or for an id of no valid shape."""
        if not isinstance(cb_id, str) or not CALLBACK_ID.fullmatch(cb_id):
            return None
        return await self.store.get(cb_id)

    async def topic_of(self, cb_id: str) -> str:
        """The topic of that callback ("" for none): what its recording names."""
        cb = await self.get(cb_id)
        return cb.request.topic if cb is not None else ""

    async def open_for(self, number: object) -> Callback | None:
        """The number's unfinished callback, if any; ``RequestError`` naming
        ``number`` for one the number policy refuses."""
        try:
            clean = self.numbers.check(number)
        except InvalidNumber as exc:
            raise RequestError("number", str(exc)) from exc
        return await self.store.open_for(clean)

    async def history(self, cb_id: str) -> list[dict[str, str]]:
        """Every event of the callback, oldest first (empty for an unknown id)."""
        if not CALLBACK_ID.fullmatch(cb_id):
            return []
        return await self.store.history(cb_id)

    async def open_callbacks(self, limit: int = 100, offset: int = 0) -> list[Callback]:
        """Unfinished callbacks, earliest deadline first."""
        return await self.store.open_callbacks(limit=limit, offset=offset)

    async def count_open(self) -> int:
        return await self.store.count_open()

    async def count_overdue(self, at: float) -> int:
        """Unfinished callbacks whose deadline (Unix s) is before ``at``."""
        return await self.store.count_overdue(at)

    async def cancel(self, cb_id: object, reason: str = "cancelled by request"
                     ) -> Cancellation:
        """Cancel a callback (one being dialled finishes its attempt, no more follow)."""
        if not isinstance(cb_id, str) or not CALLBACK_ID.fullmatch(cb_id):
            return Cancellation(Cancel.MISSING)
        done = await self.store.cancel(cb_id, reason=reason)
        if done.result is Cancel.CANCELLED and self.confirm is not None:
            cancelled = await self.store.get(cb_id)
            if cancelled is not None:
                await self.confirm(Event.CANCELLED, cancelled)
        return done
