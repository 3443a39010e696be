"""What "acknowledged means on a replica" costs: the store with and without WAIT.

On the lab's Sentinel set (a master, a replica, three sentinels on loopback,
``lab/sentinel.py``) the controller's own client (found through the
sentinels, logged in as its ACL user) runs the operations a person is told
the result of, ``create``, and the dialer's ``claim`` -> ``finish`` cycle,
first with ``wait_replicas = 0`` (the master's word), then with 1 (each
write followed by ``WAIT 1 500``), at each ``--clients`` concurrency. The
baseline is the same operation without the wait, measured in the same run
against the same servers, so the ratio is the cost of the wait.

    .venv/bin/python -m bench.durability [--ops 2000] [--clients 1,16] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time

from ari_app.desk.callback import Outcome, Status
from ari_app.store.callback_store import CallbackStore
from ari_app.store.connection import RedisStore
from ari_app.store.durable import Replication
from lab.sentinel import MASTER_NAME, SentinelRedis

from .common import Results, spread

# The wait adds a round trip to the replica and back; on loopback a create
# that waits should stay within this many milliseconds at the 99th percentile.
P99_CREATE_MS = 10.0
_numbers = itertools.count()


def store_for(lab: SentinelRedis, replicas: int) -> RedisStore:
    return RedisStore("", username="datadesk", password=lab.controller_password,
                      replication=Replication(tuple(("127.0.0.1", p)
                                                    for p in lab.sentinel_ports),
                                              MASTER_NAME, replicas=replicas, wait_ms=500))


async def timed(n: int, clients: int, op) -> tuple[list[float], float]:
    """Run ``op()`` ``n`` times from ``clients`` tasks; (latencies s, wall s)."""
    latencies: list[float] = []
    left = iter(range(n))

    async def worker() -> None:
        for _ in left:
            t = time.perf_counter()
            await op()
            latencies.append(time.perf_counter() - t)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, time.perf_counter() - started


async def measure(callbacks: CallbackStore, n: int, clients: int) -> dict[str, tuple]:
    async def create() -> None:
        now = time.time()
        await callbacks.create(number=f"13{next(_numbers):09d}", topic="billing", note="",
                               agent="a1", source="api", deadline=now + 3600, due=0, now=now)

    async def cycle() -> None:
        cb = await callbacks.claim(lease=90, owner="bench")
        await callbacks.finish(cb.id, cb.progress.fence, status=Status.DONE,
                               outcome=Outcome.ANSWERED, reached=True)

    made = await timed(n, clients, create)
    cycled = await timed(n, clients, cycle)
    return {"create": made, "claim -> finish": cycled}


async def main_async(args: argparse.Namespace) -> int:
    results = Results("durability")
    lab = SentinelRedis()
    try:
        await lab.start()
        for clients in args.clients:
            seen: dict[int, dict[str, tuple]] = {}
            for replicas in (0, 1):
                store = store_for(lab, replicas)
                try:
                    seen[replicas] = await measure(CallbackStore(store.client), args.ops, clients)
                finally:
                    await store.client.aclose()
            for what in ("create", "claim -> finish"):
                base, waited = spread(seen[0][what][0]), spread(seen[1][what][0])
                rate0, rate1 = args.ops / seen[0][what][1], args.ops / seen[1][what][1]
                results.add(f"{what} p50, {clients} client(s), no wait", base["p50"] * 1e3, "ms")
                results.add(f"{what} p50, {clients} client(s), WAIT 1", waited["p50"] * 1e3, "ms")
                results.add(f"{what} p99, {clients} client(s), WAIT 1", waited["p99"] * 1e3, "ms",
                            at_most=P99_CREATE_MS if what == "create" else None)
                results.add(f"{what} rate with WAIT / without, {clients} client(s)",
                            rate1 / rate0, "x")
    finally:
        await lab.stop()
    return results.finish(args.json)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2000, help="operations of each kind")
    parser.add_argument("--clients", default="1,16",
                        help="concurrencies, comma-separated (default 1,16)")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    args.clients = [int(c) for c in args.clients.split(",") if c.strip()]
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
