"""Import the AstDB spool into the callback store.

Runs when AMI (re)connects and every ``every`` seconds, on the leading
replica only (two replicas importing the same entry could dial a number
twice): ``leading`` is its leader-only part. Per entry: one callback per number (the service updates an open
one), the deadline counted from the time the caller asked, and the entry is
removed only after the store acknowledged the request. A store that is away
leaves every entry where it is, for the next round.

Refused entries (a number the policy refuses, a malformed value, any value
the import cannot read) are kept aside, each on its own: the rest of the
round goes on. Kept aside means left in AstDB where the dialplan wrote them
(the number policy may be misconfigured, and deleting would lose a
customer's request; the controller's AMI user cannot write AstDB) and not
tried again by this controller while the value stays the same: one ERROR
line per entry names it with the command that removes it (a controller
that starts, or takes the lead, names it once again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from redis.exceptions import RedisError

from ..logs import cause
from ..ports import AmiDisconnected, AmiError, AmiPort
from ..tasks import Background
from ..service import Accepted, CallbacksService, RateLimited, RequestError
from ..timefmt import for_machines
from .astdb import AstDbSpool
from .entry import FAMILY, BadEntry, SpoolEntry, parse

log = logging.getLogger(__name__)

Submit = Callable[[SpoolEntry], Awaitable[Accepted | None]]

# How long the store remembers an imported entry: far longer than any gap
# between storing a request and removing its entry from AstDB.
IMPORTED_TTL = 7 * 86400


def service_submit(service: CallbacksService) -> Submit:
    """The one place the spool reaches the callback service. None: the entry
    was stored by an earlier import (a controller that died before removing
    it), so it is only to be removed, never stored twice: a finished callback
    would otherwise be created anew and the customer called again."""
    async def submit(entry: SpoolEntry) -> Accepted | None:
        found = service.topics.classify(entry.topic_code)
        topic = found.name if found and found.name != "unknown" else ""
        return await service.request_once(f"spool:{entry.key}", IMPORTED_TTL,
                                          number=entry.number, topic=topic, source="spool",
                                          now=entry.asked_at, language=entry.language)
    return submit


def _ami_trouble(exc: BaseException) -> str:
    """What kept a round from AMI, in the words of the AMI link's own state."""
    if isinstance(exc, asyncio.TimeoutError):
        return "AMI did not answer in time (the link's heartbeat checks it at once)"
    if isinstance(exc, AmiError):
        return "AMI refused the read"
    return "AMI link down"


@dataclass
class Round:
    """What one import round did (for logs and tests)."""
    imported: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


class SpoolImporter(Background):
    def __init__(self, spool: AstDbSpool, submit: Submit, *, clock: Callable[[], datetime],
                 every: float = 10.0) -> None:
        super().__init__("spool-import")
        self.spool = spool
        self.submit = submit
        self.clock = clock
        self.every = every
        self._aside: dict[str, str] = {}    # refused entries, key -> value (logged once)
        self._unremoved: set[str] = set()   # stored, removal not confirmed yet
        self._lock = asyncio.Lock()

    @property
    def kept_aside(self) -> int:
        """Entries refused and left in AstDB (a customer's request not
        scheduled until an operator looks at it)."""
        return len(self._aside)

    async def on_ami_connected(self, *_: object) -> None:
        self.wake()

    @asynccontextmanager
    async def leading(self) -> AsyncIterator[None]:
        """Import while the block runs; an entry kept aside is named once
        again (its ERROR line) by the replica that takes the lead, and a
        replica that stops leading counts none (the leader's count is the
        one ``kept_aside`` shows)."""
        self._aside.clear()
        try:
            async with self.during():
                yield
        finally:
            self._aside.clear()

    async def _loop(self) -> None:
        while True:
            await self.pause(self.every)
            if not self.spool.ami.ready.is_set():
                continue
            try:
                await self.run_once()
            except (AmiDisconnected, AmiError, asyncio.TimeoutError, OSError) as exc:
                log.info("spool import postponed: %s (%s)", _ami_trouble(exc), cause(exc))
            except Exception:  # noqa: BLE001 - the loop must outlive a bug in one round
                log.exception("spool import round failed; tried again in %.0f s", self.every)

    async def run_once(self) -> Round:
        """One round over every entry; AMI errors while listing propagate."""
        async with self._lock:
            done = Round()
            entries = await self.spool.entries()
            # An entry gone from AstDB is forgotten: written again, it is read again.
            self._aside = {k: v for k, v in self._aside.items() if entries.get(k) == v}
            for key, value in sorted(entries.items()):
                if not await self._one(key, value, done):
                    break  # the store is away: the rest waits for the next round
            return done

    async def _one(self, key: str, value: str, done: Round) -> bool:
        """Import one entry; False when the store is away (stop the round)."""
        if key in self._unremoved:
            await self._remove(key, done)
            return True
        if key in self._aside:      # refused already, unchanged: not tried again
            done.refused.append(key)
            return True
        try:
            entry = parse(key, value, self.clock())
            accepted = await self.submit(entry)
        except RateLimited as exc:
            log.warning("spool entry %s kept for later: %s", key, exc)
            done.kept.append(key)
            return True
        except (BadEntry, RequestError) as exc:
            self._set_aside(key, value, str(exc), done)
            return True
        except (RedisError, OSError) as exc:
            log.warning("spool import waits for the store (%s); %s kept", exc, key)
            done.kept.append(key)
            return False
        except Exception as exc:  # noqa: BLE001 - one entry must never stop the others
            self._set_aside(key, value, f"unreadable: {type(exc).__name__}: {exc}", done)
            return True
        if accepted is None:
            log.info("spool entry %s was stored by an earlier import: removing it", key)
            self._unremoved.add(key)
            await self._remove(key, done)
            return True
        log.info("callback %s %s from spool entry %s for %s (asked %s, deadline %s)",
                 accepted.id, "stored" if accepted.created else "updated", key,
                 accepted.number, for_machines(entry.asked_at), for_machines(accepted.deadline),
                 extra={"callback": accepted.id})
        self._unremoved.add(key)
        await self._remove(key, done)
        return True

    def _set_aside(self, key: str, value: str, why: str, done: Round) -> None:
        """Keep a refused entry aside: named once, left in AstDB, skipped while unchanged."""
        done.refused.append(key)
        self._aside[key] = value
        shown = key if key.isascii() and key.isdigit() else repr(key)
        log.error("spool entry %s=%r refused (%s); kept aside in AstDB and not tried again "
                  "while it is unchanged: remove it with 'asterisk -rx \"database del %s %s\"'",
                  shown, value, why, FAMILY, shown)

    async def _remove(self, key: str, done: Round) -> None:
        if await self.spool.remove(key):
            self._unremoved.discard(key)
            done.imported.append(key)
        else:
            done.kept.append(key)


def build(ami: AmiPort, service: CallbacksService, *,
          clock: Callable[[], datetime]) -> SpoolImporter:
    """The importer of a running controller (run while leading): imports at
    every AMI login too."""
    importer = SpoolImporter(AstDbSpool(ami), service_submit(service), clock=clock)
    ami.on_connected(importer.on_ami_connected)
    return importer
