"""The wall clock the controller reads (one place, so tests can pass their own)."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def utc(ts: float) -> datetime:
    """Unix seconds (as stored) as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, timezone.utc)
