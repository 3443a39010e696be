"""AMI on the wire: panoramisk's framing and event dispatch, made safe and cheap.

``AmiClient`` (``ami.py``) supervises one ``_Session`` at a time; this
module holds what one connection does: header checks, list detection,
incremental UTF-8 framing, early drop of unwanted events, dispatch by name.
"""

from __future__ import annotations

import asyncio
import codecs
import fnmatch
import re
from collections.abc import Callable
from typing import Any

from panoramisk import Manager, actions
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from ..ports import AmiError


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
        heard = getattr(self.factory, "heard", None)
        if heard is not None:
            heard()   # anything at all from Asterisk: the link lives (heartbeat.py)
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
        self.heard: Callable[[], None] | None = None

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

    async def logged_in(self, ended: asyncio.Future, username: str) -> None:
        """Wait for the login's answer (5 s); raise ``AmiError`` (``reason``:
        Asterisk's message) if refused, ``ConnectionRefusedError`` if the
        connection ended first, ``asyncio.TimeoutError`` if nothing came."""
        done, _ = await asyncio.wait({self.login_reply, ended}, timeout=5,
                                     return_when=asyncio.FIRST_COMPLETED)
        if self.login_reply not in done:
            if ended.done():
                raise ConnectionRefusedError(str(ended.result() or "refused"))
            raise asyncio.TimeoutError("no answer to Login")
        reply = self.login_reply.result()
        if reply.get("Response") != "Success":
            error = AmiError(f"login as {username!r} refused: {reply.get('Message')}")
            error.reason = reply.get("Message") or "no reason given"
            raise error

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
        """Not panoramisk's: it sends ``Ping`` and never looks for the answer.
        The client's heartbeat pings and times the answer (``heartbeat.py``)."""
