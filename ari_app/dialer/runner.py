"""The attempts in flight: one ``Attempt`` a claimed callback (``attempt.py``
reads its life in order), each owning its events. Here they are started,
counted for the planner, and handed the ``DialEnd``/``Hangup`` of their own
channel; after an AMI reconnect each checks whether its channel is gone.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from panoramisk.message import Message

from ..desk.callback import Callback
from .attempt import Attempt
from .config import DialerPorts, DialerRules
from .recorder import Recorder


class Attempts:
    def __init__(self, ports: DialerPorts, rules: DialerRules, recorder: Recorder,
                 clock: Callable[[], float]) -> None:
        self.ports, self.rules, self.recorder, self.clock = ports, rules, recorder, clock
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.active: dict[str, asyncio.Task] = {}      # callback id -> its attempt's task
        self._calls: dict[str, Attempt] = {}           # attempt channel id -> attempt
        ports.ami.on_event("DialEnd", self._deliver)
        ports.ami.on_event("Hangup", self._deliver)
        ports.ami.on_connected(self._after_reconnect)

    def _deliver(self, msg: Message) -> None:
        attempt = self._calls.get(msg.get("Uniqueid", ""))
        if attempt is not None:
            attempt.deliver(msg)

    async def _after_reconnect(self, _ami: object) -> None:
        for attempt in list(self._calls.values()):
            await attempt.check_gone()

    def of(self, cb_id: str) -> Attempt | None:
        """The attempt in flight of that callback, if any."""
        return next((a for a in self._calls.values() if a.cb.id == cb_id), None)

    @property
    def seated(self) -> int:
        """Attempts whose seat has answered (that seat is off the ready list)."""
        return sum(a.seated for a in self._calls.values())

    @property
    def escalating(self) -> int:
        """Escalated attempts still seeking a seat."""
        return sum(a.escalated and not a.seated for a in self._calls.values())

    def spawn(self, cb: Callback, *, escalated: bool = False) -> None:
        """Place an attempt for a claimed callback."""
        attempt = self._attempt(cb, escalated)
        self._track(attempt, attempt.run())

    def follow(self, cb: Callback) -> None:
        """Follow an attempt found up in Asterisk (after a lease ran out) to its end."""
        attempt = self._attempt(cb, False)
        self._track(attempt, attempt.follow())

    def _attempt(self, cb: Callback, escalated: bool) -> Attempt:
        return Attempt(cb, self.ports, self.rules, self.recorder, self.clock,
                       escalated=escalated)

    def _track(self, attempt: Attempt, life: Coroutine[Any, Any, None]) -> None:
        cb_id = attempt.cb.id
        task = asyncio.create_task(life, name=f"callback-{cb_id}")
        self.active[cb_id], self._calls[attempt.channel] = task, attempt
        task.add_done_callback(lambda _t: self._ended(cb_id, attempt.channel))

    def _ended(self, cb_id: str, channel: str) -> None:
        self.active.pop(cb_id, None)
        self._calls.pop(channel, None)
