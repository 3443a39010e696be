"""What the caller hears in capture, and in which language.

Each phrase is an Asterisk sound name; Asterisk plays it from
``<sounds>/<language>/<name>``: Asterisk's core sounds for English, the
generated (or recorded) Mandarin set for ``zh`` (``prompt_sets.py`` lists the
phrases and their wording). The language of a call is the desk's default
(``[callbacks] language``) unless the IVR set ``DESK_LANGUAGE`` on the
channel.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo


log = logging.getLogger(__name__)

from ..desk.callback import LANGUAGES


def call_language(asked: str, default: str) -> str:
    """The language of a call: ``asked`` (DESK_LANGUAGE) when the desk speaks
    it, else ``default``; an unknown value is logged, never played."""
    asked = (asked or "").strip().lower()
    if not asked:
        return default
    if asked in LANGUAGES:
        return asked
    log.warning("DESK_LANGUAGE %r is not one of %s: the caller hears %s",
                asked[:16], ", ".join(LANGUAGES), default)
    return default


@dataclass(frozen=True)
class Prompts:
    """Sound names and the desk's default language (``[callbacks] language``)."""
    language: str
    busy: tuple[str, ...] = ("tt-allbusy",)
    closed: tuple[str, ...] = ("im-sorry", "vm-nobodyavail")
    your_number_is: tuple[str, ...] = ("your", "telephone-number", "is")
    you_entered: tuple[str, ...] = ("you-entered",)
    confirm: tuple[str, ...] = ("if-correct-press", "digits/1", "vm-press", "digits/2",
                                "vm-toenternumber")
    enter_number: tuple[str, ...] = ("vm-enter-num-to-call",)
    invalid: tuple[str, ...] = ("invalid", "please-try-again")
    recorded: tuple[str, ...] = ("num-was-successfully", "added")
    failed: tuple[str, ...] = ("please-try-call-later",)
    goodbye: tuple[str, ...] = ("goodbye",)


def promise(now: datetime, deadline: datetime, zone: tzinfo, sla: timedelta,
            language: str) -> tuple[str, ...]:
    """What the caller is told about when the call comes, from the callback's
    own SLA deadline (the calendar's): "less than N minutes" while the
    deadline is within one SLA of now, else the deadline's local time with
    its day, e.g. a request at 21:30 (closing 22:00) hears "tomorrow 09:30"
    and one at 03:00 "today 10:00"."""
    left = (deadline - now).total_seconds()
    if left <= sla.total_seconds():
        minutes = max(1, math.ceil(left / 60))
        return ("queue-less-than", f"number:{minutes}", "queue-minutes")
    local, today = deadline.astimezone(zone), now.astimezone(zone).date()
    days = (local.date() - today).days
    day = ("digits/today" if days == 0 else "digits/tomorrow" if days == 1
           else f"digits/day-{local.isoweekday() % 7}")
    if language == "zh":  # 我们将在 明天 九点 三十分 之前给您回电
        return ("queue-less-than", day, f"number:{local.hour}", "digits/oclock",
                *((f"number:{local.minute}", "minutes") if local.minute else ()), "desk-before")
    hour = local.hour % 12 or 12  # tomorrow, nine thirty a.m.
    return (day, f"number:{hour}", *((f"number:{local.minute}",) if local.minute else ()),
            "digits/a-m" if local.hour < 12 else "digits/p-m")
