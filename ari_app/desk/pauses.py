"""Pause reasons: codes with a name in each screen language, and the time
each seat spends paused by reason. Pure: no I/O.

Asterisk reports a member's ``PausedReason`` as the dialplan set it
(``DESK_PAUSE_REASON_<n>`` in extensions.conf names the codes: ``*8635``
pauses with ``lunch``), or as anyone with AMI ``agent`` rights typed it:
only a configured code is kept, anything else is ``other``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

# Code -> (Simplified Chinese, English): [desk] pause_reasons' defaults.
DEFAULT_PAUSE_REASONS: dict[str, tuple[str, ...]] = {
    "break": ("小休", "break"),
    "wrap-up": ("话后处理", "wrap-up"),
    "training": ("培训", "training"),
    "meeting": ("会议", "meeting"),
    "lunch": ("用餐", "lunch"),
    "other": ("其他", "other"),
}
OTHER = "other"


def reason_code(reason: str, codes: frozenset[str] | set[str]) -> str:
    """The configured code Asterisk's ``reason`` names, else ``other``."""
    return reason if reason in codes else OTHER


@dataclass(frozen=True)
class Pause:
    """One finished pause of a seat: reason code, from ``start`` to ``end``
    (Unix seconds)."""
    agent_id: str
    code: str
    start: float
    end: float


@dataclass
class PauseLedger:
    """The seats' pauses under way, from the board's changes."""
    codes: frozenset[str]
    under_way: dict[str, tuple[str, float]] = field(default_factory=dict)

    def seen(self, agent_id: str, paused: bool, reason: str, since: float,
             now: float) -> list[Pause]:
        """A seat as the board now shows it (``since``: when its state began);
        the pauses that this change ended (a new reason ends the old one)."""
        code = reason_code(reason, self.codes) if paused else None
        was = self.under_way.get(agent_id)
        ended = []
        if was is not None and was[0] != code:
            ended.append(Pause(agent_id, was[0], was[1], max(was[1], now)))
            del self.under_way[agent_id]
        if code is not None and (was is None or was[0] != code):
            self.under_way[agent_id] = (code, min(since, now) if was is None else now)
        return ended

    def ongoing(self, agent_id: str, now: float, day_start: float) -> tuple[str, float] | None:
        """The pause under way for ``agent_id``: its code and its seconds since
        ``day_start`` (the part of it that is today's)."""
        was = self.under_way.get(agent_id)
        if was is None:
            return None
        return was[0], max(0.0, now - max(was[1], day_start))


def by_day(start: float, end: float, zone: ZoneInfo) -> list[tuple[date, int]]:
    """``start``..``end`` (Unix seconds) cut at the desk's midnights: each
    day with its whole seconds."""
    out: list[tuple[date, int]] = []
    at = start
    while at < end:
        local = datetime.fromtimestamp(at, zone)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(),
                                    zone).timestamp()
        upto = min(end, midnight)
        out.append((local.date(), round(upto - at)))
        at = upto
    return [(d, s) for d, s in out if s > 0]
