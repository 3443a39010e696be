"""Wallboards on the walls: what each more open board costs the store.

The lab stack (real Asterisk, real Redis, the controller) with a seat's
pause toggled in Asterisk every half second, so the board changes twice a
second as on a busy desk. Three phases of the same length, in this run: no
wallboard open, one, and ``--viewers`` (30: a large centre's walls and
supervisors' screens), each viewer a Server-Sent Events stream of
``/api/wallboard/events``. Redis's own count of the commands it ran
(``INFO commandstats``) gives each phase's reads; less the phase with none
open, it is what the boards cost. Printed: that cost with ``--viewers``
open as a ratio to one board's (each board building its own snapshot would
be about ``--viewers`` times), and the pushes each viewer received a second
(every board still gets every change and one push a second).

    .venv/bin/python -m bench.wallboard [--viewers 30] [--seconds 15] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp
import redis.asyncio as aioredis

from bench.common import Results
from lab.stack import Stack


async def commands_run(admin: aioredis.Redis) -> int:
    stats = await admin.info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items() if k.startswith("cmdstat_"))


async def viewer(lab: Stack, pushes: list[int], index: int) -> None:
    timeout = aiohttp.ClientTimeout(total=None, sock_read=10)
    async with aiohttp.ClientSession(headers=lab.controller.headers, timeout=timeout) as http:
        async with http.get(lab.controller.url + "/api/wallboard/events") as resp:
            async for line in resp.content:
                if line.startswith(b"data: "):
                    pushes[index] += 1


async def toggling(lab: Stack, stop: asyncio.Event) -> int:
    """Pause and unpause seat 8601 every half second; the changes made."""
    changes, paused = 0, False
    while not stop.is_set():
        paused = not paused
        await lab.probe.pause(["8601"], paused=paused, reason="meeting", check=False)
        changes += 1
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except asyncio.TimeoutError:
            pass
    await lab.probe.pause(["8601"], paused=False, check=False)
    return changes


async def phase(lab: Stack, admin: aioredis.Redis, viewers: int,
                seconds: float) -> tuple[int, float, int]:
    """(Redis commands run, pushes a viewer a second, board changes) with
    ``viewers`` boards open for ``seconds``."""
    pushes = [0] * viewers
    streams = [asyncio.create_task(viewer(lab, pushes, i)) for i in range(viewers)]
    await asyncio.sleep(1)                 # every stream open and past its first push
    start_pushes, stop = sum(pushes), asyncio.Event()
    before, started = await commands_run(admin), time.monotonic()
    changer = asyncio.create_task(toggling(lab, stop))
    await asyncio.sleep(seconds)
    stop.set()
    changes = await changer
    ran, elapsed = await commands_run(admin) - before, time.monotonic() - started
    received = sum(pushes) - start_pushes
    for stream in streams:
        stream.cancel()
    await asyncio.gather(*streams, return_exceptions=True)
    return ran, received / elapsed / viewers if viewers else 0.0, changes


async def run(args: argparse.Namespace) -> int:
    results = Results("wallboard")
    async with Stack(relays=False) as lab:
        admin = aioredis.from_url(lab.redis.url)
        try:
            runs = {}
            for viewers in (0, 1, args.viewers):
                runs[viewers] = await phase(lab, admin, viewers, args.seconds)
                ran, rate, changes = runs[viewers]
                results.note(f"{viewers:>3} board(s) open for {args.seconds:g} s, {changes} "
                             f"board changes: Redis ran {ran} commands; each board received "
                             f"{rate:.2f} pushes a second")
        finally:
            await admin.aclose()
    idle = runs[0][0]
    one, many = max(runs[1][0] - idle, 1), runs[args.viewers][0] - idle
    results.add(f"store reads with {args.viewers} boards open / with one", many / one, "x",
                at_most=args.viewers / 4)
    results.add(f"pushes a second to each of {args.viewers} boards", runs[args.viewers][1],
                "/s", at_least=1.0)
    return results.finish(args.json)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
