"""Confirmations queued where they happen and delivered by the leader.

``confirm(event, cb)`` is called by the callback service when a callback is
registered, booked or cancelled: it writes the confirmation to the outbox
(one Redis script; a failure is one ERROR line, never the caller's
problem) and wakes the delivery. While this replica leads (``leading``),
each step sends what is due, oldest first, and looks for callbacks whose
deadline passed with no dial (``desk.callback.late``), confirming each once.

Each try is one POST through the SLA-risk webhook's own ``post`` (same
timeout and failure reading), signed: ``X-Datadesk-Signature: sha256=<hex
HMAC-SHA256 of the body with [notify] secret>``. The body is sent byte for
byte as queued, so a retry carries the same signature. A failure the
gateway may get over (network, timeout, 5xx, 408, 429) is tried again after
``backoff`` seconds, doubling up to ``backoff_max``, for as long as it takes;
it also ends that step (the rest wait: a gateway that is down costs one
timeout per step, not one per queued confirmation) and is one WARNING per
outage (INFO for each try after, and when the gateway answers again);
a 4xx that says the payload is refused is kept aside (``refused``), with
one ERROR line, and so is an entry whose event or id the controller did not
write (they go out as headers). The secret is never logged; the URL is logged without its
credentials and query.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

import aiohttp
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..alerts.webhook import post, shown
from ..booking import promise_of
from ..desk.callback import Callback, late
from ..settings import Settings
from ..store.outbox import Entry
from ..store.stores import Stores
from ..tasks import Worker, periodic
from .message import Event, body

log = logging.getLogger(__name__)
KEEP = 7 * 86400     # seconds a queued key (and a refused entry) is remembered
EVENTS = frozenset(e.value for e in Event)
ENTRY_ID = re.compile(r"n[1-9][0-9]{0,17}")   # as the outbox's INCR names them


class OutboxPort(Protocol):
    async def enqueue(self, once: str, body: str, *, event: str, callback: str, now: float,
                      keep: int) -> str | None: ...

    async def due(self, now: float, limit: int = 20) -> list[Entry]: ...

    async def done(self, entry_id: str) -> None: ...

    async def retry(self, entry_id: str, when: float, why: str) -> None: ...

    async def refuse(self, entry_id: str, now: float, why: str, keep: int) -> None: ...

    async def waiting(self) -> int: ...


class DeadlineIndex(Protocol):
    async def open_due_by(self, deadline: float, limit: int = 500) -> list[Callback]: ...


@dataclass(frozen=True)
class NotifyRules:
    """``[notify]``: where and how confirmations go."""
    url: str
    secret: str
    timeout: float = 5.0        # seconds per try
    backoff: float = 5.0        # seconds before the first retry; doubles
    backoff_max: float = 600.0  # the longest pause between tries
    every: float = 1.0          # seconds between delivery steps
    late_every: float = 30.0    # seconds between looks for late callbacks


def confirmations_of(settings: Settings, stores: Stores) -> Confirmations | None:
    """The customers' confirmations, if ``[notify] url`` names a gateway."""
    n = settings.notify
    if not n.url:
        return None
    return Confirmations(stores.outbox, NotifyRules(n.url, n.secret, n.timeout, n.backoff,
                                                    n.backoff_max),
                         zone=ZoneInfo(settings.calendar.timezone),
                         language=settings.callbacks.language, deadlines=stores.callbacks)


RESULTS = ("queued", "delivered", "retried", "refused")


def families(confirmations: Confirmations | None) -> Iterator[Metric]:
    """The confirmations' metric families (none when none are sent): tries
    by result, zeros too, and the backlog once the leader has read it."""
    if confirmations is None:
        return
    total = CounterMetricFamily("datadesk_confirmations_total", "Customers' confirmations by "
                                "what became of each try (since start).", labels=["result"])
    for result in RESULTS:
        total.add_metric([result], confirmations.counts.get(result, 0))
    yield total
    if confirmations.waiting is not None:
        yield GaugeMetricFamily("datadesk_confirmations_waiting", "Confirmations not yet "
                                "delivered (the gateway is slow or away), as the leader last "
                                "read the outbox.", value=confirmations.waiting)


class ConfirmationsCollector(Collector):
    """``families`` of a controller's confirmations (its ``confirmations``,
    None without ``[notify] url``), read at every scrape."""

    def __init__(self, source: object) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        return families(getattr(self.source, "confirmations", None))


def signature(secret: str, data: bytes) -> str:
    """The ``X-Datadesk-Signature`` header's value for ``data``."""
    return "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


