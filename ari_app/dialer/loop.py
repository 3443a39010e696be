"""The callback dialer: places stored callbacks within their SLA.

It dials only while this replica leads (``leader.Leadership``, passed in as
``leading``). Each step (every ``tick`` seconds, or when woken) it takes
back callbacks whose lease ran out after asking Asterisk what became of
their attempt (``recovery``), then claims as many due callbacks as the
``planner`` allows, earliest deadline first, and runs one attempt each.

Redis is an input like any other: a callback's id is its key's, never a
field's; a record that disagrees with its key, or whose tries are used up,
is refused by the claim itself; a claimed callback's number passes the
number policy again before the Originate (and the dialplan checks its shape
once more); every Originate value is checked for its shape. An attempt that
cannot be placed (record refused, number refused, Originate refused) ends
the callback ``failed`` with the reason, an ERROR log line and
``datadesk_callbacks_not_placed_total``: it never goes back to the queue to
fail again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace

from panoramisk.message import Message

from ..asterisk.ari_ import AriClient, AriError
from ..desk.board import Board
from ..desk.callback import Refused, Status, at_risk
from ..store.records import disagreement
from ..tasks import periodic
from .attempt import attempt_id
from .config import DialerPorts, DialerRules
from .planner import DeskView, Hold, Plan, plan
from .recorder import Recorder, utc
from .recovery import Action, recover
from .runner import Attempts

log = logging.getLogger("ari_app.dialer")

# Refused records a step clears at most (each refusal takes one off the
# ready set, so the next step goes on where this one stopped).
REFUSALS_PER_STEP = 100


class Dialer:
    def __init__(self, ports: DialerPorts, board: Board, rules: DialerRules, *,
                 leading: Callable[[], bool], clock: Callable[[], float] = time.time) -> None:
        self.ami, self.ari, self.store = ports.ami, ports.ari, ports.store
        self.board, self.rules, self.clock = board, rules, clock
        self._leading = leading
        self.leader = False
        self.escalations = 0  # at-risk callbacks placed ahead of live callers (since start)
        self.recorder = Recorder(ports, rules, clock, self.wake)
        self.attempts = Attempts(ports, rules, self.recorder, clock)
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self.ami.on_event("AgentConnect", self._on_agent_connect)

    @property
    def sla(self):
        return self.recorder.sla

    @property
    def not_placed(self):
        return self.recorder.not_placed

    @property
    def active(self) -> dict[str, asyncio.Task]:
        return self.attempts.active

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="dialer")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self.attempts.active.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None

    def wake(self, *_args: object) -> None:
        self._wake.set()

    # -- live callers ----------------------------------------------------------
    def _on_agent_connect(self, msg: Message) -> None:
        """A live caller reached a seat: their open callback is served."""
        if msg.get("Queue") != self.board.queue or msg.get("Channel", "").startswith("Local/"):
            return
        number = msg.get("CallerIDNum", "")
        if number.isdigit():
            task = asyncio.get_running_loop().create_task(self._serve(number, msg.get("Channel", "")))
            task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    async def _serve(self, number: str, channel: str) -> None:
        try:
            cb_id = await self.store.serve_number(number, f"reached the desk live ({channel})")
        except Exception as exc:
            log.warning("could not close the callback of %s as served: %s", number, exc)
            return
        if cb_id:
            log.info("callback %s closed as served: %s reached the desk live", cb_id, number,
                     extra={"callback": cb_id})

    # -- the loop --------------------------------------------------------------
    async def _run(self) -> None:
        # A failed step (Redis or Asterisk away) is logged; the next tick tries again.
        await periodic(self._step, self.rules.timing.tick, name="dialer", log=log,
                       wake=self._wake)

    def _view(self, now: float) -> DeskView:
        return DeskView(open=self.rules.calendar.is_open(utc(now)), synced=self.board.synced,
                        ami_ready=self.ami.ready.is_set(),
                        callers_waiting=self.board.waiting,
                        ready_seats=len(self.board.ready_seats(now)))

    async def _step(self) -> None:
        was, self.leader = self.leader, self._leading()
        if self.leader != was:
            log.info("dialer: %s", "leading (this replica dials)" if self.leader
                     else "standing by (another replica dials)")
        if not self.leader:
            return
        for cb_id in await self.store.expired_leases(self.clock()):
            if cb_id not in self.attempts.active:
                await self._recover(cb_id)
        now = self.clock()
        chosen = await self._plan(now)
        placed = refused = 0
        while placed < chosen.claims and refused < REFUSALS_PER_STEP:
            claimed = await self.store.claim(lease=self.rules.timing.lease,
                                             owner=self.attempts.owner, now=now,
                                             policy=self.rules.retry)
            if claimed is None:
                return
            if isinstance(claimed, Refused):   # ended failed by the store: never dialled
                refused += 1
                self.recorder.refused(claimed)
                continue
            placed += 1
            if chosen.escalated:
                self.escalations += 1
                log.info("callback %s: at risk of its SLA; placed ahead of %d live caller(s)",
                         claimed["id"], self.board.waiting, extra={"callback": claimed["id"]})
            self.attempts.spawn(claimed, escalated=chosen.escalated)

    async def _plan(self, now: float) -> Plan:
        """The planner's answer. Everything due is made claimable first (the
        claims go deadline first); with escalation or a seat reserve, whether
        the next callback is at risk is asked of the store."""
        rules, view = self.rules, self._view(now)
        counts = dict(in_flight=len(self.attempts.active), seated=len(self.attempts.seated),
                      escalating=self.attempts.escalating, escalate=rules.escalate,
                      reserve=rules.reserve)
        chosen = plan(view, **counts)
        if chosen.hold in (Hold.CLOSED, Hold.UNSYNCED, Hold.AMI_DOWN) or (
                chosen.claims == 0 and not (rules.escalate or rules.reserve)):
            return chosen
        while await self.store.promote(now) > 0:
            pass
        if not (rules.escalate or rules.reserve):
            return chosen
        nxt = await self.store.earliest_ready()
        if nxt is None or not at_risk(nxt, now, rules.at_risk):
            return chosen
        return plan(replace(view, at_risk=True), **counts)

    # -- recovery --------------------------------------------------------------
    async def _recover(self, cb_id: str) -> None:
        """A lease ran out: find out from Asterisk what became of the attempt.
        A lease entry with no callback being dialled behind it is dropped; a
        record that disagrees with its key ends failed, never requeued."""
        stored = await self.store.record(cb_id)
        if stored is None or stored.get("status") != Status.DIALLING.value:
            await self.store.forget_lease(cb_id)
            return
        cb = {**stored, "id": cb_id}
        problem = disagreement(cb_id, stored, Status.DIALLING)
        if problem is not None:
            await self.recorder.not_placed_(cb, "record-mismatch", problem)
            return
        attempt = attempt_id(cb_id, cb["fence"])
        decision = recover(cb.get("status"), cb["fence"], live=await self._live(attempt),
                           receipt=await self.attempts.receipt(cb_id))
        if decision.action is Action.FOLLOW:
            log.info("callback %s: attempt %s is still up in Asterisk; following it", cb_id,
                     attempt, extra={"callback": cb_id})
            await self.store.extend(cb_id, cb["fence"], self.clock() + self.rules.timing.lease)
            self.attempts.follow(cb)
        elif decision.action is Action.RECORD and decision.ending is not None:
            end = decision.ending
            log.info("callback %s: attempt %s ended while unattended: %s (from Asterisk's "
                     "receipt)", cb_id, attempt, end.outcome.value, extra={"callback": cb_id})
            await self.recorder.finish(
                cb, end.outcome, dialled_at=end.at if end.outcome.reached_customer else None,
                answered_at=end.answered_at, event="recovered")
        elif decision.action is Action.REQUEUE:
            log.info("callback %s: attempt %s never reached a seat; counted as a seat try", cb_id,
                     attempt, extra={"callback": cb_id})
            await self.recorder.requeue(cb, "lease ran out before a seat answered")

    async def _live(self, attempt: str) -> bool:
        """Is the attempt's channel up in Asterisk? (ARI errors other than
        404 propagate: the step is tried again next tick.)"""
        try:
            await self.ari.request("GET", f"/channels/{AriClient.quote(attempt)}")
            return True
        except AriError as exc:
            if exc.status != 404:
                raise
            return False
