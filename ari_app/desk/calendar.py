"""The desk's service calendar: opening hours, holidays, the SLA deadline.

All instants are timezone-aware ``datetime`` objects; the calendar works in
its own zone (default Asia/Shanghai, which has no DST) whatever zone an
instant comes in. Opening spans are half-open: open at 09:00:00, closed at
22:00:00.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class CalendarError(ValueError):
    """A calendar value that cannot be used (bad hours, a desk never open)."""


@dataclass(frozen=True)
class Span:
    """Opening hours of one day, [start, end) in local time."""
    start: time
    end: time  # time.max stands for 24:00

    @classmethod
    def parse(cls, text: str) -> "Span | None":
        """``"09:00-22:00"`` -> Span; ``"closed"`` -> None."""
        text = text.strip()
        if text.lower() == "closed":
            return None
        m = _SPAN.fullmatch(text)
        if not m:
            raise CalendarError(f"hours {text!r}: expected HH:MM-HH:MM or 'closed'")
        start = time(int(m[1]), int(m[2]))
        end = time.max if (m[3], m[4]) == ("24", "00") else None
        if end is None:
            if m[3] == "24":
                raise CalendarError(f"hours {text!r}: 24:MM is only valid as 24:00")
            end = time(int(m[3]), int(m[4]))
        if end <= start:
            raise CalendarError(f"hours {text!r}: the end must be after the start "
                                "(spans over midnight are not supported)")
        return cls(start, end)


@dataclass(frozen=True)
class ServiceCalendar:
    zone: ZoneInfo
    week: tuple[Span | None, ...]      # Monday first, 7 entries
    holidays: frozenset[date] = frozenset()

    @classmethod
    def build(cls, timezone: str = "Asia/Shanghai", hours: str = "09:00-22:00",
              weekday_hours: dict[str, str] | None = None,
              holidays: list[str] | tuple[str, ...] = ()) -> "ServiceCalendar":
        try:
            zone = ZoneInfo(timezone)
        except Exception as exc:  # ZoneInfoNotFoundError, ValueError
            raise CalendarError(f"timezone {timezone!r}: unknown") from exc
        default = Span.parse(hours)
        week = [default] * 7
        for day, text in (weekday_hours or {}).items():
            if day not in WEEKDAYS:
                raise CalendarError(f"weekday {day!r}: expected one of {', '.join(WEEKDAYS)}")
            week[WEEKDAYS.index(day)] = Span.parse(text)
        days = set()
        for text in holidays:
            try:
                days.add(date.fromisoformat(text))
            except ValueError as exc:
                raise CalendarError(f"holiday {text!r}: expected YYYY-MM-DD") from exc
        if not any(week):
            raise CalendarError("the desk is never open: every weekday is closed")
        return cls(zone, tuple(week), frozenset(days))

    def span_on(self, day: date) -> tuple[datetime, datetime] | None:
        """The opening span of a local day as aware instants, or None if closed."""
        if day in self.holidays:
            return None
        span = self.week[day.weekday()]
        if span is None:
            return None
        start = datetime.combine(day, span.start, self.zone)
        end = (datetime.combine(day + timedelta(days=1), time(0), self.zone)
               if span.end == time.max else datetime.combine(day, span.end, self.zone))
        return start, end

    def is_open(self, now: datetime) -> bool:
        local = now.astimezone(self.zone)
        span = self.span_on(local.date())
        return span is not None and span[0] <= local < span[1]

    def _spans_from(self, now: datetime, max_days: int = 400):
        """Opening spans that end after ``now``, in order."""
        local = now.astimezone(self.zone)
        for offset in range(max_days):
            span = self.span_on(local.date() + timedelta(days=offset))
            if span is not None and span[1] > local:
                yield span
        raise CalendarError(f"no opening within {max_days} days of {local:%Y-%m-%d}")

    def spans_from(self, now: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Opening spans (start, end) that end after ``now``, in order (within
        400 days: ``CalendarError`` past that)."""
        return self._spans_from(now)

    def next_opening(self, now: datetime) -> datetime:
        """``now`` if the desk is open, else the start of the next opening."""
        start, _end = next(self._spans_from(now))
        return max(start, now.astimezone(self.zone))

    def sla_deadline(self, requested: datetime, sla: timedelta) -> datetime:
        """When a callback requested at ``requested`` must have been placed.

        The SLA runs in opening time only: a request made while open gets
        ``sla`` from the request (60 min by default); one made while closed
        gets ``sla`` from the next opening (23:30 -> 10:00 next day). A request
        made close to closing time carries the rest into the next opening
        (21:30 -> 09:30 next day), since no specialist is there to call after
        22:00.
        """
        if sla <= timedelta(0):
            raise CalendarError("the SLA must be positive")
        return self.after_opening_time(requested, sla)

    def after_opening_time(self, start: datetime, span: timedelta) -> datetime:
        """The instant ``span`` of opening time after ``start`` (closed time
        does not count; ``span`` 0: the next opening, or ``start`` if open)."""
        left = max(span, timedelta(0))
        for begin, end in self._spans_from(start):
            begin = max(begin, start.astimezone(self.zone))
            if begin + left <= end:
                return begin + left
            left -= end - begin
        raise CalendarError("unreachable")  # pragma: no cover - _spans_from raises first
