"""The SLA-risk webhook: one JSON POST per callback newly at risk; and
``post``, one try of a webhook's delivery, which the customers'
confirmations (``ari_app/notify``) send through as well.

``offer()`` never waits: an alert goes into a bounded queue, and when the
queue is full (the receiver is down and alerts pile up) the new alert is
dropped with a WARNING and counted (``dropped``), rather than memory
growing without end. One ``Worker`` sends them in order: each try has a
timeout; a network error, a timeout, a 5xx, 408 or 429 is tried again after
a doubling pause, up to ``retries`` more times; any other 4xx is the
receiver refusing the payload and is not retried. What came of each is
counted (``sent``, ``failed``) and a failed one is logged with the callback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from ..desk.callback import Callback
from ..desk.numbers import mask
from ..tasks import Worker
from ..timefmt import for_machines

log = logging.getLogger(__name__)

RETRYABLE = frozenset({408, 429})


def shown(url: str) -> str:
    """The URL fit for a log line: no credentials, no query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


@dataclass(frozen=True)
class Tried:
    """What one POST came to: accepted (2xx), or why not and whether trying
    again may help (a network error, a timeout, a 5xx, 408 or 429 may; any
    other 4xx is the receiver refusing the payload)."""
    ok: bool
    retry: bool = False
    why: str = ""


async def post(session: aiohttp.ClientSession, url: str, data: bytes,
               headers: dict[str, str] | None = None) -> Tried:
    """POST ``data`` (JSON) to ``url`` once, within the session's timeout."""
    try:
        async with session.post(url, data=data, headers={
                "Content-Type": "application/json", **(headers or {})}) as resp:
            if resp.status < 300:
                return Tried(True)
            retry = resp.status >= 500 or resp.status in RETRYABLE
            return Tried(False, retry, f"HTTP {resp.status}")
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        return Tried(False, True, f"{type(exc).__name__}: {exc}" if str(exc)
                     else type(exc).__name__)


def masked(number: str) -> str:
    """All but the last four digits hidden (``*``, plain ASCII for any
    receiver): enough for a supervisor to recognise a call, not enough to
    dial it from a chat channel."""
    return mask(number, "*")


def minutes_left(cb: Callback, now: float) -> float:
    """Minutes from ``now`` (Unix s) to the callback's deadline, to a tenth."""
    return round((cb.times.deadline - now) / 60, 1)


def payload(cb: Callback, now: float) -> dict[str, object]:
    """The alert's JSON body (its named fields are the receiver's contract)."""
    return {"event": "callback-at-risk", "callback_id": cb.id,
            "number": masked(cb.request.number), "topic": cb.request.topic,
            "deadline": for_machines(cb.times.deadline), "minutes_left": minutes_left(cb, now)}


@dataclass(frozen=True)
class Delivery:
    """Where and how alerts are sent."""
    url: str
    timeout: float = 3.0          # seconds per try
    retries: int = 3              # tries after the first
    backoff: float = 1.0          # seconds before the first retry; doubles each time
    queue: int = 100              # alerts held at most while the receiver lags


class Webhook:
    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery
        self.counts: Counter = Counter()   # sent, failed, dropped
        self._queue: asyncio.Queue[dict[str, object]] = asyncio.Queue(delivery.queue)
        self.worker = Worker(self._run, "alerts-webhook")
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        self.worker.start()

    async def stop(self) -> None:
        await self.worker.stop()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def offer(self, body: dict[str, object]) -> bool:
        """Queue one alert without waiting; False (dropped, logged) when full."""
        try:
            self._queue.put_nowait(body)
            return True
        except asyncio.QueueFull:
            self.counts["dropped"] += 1
            log.warning("SLA-risk alert for callback %s dropped: %d alerts already wait for "
                        "%s", body.get("callback_id"), self._queue.qsize(),
                        shown(self.delivery.url))
            return False

    async def _run(self) -> None:
        while True:
            body = await self._queue.get()
            try:
                ok = await self.send(body)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must not end the worker: later alerts still go
                log.exception("SLA-risk alert for callback %s: sending broke",
                              body.get("callback_id"))
                ok = False
            self.counts["sent" if ok else "failed"] += 1

    async def send(self, body: dict[str, object]) -> bool:
        """POST ``body``, retrying as the module says; True once accepted (2xx)."""
        d = self.delivery
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=d.timeout))
        pause, data = d.backoff, json.dumps(body).encode()
        for attempt in range(d.retries + 1):
            if attempt:
                await asyncio.sleep(pause)
                pause *= 2
            tried = await post(self._session, d.url, data)
            if tried.ok:
                return True
            if not tried.retry:
                break
        cb_id = body.get("callback_id")
        log.warning("SLA-risk alert for callback %s not delivered to %s: %s", cb_id,
                    shown(d.url), tried.why, extra={"callback": str(cb_id)})
        return False
