"""The sentences a caller hears about time, as Asterisk sound names: the
estimate or booked slot (``desk.promise.Promise``), the slots offered at
capture, and what a caller with an open callback hears.

Each sentence is said in the call's language, in that language's word
order: Mandarin says the day, then the times, then the verb ("我们将在 明天
九点 到 十点 之间给您回电"); English the verb first ("We will call you back
tomorrow between nine a.m. and ten a.m."). Times are the desk's (``zone``).
Every name here is in both prompt sets (``prompt_sets.py``), each spoken in
its own language; ``sounds_played`` lists every one these can say.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from ..desk.promise import Promise, Slot, Told

# The keys of a slot offer: 1 keeps the time told, 2... choose a slot.
KEEP = "1"
FIRST_SLOT = 2


def clock(when: datetime, language: str) -> tuple[str, ...]:
    """A local time: "九点 三十分" / "nine thirty a.m." ("nine oh five a.m.")."""
    if language == "zh":
        minute = (f"number:{when.minute}", "minutes") if when.minute else ()
        return (f"number:{when.hour}", "digits/oclock", *minute)
    hour = when.hour % 12 or 12
    minute = (() if not when.minute else ("digits/oh", f"number:{when.minute}")
              if when.minute < 10 else (f"number:{when.minute}",))
    return (f"number:{hour}", *minute, "digits/a-m" if when.hour < 12 else "digits/p-m")


def day(when: datetime, now: datetime) -> str:
    """Today, tomorrow, or the weekday (``when`` and ``now`` in one zone)."""
    days = (when.date() - now.date()).days
    return ("digits/today" if days == 0 else "digits/tomorrow" if days == 1
            else f"digits/day-{when.isoweekday() % 7}")


def window(start: datetime, end: datetime, now: datetime, zone: tzinfo, language: str, *,
           tail: bool = True) -> tuple[str, ...]:
    """"明天 九点 到 十点 之间给您回电" / "tomorrow between nine a.m. and ten
    a.m."; ``tail``: Mandarin's closing verb (not inside an offer's list)."""
    start, end, now = start.astimezone(zone), end.astimezone(zone), now.astimezone(zone)
    if language == "zh":
        return (day(start, now), *clock(start, language), "desk-time-to",
                *clock(end, language), *(("desk-time-end",) if tail else ()))
    return (day(start, now), "desk-time-from", *clock(start, language), "desk-time-to",
            *clock(end, language))


def said(promise: Promise, now: datetime, zone: tzinfo, language: str) -> tuple[str, ...]:
    """The whole sentence of a promise, with the apology when it runs past
    the SLA deadline."""
    if promise.told is Told.WITHIN:
        words: tuple[str, ...] = ("desk-time-expect", f"number:{promise.minutes}",
                                  "desk-time-minutes")
    elif promise.told is Told.BETWEEN and promise.end is not None:
        words = ("desk-time-window", *window(promise.start, promise.end, now, zone, language))
    else:
        start = promise.start.astimezone(zone)
        when = (day(start, now.astimezone(zone)), *clock(start, language))
        words = ("desk-time-window", *when, "desk-time-after") if language == "zh" else \
            ("desk-time-window", when[0], "desk-time-after", *when[1:])
    return words + (("desk-time-late",) if promise.late else ())


def offer(slots: Sequence[Slot], now: datetime, zone: tzinfo,
          language: str) -> tuple[str, ...]:
    """"To be called at that time, press 1. For a later time: press 2 for
    <window>, press 3 for ...": one key each, from ``FIRST_SLOT``."""
    words: list[str] = ["desk-time-keep", "desk-time-later"]
    for key, slot in enumerate(slots, FIRST_SLOT):
        words += ["vm-press", f"digits/{key}", "desk-time-slot",
                  *window(slot.start, slot.end, now, zone, language, tail=False)]
    return tuple(words)


def chosen(digit: str, slots: Sequence[Slot]) -> Slot | None | bool:
    """What a key of the offer chose: a slot, None (keep the time told), or
    False for a key that was not offered."""
    if digit == KEEP:
        return None
    if digit.isascii() and digit.isdigit() and \
            FIRST_SLOT <= int(digit) < FIRST_SLOT + len(slots):
        return slots[int(digit) - FIRST_SLOT]
    return False
