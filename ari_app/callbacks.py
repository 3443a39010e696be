"""Callback requests: validated, given their deadline, stored.

The one place where a request from a caller (IVR capture) or from a
frontline agent (the API) becomes a stored callback: the number passes the
number policy, the topic is a known topic name, the deadline comes from the
calendar's SLA rule and the first attempt is due at once if the desk is open,
else at its next opening.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from .desk.calendar import ServiceCalendar
from .desk.numbers import InvalidNumber, NumberPolicy
from .desk.topics import TopicCatalogue
from .store.callbacks import CallbackStore
from .store.limits import RateLimits

_TEXT = re.compile(r"^[^\x00-\x1f\x7f]*$")


class RequestError(ValueError):
    """A request that cannot be accepted; the message says which field and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class RateLimited(RequestError):
    """Too many requests (for this number, or in all): try again later."""

    def __init__(self, field: str, message: str, retry_after: int) -> None:
        super().__init__(field, message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RequestLimits:
    per_number_hour: int = 5
    per_minute: int = 120


@dataclass
class Accepted:
    id: str
    created: bool
    number: str
    deadline: datetime
    due: datetime


class CallbacksService:
    def __init__(self, store: CallbackStore, calendar: ServiceCalendar, numbers: NumberPolicy,
                 topics: TopicCatalogue, sla: timedelta, *, limits: RateLimits | None = None,
                 request_limits: RequestLimits = RequestLimits()) -> None:
        self.store = store
        self.limits = limits
        self.request_limits = request_limits
        self.calendar = calendar
        self.numbers = numbers
        self.topics = topics
        self.sla = sla

    def check(self, number: object, topic: object = "", note: object = "",
              agent: object = "") -> tuple[str, str, str, str]:
        """Validate a request's fields; raise ``RequestError`` naming the field."""
        try:
            clean = self.numbers.check(number)
        except InvalidNumber as exc:
            raise RequestError("number", str(exc)) from exc
        if not isinstance(topic, str) or (topic and self.topics.by_name(topic) is None):
            raise RequestError("topic", f"unknown topic {topic!r}")
        for name, value, limit in (("note", note, 500), ("agent", agent, 32)):
            if not isinstance(value, str) or len(value) > limit or not _TEXT.fullmatch(value):
                raise RequestError(name, f"expected text of at most {limit} characters "
                                         "without control characters")
        return clean, topic, note, agent

    async def request(self, *, number: object, topic: object = "", note: object = "",
                      agent: object = "", source: str, now: datetime) -> Accepted:
        clean, topic, note, agent = self.check(number, topic, note, agent)
        if self.limits is not None:
            rl = self.request_limits
            ok, wait = await self.limits.allow("request", clean, rl.per_number_hour, 3600)
            if not ok:
                raise RateLimited("number", f"too many callback requests for {clean} this "
                                            "hour", wait)
            ok, wait = await self.limits.allow("request", "all", rl.per_minute, 60)
            if not ok:
                raise RateLimited("number", "too many callback requests right now", wait)
        deadline = self.calendar.sla_deadline(now, self.sla)
        due = self.calendar.next_opening(now)
        cb_id, created = await self.store.create(
            number=clean, topic=topic, note=note, agent=agent, source=source,
            deadline=deadline.timestamp(), due=due.timestamp(), now=now.timestamp())
        if not created:
            stored = await self.store.get(cb_id)
            if stored:
                deadline = datetime.fromtimestamp(float(stored["deadline"]), deadline.tzinfo)
                due = datetime.fromtimestamp(float(stored["due"]), due.tzinfo)
        return Accepted(cb_id, created, clean, deadline, due)
