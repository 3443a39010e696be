"""The callback store with a million open callbacks, against redis-benchmark.

Fills a Redis of its own (AOF on, ``appendfsync everysec``, as production
runs) with ``--open`` callbacks through ``CallbackStore.create``, all due
at the same instant, then measures, with that million in place:

- ``create`` latency and throughput;
- the opening of the day: the million were requested overnight and fall
  due at once; the dialer promotes them in batches until none waits, then
  claims come out earliest deadline first (checked);
- claim -> finish cycles once the queue is ready, and claims alone;

at each ``--clients`` concurrency (one connection per task). The baseline is
``redis-benchmark`` against the same server, run right after the figure it
is set against: raw ``ZADD`` after creates, raw ``ZPOPMIN`` after claims,
with as many clients. That compares a Python asyncio client running a Lua
script with a C client sending one command, so the run also prints what each
side cost: our process's CPU, the server's CPU, the other processes' (the
machine is shared), and the server's time per call (``INFO commandstats``,
which leaves out network I/O) and CPU per operation (which includes it).

The server is pinned to one CPU and both clients to the other, so that they
face the same round trip; the fill's AOF is rewritten once before the
measured phases, so that no automatic rewrite (a fork) lands in them
unannounced. ``--profile`` adds a cProfile of the client side of the cycle.

    .venv/bin/python -m bench.store [--open 1000000] [--cycles 20000]
                                    [--clients 1,16] [--json PATH] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import itertools
import math
import os
import pstats
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ari_app.desk.callback import Callback, Outcome, Sla, Status
from ari_app.desk.topics import DEFAULT_CALLBACK_ONLY, DEFAULT_LIVE
from lab.procstat import cpu_seconds
from lab.redis_server import RedisServer
from ari_app.store.callback_store import CallbackStore
from ari_app.store.connection import RedisStore

from . import redisbench
from .common import Results, spread

FILL_TASKS = 64
LEASE = 90                       # seconds, the dialer's default
OWNER = "bench-dialer"
ORDER_CHECKS = 20                # claims checked for earliest-deadline-first order
NIGHT = 10 * 3600                # the fill's requests were made this long before they fall due
PROMOTE_BATCH = 250              # callbacks made claimable per promote call (the dialer's)
BASELINE_SECONDS = 3.0           # how long each redis-benchmark run should last
SCRATCH = "benchzset"            # the baseline's key
PREFIXES = ("134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158",
            "159", "182", "183", "187", "188", "130", "131", "132", "155", "156", "185",
            "186", "133", "153", "180", "189")
TOPICS = tuple(DEFAULT_CALLBACK_ONLY.values()) + tuple(DEFAULT_LIVE.values())
NOTES = ("", "", "", "asked about last month's bill", "call after 14:00 please",
         "no data since the handset update", "refund for a double charge")


# -- what a callback request looks like ------------------------------------------
def number(i: int) -> str:
    """The ``i``-th of distinct mainland mobile numbers (a bijection of 0..10^8-1)."""
    return PREFIXES[i % len(PREFIXES)] + f"{(i * 7_654_321 + 1_234_567) % 100_000_000:08d}"


def request(i: int, now: float) -> dict:
    """Keyword arguments of ``create`` for request ``i``: due ``now``, deadline 0.5-8.5 h on."""
    ivr = i % 3 != 0
    return {"number": number(i), "topic": TOPICS[i % len(TOPICS)],
            "note": NOTES[i % len(NOTES)], "agent": "" if ivr else f"A{1000 + i % 400}",
            "source": "ivr" if ivr else "api",
            "deadline": now + 1800 + (i * 2_654_435_761) % 28_800, "due": now}


# -- measuring ---------------------------------------------------------------------
def machine_busy() -> float:
    """CPU seconds every CPU of the machine has spent busy so far (/proc/stat)."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


