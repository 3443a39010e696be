"""An AMI session that stays up: panoramisk for framing and matching, our own
supervision for reconnects.

panoramisk reconnects on a fixed 2 s timer and, after a reconnect, re-sends
actions that were in flight when the link dropped. For a controller that
originates calls that replay is a hazard (a callback dialled twice), so each
connection here is a fresh panoramisk ``Manager`` whose own reconnect is
disabled; actions in flight when a link drops fail with ``AmiDisconnected``
and the caller decides what to do. Reconnects back off exponentially (capped)
and every successful login runs the ``on_connected`` hooks, which resync state
from Asterisk: Asterisk keeps no events for a client that was away.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from panoramisk import Manager
from panoramisk.message import Message

from ..logs import Repeats, cause
from ..ports import AmiDisconnected, AmiError
from ..timefmt import for_machines
from ..tasks import Worker
from .ami_framing import _Action, _Session, check_header_value
from .ami_shapes import check_originate
from .heartbeat import HeartbeatTiming, Liveness, beat

log = logging.getLogger(__name__)

EventHandler = Callable[[Message], Any]
ConnectedHook = Callable[["AmiClient"], Awaitable[None]]


@dataclass(frozen=True)
class AmiTuning:
    """How a client behaves on the link: the ``Events`` login filter, how long
    an action may wait for its answer, the cap of the reconnect back-off, the
    heartbeat that tells a silent link (``heartbeat.py``)."""
    events: str = "on"
    action_timeout: float = 5.0
    max_backoff: float = 10.0
    heartbeat: HeartbeatTiming = HeartbeatTiming()


class AmiClient:
    """A supervised AMI session.

    ``on_event(pattern, handler)`` registers a handler (fnmatch pattern on the
    event name) that survives reconnects. ``on_connected(hook)`` registers an
    async hook run after every login, before ``ready`` is set.
    """

    def __init__(self, host: str, port: int, username: str, secret: str, *,
                 name: str = "ami", tuning: AmiTuning = AmiTuning()) -> None:
        self.host, self.port = host, port
        self._username, self._secret = username, secret
        self.name = name
        self._events = tuning.events
        self.action_timeout = tuning.action_timeout
        self.max_backoff = tuning.max_backoff
        self._timing = tuning.heartbeat
        self._liveness = Liveness(self._timing, time.monotonic())
        self._beat = asyncio.Event()
        self.heartbeats_missed = 0  # links given up as silent (since start)
        # Why the link is not ready (None: it is), and the wall time since
        # which the board may be stale: the last moment Asterisk was heard
        # on a link that was in sync (kept across reconnects until in sync).
        self.trouble: str | None = "not connected yet"
        self.stale_since: float | None = None
        self._lost_because: str | None = None
        self._handlers: list[tuple[str, EventHandler]] = []
        self._hooks: list[ConnectedHook] = []
        self._lost_callbacks: list[Callable[[], None]] = []
        self._session: _Session | None = None
        self._inflight: set[asyncio.Future] = set()
        self._worker = Worker(self._supervise, f"{name}-supervisor")
        self._linked = False
        self.ready = asyncio.Event()  # logged in and resynced
        self.connects = 0
        # Set by stop(): a link lost from now on is a shutdown, not a fault.
        self.stopping = False
        self._repeats = Repeats()

    # -- registration -------------------------------------------------------
    def on_event(self, pattern: str, handler: EventHandler) -> None:
        self._handlers.append((pattern, handler))
        if self._session is not None:
            self._session.register_event(pattern, self._wrap(handler))

    def on_connected(self, hook: ConnectedHook) -> None:
        self._hooks.append(hook)

    def on_disconnected(self, callback: Callable[[], None]) -> None:
        """``callback()`` runs whenever a live link is lost."""
        self._lost_callbacks.append(callback)

    # -- lifecycle ----------------------------------------------------------
    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        self.stopping = True
        await self._worker.stop()
        self._drop_session(AmiDisconnected("AMI client stopped"))

    async def wait_ready(self, timeout: float) -> None:
        await asyncio.wait_for(self.ready.wait(), timeout)

    def drop(self) -> None:
        """Close the current TCP connection (the supervisor reconnects)."""
        if self._session is not None and self._session.protocol is not None:
            self._session.protocol.transport.abort()

    # -- actions ------------------------------------------------------------
    async def send(self, action: dict[str, Any], *, timeout: float | None = None,
                   as_list: bool | None = None) -> Message | list[Message]:
        """Send one action and return its response (or list of events).

        Raises ``AmiDisconnected`` when the link is down or drops before the
        answer, ``asyncio.TimeoutError`` after ``timeout`` seconds (default
        ``action_timeout``), ``ValueError`` for a value that would break AMI
        framing, and ``HeaderRefused`` (a ``ValueError``) for an Originate
        value not of its shape (``ami_shapes``). An ``Originate`` must say
        ``Async`` explicitly.
        """
        clean = {k: ([check_header_value(k, i) for i in v] if isinstance(v, (list, tuple))
                     else check_header_value(k, v)) for k, v in action.items()}
        if clean.get("Action", "").lower() == "originate":
            check_originate(clean)
            if "Async" not in clean:
                raise ValueError("Originate needs an explicit Async header")
        session = self._session
        if session is None or not self._linked or session.protocol is None:
            raise AmiDisconnected(f"{self.name}: not connected")
        future = session.send_action(_Action(clean, as_list=as_list), as_list=as_list)
        self._inflight.add(future)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout or self.action_timeout)
        except asyncio.TimeoutError:
            self._liveness.suspect()   # no answer: is anyone there? ask at once
            self._beat.set()
            raise
        finally:
            self._inflight.discard(future)

    async def rows(self, action: dict[str, Any], *, timeout: float | None = None
                   ) -> list[Message]:
        """An action answered by an event list: the list (an error answer raises).

        Leave list detection to panoramisk (``EventList: start``): forcing
        ``as_list`` makes a lone error answer wait forever.
        """
        reply = await self.send(action, timeout=timeout)
        rows = reply if isinstance(reply, list) else [reply]
        if rows and rows[0].get("Response") == "Error":
            message = rows[0].get("Message", "")
            if "not found" in message.lower() or "no " in message.lower()[:3]:
                return []
            raise AmiError(f"{action.get('Action')}: {message}")
        return rows

    async def command(self, action: dict[str, Any], **kw: Any) -> Message:
        """Like ``send`` but raise ``AmiError`` unless the response is a success."""
        reply = await self.send(action, **kw)
        first = reply[0] if isinstance(reply, list) else reply
        if first.get("Response") == "Error":
            raise AmiError(f"{action.get('Action')}: {first.get('Message')}")
        return reply

    # -- internals ----------------------------------------------------------
    def _wrap(self, handler: EventHandler) -> Callable[[Manager, Message], Any]:
        def dispatch(_manager: Manager, message: Message) -> Any:
            try:
                return handler(message)
            except Exception:
                log.exception("%s: handler for %s failed", self.name, message.get("Event"))
                return None
        return dispatch

    def _fail_inflight(self, exc: Exception) -> None:
        was_linked, self._linked = self._linked, False
        if self.ready.is_set() and self.stale_since is None:
            self.stale_since = time.time() - (time.monotonic() - self._liveness.heard_at)
        self.ready.clear()
        if was_linked:
            for callback in self._lost_callbacks:
                callback()
        for future in list(self._inflight):
            if not future.done():
                future.set_exception(exc)
        self._inflight.clear()

    def _drop_session(self, exc: Exception) -> None:
        self._fail_inflight(exc)
        session, self._session = self._session, None
        if session is not None:
            session.close()

    async def _supervise(self) -> None:
        backoff = 0.2
        loop = asyncio.get_running_loop()
        while True:
            ended: asyncio.Future = loop.create_future()
            ended.add_done_callback(
                lambda _f: self._fail_inflight(AmiDisconnected("connection lost")))
            session = _Session(ended, host=self.host, port=self.port,
                               username=self._username, secret=self._secret,
                               events=self._events, loop=loop, forgetable_actions=())
            for pattern, handler in self._handlers:
                session.register_event(pattern, self._wrap(handler))
            self._session = session
            session.heard = self._heard
            session.connect()
            try:
                await session.logged_in(ended, self._username)
                self._linked = True
            except (OSError, asyncio.TimeoutError, AmiError) as exc:
                self._drop_session(AmiDisconnected(cause(exc)))
                delay = backoff * (1 + random.random() / 4)
                problem, remedy = self.refusal(exc)
                self.trouble = problem
                if self._repeats.due(problem):
                    if self._repeats.again:
                        log.warning("%s: still failing: %s%s", self.name, problem,
                                    self._repeats.told())
                    else:
                        log.warning("%s: %s: %s; retrying with back-off", self.name, problem,
                                    remedy)
                await asyncio.sleep(delay)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            backoff = 0.2
            self._repeats.clear()
            self.connects += 1
            beating = asyncio.create_task(self._heartbeat(session), name=f"{self.name}-heartbeat")
            try:
                await self._linked_until_lost(ended)
            finally:
                beating.cancel()
                await asyncio.gather(beating, return_exceptions=True)

    async def _linked_until_lost(self, ended: asyncio.Future) -> None:
        """Resync, hold the link until it ends, then say why (one line)."""
        self.trouble = "resyncing the board"
        try:
            for hook in self._hooks:
                await hook(self)
        except Exception:
            log.exception("%s: resync after connect failed; reconnecting", self.name)
            self.trouble = self._lost_because or "resync failed"
            self._drop_session(AmiDisconnected("resync failed"))
            await asyncio.sleep(1)
            return
        self.trouble, self.stale_since = None, None
        self.ready.set()
        log.info("%s: connected to %s:%s and in sync (connection %d)",
                 self.name, self.host, self.port, self.connects)
        exc = await ended
        why = self._lost_because or f"connection lost ({cause(exc) if exc else 'closed'})"
        self.trouble, self._lost_because = why, None
        log.warning("%s: %s; the board may be stale since %s; reconnecting", self.name, why,
                    for_machines(self.stale_since) if self.stale_since else "now")
        self._drop_session(AmiDisconnected(why))

    def _heard(self) -> None:
        self._liveness.heard(time.monotonic())

    async def _heartbeat(self, session: _Session) -> None:
        def ping() -> None:
            sent = session.send_action(_Action({"Action": "Ping"}, as_list=False))
            sent.add_done_callback(lambda f: f.cancelled() or f.exception())

        def give_up(why: str) -> None:
            self.heartbeats_missed += 1
            self._lost_because = why
            self.drop()
        await beat(self._liveness, ping, give_up, self._beat)

    def refusal(self, exc: BaseException) -> tuple[str, str]:
        """What went wrong with a connect or login, and what to check."""
        where = f"{self.host}:{self.port}"
        if isinstance(exc, AmiError):
            return (f"AMI refused the login for user {self._username} ({exc.reason})",
                    "check [ami] username and secret against manager.conf")
        if isinstance(exc, asyncio.TimeoutError):
            return (f"no answer to the AMI login from {where}",
                    "check [ami] host and port, and that Asterisk is not hung")
        return (f"cannot reach AMI at {where} ({exc or 'connection refused'})",
                "check [ami] host and port and that Asterisk runs")
