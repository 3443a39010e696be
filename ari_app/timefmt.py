"""How times are written wherever someone reads them: one rule.

Every instant is written in ISO 8601 with its offset, never as Unix seconds
and never without a zone:

- for people (the ``datadesk`` command's tables): in the desk's time zone
  (``[calendar] timezone``), to the second, e.g. ``2026-11-30T10:15:00+08:00``;
- for programs (API JSON, logs): in UTC with ``Z``, to the second, e.g.
  ``2026-11-30T02:15:00Z`` (log lines keep milliseconds: ``...02:15:00.123Z``).

Stored times (Redis) stay Unix seconds and are converted here, at the edge;
a stored record that carries a written time (the desk's event log) follows
the rule for programs.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo

Instant = datetime | float | int | str


def parse(value: Instant | None) -> datetime | None:
    """An aware datetime from Unix seconds (number or numeric string), an
    ISO 8601 string with an offset or ``Z``, or an aware datetime; None for
    None or an empty string. A naive datetime or ISO string is refused
    (ValueError): its zone would be a guess."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), timezone.utc)
    else:
        try:
            return datetime.fromtimestamp(float(value), timezone.utc)
        except ValueError:
            when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        raise ValueError(f"time without a zone: {value!r}")
    return when


def for_machines(value: Instant | None, *, milliseconds: bool = False) -> str | None:
    """UTC, ISO 8601 with ``Z`` (None stays None)."""
    when = parse(value)
    if when is None:
        return None
    text = when.astimezone(timezone.utc).isoformat(
        timespec="milliseconds" if milliseconds else "seconds")
    return text.removesuffix("+00:00") + "Z"


def for_people(value: Instant | None, zone: tzinfo) -> str:
    """In ``zone`` (the desk's), ISO 8601 with its offset, to the second;
    "" for no time, and the value as it came if it is not a time at all."""
    try:
        when = parse(value)
    except (ValueError, OverflowError):
        return str(value)
    return "" if when is None else when.astimezone(zone).isoformat(timespec="seconds")
