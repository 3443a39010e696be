"""Recording what became of attempts: the store's write under the claim's
fence, the retry rule, the SLA verdict, and the counters /metrics reads."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from ..desk.callback import Outcome, Refused, Sla, Stale, Status, after_attempt
from ..store.records import shown
from .config import DialerPorts, DialerRules

log = logging.getLogger("ari_app.dialer")


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


class Recorder:
    def __init__(self, ports: DialerPorts, rules: DialerRules, clock: Callable[[], float],
                 wake: Callable[[], None]) -> None:
        self.store, self.stats, self.limits = ports.store, ports.stats, ports.limits
        self.rules, self.clock, self.wake = rules, clock, wake
        # Attempts that could not be placed, by why, since start (/metrics).
        self.not_placed: Counter[str] = Counter()
        self.sla: Counter[str] = Counter()   # met / breached, since start

    async def not_placed_(self, cb: Mapping[str, str], why: str, reason: str) -> None:
        """End a claimed callback ``failed``: this attempt cannot be placed."""
        self.not_placed[why] += 1
        log.error("callback %s: NOT dialled (%s): %s; number %r; the callback is failed",
                  shown(cb["id"]), why, reason, cb.get("number"), extra={"callback": cb["id"]})
        await self.store.finish(cb["id"], cb["fence"], status=Status.FAILED.value,
                                reason=reason, outcome=Outcome.NOT_PLACED.value, event="not-placed",
                                now=self.clock())
        self.wake()

    def refused(self, refusal: Refused) -> None:
        """A due callback the store ended ``failed`` instead of handing it
        out (its record disagrees with its key, or its tries are used up):
        one ERROR line naming it, and the metric."""
        self.not_placed[refusal.why] += 1
        log.error("callback %s: NOT dialled (%s): %s; the callback is failed",
                  shown(refusal.id), refusal.why, refusal.reason,
                  extra={"callback": refusal.id[:64]})
        self.wake()

    async def requeue(self, cb: Mapping[str, str], cause: str) -> Status | Stale:
        """An attempt that never reached a seat (its lease ran out): a time no
        seat took it, under the retry rule like any other, so a callback
        that keeps coming back this way runs out of seat tries."""
        return await self.finish(cb, Outcome.SEAT_NO_ANSWER, dialled_at=None,
                                 event="requeued", cause=cause)

    async def may_originate(self, cb: Mapping[str, str]) -> bool:
        """The toll-fraud guard: too many calls to one number, or in all, wait."""
        if self.limits is None:
            return True
        timing = self.rules.timing
        for subject, limit, window in ((cb["number"], timing.per_number_day, 86400),
                                       ("all", timing.per_minute, 60)):
            ok, wait = await self.limits.allow("originate", subject, limit, window)
            if not ok:
                log.warning("callback %s: NOT dialled: origination limit for %s reached "
                            "(%d per %d s); next try in %d s", cb["id"],
                            "this number" if subject != "all" else "all numbers", limit,
                            window, wait, extra={"callback": cb["id"]})
                await self.store.finish(cb["id"], cb["fence"], status=Status.OPEN.value,
                                        due=self.clock() + min(wait, 3600),
                                        reason="origination rate limit reached",
                                        event="deferred", now=self.clock())
                return False
        return True

    async def finish(self, cb: Mapping[str, str], outcome: Outcome, *,
                     dialled_at: float | None, answered_at: float | None = None,
                     event: str = "attempt", cause: str = "") -> Status | Stale:
        """Record an attempt's outcome; returns the stored status (or a
        ``Stale``). ``cause``, if given, heads the stored reason."""
        now = self.clock()
        deadline = float(cb["deadline"])
        reached = outcome.reached_customer
        attempts = int(cb.get("attempts") or 0) + (1 if reached else 0)
        # Every claim is a try (this one included); those that rang nobody were the seats'.
        seat_failures = max(int(cb.get("tries") or 0) - attempts, 0)
        nxt = after_attempt(outcome, attempts, utc(now), utc(deadline), self.rules.retry,
                            seat_failures=seat_failures)
        reason = f"{cause}; {nxt.reason}" if cause else nxt.reason
        first = cb.get("first_dialled") or (dialled_at if reached else None)
        sla = Sla.of(float(first), deadline) if reached and not cb.get("sla") and \
            first is not None else None
        stored = await self.store.finish(
            cb["id"], cb["fence"], status=nxt.status.value,
            due=nxt.due.timestamp() if nxt.due else 0, reason=reason,
            outcome=outcome.value, reached=reached, sla=sla.value if sla else "",
            first_dialled=dialled_at if reached else None,
            answered_at=answered_at, event=event, now=now)
        if not isinstance(stored, Stale):
            await self._count(cb, outcome, sla, reason,
                              nxt_failed=nxt.status.value == "failed")
        log.info("callback %s: attempt %s %s -> %s (%s)", cb["id"], cb["fence"], outcome.value,
                 stored.value, reason, extra={"callback": cb["id"]})
        self.wake()
        return stored

    async def _count(self, cb: Mapping[str, str], outcome: Outcome, sla: Sla | None,
                     reason: str, nxt_failed: bool = False) -> None:
        if outcome is Outcome.REFUSED:
            self.not_placed["dialplan-refused"] += 1
            log.error("callback %s: NOT dialled: %s; number %r; the callback is failed",
                      cb["id"], reason, cb.get("number"), extra={"callback": cb["id"]})
        if sla is not None:
            self.sla[sla.value] += 1
            if self.stats is not None:
                await self.stats.add(f"sla_{sla.value}")
        if outcome.reached_customer and self.stats is not None:
            await self.stats.add("callbacks_made")
        if nxt_failed and self.stats is not None:
            await self.stats.add("callbacks_failed")
