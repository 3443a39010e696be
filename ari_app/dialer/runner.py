"""Attempts in flight: each placed by AMI Originate, followed through
Asterisk's events (``DialEnd``/``Hangup`` of its channel) under a kept
lease, and recorded when it ends. What Asterisk's events and receipts mean
is read in ``attempt``; what is stored, in ``recorder``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable

from panoramisk.message import Message
from redis.exceptions import RedisError

from ..desk.callback import Callback, Outcome
from ..ports import AmiDisconnected, AmiError, AriError, channel_gone
from ..timefmt import for_machines
from .attempt import Receipt, attempt_id, dial_refusal, ending, originate
from .config import DialerPorts, DialerRules
from .recorder import Recorder

log = logging.getLogger("ari_app.dialer")


class Attempts:
    def __init__(self, ports: DialerPorts, rules: DialerRules, recorder: Recorder,
                 clock: Callable[[], float]) -> None:
        self.ami, self.ari, self.store = ports.ami, ports.ari, ports.store
        self.rules, self.recorder, self.clock = rules, recorder, clock
        self.timing = rules.timing
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.active: dict[str, asyncio.Task] = {}      # callback id -> attempt task
        # Attempts whose seat has answered: that seat is off the ready list already.
        self.seated: set[str] = set()
        # Attempts placed ahead of live callers (at-risk callbacks).
        self.escalated: set[str] = set()
        self._ends: dict[str, asyncio.Future] = {}     # attempt channel id -> its end event
        self.ami.on_event("DialEnd", self._on_call_event)
        self.ami.on_event("Hangup", self._on_call_event)
        self.ami.on_connected(self._after_reconnect)

    def _on_call_event(self, msg: Message) -> None:
        future = self._ends.get(msg.get("Uniqueid", ""))
        if future is not None and not future.done():
            future.set_result(msg)

    async def _after_reconnect(self, _ami: object) -> None:
        """Events of attempts in flight may have been lost while AMI was away:
        an attempt whose channel is gone is ended now (its receipt says how)."""
        for attempt, future in list(self._ends.items()):
            if future.done():
                continue
            try:
                gone = await channel_gone(self.ari, attempt)
            except (AriError, OSError, asyncio.TimeoutError):
                continue
            if gone and not future.done():
                future.set_result(Message({"Event": "Hangup", "Uniqueid": attempt}))

    def _track(self, cb_id: str, coro) -> None:
        task = asyncio.create_task(coro, name=f"callback-{cb_id}")
        self.active[cb_id] = task
        task.add_done_callback(lambda _t: self._ended(cb_id))

    def _ended(self, cb_id: str) -> None:
        self.active.pop(cb_id, None)
        self.escalated.discard(cb_id)

    @property
    def escalating(self) -> int:
        """Escalated attempts still seeking a seat."""
        return len(self.escalated - self.seated)

    def spawn(self, cb: Callback, *, escalated: bool = False) -> None:
        if escalated:
            self.escalated.add(cb.id)
        self._track(cb.id, self._guarded(cb))

    def follow(self, cb: Callback) -> None:
        """Follow an attempt found up in Asterisk (after a lease ran out) to its end."""
        self._track(cb.id, self._follow(cb))

    async def _guarded(self, cb: Callback) -> None:
        """One attempt; whatever breaks it is logged and, unless Redis itself
        is away (then the lease runs out and recovery asks Asterisk), ends
        the callback with the reason rather than letting it come back."""
        try:
            await self._attempt(cb)
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError) as exc:
            log.warning("callback %s: attempt interrupted (%s: %s); recovery will check "
                        "Asterisk when the lease runs out", cb.id, type(exc).__name__, exc,
                        extra={"callback": cb.id})
        except Exception as exc:
            log.exception("callback %s: attempt broke", cb.id, extra={"callback": cb.id})
            try:
                await self.recorder.not_placed_(cb, "error", "the attempt broke: "
                                                f"{type(exc).__name__}: {exc}")
            except Exception as again:
                log.error("callback %s: could not record the broken attempt: %s", cb.id,
                          again, extra={"callback": cb.id})

    async def _attempt(self, cb: Callback) -> None:
        cb_id, fence = cb.id, cb.progress.fence
        refusal = dial_refusal(cb, self.rules.numbers)
        if refusal is not None:
            await self.recorder.not_placed_(cb, "number-refused", refusal)
            return
        if not await self.recorder.may_originate(cb):
            return
        attempt = attempt_id(cb_id, fence)
        ends = self._ends[attempt] = asyncio.get_running_loop().create_future()
        keeper = asyncio.create_task(self._keep_lease(cb_id, fence))
        log.info("callback %s: attempt %s to %s (deadline %s)", cb_id, fence, cb.request.number,
                 for_machines(cb.times.deadline), extra={"callback": cb_id})
        try:
            if await self._place(cb, keeper):
                await self._await_end(cb, ends, dialled_at=self.clock())
        finally:
            keeper.cancel()
            self._ends.pop(attempt, None)
            self.seated.discard(cb_id)

    async def _place(self, cb: Callback, keeper: asyncio.Task) -> bool:
        """Originate the attempt; True once a seat has answered it."""
        try:
            action = originate(cb, self.timing, escalated=cb.id in self.escalated)
            reply = await self.ami.send(action,
                                        timeout=self.timing.seat_wait + 15)
        except (AmiDisconnected, asyncio.TimeoutError) as exc:
            # Whether the call exists is unknown: keep the lease; when it
            # runs out, recovery asks Asterisk.
            log.warning("callback %s: lost track of attempt %s (%s); recovery will check "
                        "Asterisk", cb.id, attempt_id(cb.id, cb.progress.fence), exc,
                        extra={"callback": cb.id})
            keeper.cancel()
            return False
        except (ValueError, AmiError) as exc:  # refused before or by Asterisk
            await self.recorder.not_placed_(cb, "originate-refused",
                                            f"the call could not be placed: {exc}")
            return False
        answer = reply[-1] if isinstance(reply, list) else reply
        if answer.get("Response") != "Success":
            await self.recorder.finish(cb, Outcome.SEAT_NO_ANSWER, dialled_at=None)
            return False
        self.seated.add(cb.id)  # a seat took it: the customer is being dialled
        return True

    async def _await_end(self, cb: Callback, ends: asyncio.Future, *,
                         dialled_at: float) -> None:
        try:
            end = await asyncio.wait_for(ends, self.timing.customer_ring + 120)
        except asyncio.TimeoutError:
            log.warning("callback %s: no end of attempt %s seen; recovery will ask "
                        "Asterisk when the lease runs out", cb.id,
                        attempt_id(cb.id, cb.progress.fence), extra={"callback": cb.id})
            return
        receipt = None if end.get("Event") == "DialEnd" else await self.receipt(cb.id)
        result = ending(end, receipt, cb.progress.fence, self.clock())
        await self.recorder.finish(cb, result.outcome, dialled_at=dialled_at,
                                   answered_at=result.answered_at)

    async def _follow(self, cb: Callback) -> None:
        attempt = attempt_id(cb.id, cb.progress.fence)
        ends = self._ends[attempt] = asyncio.get_running_loop().create_future()
        end = None
        self.seated.add(cb.id)  # found up in Asterisk: a seat has it
        try:
            end = await asyncio.wait_for(ends, self.timing.customer_ring + 3600)
        except asyncio.TimeoutError:
            pass
        finally:
            self._ends.pop(attempt, None)
            self.seated.discard(cb.id)
        dialend = end is not None and end.get("Event") == "DialEnd"
        receipt = None if dialend else await self.receipt(cb.id)
        result = ending(end, receipt, cb.progress.fence, self.clock())
        reached = result.outcome.reached_customer
        await self.recorder.finish(cb, result.outcome,
                                   dialled_at=result.at if reached else None,
                                   answered_at=result.answered_at, event="recovered")

    async def _keep_lease(self, cb_id: str, fence: str) -> None:
        while True:
            await asyncio.sleep(self.timing.lease / 3)
            try:
                await self.store.extend(cb_id, fence, self.clock() + self.timing.lease)
            except Exception as exc:
                log.warning("callback %s: lease not extended: %s", cb_id, exc)

    async def receipt(self, cb_id: str) -> Receipt | None:
        """The dialplan's receipt of the last attempt, read with AMI ``DBGet``
        (ARI does not evaluate ``DB()``)."""
        try:
            rows = await self.ami.rows({"Action": "DBGet", "Family": "desk-cb", "Key": cb_id})
        except AmiError:
            return None
        for row in rows:
            if row.get("Event") == "DBGetResponse" and row.get("Val"):
                return Receipt.parse(row["Val"])
        return None