@dataclass
class Load:
    """Wall time of a phase and the CPU spent in it: by us, the server, everything else."""
    wall: float
    client: float
    server: float
    others: float     # other processes of the machine (shared: tests may run beside us)

    @classmethod
    def start(cls, server_pid: int) -> Load:
        return cls(time.perf_counter(), time.process_time(), cpu_seconds(server_pid),
                   machine_busy())

    def since(self, server_pid: int) -> Load:
        """The cost from the snapshot ``self`` (taken with ``start``) until now."""
        client = time.process_time() - self.client
        server = cpu_seconds(server_pid) - self.server
        return Load(time.perf_counter() - self.wall, client, server,
                    max(0.0, machine_busy() - self.others - client - server))

    def pct(self, cpu: float) -> float:
        return 100 * cpu / self.wall

    def describe(self) -> str:
        """CPU of each side, and which limited the phase (each side uses one core)."""
        if self.pct(self.client) >= 80:
            bound = "client CPU"
        elif self.pct(self.server) >= 80:
            bound = "server CPU"
        elif self.pct(self.others) >= 50:
            bound = "CPU taken by other processes (a shared machine: figures are low)"
        else:
            bound = "round trips (neither CPU saturated)"
        return (f"client CPU {self.pct(self.client):.0f}%, server CPU "
                f"{self.pct(self.server):.0f}%, other processes {self.pct(self.others):.0f}% "
                f"-> bounded by {bound}")


def stop_if_cancelled() -> None:
    """Raise CancelledError if this task was asked to stop.

    Python 3.11's ``wait_for`` (redis-py sends through it) drops a cancel that
    lands as the reply arrives, and a loop would then run on to its end.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def drive(n: int, concurrency: int, op: Callable[[int], Awaitable[None]],
                server_pid: int) -> Load:
    """Run ``op(0) .. op(n-1)`` on ``concurrency`` tasks; what that cost."""
    counter = itertools.count()

    async def worker() -> None:
        for i in counter:  # one shared iterator: each index is taken once
            if i >= n:
                return
            stop_if_cancelled()
            await op(i)

    started = Load.start(server_pid)
    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(worker())
    return started.since(server_pid)


AREAS = (("/redis/_parsers/", "redis-py: parsing replies (pure Python, no hiredis)"),
         ("/asyncio/streams.py", "asyncio StreamReader: the reply parser's reads"),
         ("/redis/asyncio/connection.py", "redis-py: connections, pool, packing commands"),
         ("/redis/", "redis-py: client, command and script dispatch"),
         ("/asyncio/", "asyncio: event loop, tasks, transports"),
         ("/ari_app/store/", "CallbackStore (ari_app/store)"),
         ("/bench/", "this bench's own loop"))


def profile_area(path: str, func: str) -> str:
    """Which part of the client a profiled function belongs to."""
    for part, area in AREAS:
        if part in path:
            return area
    if path == "~" and any(w in func for w in ("socket", "epoll", "select")):
        return "system calls: socket send/recv, epoll (CPU only)"
    return OTHER


OTHER = "other built-ins and standard library"


async def command_stats(r) -> dict[str, tuple[int, float]]:
    """``INFO commandstats`` as command -> (calls, usec per call)."""
    info = await r.info("commandstats")
    return {name.removeprefix("cmdstat_"): (int(v["calls"]), float(v["usec_per_call"]))
            for name, v in info.items()}


def script_cost(what: str, stats: dict[str, tuple[int, float]]) -> str:
    """How much of a script's server time its Redis commands account for."""
    calls, usec = stats["evalsha"]
    inner = {k: v for k, v in stats.items() if k != "evalsha" and not k.startswith("config")}
    inner_calls = sum(c for c, _ in inner.values()) / calls
    inner_usec = sum(c * u for c, u in inner.values()) / calls
    return (f"server: a {what} takes {usec:.1f} us, of which {inner_usec:.1f} us in the "
            f"{inner_calls:.0f} commands it runs; the rest ({usec - inner_usec:.1f} us) is the "
            f"script's own cost (EVALSHA, Lua, converting arguments and replies)")


def ms(values: list[float]) -> dict[str, float]:
    """``spread`` of durations in seconds, in milliseconds."""
    return {k: (v * 1000 if k != "n" else v) for k, v in spread(values).items()}


