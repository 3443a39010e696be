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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from panoramisk import Manager
from panoramisk.message import Message

from ..logs import Repeats
from ..tasks import Worker
from .ami_framing import _Action, _Session, check_header_value
from .ami_shapes import check_originate

log = logging.getLogger(__name__)

EventHandler = Callable[[Message], Any]
ConnectedHook = Callable[["AmiClient"], Awaitable[None]]


class AmiError(RuntimeError):
    """Asterisk answered an action with an error."""

    reason = ""


class AmiDisconnected(ConnectionError):
    """The AMI link is down (or dropped while the action was in flight)."""


@dataclass(frozen=True)
class AmiTuning:
    """How a client behaves on the link: the ``Events`` login filter, how long
    an action may wait for its answer, the cap of the reconnect back-off."""
    events: str = "on"
    action_timeout: float = 5.0
    max_backoff: float = 10.0


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
                               events=self._events, loop=loop, ping_delay=10,
                               ping_interval=10, forgetable_actions=())
            for pattern, handler in self._handlers:
                session.register_event(pattern, self._wrap(handler))
            self._session = session
            session.connect()
            try:
                await self._login(session, ended)
            except (OSError, asyncio.TimeoutError, AmiError) as exc:
                self._drop_session(AmiDisconnected(str(exc)))
                delay = backoff * (1 + random.random() / 4)
                problem, remedy = self.refusal(exc)
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
            try:
                for hook in self._hooks:
                    await hook(self)
            except Exception:
                log.exception("%s: resync after connect failed; reconnecting", self.name)
                self._drop_session(AmiDisconnected("resync failed"))
                await asyncio.sleep(1)
                continue
            self.ready.set()
            log.info("%s: connected to %s:%s and in sync (connection %d)",
                     self.name, self.host, self.port, self.connects)
            exc = await ended
            log.warning("%s: connection lost (%s); reconnecting", self.name, exc or "closed")
            self._drop_session(AmiDisconnected("connection lost"))

    def refusal(self, exc: BaseException) -> tuple[str, str]:
        """What went wrong with a connect or login, and what to check."""
        where = f"{self.host}:{self.port}"
        if isinstance(exc, AmiError):
            return (f"AMI refused the login for user {self._username} ({exc.reason})",
                    "check [ami] username and secret against manager.conf")
        if isinstance(exc, asyncio.TimeoutError):
            return f"no answer to the AMI login from {where}", "check [ami] host and port"
        return (f"cannot reach AMI at {where} ({exc or 'connection refused'})",
                "check [ami] host and port and that Asterisk runs")

    async def _login(self, session: _Session, ended: asyncio.Future) -> None:
        done, _ = await asyncio.wait({session.login_reply, ended}, timeout=5,
                                     return_when=asyncio.FIRST_COMPLETED)
        if session.login_reply not in done:
            if ended.done():
                raise ConnectionRefusedError(str(ended.result() or "refused"))
            raise asyncio.TimeoutError("no answer to Login")
        reply = session.login_reply.result()
        if reply.get("Response") != "Success":
            error = AmiError(f"login as {self._username!r} refused: {reply.get('Message')}")
            error.reason = reply.get("Message") or "no reason given"
            raise error
        self._linked = True
