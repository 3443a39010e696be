"""The callback dialer: places stored callbacks within their SLA.

One replica dials at a time (a leader lease in Redis). While it leads, each
second it: takes back callbacks whose lease ran out (a dialer died) after
asking Asterisk what became of their attempt; and, when the desk is open,
no live caller waits in the desk queue and seats are ready, claims one due
callback per ready seat not already taken by an attempt, earliest deadline
first.

An attempt is agent-first: AMI ``Originate`` of ``Local/s@desk-callback-agent``,
which waits in the desk queue (so Asterisk's member selection and
``ringinuse`` hold); when a seat answers, the other half runs
``desk-callback-customer``, which tells the seat who is called back and
dials the customer. The attempt's channel id is ``<callback>-<fence>``:
its outcome is read from Asterisk's own events (``DialEnd``/``Hangup`` of
that channel) or, after a restart, from the channel itself (still up?) and
the receipt the dialplan writes to AstDB (``desk-cb/<callback>``).

Redis is an input like any other: a claimed callback's number passes the
number policy again before the Originate (and the dialplan checks its shape
once more). An attempt that cannot be placed (number refused, Originate
refused, a malformed record) ends the callback ``failed`` with the reason,
an ERROR log line and ``datadesk_callbacks_not_placed_total``: it never
goes back to the queue to fail again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone

from panoramisk.message import Message
from redis.exceptions import RedisError

from .asterisk.ami import AmiClient, AmiDisconnected, AmiError
from .asterisk.ari_ import AriClient, AriError
from .desk.board import Board
from .desk.calendar import ServiceCalendar
from .desk.callbacks import Outcome, RetryPolicy, Status, after_attempt
from .desk.numbers import InvalidNumber, NumberPolicy
from .store.callbacks import CallbackStore
from .store.limits import RateLimits
from .store.stats import DeskStats
from .timefmt import for_machines

log = logging.getLogger(__name__)

LEADER_KEY = "datadesk:dialer:leader"
AGENT_CONTEXT = "desk-callback-agent"
CUSTOMER_CONTEXT = "desk-callback-customer"


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


def dial_refusal(cb: dict[str, str], numbers: NumberPolicy) -> str | None:
    """Why a claimed callback must not be dialled, or None if it may be.

    The record came from Redis: its number must pass the policy unchanged
    and its deadline must be a number.
    """
    try:
        numbers.check_stored(cb.get("number"))
    except InvalidNumber as exc:
        return f"number refused at dial time: {exc}"
    try:
        float(cb.get("deadline", ""))
    except ValueError:
        return "the stored deadline is not a number"
    return None


def caller_label(topic: str | None) -> str:
    """The topic as shown on the seat's phone: letters, digits and dashes only
    (it goes into an AMI header and a caller ID)."""
    return re.sub(r"[^A-Za-z0-9-]", "", topic or "")[:40]


class Dialer:
    def __init__(self, ami: AmiClient, ari: AriClient, store: CallbackStore, board: Board,
                 calendar: ServiceCalendar, policy: RetryPolicy, *,
                 agent_wait: int = 30, customer_ring: int = 30, lease: float = 90.0,
                 tick: float = 1.0, clock: Callable[[], float] = time.time,
                 stats: DeskStats | None = None,
                 leading: Callable[[], bool] | None = None,
                 limits: RateLimits | None = None,
                 origination_limits: tuple[int, int] = (10, 60),
                 numbers: NumberPolicy | None = None) -> None:
        self.ami, self.ari, self.store, self.board = ami, ari, store, board
        self.calendar, self.policy = calendar, policy
        self.agent_wait, self.customer_ring = agent_wait, customer_ring
        self.lease, self.tick, self.clock = lease, tick, clock
        self.stats = stats
        self._leading = leading
        self.limits = limits
        # (per number per day, in all per minute): a toll-fraud guard.
        self.origination_limits = origination_limits
        self.numbers = numbers if numbers is not None else NumberPolicy()
        # Attempts that could not be placed, by why, since start (/metrics).
        self.not_placed: Counter[str] = Counter()
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.leader = False
        self.sla: Counter[str] = Counter()   # met / breached, since start
        self.active: dict[str, asyncio.Task] = {}      # callback id -> attempt task
        # Attempts whose seat has answered: that seat is off the ready list already.
        self.seated: set[str] = set()
        self._ends: dict[str, asyncio.Future] = {}     # attempt channel id -> its end event
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        ami.on_event("DialEnd", self._on_call_event)
        ami.on_event("Hangup", self._on_call_event)
        ami.on_event("AgentConnect", self._on_agent_connect)
        ami.on_connected(self._after_reconnect)

    async def _after_reconnect(self, _ami: AmiClient) -> None:
        """Events of attempts in flight may have been lost while AMI was away:
        an attempt whose channel is gone is ended now (its receipt says how)."""
        for attempt, future in list(self._ends.items()):
            if future.done():
                continue
            try:
                await self.ari.request("GET", f"/channels/{AriClient.quote(attempt)}")
            except AriError as exc:
                if exc.status == 404 and not future.done():
                    future.set_result(Message({"Event": "Hangup", "Uniqueid": attempt}))
            except (OSError, asyncio.TimeoutError):
                pass
    # -- lifecycle -------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="dialer")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self.active.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        if self.leader and self._leading is None:
            try:
                await self.store.resign(LEADER_KEY, self.owner)
            except Exception:  # Redis away: the lease simply runs out
                pass

    def wake(self, *_args: object) -> None:
        self._wake.set()

    # -- events ----------------------------------------------------------------
    def _on_call_event(self, msg: Message) -> None:
        future = self._ends.get(msg.get("Uniqueid", ""))
        if future is None or future.done():
            return
        if msg.get("Event") == "DialEnd" or msg.get("Event") == "Hangup":
            future.set_result(msg)

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
        while True:
            try:
                await self._step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis or Asterisk away: try again next tick
                log.warning("dialer: %s: %s", type(exc).__name__, exc)
            try:
                await asyncio.wait_for(self._wake.wait(), self.tick)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    async def _step(self) -> None:
        was = self.leader
        if self._leading is not None:
            self.leader = self._leading()
        else:
            self.leader = await self.store.take_lead(LEADER_KEY, self.owner,
                                                     ttl=max(5, 5 * self.tick))
        if self.leader != was:
            log.info("dialer: %s", "leading (this replica dials)" if self.leader
                     else "standing by (another replica dials)")
        if not self.leader:
            return
        for cb_id in await self.store.expired_leases(self.clock()):
            if cb_id not in self.active:
                await self._recover(cb_id)
        now = self.clock()
        if not self.calendar.is_open(_utc(now)) or not self.board.synced or \
                not self.ami.ready.is_set():
            return
        if self.board.waiting:
            return  # live callers first: never let a callback jump the queue
        # Each attempt still looking for a seat will take one of the ready ones.
        free = len(self.board.ready_seats(now)) - (len(self.active) - len(self.seated))
        if free > 0:  # everything due made claimable: the claims go deadline first
            while await self.store.promote(now) > 0:
                pass
        while free > 0:
            claimed = await self.store.claim(lease=self.lease, owner=self.owner, now=now)
            if claimed is None:
                return
            self._spawn(claimed)
            free -= 1

    def _spawn(self, cb: dict[str, str]) -> None:
        task = asyncio.create_task(self._guarded(cb), name=f"callback-{cb['id']}")
        self.active[cb["id"]] = task
        task.add_done_callback(lambda _t, i=cb["id"]: self.active.pop(i, None))

    # -- one attempt -----------------------------------------------------------
    async def _guarded(self, cb: dict[str, str]) -> None:
        """One attempt; whatever breaks it is logged and, unless Redis itself
        is away (then the lease runs out and recovery asks Asterisk), ends
        the callback with the reason rather than letting it come back."""
        try:
            await self._attempt(cb)
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError) as exc:
            log.warning("callback %s: attempt interrupted (%s: %s); recovery will check "
                        "Asterisk when the lease runs out", cb["id"], type(exc).__name__, exc,
                        extra={"callback": cb["id"]})
        except Exception as exc:
            log.exception("callback %s: attempt broke", cb["id"], extra={"callback": cb["id"]})
            try:
                await self._not_placed(cb, "error", f"the attempt broke: {type(exc).__name__}: "
                                                    f"{exc}")
            except Exception as again:
                log.error("callback %s: could not record the broken attempt: %s", cb["id"],
                          again, extra={"callback": cb["id"]})

    async def _not_placed(self, cb: dict[str, str], why: str, reason: str) -> None:
        """End a claimed callback ``failed``: this attempt cannot be placed."""
        self.not_placed[why] += 1
        log.error("callback %s: NOT dialled (%s): %s; number %r; the callback is failed",
                  cb["id"], why, reason, cb.get("number"), extra={"callback": cb["id"]})
        await self.store.finish(cb["id"], cb["fence"], status=Status.FAILED.value,
                                reason=reason, outcome="not-placed", event="not-placed",
                                now=self.clock())
        self.wake()

    async def _attempt(self, cb: dict[str, str]) -> None:
        cb_id, fence, number = cb["id"], cb["fence"], cb.get("number", "")
        attempt = f"{cb_id}-{fence}"
        refusal = dial_refusal(cb, self.numbers)
        if refusal is not None:
            await self._not_placed(cb, "number-refused", refusal)
            return
        if not await self._may_originate(cb):
            return
        ends = self._ends[attempt] = asyncio.get_running_loop().create_future()
        keeper = asyncio.create_task(self._keep_lease(cb_id, fence))
        log.info("callback %s: attempt %s to %s (deadline %s)", cb_id, fence, number,
                 for_machines(cb["deadline"]), extra={"callback": cb_id})
        try:
            try:
                reply = await self.ami.send({
                    "Action": "Originate", "Channel": f"Local/s@{AGENT_CONTEXT}/n",
                    "Context": CUSTOMER_CONTEXT, "Exten": number, "Priority": "1",
                    "Timeout": str(self.agent_wait * 1000),
                    "CallerID": f"\"Callback {caller_label(cb.get('topic'))}\" <{number}>",
                    "Variable": [f"CB_ID={cb_id}", f"CB_FENCE={fence}",
                                 f"CB_RING={self.customer_ring}",
                                 f"CB_AGENT_WAIT={self.agent_wait}"],
                    "ChannelId": attempt, "OtherChannelId": f"{attempt}-seat",
                    "Async": "true"}, timeout=self.agent_wait + 15)
            except (AmiDisconnected, asyncio.TimeoutError) as exc:
                # Whether the call exists is unknown: keep the lease; when it
                # runs out, recovery asks Asterisk.
                log.warning("callback %s: lost track of attempt %s (%s); recovery will check "
                            "Asterisk", cb_id, attempt, exc, extra={"callback": cb_id})
                keeper.cancel()
                return
            except (ValueError, AmiError) as exc:  # refused before or by Asterisk
                await self._not_placed(cb, "originate-refused",
                                       f"the call could not be placed: {exc}")
                return
            answer = reply[-1] if isinstance(reply, list) else reply
            if answer.get("Response") != "Success":
                await self._finish(cb, Outcome.AGENT_NO_ANSWER, dialled_at=None)
                return
            dialled_at = self.clock()  # a seat took it: the customer is being dialled
            self.seated.add(cb_id)
            try:
                end = await asyncio.wait_for(ends, self.customer_ring + 120)
            except asyncio.TimeoutError:
                log.warning("callback %s: no end of attempt %s seen; recovery will ask "
                            "Asterisk when the lease runs out", cb_id, attempt,
                            extra={"callback": cb_id})
                return
            if end.get("Event") == "DialEnd":
                status, answered_at = end.get("DialStatus", ""), self.clock()
            else:  # hung up before any DialEnd reached us: the receipt says how it went
                receipt = await self._receipt(cb_id)
                status = receipt[1] if receipt and receipt[0] == fence else ""
                status = "" if status in ("AGENTGONE", "DIALLING") else status
                answered_at = float(receipt[2]) if status == "ANSWER" and len(receipt) > 2 \
                    else None
            outcome = Outcome.from_dialstatus(status)
            await self._finish(cb, outcome, dialled_at=dialled_at,
                               answered_at=answered_at if outcome is Outcome.ANSWERED else None)
        finally:
            keeper.cancel()
            self._ends.pop(attempt, None)
            self.seated.discard(cb_id)

    async def _may_originate(self, cb: dict[str, str]) -> bool:
        """The toll-fraud guard: too many calls to one number, or in all, wait."""
        if self.limits is None:
            return True
        per_number, per_minute = self.origination_limits
        for subject, limit, window in ((cb["number"], per_number, 86400),
                                       ("all", per_minute, 60)):
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

    async def _keep_lease(self, cb_id: str, fence: str) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                await self.store.extend(cb_id, fence, self.clock() + self.lease)
            except Exception as exc:
                log.warning("callback %s: lease not extended: %s", cb_id, exc)

    async def _finish(self, cb: dict[str, str], outcome: Outcome, *, dialled_at: float | None,
                      answered_at: float | None = None, event: str = "attempt") -> None:
        now = self.clock()
        deadline = float(cb["deadline"])
        attempts = int(cb.get("attempts") or 0) + (1 if outcome.reached_customer else 0)
        # Every claim is a try (this one included); those that rang nobody were the seats'.
        seat_failures = max(int(cb.get("tries") or 0) - attempts, 0)
        nxt = after_attempt(outcome, attempts, _utc(now), _utc(deadline), self.policy,
                            seat_failures=seat_failures)
        first = cb.get("first_dialled") or (dialled_at if outcome.reached_customer else None)
        sla = ""
        if outcome.reached_customer and not cb.get("sla") and first is not None:
            sla = "met" if float(first) <= deadline else "breached"
        stored = await self.store.finish(
            cb["id"], cb["fence"], status=nxt.status.value,
            due=nxt.due.timestamp() if nxt.due else 0, reason=nxt.reason,
            outcome=outcome.value, reached=outcome.reached_customer, sla=sla,
            first_dialled=dialled_at if outcome.reached_customer else None,
            answered_at=answered_at, event=event, now=now)
        if outcome is Outcome.REFUSED and stored not in ("stale", "missing"):
            self.not_placed["dialplan-refused"] += 1
            log.error("callback %s: NOT dialled: %s; number %r; the callback is failed",
                      cb["id"], nxt.reason, cb.get("number"), extra={"callback": cb["id"]})
        if sla and stored not in ("stale", "missing"):
            self.sla[sla] += 1
            if self.stats is not None:
                await self.stats.add(f"sla_{sla}")
        if outcome.reached_customer and stored not in ("stale", "missing") and \
                self.stats is not None:
            await self.stats.add("callbacks_made")
        log.info("callback %s: attempt %s %s -> %s (%s)", cb["id"], cb["fence"], outcome.value,
                 stored, nxt.reason, extra={"callback": cb["id"]})
        self.wake()

    # -- recovery --------------------------------------------------------------
    async def _recover(self, cb_id: str) -> None:
        """A lease ran out: find out from Asterisk what became of the attempt."""
        cb = await self.store.get(cb_id)
        if cb is None or cb.get("status") != Status.DIALLING.value:
            return
        attempt = f"{cb_id}-{cb['fence']}"
        try:
            await self.ari.request("GET", f"/channels/{AriClient.quote(attempt)}")
            live = True
        except AriError as exc:
            if exc.status != 404:
                raise
            live = False
        if live:
            log.info("callback %s: attempt %s is still up in Asterisk; following it", cb_id,
                     attempt, extra={"callback": cb_id})
            await self.store.extend(cb_id, cb["fence"], self.clock() + self.lease)
            self.active[cb_id] = asyncio.create_task(self._follow(cb, attempt))
            self.active[cb_id].add_done_callback(lambda _t: self.active.pop(cb_id, None))
            return
        receipt = await self._receipt(cb_id)
        if receipt and receipt[0] == cb["fence"] and receipt[1] != "DIALLING":
            outcome = Outcome.from_dialstatus("" if receipt[1] == "AGENTGONE" else receipt[1])
            log.info("callback %s: attempt %s ended while unattended: %s (from Asterisk's "
                     "receipt)", cb_id, attempt, outcome.value, extra={"callback": cb_id})
            at = float(receipt[2]) if len(receipt) > 2 and receipt[2] else None
            await self._finish(cb, outcome, dialled_at=at if outcome.reached_customer else None,
                               answered_at=at if outcome is Outcome.ANSWERED else None,
                               event="recovered")
            return
        log.info("callback %s: attempt %s never reached a seat; back in the queue", cb_id,
                 attempt, extra={"callback": cb_id})
        await self.store.finish(cb_id, cb["fence"], status=Status.OPEN.value, due=self.clock(),
                                reason="lease ran out before a seat answered", event="requeued",
                                now=self.clock())

    async def _follow(self, cb: dict[str, str], attempt: str) -> None:
        """Follow an attempt found up in Asterisk to its end."""
        ends = self._ends[attempt] = asyncio.get_running_loop().create_future()
        end = None
        self.seated.add(cb["id"])  # found up in Asterisk: a seat has it
        try:
            end = await asyncio.wait_for(ends, self.customer_ring + 3600)
        except asyncio.TimeoutError:
            pass
        finally:
            self._ends.pop(attempt, None)
            self.seated.discard(cb["id"])
        if end is not None and end.get("Event") == "DialEnd":
            status, at = end.get("DialStatus", ""), self.clock()
        else:  # hung up: the receipt says how the dial went (if it did)
            receipt = await self._receipt(cb["id"])
            status = receipt[1] if receipt and receipt[0] == cb["fence"] else ""
            at = float(receipt[2]) if receipt and len(receipt) > 2 and receipt[2] else None
        outcome = Outcome.from_dialstatus("" if status in ("AGENTGONE", "DIALLING") else status)
        await self._finish(cb, outcome, dialled_at=at if outcome.reached_customer else None,
                           answered_at=at if outcome is Outcome.ANSWERED else None,
                           event="recovered")

    async def _receipt(self, cb_id: str) -> list[str] | None:
        """The dialplan's receipt of the last attempt: [fence, DIALSTATUS, epoch].

        Read with AMI ``DBGet`` (ARI does not evaluate ``DB()``).
        """
        try:
            rows = await self.ami.rows({"Action": "DBGet", "Family": "desk-cb", "Key": cb_id})
        except AmiError:
            return None
        for row in rows:
            if row.get("Event") == "DBGetResponse" and row.get("Val"):
                return row["Val"].split(",")
        return None
