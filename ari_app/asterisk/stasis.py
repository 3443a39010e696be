"""The desk's ARI application: the transferred caller enters, a route leaves.

The dialplan runs ``Stasis(datadesk,route,<target>,<topic>,<transferer>)``.
The controller decides with the desk's routing rule and sends the channel on
with ``continue`` to the dialplan context of the route. A live caller's
route (queue, named seat) is named by the extension it continues at, so the
``continue`` is the only REST call on the caller's path; informative
variables (the topic's name) follow it. The callback and out-of-scope paths
get their variables (``DESK_ROUTE``, ``DESK_CALLBACK_REASON``, ...) first.
The queue wait is the dialplan global ``DESK_QUEUE_WAIT``, set from the
settings at every ARI connect. Whatever
goes wrong here (a REST error, a slow Redis) the caller is sent on: to the
decided route if possible, else to the dialplan's own fallback. Never dead air.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..clock import utcnow
from ..desk.board import Board
from ..desk.calendar import ServiceCalendar
from ..desk.routing import GROUP, Decision, Route, RoutingPolicy, decide
from ..desk.topics import TopicCatalogue
from ..histograms import Timings
from ..tasks import TaskSet
from ..timefmt import for_machines
from ..ports import AriApplication, AriError, channel_path
from .capture import CallbackCapture

log = logging.getLogger(__name__)

# Where each route continues in the dialplan (dialplan/30-desk.conf).
DIALPLAN = {
    Route.QUEUE: ("desk-queue", "queue"),
    Route.SEAT: ("desk-seat", None),  # extension = the agent ID
    Route.CALLBACK: ("desk-callback", "s"),
    Route.OUT_OF_SCOPE: ("desk-out-of-scope", "s"),
    Route.FALLBACK: ("desk-fallback", "s"),
}

# Routes that put the caller through to a seat now (no REST call but the continue).
LIVE = (Route.QUEUE, Route.SEAT)

_AGENT_ID = re.compile(r"^[0-9A-Za-z]{1,32}$")
_TOPIC = re.compile(r"^[0-9]{2}$")

RecordFn = Callable[[str, dict[str, str]], Any]


def parse_args(args: list[Any]) -> tuple[str, str, str]:
    """(target, topic code, transferer) from the Stasis arguments.

    Anything that is not a plain agent ID is the group; a topic that is not
    two digits is no topic. The dialplan filters these already; this is the
    second fence.
    """
    def arg(i: int) -> str:
        return args[i] if len(args) > i and isinstance(args[i], str) else ""
    target = arg(1) if _AGENT_ID.fullmatch(arg(1)) else GROUP
    topic = arg(2) if _TOPIC.fullmatch(arg(2)) else ""
    transferer = arg(3) if _AGENT_ID.fullmatch(arg(3)) else ""
    return target, topic, transferer


@dataclass(frozen=True)
class RoutingRules:
    """What a routing decision is taken by: the desk's hours, its topics, the
    routing policy, the queue wait the dialplan is given, and the clock."""
    calendar: ServiceCalendar
    topics: TopicCatalogue
    policy: RoutingPolicy
    queue_wait: int
    clock: Callable[[], datetime] = utcnow
    # The desk's language, given to the dialplan (DESK_DEFAULT_LANGUAGE); empty: not set.
    language: str = ""
    # Topic name -> its callers' language ([topics] languages).
    topic_languages: Mapping[str, str] = field(default_factory=dict)


class DeskStasis:
    def __init__(self, ari: AriApplication, board: Board, rules: RoutingRules, *,
                 record: RecordFn | None = None, capture: CallbackCapture | None = None,
                 can_store: Callable[[], bool] = lambda: True) -> None:
        self.ari = ari
        self.board = board
        self.rules = rules
        self.calendar = rules.calendar
        self.topics = rules.topics
        self.policy = rules.policy
        self.queue_wait, self.language = rules.queue_wait, rules.language
        self.record = record
        self.capture = capture
        self.can_store = can_store
        self.clock = rules.clock
        self._pending = TaskSet("ARI routing")
        self.routes: Counter[str] = Counter()
        self.timings = Timings()  # exposed on /metrics
        ari.on_event("StasisStart", self.on_stasis_start)
        ari.on_connected(self.reconcile)

    def decide(self, args: list[Any]) -> tuple[Decision, str, str]:
        started = time.perf_counter()
        target, code, transferer = parse_args(args)
        decision = decide(self.board, self.calendar, self.clock(), target=target,
                          topic=self.topics.classify(code), policy=self.policy)
        self.timings.decision.observe(time.perf_counter() - started)
        self.routes[decision.route.value] += 1
        return decision, target, transferer

    async def on_stasis_start(self, event: dict[str, Any]) -> None:
        channel = event.get("channel", {})
        channel_id = channel.get("id", "")
        args = event.get("args") or []
        if args and args[0] == "capture":
            await self.on_capture(channel)
            return
        if not args or args[0] != "route":
            log.warning("ARI: channel %s entered with unknown arguments %r; dialplan fallback",
                        channel.get("name"), args)
            await self._continue(channel_id, Decision(Route.FALLBACK, "unknown entry"))
            return
        received = time.perf_counter()
        decision, target, transferer = self.decide(args)
        await self._continue(channel_id, decision)  # the caller first, the log line after
        self.timings.route.observe(time.perf_counter() - received)
        caller = channel.get("caller", {}).get("number", "")
        log.info("route %s caller=%s target=%s topic=%s transferer=%s -> %s (%s)",
                 channel.get("name"), caller, target,
                 decision.topic.name if decision.topic else "-", transferer or "-",
                 decision.route.value, decision.reason, extra={"call": channel_id})
        if self.record is not None:
            self._background(self.record("route", {
                "call": channel_id, "channel": channel.get("name", ""), "caller": caller,
                "target": target, "transferer": transferer,
                "topic": decision.topic.name if decision.topic else "",
                "route": decision.route.value, "reason": decision.reason,
                "seat": decision.seat or "",
                "deadline": for_machines(decision.deadline) or ""}))

    async def on_capture(self, channel: dict[str, Any]) -> None:
        """The caller reached the callback path: capture a callback under ARI."""
        channel_id = channel.get("id", "")
        if self.capture is not None and self.capture.active(channel_id):
            return  # already in capture here (found again after a reconnect)
        path = channel_path(channel_id)
        if self.capture is None or not self.can_store():
            log.error("callback capture unavailable for %s (callback store down); the dialplan "
                      "spools the request", channel.get("name"), extra={"call": channel_id})
            try:
                await self.ari.request("POST", path + "/continue")
            except (AriError, OSError, asyncio.TimeoutError) as exc:
                log.error("ARI: channel %s stuck in the application: %s", channel_id, exc)
            return
        found = self.topics.classify(await self._variable(path, "DESK_TOPIC"))
        topic = found.name if found and found.name != "unknown" else ""
        await self.capture.run(channel, topic=topic,
                               closed=not self.calendar.is_open(self.clock()),
                               language=await self._variable(path, "DESK_LANGUAGE")
                               or self.rules.topic_languages.get(topic, ""))

    async def _variable(self, path: str, name: str) -> str:
        """A channel variable ("" if unset or unreadable: the default applies)."""
        try:
            reply = await self.ari.request("GET", path + "/variable", params={"variable": name})
            return str((reply or {}).get("value", ""))
        except (AriError, OSError, asyncio.TimeoutError):
            return ""

    def _variables(self, decision: Decision) -> dict[str, str]:
        # A live route is named by the extension it continues at; the
        # dialplan sets DESK_ROUTE there itself.
        out = {} if decision.route in LIVE else {"DESK_ROUTE": decision.route.value}
        if decision.route is Route.CALLBACK:
            out["DESK_CALLBACK_REASON"] = decision.reason
            if decision.deadline is not None:
                out["DESK_DEADLINE"] = str(int(decision.deadline.timestamp()))
        if decision.topic is not None:
            out["DESK_TOPIC_NAME"] = decision.topic.name
        return out

    async def _continue(self, channel_id: str, decision: Decision) -> None:
        context, exten = DIALPLAN[decision.route]
        exten = exten or decision.seat or "s"
        path = channel_path(channel_id)
        variables = self._variables(decision)
        live = decision.route in LIVE
        try:
            if not live:
                await self._set_variables(path, variables)
            await self.ari.request("POST", path + "/continue",
                                   params={"context": context, "extension": exten, "priority": "1"})
            if live and variables:
                self._background(self._set_variables(path, variables, quiet=True))
        except (AriError, OSError, asyncio.TimeoutError) as exc:
            if getattr(exc, "status", None) == 404:
                log.info("ARI: channel %s left before it could be routed", channel_id)
                return
            log.error("ARI: could not route channel %s to %s (%s); trying the dialplan fallback",
                      channel_id, context, exc)
            if decision.route is not Route.FALLBACK:
                try:
                    await self.ari.request("POST", path + "/continue", params={
                        "context": "desk-fallback", "extension": "s", "priority": "1"})
                except (AriError, OSError, asyncio.TimeoutError) as again:
                    log.error("ARI: channel %s stuck in the application: %s", channel_id, again)

    async def _set_variables(self, path: str, variables: dict[str, str], *,
                             quiet: bool = False) -> None:
        try:
            await asyncio.gather(*(
                self.ari.request("POST", path + "/variable", params={"variable": k, "value": v})
                for k, v in variables.items()))
        except (AriError, OSError, asyncio.TimeoutError) as exc:
            if not quiet:
                raise
            log.info("ARI: %s not set on %s: %s", ", ".join(variables), path, exc)

    async def reconcile(self, ari: AriApplication) -> None:
        """After a (re)connect: the queue wait from the settings, and channels
        that were left in the application routed."""
        for name, value in (("DESK_QUEUE_WAIT", str(self.queue_wait)),
                            ("DESK_DEFAULT_LANGUAGE", self.language)):
            if not value:
                continue
            try:
                await ari.request("POST", "/asterisk/variable",
                                  params={"variable": name, "value": value})
            except (AriError, OSError, asyncio.TimeoutError) as exc:
                log.warning("ARI: cannot set %s to %s (the dialplan's value stays): %s",
                            name, value, exc)
        try:
            channels = await ari.request("GET", "/channels")
        except (AriError, OSError, asyncio.TimeoutError) as exc:
            log.warning("ARI: cannot list channels to reconcile: %s", exc)
            return
        for ch in channels or []:
            plan = ch.get("dialplan", {})
            if plan.get("app_name") == "Stasis" and \
                    plan.get("app_data", "").startswith(f"{ari.app},"):
                log.info("ARI: channel %s was left in the application; routing it now",
                         ch.get("name"))
                self._background(self.on_stasis_start(
                    {"channel": ch, "args": plan.get("app_data", "").split(",")[1:]}))

    def _background(self, coro: Any) -> None:
        self._pending.spawn(coro)

    async def stop(self) -> None:
        """Cancel the variable writes, log writes and reconciles still running."""
        await self._pending.close()
