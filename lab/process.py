"""Ending a process the lab started (``asyncio.subprocess.Process``).

``signal_alive``: a signal (a crash, a pause) to a process still running.
``terminate``: SIGTERM, then SIGKILL once the grace time has passed, and
wait until it has ended; a process never started or already ended is left
as it is. ``OwnProcess``: both, and the removal of its directory, for a
server the lab runs in a temporary directory of its own. ``Started``: ``async
with`` for what the lab starts as a whole (a stack, a cluster): stopped on
leaving, and on a failed start whatever had started.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
from asyncio.subprocess import Process
from pathlib import Path


def signal_alive(proc: Process | None, sig: int = signal.SIGKILL) -> None:
    if proc is not None and proc.returncode is None:
        proc.send_signal(sig)


async def terminate(proc: Process | None, grace: float = 10) -> None:
    if proc is None or proc.returncode is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), grace)
    except asyncio.TimeoutError:
        proc.kill()   # still running after the grace time: nothing is left behind
        await proc.wait()


class OwnProcess:
    """A server the lab runs; the subclass sets ``process`` when it starts
    it and ``dir``, the temporary directory it runs in."""

    process: Process | None
    dir: Path

    def kill(self, sig: int = signal.SIGKILL) -> None:
        signal_alive(self.process, sig)

    async def stop(self) -> None:
        await terminate(self.process)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class Started:
    """``async with``: ``start()``; ``stop()`` on leaving, and at once if the
    start fails (whatever had started by then is stopped)."""

    async def __aenter__(self):
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError
