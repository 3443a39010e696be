"""Background tasks with an owner: every task started here is cancelled and
awaited by whoever started it.

``Worker``: one long-running loop of an adapter (a supervisor, a watcher, a
ticker), started once and stopped once, or run for a block's length
(``during``: how the leader-only parts run while this replica leads). ``TaskSet``: short tasks spawned
per event (a handler, a resync, a log write); ``close()`` cancels those
still running, and a failure is logged rather than lost with the task.
``periodic``: the body of a ticker's loop (one step, a pause, again), which
outlives a failing step. ``Background``: the base of a component that owns
one such loop and can be woken early (the desk lamp, the spool import).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from .outage import Outage

log = logging.getLogger(__name__)


class Worker:
    """``run()`` as one named task between ``start()`` and ``stop()``."""

    def __init__(self, run: Callable[[], Awaitable[None]], name: str) -> None:
        self._run = run
        self.name = name
        self._task: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        """Start the task (a second call while it runs does nothing)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)  # type: ignore[arg-type]

    async def stop(self) -> None:
        """Cancel the task and wait until it has ended."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    @asynccontextmanager
    async def during(self) -> AsyncIterator[None]:
        """The task for the block's length: created, yielded, cancelled,
        awaited (a leader-only part, ``leadership.Leadership``)."""
        self.start()
        try:
            yield
        finally:
            await self.stop()


class Background:
    """An owner of one background loop, ``_loop()``, run between ``start()``
    and ``stop()``; ``wake()`` ends the loop's current ``pause()`` early."""

    def __init__(self, name: str) -> None:
        self._woken = asyncio.Event()
        self._worker = Worker(self._loop, name)

    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

    def during(self) -> AbstractAsyncContextManager[None]:
        """The loop for a block's length (``Worker.during``)."""
        return self._worker.during()

    def wake(self, *_args: object) -> None:
        """Run the next round now (usable as an event hook: arguments ignored)."""
        self._woken.set()

    async def pause(self, seconds: float) -> None:
        await pause(self._woken, seconds)

    async def _loop(self) -> None:
        raise NotImplementedError


class TaskSet:
    """Short-lived tasks of one owner, cancelled together by ``close()``."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._tasks: set[asyncio.Future] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, Any] | asyncio.Future) -> asyncio.Future:
        """Run ``work`` in the background; an exception it ends with is logged."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Future) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: background task failed", self.owner, exc_info=task.exception())

    async def close(self) -> None:
        """Cancel every task still running and wait for them to end."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


async def periodic(step: Callable[[], Awaitable[object]], every: float, *, name: str,
                   log: logging.Logger, wake: asyncio.Event | None = None,
                   failed: Callable[[], object] | None = None) -> None:
    """Run ``step()``, then pause ``every`` seconds, forever; setting ``wake``
    ends a pause early (it is cleared after each pause).

    A step that raises calls ``failed()`` and starts or continues an outage
    (``outage.Outage``): one WARNING ``"<name>: <exception type>: <cause>;
    retrying with back-off ..."`` when it starts, retries backed off up to
    twice ``every`` or 10 s, whichever is longer (a wake does not shorten
    them), and one INFO line when a step works again. The loop goes on, so
    the next step is the retry (Redis or Asterisk away is a pause, not the
    end of the loop). Cancelling the task running it ends it
    (``CancelledError`` is not an ``Exception``).
    """
    outage = Outage(name, log, every, cap=max(10.0, 2 * every))
    while True:
        try:
            await step()
        except Exception as exc:
            if failed is not None:
                failed()
            await asyncio.sleep(outage.failed(exc))
            if wake is not None:
                wake.clear()
            continue
        outage.succeeded()
        if wake is None:
            await asyncio.sleep(every)
        else:
            await pause(wake, every)


def leader_sweep(step: Callable[[], Awaitable[object]], every: float, *, name: str,
                 log: logging.Logger, leading: Callable[[], bool]) -> Worker:
    """A ``Worker`` running ``step()`` every ``every`` seconds (``periodic``),
    skipped while ``leading()`` is false: leadership can go between the
    moment it is lost and the moment the leader-only part is stopped."""
    async def gated() -> None:
        if leading():
            await step()
    return Worker(lambda: periodic(gated, every, name=name, log=log), name)


async def pause(wake: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less if ``wake`` is set meanwhile; then clear it."""
    try:
        await asyncio.wait_for(wake.wait(), seconds)
    except asyncio.TimeoutError:
        pass
    wake.clear()