class RewriteWatch:
    """When the server rewrote its AOF: a forked child that competes for the server's CPU
    and makes every page the server writes a copy (polled, so spans are +-0.2 s)."""

    def __init__(self, r) -> None:
        self.r = r
        self.spans: list[list[float]] = []     # [start, end or inf], time.monotonic()
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._watch(), name="aof-rewrite-watch")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass

    async def _watch(self) -> None:
        while True:
            info = await self.r.info("persistence")
            busy = int(info["aof_rewrite_in_progress"]) or int(info["aof_rewrite_scheduled"])
            now = time.monotonic()
            open_span = bool(self.spans) and self.spans[-1][1] == math.inf
            if busy and not open_span:
                self.spans.append([now, math.inf])
            elif not busy and open_span:
                self.spans[-1][1] = now
            await asyncio.sleep(0.2)

    @property
    def busy(self) -> bool:
        return bool(self.spans) and self.spans[-1][1] == math.inf

    def overlap(self, start: float, end: float) -> float:
        """Seconds of ``start .. end`` (monotonic) during which a rewrite ran."""
        return sum(max(0.0, min(e, end) - max(s, start)) for s, e in self.spans)


# -- the bench ---------------------------------------------------------------------
class StoreBench:
    def __init__(self, args: argparse.Namespace, server: RedisServer, redis: RedisStore) -> None:
        self.args = args
        self.server = server
        self.pid = server.process.pid
        self.r = redis.client
        self.store = CallbackStore(self.r)
        self.results = Results("store")
        self.next_request = 0           # index of the next request number
        self.persisted: dict[str, int] = {}     # counters RESETSTAT would lose
        self.refilled = 0                        # members put in the scratch zset so far
        self.rewrites = RewriteWatch(self.r)
        self.phase_started = time.monotonic()
        self.finished: list[str] = []            # ids of callbacks the cycles finished

    def add(self, *a, **kw):
        return self.results.add(*a, **kw)

    def note(self, text: str) -> None:
        self.results.note(text)

    async def reset_stats(self) -> None:
        """CONFIG RESETSTAT, first keeping the counters it would lose that we report."""
        info = await self.r.info("persistence")
        for name in ("aof_rewrites", "aof_delayed_fsync"):
            self.persisted[name] = self.persisted.get(name, 0) + int(info.get(name, 0))
        await self.r.config_resetstat()
        self.phase_started = time.monotonic()

    async def phase_stats(self) -> dict[str, tuple[int, float]]:
        """Command stats since the last reset; says so if an AOF rewrite ran meanwhile."""
        now = time.monotonic()
        during = self.rewrites.overlap(self.phase_started, now)
        if during:
            self.note(f"(an AOF rewrite ran for {during:.0f} of the {now - self.phase_started:.0f}"
                      f" s of this phase)")
        return await command_stats(self.r)

    async def run(self) -> None:
        await self.describe_server()
        self.rewrites.start()
        try:
            await self.phases()
        finally:
            await self.rewrites.stop()

    async def phases(self) -> None:
        a = self.args
        await self.fill(a.open)
        await self.memory(a.open)
        await self.rewrite_aof()
        for c in a.clients:
            await self.creates(c, max(1000, a.cycles // 4))
        await self.opening()
        await self.order_check()
        for c in a.clients:
            await self.cycles(c, a.cycles)
        await self.finished_memory()
        for c in a.clients:
            await self.claims_alone(c, max(1000, a.cycles // 2))
        if a.profile:
            await self.profile(max(1000, a.cycles // 10))
        await self.persistence()

    async def describe_server(self) -> None:
        info = await self.r.info("server")
        conf = await self.r.config_get("appendonly")
        conf.update(await self.r.config_get("appendfsync"))
        self.note(f"Redis {info['redis_version']} on 127.0.0.1:{self.server.port}, "
                  f"appendonly {conf['appendonly']}, appendfsync {conf['appendfsync']} "
                  f"(AOF rewrites automatic, as by default); client redis-py asyncio, "
                  f"one connection per task")
        await self.r.config_set("slowlog-log-slower-than", -1)  # nothing logged: no cost

    # -- 1. fill -------------------------------------------------------------------
    async def fill(self, n: int) -> None:
        self.memory_before = (await self.r.info("memory"))["used_memory"]
        now, updated = time.time(), 0

        async def create(i: int) -> None:
            # Requested overnight, due at the opening (``now``): the backlog a
            # desk finds in the morning, all in waiting until promoted.
            nonlocal updated
            _id, created = await self.store.create(**request(i, now), now=now - NIGHT)
            updated += not created

        await self.reset_stats()
        load = await drive(n, FILL_TASKS, create, self.pid)
        if updated:
            raise RuntimeError(f"{updated} requests updated an open callback: numbers repeat")
        self.next_request = n
        usec = (await self.phase_stats())["evalsha"][1]
        self.add(f"fill: creates/s ({FILL_TASKS} tasks)", n / load.wall, "/s")
        self.add(f"fill: {n:,} open callbacks took", load.wall, "s")
        self.add("fill: server time per create", usec, "us")
        self.note(f"fill: {load.describe()}")

    async def memory(self, n: int) -> None:
        p = self.store.p
        mem = await self.r.info("memory")
        used = mem["used_memory"]
        self.add("memory: used_memory before fill", self.memory_before / 2**20, "MiB")
        self.add("memory: used_memory after fill", used / 2**20, "MiB")
        per = (used - self.memory_before) / n
        self.add("memory: bytes per open callback", per, "B")
        self.note(f"memory: used_memory_rss {mem['used_memory_rss'] / 2**20:,.0f} MiB "
                  f"(fragmentation ratio {mem['mem_fragmentation_ratio']})")
        # What one callback costs, key by key: MEMORY USAGE counts the value, the key's
        # name and its entry in the keyspace, not the keyspace's bucket array.
        sample = [f"cb{1 + (k * n) // 200}" for k in range(200)]
        async with self.r.pipeline(transaction=False) as pipe:
            for cb_id in sample:
                pipe.memory_usage(f"{p}:{cb_id}")
                pipe.memory_usage(f"{p}:log:{cb_id}")
                pipe.hget(f"{p}:{cb_id}", "number")
            rows = await pipe.execute()
        numbers = rows[2::3]
        async with self.r.pipeline(transaction=False) as pipe:
            for num in numbers:
                pipe.memory_usage(f"{p}:number:{num}")
            number_keys = await pipe.execute()
        hash_b = sum(rows[0::3]) / len(sample)
        log_b = sum(rows[1::3]) / len(sample)
        number_b = sum(number_keys) / len(sample)
        zsets = 0.0
        for name in ("waiting", "ready", "open"):
            size = await self.r.zcard(f"{p}:{name}")
            zsets += (await self.r.memory_usage(f"{p}:{name}", samples=0) or 0) / max(size, 1)
        parts = [("log stream (P:log:{id}, one entry)", log_b), ("hash (P:{id})", hash_b),
                 ("zset entries (waiting/ready + open)", zsets), ("number key (P:number:{n})", number_b)]
        for name, size in parts:
            self.add(f"memory: {name}", size, "B")
        node = (await self.r.config_get("stream-node-max-bytes"))["stream-node-max-bytes"]
        self.note(f"memory: MEMORY USAGE estimates sum to {sum(s for _, s in parts):,.0f} B per "
                  f"callback against {per:,.0f} B measured; three keys per callback "
                  f"({await self.r.dbsize():,} keys in all). The log stream's first node is "
                  f"allocated at min(4096, stream-node-max-bytes = {node}) bytes however "
                  f"little it holds")

    async def rewrite_aof(self, timeout: float = 600) -> None:
        """Rewrite the fill's AOF once, now, so that no automatic rewrite (due each time
        the AOF doubles) lands in the phases measured next."""
        started = time.monotonic()
        while self.rewrites.busy and time.monotonic() - started < timeout:
            await asyncio.sleep(0.2)
        await self.r.bgrewriteaof()
        await asyncio.sleep(0.5)
        while self.rewrites.busy and time.monotonic() - started < timeout:
            await asyncio.sleep(0.2)
        info = await self.r.info("persistence")
        fork_ms = (await self.r.info("stats"))["latest_fork_usec"] / 1000
        cow_mib = info["aof_last_cow_size"] / 2**20
        self.note(f"persistence: AOF rewritten after the fill in "
                  f"{time.monotonic() - started:.0f} s (fork {fork_ms:.0f} ms, copy-on-write "
                  f"{cow_mib:,.0f} MiB), so that the phases below run between rewrites")

    # -- 2. create against the full store -------------------------------------------
    async def creates(self, clients: int, n: int) -> None:
        now, times = time.time(), []
        first = self.next_request
        self.next_request += n

        async def create(i: int) -> None:
            kw = request(first + i, now)
            t0 = time.perf_counter()
            _id, created = await self.store.create(**kw)
            times.append(time.perf_counter() - t0)
            assert created

        await self.reset_stats()
        load = await drive(n, clients, create, self.pid)
        usec = (await self.phase_stats())["evalsha"][1]
        s = ms(times)
        self.add(f"create c={clients}: p50 latency", s["p50"], "ms")
        self.add(f"create c={clients}: p99 latency", s["p99"], "ms")
        self.add(f"create c={clients}: creates/s", n / load.wall, "/s")
        self.add(f"create c={clients}: server time per create", usec, "us")
        self.note(f"create c={clients}: {n:,} creates; {load.describe()}")
        await self.baseline(clients, "ZADD", (n / load.wall, usec, 1e6 * load.server / n),
                            "create / ZADD")

    # -- 3. the opening: everything due at once -------------------------------------
    async def order_check(self) -> None:
        """Do claims come out earliest deadline first after the opening?"""
        p, late, worst, skipped = self.store.p, 0, 0.0, 0
        waiting = await self.r.zcard(f"{p}:waiting")
        for _ in range(ORDER_CHECKS):
            stop_if_cancelled()
            (_first, earliest), = await self.r.zrange(f"{p}:open", 0, 0, withscores=True)
            cb = await self.store.claim(lease=LEASE, owner=OWNER)
            gap = cb.times.deadline - earliest
            late += gap > 0
            worst = max(worst, gap)
            # open callbacks due before the one claimed (it is leased: not among them)
            skipped = max(skipped, await self.r.zcount(f"{p}:open", "-inf",
                                                       f"({cb.times.deadline}"))
            await self._finish(cb)
        self.add(f"order: claims not deadline-first, of {ORDER_CHECKS}", late, "",
                 at_most=0)
        self.note(f"order: with {waiting:,} due callbacks left in waiting, a claim took one whose "
                  f"deadline was up to {worst / 60:.1f} min after the earliest, passing over up "
                  f"to {skipped:,} open callbacks with earlier deadlines")

    async def opening(self) -> None:
        """The dialer at the opening: promote until nothing due waits, a batch a call."""
        p, times = self.store.p, []
        waiting = await self.r.zcard(f"{p}:waiting")
        await self.reset_stats()
        started = Load.start(self.pid)
        left = waiting
        while left:
            stop_if_cancelled()
            t0 = time.perf_counter()
            left = await self.store.promote(limit=PROMOTE_BATCH)
            times.append(time.perf_counter() - t0)
        load = started.since(self.pid)
        stats = await self.phase_stats()
        s = ms(times)
        self.note(f"opening: {waiting:,} due callbacks in waiting; {len(times):,} promote "
                  f"calls of {PROMOTE_BATCH} made them all claimable")
        self.add("opening: all due made claimable in", load.wall, "s")
        self.add("opening: callbacks made claimable per second", waiting / load.wall, "/s")
        self.add("opening: promote call p50", s["p50"], "ms")
        self.add("opening: promote call p99 (Redis held)", s["p99"], "ms")
        self.add("opening: server time per promote call", stats["evalsha"][1], "us")
        self.note(f"opening: {load.describe()}")

    # -- 4. steady state: the queue is ready ----------------------------------------
    async def cycles(self, clients: int, n: int) -> None:
        claims, cycles = [], []

        async def cycle(_i: int) -> None:
            t0 = time.perf_counter()
            cb = await self.store.claim(lease=LEASE, owner=OWNER)
            t1 = time.perf_counter()
            await self._finish(cb)
            claims.append(t1 - t0)
            cycles.append(time.perf_counter() - t0)

        await self.reset_stats()
        load = await drive(n, clients, cycle, self.pid)
        usec = (await self.phase_stats())["evalsha"][1]
        c, y = ms(claims), ms(cycles)
        name = f"cycle c={clients}"
        self.add(f"{name}: claim p50 latency", c["p50"], "ms")
        self.add(f"{name}: claim p99 latency", c["p99"], "ms",
                 **({"at_most": 2} if clients == 1 else {}))
        self.add(f"{name}: claim max latency", c["max"], "ms")
        self.add(f"{name}: claim+finish p50", y["p50"], "ms")
        self.add(f"{name}: claim+finish p99", y["p99"], "ms")
        self.add(f"{name}: cycles/s", n / load.wall, "/s")
        self.add(f"{name}: client CPU per cycle", 1e6 * load.client / n, "us")
        self.add(f"{name}: server CPU per cycle", 1e6 * load.server / n, "us")
        self.note(f"{name}: {n:,} cycles; server {usec:.1f} us per script (claims and "
                  f"finishes); {load.describe()}")

    async def finished_memory(self) -> None:
        """What a finished callback (created, claimed, answered) keeps in Redis
        until its retention runs out: its hash and its stream, both with a TTL."""
        p, sample = self.store.p, self.finished[:200]
        if not sample:
            return
        async with self.r.pipeline(transaction=False) as pipe:
            for cb_id in sample:
                pipe.memory_usage(f"{p}:{cb_id}", samples=0)
                pipe.memory_usage(f"{p}:log:{cb_id}", samples=0)
                pipe.ttl(f"{p}:{cb_id}")
                pipe.ttl(f"{p}:log:{cb_id}")
            rows = await pipe.execute()
        per = (sum(rows[0::4]) + sum(rows[1::4])) / len(sample)
        ttls = rows[2::4] + rows[3::4]
        days = self.store.retention / 86400
        self.add("memory: bytes per finished callback (hash + stream)", per, "B")
        # At the default request limit ([callbacks] requests_per_minute = 120),
        # every request finished: what a day adds, and what the retention holds.
        day = 120 * 1440 * per
        self.add("memory: finished callbacks a day at 120 requests/min", day / 2**20, "MiB")
        self.add(f"memory: held at most (retention {days:.0f} days)", day * days / 2**30, "GiB")
        self.note(f"memory: {len(sample)} finished callbacks sampled; TTL {min(ttls):,} to "
                  f"{max(ttls):,} s (retention {self.store.retention:,} s); MEMORY USAGE leaves "
                  f"out the key's entry in the expires table (a few dozen bytes)")
        if min(ttls) <= 0:
            raise RuntimeError(f"a finished callback has no TTL: {ttls}")

    async def claims_alone(self, clients: int, n: int) -> None:
        """Claims only (finished afterwards, untimed): the figure set against ZPOPMIN."""
        claimed = []

        async def claim(_i: int) -> None:
            claimed.append(await self.store.claim(lease=LEASE, owner=OWNER))

        await self.reset_stats()
        load = await drive(n, clients, claim, self.pid)
        stats = await self.phase_stats()
        usec = stats["evalsha"][1]
        self.add(f"claim alone c={clients}: claims/s", n / load.wall, "/s")
        self.add(f"claim alone c={clients}: server us per claim", usec, "us")
        if clients == 1:
            self.note(script_cost("claim", stats))
        self.note(f"claim alone c={clients}: {n:,} claims; {load.describe()}")
        await self.baseline(clients, "ZPOPMIN", (n / load.wall, usec, 1e6 * load.server / n),
                            "claim / ZPOPMIN", target=0.3)
        await self.reset_stats()
        await self._finish_all(claimed)
        if clients == 1:
            stats = await self.phase_stats()
            self.add("finish: server time per finish", stats["evalsha"][1], "us")
            self.note(script_cost("finish", stats))

    async def _finish(self, cb: Callback | None) -> None:
        if not isinstance(cb, Callback):
            raise RuntimeError(f"claim found nothing due to dial (the store ran dry): {cb!r}")
        t = time.time()
        status = await self.store.finish(cb.id, cb.progress.fence, status=Status.DONE,
                                         reason="answered", outcome=Outcome.ANSWERED,
                                         reached=True, sla=Sla.MET, first_dialled=t,
                                         answered_at=t)
        if status is not Status.DONE:
            raise RuntimeError(f"finish of {cb.id} returned {status!r}")
        if len(self.finished) < 1000:
            self.finished.append(cb.id)

    async def _finish_all(self, claimed: list[Callback | None]) -> None:
        async def finish(i: int) -> None:
            await self._finish(claimed[i])
        await drive(len(claimed), 16, finish, self.pid)

    # -- 5. where the client's time goes --------------------------------------------
    async def profile(self, n: int) -> None:
        """cProfile of ``n`` claim -> finish cycles at c=1 (figures above are unprofiled).

        Prints where the client's own time goes, by area, then the busiest functions.
        """
        profiler = cProfile.Profile(time.process_time)  # CPU time: waits for Redis excluded
        profiler.enable()
        for _ in range(n):
            stop_if_cancelled()
            await self._finish(await self.store.claim(lease=LEASE, owner=OWNER))
        profiler.disable()
        stats = pstats.Stats(profiler)
        areas: dict[str, float] = {}
        for (path, _line, func), (_cc, _nc, own, _cum, callers) in stats.stats.items():
            area = profile_area(path, func)
            if area == OTHER and callers:  # a built-in (len, isinstance ...): its caller's
                for (c_path, _l, c_func), edge in callers.items():
                    c_area = profile_area(c_path, c_func)
                    areas[c_area] = areas.get(c_area, 0.0) + edge[2]
                continue
            areas[area] = areas.get(area, 0.0) + own
        total = sum(areas.values())
        self.note(f"profile: {n:,} claim -> finish cycles at c=1 under cProfile, "
                  f"{1e6 * total / n:,.0f} us of client CPU per cycle (profiling slows it)")
        for area, own in sorted(areas.items(), key=lambda x: -x[1]):
            self.note(f"profile: {100 * own / total:4.1f}%  {area}")
        out = io.StringIO()
        stats.stream = out
        stats.sort_stats("tottime").print_stats(12)
        print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))

    # -- 6. the baseline, right after the figure it is set against ------------------
    async def baseline(self, c: int, command: str, ours: tuple[float, float, float],
                       what: str, target: float | None = None) -> None:
        """redis-benchmark ``command`` (ZADD or ZPOPMIN) with ``c`` clients, for about
        BASELINE_SECONDS, and ``ours`` set against it: (ops/s, server us per call in
        commandstats, server CPU us per operation with its network I/O)."""
        port, cmd = self.server.port, command.upper()
        argv, keys = ((["ZADD", SCRATCH, "__rand_int__", "m:__rand_int__"], 1_000_000)
                      if cmd == "ZADD" else (["ZPOPMIN", SCRATCH], None))
        if cmd == "ZPOPMIN":
            await self._refill(5000 * c)
        auth = (self.server.admin_user, self.server.admin_password)
        probe = await redisbench.run(port, argv, clients=c, requests=5000 * c, auth=auth,
                                     random_keys=keys)
        n = max(10_000, int(probe.rps * BASELINE_SECONDS))
        if cmd == "ZPOPMIN":
            await self._refill(n + 1000)
        await self.reset_stats()
        server_cpu = cpu_seconds(self.pid)
        base = await redisbench.run(port, argv, clients=c, requests=n, random_keys=keys,
                                    auth=auth)
        server_cpu = cpu_seconds(self.pid) - server_cpu
        usec = (await self.phase_stats())[cmd.lower()][1]
        if cmd == "ZPOPMIN" and not await self.r.zcard(SCRATCH):
            self.note(f"baseline c={c}: the scratch zset ran dry: some pops found nothing")
        await self.r.delete(SCRATCH)
        self.add(f"baseline c={c}: redis-benchmark {cmd} ops/s", base.rps, "/s")
        self.note(f"baseline c={c}: {cmd} {base.requests:,} requests in {base.wall:.1f} s, "
                  f"p50 {base.p50_ms} ms, p99 {base.p99_ms} ms, server {usec:.2f} us per call;"
                  f" redis-benchmark CPU {100 * base.cpu / base.wall:.0f}%, server CPU "
                  f"{100 * server_cpu / base.wall:.0f}%")
        self.add(f"ratio c={c}: {what} ops/s", ours[0] / base.rps, "x",
                 **({"at_least": target} if target is not None else {}))
        self.add(f"ratio c={c}: server us/call {what}", ours[1] / usec, "x")
        # commandstats leave out reading the request and writing the reply, which cost
        # the same for both: the server's CPU per operation includes them
        self.add(f"ratio c={c}: server CPU/op {what}",
                 ours[2] / (1e6 * server_cpu / base.requests), "x")

    async def _refill(self, size: int) -> None:
        """At least ``size`` members in the scratch zset, so every pop finds one."""
        missing = size - await self.r.zcard(SCRATCH)
        first, self.refilled = self.refilled, self.refilled + max(missing, 0)
        async with self.r.pipeline(transaction=False) as pipe:
            for start in range(first, self.refilled, 1000):
                pipe.zadd(SCRATCH, {f"p:{k}": k for k in range(start, min(start + 1000,
                                                                        self.refilled))})
            await pipe.execute()

    async def persistence(self) -> None:
        await self.reset_stats()
        info = await self.r.info("persistence")
        self.note(f"persistence: AOF {info.get('aof_current_size', 0) / 2**20:,.0f} MiB at the "
                  f"end; automatic AOF rewrites (a fork each) during the run: "
                  f"{self.persisted['aof_rewrites']}, fsyncs that delayed writes: "
                  f"{self.persisted['aof_delayed_fsync']}")


def pin(server_pid: int) -> str:
    """The server (every thread) on one CPU, this process and its children on the others.

    Unpinned, where the scheduler puts a client next to the server decides the
    round trip (here about 15 us on one CPU, 80 us across two), and so every
    figure at one client; pinned, both clients face the same round trip.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return "placement: one CPU, nothing pinned"
    for pid, where in ((server_pid, cpus[-1:]), (os.getpid(), cpus[:-1])):
        for tid in os.listdir(f"/proc/{pid}/task"):
            os.sched_setaffinity(int(tid), where)
    return (f"placement: redis-server pinned to CPU {cpus[-1]}, this process and "
            f"redis-benchmark to CPU {','.join(map(str, cpus[:-1]))}")


async def main_async(args: argparse.Namespace) -> int:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    started = time.perf_counter()
    server = RedisServer(appendonly=True, fsync="everysec")
    redis = None
    try:
        await server.start()
        placement = pin(server.process.pid)
        redis = RedisStore(server.url, timeout=30)
        bench = StoreBench(args, server, redis)
        bench.note(placement)
        await bench.run()
        bench.note(f"whole run took {time.perf_counter() - started:.0f} s")
        return bench.results.finish(args.json)
    finally:
        if redis is not None:
            await redis.client.aclose()
        await server.stop()
        server.remove()


def clients_list(text: str) -> list[int]:
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("expected client counts like 1,16")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=1_000_000,
                        help="open callbacks to fill the store with")
    parser.add_argument("--cycles", type=int, default=20_000,
                        help="claim -> finish cycles at each concurrency")
    parser.add_argument("--clients", type=clients_list, default=[1, 16],
                        help="concurrencies, comma-separated (default 1,16)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the client side of the cycle (cProfile)")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    k = len(args.clients)
    claims = (ORDER_CHECKS + args.cycles * (1 + k) + max(1000, args.cycles // 2) * k
              + max(1000, args.cycles // 10))
    if args.open + max(1000, args.cycles // 4) * k < claims:
        parser.error(f"--open {args.open} is too few for {claims:,} claims: every claim "
                     "takes one open callback")
    try:
        return asyncio.run(main_async(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("[bench store] interrupted: its Redis is stopped and removed", flush=True)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
