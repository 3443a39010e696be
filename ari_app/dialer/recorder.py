"""Recording what became of attempts: the store's write under the claim's
fence, the retry rule, the SLA verdict, and the counters /metrics reads."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from ..clock import utc
from ..desk.callback import (Callback, Outcome, Refused, Sla, Stale, Status, Unreadable,
                             after_attempt)
from ..store.records import shown
from .config import DialerPorts, DialerRules

log = logging.getLogger("ari_app.dialer")


class Recorder:
    def __init__(self, ports: DialerPorts, rules: DialerRules, clock: Callable[[], float],
                 wake: Callable[[], None]) -> None:
        self.store, self.stats, self.limits = ports.store, ports.stats, ports.limits
        self.rules, self.clock, self.wake = rules, clock, wake
        # Attempts that could not be placed, by why, since start (/metrics).
        self.not_placed: Counter[str] = Counter()
        self.sla: Counter[str] = Counter()   # met / breached, since start

    async def not_placed_(self, cb: Callback | Unreadable, why: str, reason: str) -> None:
        """End a claimed callback ``failed``: this attempt cannot be placed
        (an ``Unreadable`` record ends under its claim's fence all the same)."""
        fence, number = (cb.fence, cb.number) if isinstance(cb, Unreadable) else \
            (cb.progress.fence, cb.request.number)
        self.not_placed[why] += 1
        log.error("callback %s: NOT dialled (%s): %s; number %r; the callback is failed",
                  shown(cb.id), why, reason, number, extra={"callback": cb.id[:64]})
        await self.store.finish(cb.id, fence, status=Status.FAILED, reason=reason,
                                outcome=Outcome.NOT_PLACED, event="not-placed", now=self.clock())
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

    async def requeue(self, cb: Callback, cause: str) -> Status | Stale:
        """An attempt that never reached a seat (its lease ran out): a time no
        seat took it, under the retry rule like any other, so a callback
        that keeps coming back this way runs out of seat tries."""
        return await self.finish(cb, Outcome.SEAT_NO_ANSWER, dialled_at=None,
                                 event="requeued", cause=cause)

    async def not_yet(self, cb: Callback) -> Status | Stale:
        """A claimed callback whose due time (a booked slot's start) has not
        come: never dialled before it; back to wait until then. The store
        promotes only what is due, so only a record changed behind its back
        gets here: one WARNING names it."""
        log.warning("callback %s: claimed before its time (due %s); NOT dialled, back to "
                    "wait until then", cb.id, utc(cb.times.due).isoformat(),
                    extra={"callback": cb.id})
        return await self.store.finish(cb.id, cb.progress.fence, status=Status.OPEN,
                                       due=cb.times.due, reason="not dialled before its time",
                                       event="deferred", now=self.clock())

    async def may_originate(self, cb: Callback) -> bool:
        """The toll-fraud guard: too many calls to one number, or in all, wait."""
        if self.limits is None:
            return True
        timing = self.rules.timing
        for subject, limit, window in ((cb.request.number, timing.per_number_day, 86400),
                                       ("all", timing.per_minute, 60)):
            ok, wait = await self.limits.allow("originate", subject, limit, window)
            if not ok:
                log.warning("callback %s: NOT dialled: origination limit for %s reached "
                            "(%d per %d s); next try in %d s", cb.id,
                            "this number" if subject != "all" else "all numbers", limit,
                            window, wait, extra={"callback": cb.id})
                await self.store.finish(cb.id, cb.progress.fence, status=Status.OPEN,
                                        due=self.clock() + min(wait, 3600),
                                        reason="origination rate limit reached",
                                        event="deferred", now=self.clock())
                return False
        return True

    async def finish(self, cb: Callback, outcome: Outcome, *,
                     dialled_at: float | None, answered_at: float | None = None,
                     event: str = "attempt", cause: str = "") -> Status | Stale:
        """Record an attempt's outcome; returns the stored status (or a
        ``Stale``). ``cause``, if given, heads the stored reason."""
        now, deadline = self.clock(), cb.times.deadline
        reached = outcome.reached_customer
        attempts = cb.progress.attempts + (1 if reached else 0)
        # Every claim is a try (this one included); those that rang nobody were the seats'.
        seat_failures = max(cb.progress.tries - attempts, 0)
        nxt = after_attempt(outcome, attempts, utc(now), utc(deadline), self.rules.retry,
                            seat_failures=seat_failures)
        reason = f"{cause}; {nxt.reason}" if cause else nxt.reason
        first = cb.result.first_dialled if cb.result.first_dialled is not None else \
            (dialled_at if reached else None)
        sla = Sla.of(first, deadline) if reached and cb.result.sla is None and \
            first is not None else None
        stored = await self.store.finish(
            cb.id, cb.progress.fence, status=nxt.status,
            due=nxt.due.timestamp() if nxt.due else 0, reason=reason, outcome=outcome,
            reached=reached, sla=sla, first_dialled=dialled_at if reached else None,
            answered_at=answered_at, event=event, now=now)
        if not isinstance(stored, Stale):
            await self._count(cb, outcome, sla, reason, nxt_failed=nxt.status is Status.FAILED)
        log.info("callback %s: attempt %s %s -> %s (%s)", cb.id, cb.progress.fence,
                 outcome.value, stored.value, reason, extra={"callback": cb.id})
        self.wake()
        return stored

    async def _count(self, cb: Callback, outcome: Outcome, sla: Sla | None,
                     reason: str, nxt_failed: bool = False) -> None:
        if outcome is Outcome.REFUSED:
            self.not_placed["dialplan-refused"] += 1
            log.error("callback %s: NOT dialled: %s; number %r; the callback is failed",
                      cb.id, reason, cb.request.number, extra={"callback": cb.id})
        if sla is not None:
            self.sla[sla.value] += 1
            if self.stats is not None:
                await self.stats.add(f"sla_{sla.value}")
                if cb.booked:   # its promise was its slot: counted apart too
                    await self.stats.add(f"booked_sla_{sla.value}")
        if outcome.reached_customer and self.stats is not None:
            await self.stats.add("callbacks_made")
        if nxt_failed and self.stats is not None:
            await self.stats.add("callbacks_failed")
