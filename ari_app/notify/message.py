"""What a confirmation says: its JSON body and its text, per language. Pure.

The text names the promised time in the desk's zone with its date
("12月8日 14:00至15:00之间" / "between 14:00 and 15:00 on 8 Dec"); the body
carries the same times as ISO 8601 with the desk's offset, the zone's name,
and the customer's whole number (the gateway texts it: it is the operator's
own system, behind its own URL and the shared secret).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from zoneinfo import ZoneInfo

from ..desk.callback import LANGUAGES, Callback
from ..desk.promise import Promise, Told

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


class Event(str, Enum):
    """Why a confirmation is sent."""
    REGISTERED = "callback-registered"
    BOOKED = "callback-booked"
    LATE = "callback-late"
    CANCELLED = "callback-cancelled"


def _at(when: datetime, language: str) -> str:
    """A local date and time: "12月8日 14:00" / "8 Dec 14:00"."""
    if language == "zh":
        return f"{when.month}月{when.day}日 {when:%H:%M}"
    return f"{when.day} {MONTHS[when.month - 1]} {when:%H:%M}"


def when_said(promise: Promise, zone: ZoneInfo, language: str) -> str:
    """The promised time as the text says it, in ``zone``."""
    start = promise.start.astimezone(zone)
    end = promise.end.astimezone(zone) if promise.end is not None else None
    if end is None:
        return f"{_at(start, 'zh')}以后" if language == "zh" else f"after {_at(start, 'en')}"
    if promise.told is Told.WITHIN:
        return f"{_at(end, 'zh')}前" if language == "zh" else f"by {_at(end, 'en')}"
    if language == "zh":
        return f"{_at(start, 'zh')}至{end:%H:%M}之间"
    return f"between {start:%H:%M} and {end:%H:%M} on {start.day} {MONTHS[start.month - 1]}"


TEXTS = {
    Event.REGISTERED: ("数据专席已登记您的回电请求，我们预计在{when}给您回电。",
                       "The data desk has your callback request: we expect to call you "
                       "{when}."),
    Event.BOOKED: ("您已预约数据专席回电，我们将在{when}给您回电。",
                   "Your callback from the data desk is booked: we will call you {when}."),
    Event.LATE: ("很抱歉，我们未能按承诺（{when}）给您回电，我们会尽快与您联系。",
                 "We are sorry: we did not call you {when} as promised. We will call you as "
                 "soon as we can."),
    Event.CANCELLED: ("您的数据专席回电请求已取消。",
                      "Your callback request to the data desk is cancelled."),
}


def text(event: Event, promise: Promise | None, zone: ZoneInfo, language: str) -> str:
    """The confirmation's text in ``language`` (the desk's if not one it speaks)."""
    language = language if language in LANGUAGES else "zh"
    template = TEXTS[event][LANGUAGES.index(language)]
    when = when_said(promise, zone, language) if promise is not None else ""
    return template.format(when=when)


def body(event: Event, cb: Callback, promise: Promise | None, zone: ZoneInfo,
         default_language: str, now: datetime) -> dict[str, object]:
    """The JSON body (its named fields are the gateway's contract). The
    callback's language is read from the store: one the desk does not speak
    is sent as ``default_language``, never as written."""
    language = cb.request.language if cb.request.language in LANGUAGES else default_language
    local = (lambda t: t.astimezone(zone).isoformat(timespec="seconds"))
    return {
        "event": event.value, "callback_id": cb.id, "number": cb.request.number,
        "language": language, "text": text(event, promise, zone, language),
        "promised": None if promise is None else {
            "from": local(promise.start), "by": local(promise.end) if promise.end else None,
            "booked": bool(promise.booking.value)},
        "zone": zone.key, "at": now.astimezone(zone).isoformat(timespec="seconds"),
    }