class Confirmations:
    def __init__(self, outbox: OutboxPort, rules: NotifyRules, *, zone: ZoneInfo,
                 language: str, deadlines: DeadlineIndex,
                 clock: Callable[[], float] = time.time) -> None:
        """``language``: the desk's, for a callback that has none of its own."""
        self.outbox, self.rules, self.zone, self.language = outbox, rules, zone, language
        self.deadlines, self.clock = deadlines, clock
        self.counts: Counter = Counter()       # delivered, retried, refused, queued
        self.waiting: int | None = None        # not yet delivered (None: unknown)
        self._wake = asyncio.Event()
        self._last_late = 0.0
        self._late: set[str] = set()           # confirmed late while this replica leads
        self._failing = False                  # the last try met a failure that may pass
        self._session: aiohttp.ClientSession | None = None
        self.worker = Worker(self._run, "confirmations")

    async def confirm(self, event: Event, cb: Callback) -> None:
        """Queue the confirmation of ``event`` for ``cb`` (once per callback,
        event and promise); never raises."""
        promise = promise_of(cb)
        now = self.clock()
        data = json.dumps(body(event, cb, promise, self.zone, self.language,
                               datetime.fromtimestamp(now, timezone.utc)),
                          ensure_ascii=False, separators=(",", ":"))
        key = f"{cb.id}:{event.value}:{cb.promised.start or ''}:{cb.promised.end or ''}"
        try:
            queued = await self.outbox.enqueue(key, data, event=event.value, callback=cb.id,
                                               now=now, keep=KEEP)
        except Exception as exc:
            log.error("confirmation %s of callback %s NOT queued (%s: %s); the callback "
                      "stands", event.value, cb.id, type(exc).__name__, exc,
                      extra={"callback": cb.id})
            return
        if queued:
            self.counts["queued"] += 1
            self._wake.set()

    @asynccontextmanager
    async def leading(self) -> AsyncIterator[None]:
        """Deliver while the block runs (this replica leads)."""
        self._late.clear()
        async with self.worker.during():
            yield

    async def _run(self) -> None:
        await periodic(self.step, self.rules.every, name="confirmations", log=log,
                       wake=self._wake)

    async def stop(self) -> None:
        await self.worker.stop()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def step(self) -> None:
        """Deliver what is due; now and then, confirm the callbacks gone late."""
        now = self.clock()
        if now - self._last_late >= self.rules.late_every:
            self._last_late = now
            for cb in await self.deadlines.open_due_by(now):
                if late(cb, now) and cb.id not in self._late:
                    self._late.add(cb.id)   # queued once in Redis anyway; asked once here
                    await self.confirm(Event.LATE, cb)
        for entry in await self.outbox.due(self.clock()):
            if not await self._deliver(entry):
                break   # the gateway is failing: the rest wait for a later step
        self.waiting = await self.outbox.waiting()

    async def _deliver(self, entry: Entry) -> bool:
        """One try of ``entry``; False when it met a failure that may pass."""
        if entry.event not in EVENTS or not ENTRY_ID.fullmatch(entry.id):
            # Read from Redis and sent as headers: one the controller did not
            # write is kept aside, never sent (nor left to block the queue).
            self.counts["refused"] += 1
            await self.outbox.refuse(entry.id, self.clock(), "not a confirmation", KEEP)
            log.error("outbox entry %r (event %r) is not a confirmation the controller "
                      "wrote: kept aside, not sent", entry.id[:40], entry.event[:40])
            return True
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.rules.timeout))
        data = entry.body.encode()
        tried = await post(self._session, self.rules.url, data, {
            "X-Datadesk-Signature": signature(self.rules.secret, data),
            "X-Datadesk-Event": entry.event, "X-Datadesk-Delivery": entry.id})
        where = shown(self.rules.url)
        if self._failing and (tried.ok or not tried.retry):
            self._failing = False
            log.info("the confirmations' gateway %s answers again", where)
        if tried.ok:
            self.counts["delivered"] += 1
            await self.outbox.done(entry.id)
            log.info("confirmation %s (%s) of callback %s delivered to %s", entry.id,
                     entry.event, entry.callback, where, extra={"callback": entry.callback})
            return True
        if not tried.retry:
            self.counts["refused"] += 1
            await self.outbox.refuse(entry.id, self.clock(), tried.why, KEEP)
            log.error("confirmation %s (%s) of callback %s refused by %s (%s): kept aside, "
                      "not tried again", entry.id, entry.event, entry.callback, where,
                      tried.why, extra={"callback": entry.callback})
            return True
        pause = min(self.rules.backoff * 2 ** entry.tries, self.rules.backoff_max)
        self.counts["retried"] += 1
        await self.outbox.retry(entry.id, self.clock() + pause, tried.why)
        (log.info if self._failing else log.warning)(
            "confirmation %s (%s) of callback %s not delivered to %s (%s); it waits, next "
            "try in %.0f s", entry.id, entry.event, entry.callback, where, tried.why, pause,
            extra={"callback": entry.callback})
        self._failing = True
        return False
