"""Which callbacks are at risk of their SLA now, and which became so.

Every ``every`` seconds the watch reads the unfinished callbacks whose
deadline is at most ``minutes`` away (the store's deadline index, earliest
first) and applies the domain's rule (``desk.callback.at_risk``): never
dialled, deadline near. ``count`` is the gauge
``datadesk_callbacks_at_risk`` (None while Redis is away: no wrong zero).

On the leading replica only (one alert per callback, not one per replica:
``leading`` is the watch's leader-only part), each callback newly at risk
gets an event in the desk's log
(``callback-at-risk``) and an alert handed to ``alert`` (the webhook's
``offer``, which never waits). A callback at risk when a replica takes the
lead is alerted again by the new leader: an alert may repeat, never be
missed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from ..desk.callback import Callback, at_risk
from ..tasks import Worker, periodic
from ..timefmt import for_machines
from .webhook import minutes_left, payload

log = logging.getLogger(__name__)


class DeadlineIndex(Protocol):
    async def open_due_by(self, deadline: float, limit: int = 500) -> list[Callback]: ...


@dataclass(frozen=True)
class RiskRule:
    minutes: int = 15         # [callbacks] at_risk; 0: off
    every: float = 5.0        # seconds between looks


class RiskWatch:
    def __init__(self, store: DeadlineIndex, rule: RiskRule, *,
                 record: Callable[[str, dict[str, str]], Awaitable[object]],
                 alert: Callable[[dict[str, object]], object] | None,
                 clock: Callable[[], float]) -> None:
        self.store, self.rule, self.record, self.alert = store, rule, record, alert
        self.clock = clock
        self.raising = False             # while this replica leads
        self.count: int | None = None
        self.raised = 0                  # callbacks newly at risk, alerted (since start)
        self._seen: set[str] = set()
        self.worker = Worker(self._run, "sla-risk-watch")

    async def _run(self) -> None:
        await periodic(self.check, self.rule.every, name="SLA-risk watch", log=log,
                       failed=self._unknown)

    def _unknown(self) -> None:
        """A look failed (Redis away): no figure rather than a wrong one."""
        self.count = None

    async def check(self) -> list[Callback]:
        """One look; returns the callbacks newly at risk that were raised."""
        if self.rule.minutes <= 0:
            self.count = 0
            return []
        now = self.clock()
        near = await self.store.open_due_by(now + self.rule.minutes * 60)
        risky = [cb for cb in near if at_risk(cb, now, self.rule.minutes)]
        self.count = len(risky)
        if not self.raising:
            return []
        new = [cb for cb in risky if cb.id not in self._seen]
        self._seen = {cb.id for cb in risky}
        for cb in new:
            await self._raise(cb, now)
        return new

    @asynccontextmanager
    async def leading(self) -> AsyncIterator[None]:
        """Raise alerts while the block runs; a callback at risk when it
        starts is raised again (an alert may repeat, never be missed)."""
        self._seen.clear()
        self.raising = True
        try:
            yield
        finally:
            self.raising = False

    async def _raise(self, cb: Callback, now: float) -> None:
        self.raised += 1
        body, deadline = payload(cb, now), for_machines(cb.times.deadline)
        left = minutes_left(cb, now)
        log.warning("callback %s at risk of its SLA: deadline %s, %.1f min left, never "
                    "dialled", cb.id, deadline, left, extra={"callback": cb.id})
        await self.record("callback-at-risk", {"callback": cb.id, "deadline": str(deadline),
                                               "minutes_left": str(left)})
        if self.alert is not None:
            self.alert(body)
