"""``redis-benchmark`` as a baseline: one command, the C client, read back from its CSV.

``redis-benchmark --csv`` (7.0) prints a header and one row per test::

    "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",...
    "ZPOPMIN benchzset","132450.34","0.081","0.016","0.079","0.119","0.263","0.551"

A custom command's test name is the command line as given.
"""

from __future__ import annotations

import asyncio
import csv
import io
import resource
import shutil
import time
from dataclasses import dataclass

COLUMNS = ("test", "rps", "avg_latency_ms", "p50_latency_ms", "p99_latency_ms",
           "max_latency_ms")


@dataclass
class Baseline:
    test: str
    clients: int
    requests: int
    rps: float
    avg_ms: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    wall: float = 0.0         # seconds the run took
    cpu: float = 0.0          # CPU seconds redis-benchmark itself used


def parse_csv(text: str, *, clients: int = 0, requests: int = 0) -> Baseline:
    """The one test row of ``redis-benchmark --csv`` output; ValueError if there is none."""
    rows = list(csv.DictReader(io.StringIO(text)))
    if len(rows) != 1 or any(c not in rows[0] for c in COLUMNS):
        raise ValueError(f"unexpected redis-benchmark CSV: {text!r}")
    row = rows[0]
    return Baseline(row["test"], clients, requests, float(row["rps"]),
                    float(row["avg_latency_ms"]), float(row["p50_latency_ms"]),
                    float(row["p99_latency_ms"]), float(row["max_latency_ms"]))


async def run(port: int, command: list[str], *, clients: int, requests: int,
              random_keys: int | None = None, timeout: float = 120,
              auth: tuple[str, str] | None = None) -> Baseline:
    """Run ``redis-benchmark`` (one connection per client, ``-P 1``) for ``command``.

    ``auth``: (user, password) for a Redis with an ACL (the lab's admin;
    a per-run password, so on the command line is acceptable).
    ``random_keys`` fills ``__rand_int__`` from ``0..random_keys-1`` (``-r``).
    Raises RuntimeError if it fails or outlasts ``timeout`` seconds (it is killed).
    """
    binary = shutil.which("redis-benchmark")
    if binary is None:
        raise RuntimeError("redis-benchmark is missing: apt-get install -y redis-tools")
    argv = [binary, "-h", "127.0.0.1", "-p", str(port), "-c", str(clients),
            "-n", str(requests), "-P", "1", "--csv"]
    if random_keys:
        argv += ["-r", str(random_keys)]
    if auth:
        argv += ["--user", auth[0], "-a", auth[1]]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        *argv, *command, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    finally:
        if proc.returncode is None:  # timed out or cancelled (Ctrl-C)
            proc.kill()
            await proc.wait()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"redis-benchmark exited {proc.returncode}: {err.decode()[-500:]}")
    result = parse_csv(out.decode(), clients=clients, requests=requests)
    result.wall = wall
    result.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result
