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
import codecs
import fnmatch
import logging
import random
import re
from collections.abc import Awaitable, Callable
from typing import Any

from panoramisk import Manager, actions
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from ..logs import Repeats
from ..tasks import Worker

log = logging.getLogger(__name__)

EventHandler = Callable[[Message], Any]
ConnectedHook = Callable[["AmiClient"], Awaitable[None]]


class AmiError(RuntimeError):
    """Asterisk answered an action with an error."""

    reason = ""


class AmiDisconnected(ConnectionError):
    """The AMI link is down (or dropped while the action was in flight)."""


def check_header_value(key: str, value: Any) -> str:
    """Return ``value`` as a header string, refusing what would break framing.

    panoramisk writes ``key: value`` as is, so a CR or LF in a value would
    inject extra headers or whole actions.
    """
    text = str(value)
    if "\r" in text or "\n" in text or "\r" in key or "\n" in key or ":" in key:
        raise ValueError(f"AMI header {key!r} carries a line break or separator")
    return text


class _Action(actions.Action):
    """panoramisk's Action, with list detection that does not assume an
    ``Async`` header: its own raises KeyError inside ``data_received`` for any
    action answered "... successfully queued" without one (PlayDTMF), which
    drops the whole connection."""

    @property
    def multi(self) -> bool:
        if self.as_list is not None:
            return bool(self.as_list)
        first = self.responses[0]
        text = (first.message or "").lower()
        if first.subevent == "Start" or first.get("EventList") == "start":
            return True
        if "will follow" in text or (text.startswith("added") and text.endswith("to queue")):
            return True
        return text.endswith("successfully queued") and \
            str(self.get("async", "false")).lower() not in ("false", "0", "no")


class _Protocol(AMIProtocol):
    """panoramisk's framing, made cheaper and safe for UTF-8.

    A busy desk's AMI stream is mostly events the controller has no handler
    for (channels, bridges, music on hold ...): those are dropped by their
    ``Event:`` line before being parsed into a ``Message``. Anything that
    carries an ``ActionID`` (the answer to an action) is always parsed. Bytes
    are decoded incrementally, so a caller name split across two reads keeps
    its characters (panoramisk decodes each read on its own and drops them).
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""

    def data_received(self, data: bytes) -> None:
        text = self._buffer + self._decoder.decode(data)
        if self.version is None and text.startswith("Asterisk Call Manager/"):
            self.version = text.split("\r\n", 1)[0].partition("/")[2].strip()
        blocks = text.split("\r\n\r\n")
        self._buffer = blocks.pop()
        wants = getattr(self.factory, "wants", None)
        for block in blocks:
            block = block.strip()
            if wants is not None and block.startswith("Event: ") and "ActionID: " not in block:
                end = block.find("\r\n")
                if not wants(block[7:end if end >= 0 else None]):
                    continue
            message = Message.from_line(block)
            if message is not None:
                self.handle_message(message)


class _Session(Manager):
    """One AMI connection; tells its owner when it ends instead of retrying.

    Events are dispatched by exact name through a dict (patterns with
    wildcards still match as fnmatch patterns): panoramisk tries every
    registered pattern's regex on every event.
    """

    def __init__(self, ended: asyncio.Future, **config: Any) -> None:
        self._exact: dict[str, list[Callable[[Manager, Message], Any]]] = {}
        self._wild: list[tuple[re.Pattern, Callable[[Manager, Message], Any]]] = []
        self._wanted: dict[str, bool] = {}
        super().__init__(protocol_factory=_Protocol, **config)
        self._ended = ended
        self.login_reply: asyncio.Future = self.loop.create_future()

    def register_event(self, pattern: str, callback: Any = None) -> Any:
        if callback is None:
            raise TypeError("register_event needs a callback")
        if any(c in pattern for c in "*?["):
            self._wild.append((re.compile(fnmatch.translate(pattern)), callback))
        else:
            self._exact.setdefault(pattern, []).append(callback)
        self._wanted.clear()
        return callback

    def wants(self, event: str) -> bool:
        """Has any handler been registered for events named ``event``?"""
        wanted = self._wanted.get(event)
        if wanted is None:
            wanted = self._wanted[event] = event.lower() == "shutdown" or \
                event in self._exact or any(rx.match(event) for rx, _ in self._wild)
        return wanted

    def dispatch(self, event: Message) -> list[str]:
        event.manager = self
        name = event.get("Event", "")
        matched = []
        for callback in self._exact.get(name, ()):
            matched.append(name)
            self._schedule(callback(self, event))
        for rx, callback in self._wild:
            if rx.match(name):
                matched.append(rx.pattern)
                self._schedule(callback(self, event))
        return matched

    def _schedule(self, result: Any) -> None:
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            asyncio.ensure_future(result, loop=self.loop)

    def login(self, future: asyncio.Future) -> bool:
        ok = super().login(future)
        if not self.login_reply.done():
            if future.exception() is not None:
                self.login_reply.set_exception(future.exception())
            else:
                self.login_reply.set_result(future.result())
        return ok

    def connection_made(self, f: asyncio.Future) -> None:
        if f.cancelled() or f.exception() is not None:
            if not self._ended.done():
                self._ended.set_result(f.exception() if not f.cancelled() else None)
            return
        super().connection_made(f)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connected = False
        if self.pinger:
            self.pinger.cancel()
            self.pinger = None
        # Never re-send what was in flight on the next connection.
        self.awaiting_actions.clear()
        if not self._ended.done():
            self._ended.set_result(exc)

    def ping(self) -> None:
        if self.protocol is not None and not getattr(self.protocol, "closed", True):
            super().ping()


class AmiClient:
    """A supervised AMI session.

    ``on_event(pattern, handler)`` registers a handler (fnmatch pattern on the
    event name) that survives reconnects. ``on_connected(hook)`` registers an
    async hook run after every login, before ``ready`` is set.
    """

    def __init__(self, host: str, port: int, username: str, secret: str, *,
                 name: str = "ami", events: str = "on",
                 action_timeout: float = 5.0, max_backoff: float = 10.0) -> None:
        self.host, self.port = host, port
        self._username, self._secret = username, secret
        self.name = name
        self._events = events
        self.action_timeout = action_timeout
        self.max_backoff = max_backoff
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
        framing. An ``Originate`` must say ``Async`` explicitly.
        """
        clean = {k: ([check_header_value(k, i) for i in v] if isinstance(v, (list, tuple))
                     else check_header_value(k, v)) for k, v in action.items()}
        if clean.get("Action", "").lower() == "originate" and "Async" not in clean:
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
