"""One attempt's life, in order: check the stored number and its due time
(a booked callback is never dialled before its slot), originate, keep the
lease, await the end, read the receipt, record the ending.

An ``Attempt`` owns its events, as panoramisk's ``Call`` does: the attempts
in flight (``runner.Attempts``) hand it each ``DialEnd``/``Hangup`` of its
channel (``<callback>-<fence>``); the first one, kept by the attempt itself,
is its end.
What an Originate looks like (``originate``), what an end means
(``receipt``) and what is stored (``recorder``) are one call each here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from panoramisk.message import Message
from redis.exceptions import RedisError

from ..desk.callback import Callback, Outcome
from ..ports import AmiDisconnected, AmiError, AmiPort, AriError, channel_gone
from ..timefmt import for_machines
from .config import DialerPorts, DialerRules
from .originate import attempt_id, dial_refusal, originate
from .receipt import Ending, Receipt, ending
from .recorder import Recorder

log = logging.getLogger("ari_app.dialer")

# Seconds past the customer's ring an attempt's end is awaited; an attempt
# found up after its lease ran out may be a call in progress: an hour more.
END_WAIT, FOLLOW_WAIT = 120, 3600


async def read_receipt(ami: AmiPort, cb_id: str) -> Receipt | None:
    """The dialplan's receipt of the callback's last attempt, read with AMI
    ``DBGet`` (ARI does not evaluate ``DB()``); None if there is none."""
    try:
        rows = await ami.rows({"Action": "DBGet", "Family": "desk-cb", "Key": cb_id})
    except AmiError:
        return None
    for row in rows:
        if row.get("Event") == "DBGetResponse" and row.get("Val"):
            return Receipt.parse(row["Val"])
    return None


class Attempt:
    def __init__(self, cb: Callback, ports: DialerPorts, rules: DialerRules,
                 recorder: Recorder, clock: Callable[[], float], *,
                 escalated: bool = False) -> None:
        """``escalated``: an at-risk callback placed ahead of live callers."""
        self.cb, self.ami, self.ari, self.store = cb, ports.ami, ports.ari, ports.store
        self.rules, self.timing, self.recorder, self.clock = rules, rules.timing, recorder, clock
        self.escalated = escalated
        self.channel = attempt_id(cb.id, cb.progress.fence)
        # The first end event of its channel, while it may exist (None: not yet listening).
        self.ended: asyncio.Future[Message] | None = None
        self.seated = False      # a seat answered: that seat is off the ready list already

    # -- the attempt ------------------------------------------------------------
    async def run(self) -> None:
        """The attempt; whatever breaks it is logged and, unless Redis itself
        is away (then the lease runs out and recovery asks Asterisk), ends
        the callback with the reason rather than letting it come back."""
        cb = self.cb
        try:
            await self._place()
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

    async def _place(self) -> None:
        cb = self.cb
        refusal = dial_refusal(cb, self.rules.numbers)            # the stored number
        if refusal is not None:
            await self.recorder.not_placed_(cb, "number-refused", refusal)
            return
        if cb.times.due > self.clock():                           # a booked slot not begun
            await self.recorder.not_yet(cb)
            return
        if not await self.recorder.may_originate(cb):             # the call rate limit
            return
        log.info("callback %s: attempt %s to %s (deadline %s)", cb.id, cb.progress.fence,
                 cb.request.number, for_machines(cb.times.deadline), extra={"callback": cb.id})
        async with self._listening(), self._lease_kept() as lease:
            if not await self._originate(lease):                  # a seat answered?
                return
            dialled_at = self.clock()
            end = await self._end(self.timing.customer_ring + END_WAIT)
            if end is None:
                log.warning("callback %s: no end of attempt %s seen; recovery will ask "
                            "Asterisk when the lease runs out", cb.id, self.channel,
                            extra={"callback": cb.id})
                return
            result = await self._ending(end)                      # the receipt, if needed
            await self.recorder.finish(cb, result.outcome, dialled_at=dialled_at,
                                       answered_at=result.answered_at)

    async def follow(self) -> None:
        """An attempt found up in Asterisk after its lease ran out: its end,
        however long the call lasts, recorded as recovered."""
        async with self._listening():
            self.seated = True                # found up in Asterisk: a seat has it
            end = await self._end(self.timing.customer_ring + FOLLOW_WAIT)
        result = await self._ending(end)
        reached = result.outcome.reached_customer
        await self.recorder.finish(self.cb, result.outcome,
                                   dialled_at=result.at if reached else None,
                                   answered_at=result.answered_at, event="recovered")

    # -- its steps ------------------------------------------------------------------
    async def _originate(self, lease: asyncio.Task) -> bool:
        """Send the Originate; True once a seat has answered it. Every other
        way it ends is recorded here, or left to recovery when whether the
        call exists is unknown (the lease is let go to run out)."""
        cb = self.cb
        try:
            action = originate(cb, self.timing, escalated=self.escalated)
            reply = await self.ami.send(action, timeout=self.timing.seat_wait + 15)
        except (AmiDisconnected, asyncio.TimeoutError) as exc:
            log.warning("callback %s: lost track of attempt %s (%s); recovery will check "
                        "Asterisk", cb.id, self.channel, exc, extra={"callback": cb.id})
            lease.cancel()
            return False
        except (ValueError, AmiError) as exc:  # refused before or by Asterisk
            await self.recorder.not_placed_(cb, "originate-refused",
                                            f"the call could not be placed: {exc}")
            return False
        answer = reply[-1] if isinstance(reply, list) else reply
        if answer.get("Response") != "Success":
            await self.recorder.finish(cb, Outcome.SEAT_NO_ANSWER, dialled_at=None)
            return False
        self.seated = True  # a seat took it: the customer is being dialled
        return True

    async def _end(self, within: float) -> Message | None:
        """The first end event of the channel, or None after ``within``
        seconds (or when it does not listen: nothing can end it)."""
        if self.ended is None:
            return None
        try:
            return await asyncio.wait_for(self.ended, within)
        except asyncio.TimeoutError:
            return None

    async def _ending(self, end: Message | None) -> Ending:
        """What the attempt came to: a ``DialEnd`` as it is, else the receipt."""
        dialend = end is not None and end.get("Event") == "DialEnd"
        receipt = None if dialend else await read_receipt(self.ami, self.cb.id)
        return ending(end, receipt, self.cb.progress.fence, self.clock())

    @asynccontextmanager
    async def _listening(self) -> AsyncIterator[None]:
        """While the block runs, the channel's first end event is kept."""
        self.ended = asyncio.get_running_loop().create_future()
        try:
            yield
        finally:
            self.ended = None
            self.seated = False

    @asynccontextmanager
    async def _lease_kept(self) -> AsyncIterator[asyncio.Task]:
        """The claim's lease extended every third of it while the block runs."""
        keeper = asyncio.create_task(self._keep_lease())
        try:
            yield keeper
        finally:
            keeper.cancel()

    async def _keep_lease(self) -> None:
        cb = self.cb
        while True:
            await asyncio.sleep(self.timing.lease / 3)
            try:
                await self.store.extend(cb.id, cb.progress.fence, self.clock() + self.timing.lease)
            except Exception as exc:
                log.warning("callback %s: lease not extended: %s", cb.id, exc)

    # -- events from outside ------------------------------------------------------
    def deliver(self, msg: Message) -> None:
        """An end event of this attempt's channel (``DialEnd``, ``Hangup``):
        the first one while it listens is its end."""
        if self.ended is not None and not self.ended.done():
            self.ended.set_result(msg)

    async def check_gone(self) -> None:
        """After AMI came back (its events meanwhile are lost): a channel gone
        from Asterisk ends the attempt now (its receipt says how)."""
        if self.ended is None or self.ended.done():
            return
        try:
            gone = await channel_gone(self.ari, self.channel)
        except (AriError, OSError, asyncio.TimeoutError):
            return
        if gone:
            self.deliver(Message({"Event": "Hangup", "Uniqueid": self.channel}))
