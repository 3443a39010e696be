"""The reports page over 28 days at 1,400 transfers a day.

A real Redis (the lab's server) receives 28 days of a busy desk as events,
one ``DeskStats`` call per event as the controller makes them (transfers
with their repeat check, answered calls with their talk time, callback
requests, outcomes, SLA verdicts, seat minutes), spread over the opening
hours. Then the real report routes answer ``/reports?days=28`` and
``/reports.csv?days=28`` many times; the median and p99 are printed. The
page reads one pipeline of 28 hashes, whatever the traffic was: its time
does not grow with the calls. The page includes the desk's sizing (Erlang C
per hour from the same hashes); its share of the page's time is printed.

    .venv/bin/python -m bench.reports [--days 28] [--transfers 1400] [--requests 200]
        [--screenshot PATH [--lang en|zh]] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web

from ari_app.store.stats import DeskStats
from ari_app.web import reports
from ari_app.web.reports_data import report
from ari_app.web.reports_sizing import sizing
from bench.common import Results, spread
from lab.redis_server import RedisServer

ZONE = ZoneInfo("Asia/Shanghai")
# The share of a day's transfers in each opening hour (09-21), a busy desk's shape.
SHAPE = {9: 6, 10: 10, 11: 11, 12: 7, 13: 7, 14: 10, 15: 10, 16: 9, 17: 8, 18: 7, 19: 6,
         20: 5, 21: 4}


def day_events(rng: random.Random, transfers: int):
    """(hour, kind, amount) events of one day."""
    total, caller = sum(SHAPE.values()), 0
    for hour, share in SHAPE.items():
        for _ in range(round(transfers * share / total)):
            caller += 1  # about one caller in twenty is one of 40 who call again
            yield hour, "transfer", -rng.randrange(1, 40) if rng.random() < 0.05 else caller
            if rng.random() < 0.7:
                yield hour, "answered", max(30, int(rng.gauss(148, 40)))
            elif rng.random() < 0.8:
                yield hour, "callbacks_requested", 1
                yield hour, "callbacks_made", 1
                yield hour, "sla_met" if rng.random() < 0.93 else "sla_breached", 1
        yield hour, "seat_ready", 60 * rng.randrange(1, 4)
        yield hour, "seat_busy", 60 * rng.randrange(2, 6)


async def apply(stats: DeskStats, when: datetime, kind: str, amount: int, day: int) -> None:
    if kind == "transfer":  # the controller's own call: counts a repeat by the number
        await stats.transfer(f"13{8 if amount > 0 else 7}{day:02d}{abs(amount):07d}", when)
    elif kind == "answered":
        await stats.add("answered", 1, when)
        await stats.add("talk_seconds", amount, when)
    else:
        await stats.add(kind, amount, when)


async def seed(stats: DeskStats, days: int, transfers: int, results: Results) -> None:
    rng = random.Random(28)
    today = datetime.now(ZONE).date()
    count, started = 0, time.perf_counter()
    for back in range(days):
        day = today - timedelta(days=back)
        batch = []
        for hour, kind, amount in day_events(rng, transfers):
            when = datetime(day.year, day.month, day.day, hour, 30, tzinfo=ZONE)
            batch.append(apply(stats, when, kind, amount, back))
        for i in range(0, len(batch), 32):
            await asyncio.gather(*batch[i:i + 32])
        count += len(batch)
    took = time.perf_counter() - started
    results.add("events counted into the daily aggregates", count, "events")
    results.add("counting rate (32 at a time)", count / took, "events/s")


async def timed(http: aiohttp.ClientSession, url: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        async with http.get(url) as resp:
            assert resp.status == 200, resp.status
            await resp.read()
        times.append((time.perf_counter() - started) * 1000)
    return times


async def shoot(url: str, path: str) -> None:
    from pathlib import Path

    from lab.browser import Browser
    async with Browser() as browser:
        await browser.call("Emulation.setDeviceMetricsOverride", width=1366, height=2100,
                           deviceScaleFactor=1, mobile=False)
        await browser.goto(url)
        await asyncio.sleep(2)
        await browser.screenshot(Path(path))


async def sizing_share(results: Results, stats: DeskStats, days: int) -> None:
    """The sizing section's own cost: measured from the hashes already read
    and drawn, without Redis, against the same page without it."""
    today = datetime.now(ZONE).date()
    raw = await stats.days(today - timedelta(days=days - 1), today)
    data = report(raw)
    measured = sizing(raw, today, 15)
    results.add("sizing: hours with traffic sized", sum(1 for r in measured["rows"]
                                                        if r["arrivals"]), "", at_least=1)
    for name, build in (("without sizing", lambda: reports.render(data | {"sizing": None},
                                                                   "en", "")),
                        ("with sizing", lambda: reports.render(
                            data | {"sizing": sizing(raw, today, 15)}, "en", ""))):
        times = []
        for _ in range(200):
            started = time.perf_counter()
            build()
            times.append((time.perf_counter() - started) * 1000)
        results.add(f"page drawn {name}, {days} days: median", spread(times)["p50"], "ms")


async def main_async(args: argparse.Namespace) -> int:
    results = Results("reports")
    server = RedisServer(appendonly=False)
    await server.start()
    client = aioredis.from_url(server.url, decode_responses=True)
    runner = None
    try:
        stats = DeskStats(client, ZONE)
        await seed(stats, args.days, args.transfers, results)
        sent = sum(1 for _ in day_events(random.Random(0), args.transfers)
                   if _[1] == "transfer") * args.days
        got = (await reports.gather(reports.ReportSource(stats, ZONE), args.days))["total"]
        results.add("transfers in the report / transfers sent", got["transfers"] / sent, "",
                    at_least=1.0)
        app = web.Application()
        reports.add_routes(app, reports.ReportSource(stats, ZONE))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        async with aiohttp.ClientSession() as http:
            for name, path in (("page", "/reports"), ("CSV", "/reports.csv")):
                url = f"{base}{path}?days={args.days}"
                await timed(http, url, 5)  # warm up
                s = spread(await timed(http, url, args.requests))
                results.add(f"{name}, {args.days} days: median", s["p50"], "ms", at_most=100)
                results.add(f"{name}, {args.days} days: p99", s["p99"], "ms", at_most=250)
        await sizing_share(results, stats, args.days)
        if args.screenshot:
            await shoot(f"{base}/reports?days={args.days}&lang={args.lang}", args.screenshot)
            results.note(f"screenshot written to {args.screenshot}")
        return results.finish(args.json)
    finally:
        if runner is not None:
            await runner.cleanup()
        await client.aclose()
        await server.stop()
        server.remove()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--transfers", type=int, default=1400)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--screenshot", metavar="PATH")
    parser.add_argument("--lang", default="en", choices=("en", "zh"))
    parser.add_argument("--json", metavar="PATH")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
