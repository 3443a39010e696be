"""Sizing from the desk's own records on a real Redis: transfers by local
hour and talk time from the daily figures (the one measurement of offered
traffic), ``datadesk sizing --json`` printing the per-hour rows through the
controller's own Redis connection, and the reports page's sizing section
giving the same figures (or saying that nothing was measured)."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import redis.asyncio as redis
from aiohttp import web

from ari_app import cli
from ari_app.settings import Settings
from ari_app.sizing_report import sizing_rows
from ari_app.store.stats import DeskStats
from ari_app.web import reports
from lab.redis_server import RedisServer

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=ZONE)


@pytest.fixture(scope="module")
async def server():
    srv = RedisServer(appendonly=False)
    await srv.start()
    client = redis.Redis.from_url(srv.url, decode_responses=True)
    stats = DeskStats(client, ZONE)
    # Two whole days before NOW: 10h gets 6 transfers a day, 14h 3 (and one
    # callback request, which is not a transfer); today's traffic is not read.
    for day in (28, 29):
        for hour, count in ((10, 6), (14, 3)):
            for i in range(count):
                await stats.transfer(f"1380000{i:04d}", datetime(2026, 11, day, hour, i,
                                                                 tzinfo=ZONE))
        await stats.add("callbacks_requested", 1, datetime(2026, 11, day, 11, tzinfo=ZONE))
        await client.hset(f"datadesk:stats:2026-11-{day}", mapping={"answered": 10,
                                                                  "talk_seconds": 1800})
    await stats.transfer("13800000099", NOW)
    await client.aclose()
    yield srv
    await srv.stop()
    srv.remove()


async def test_rows_count_transfers_by_local_hour_over_whole_days(server):
    client = redis.Redis.from_url(server.url, decode_responses=True)
    rows = await sizing_rows(DeskStats(client, ZONE), Settings(), days=2, now=NOW)
    await client.aclose()
    assert len(rows) == 24
    assert (rows[10]["arrivals"], rows[14]["arrivals"], rows[11]["arrivals"]) == (6, 3, 0)
    assert rows[15]["arrivals"] == 0                       # today is not a whole day
    # talk 180 s (3600 s / 20 calls) + wrap-up 15 s: 6 calls an hour = 0.325 E
    assert rows[10]["erlangs"] == pytest.approx(6 * 195 / 3600, abs=1e-3)
    assert rows[10]["seats_80_20"] >= 1 and rows[11]["seats_80_20"] == 0


async def test_the_command_prints_the_profile_and_rows_as_json(server, capsys, monkeypatch):
    # Its own database, filled relative to today: the command reads the real clock.
    url = server.url.rsplit("/", 1)[0] + "/1"
    yesterday = datetime.now(ZONE).replace(hour=10, minute=0, second=0, microsecond=0) \
        - timedelta(days=1)
    client = redis.Redis.from_url(url, decode_responses=True)
    await DeskStats(client, ZONE).transfer("13800000001", yesterday)
    await client.hset(f"datadesk:stats:{yesterday.date()}", mapping={"answered": 4,
                                                                      "talk_seconds": 400})
    await client.aclose()
    monkeypatch.setenv("DATADESK_REDIS_URL", url)
    monkeypatch.delenv("DATADESK_CONFIG", raising=False)
    assert await asyncio.to_thread(cli.main, ["sizing", "--days", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["profile"]["talk_mean"] == 100 and out["profile"]["answered"] == 4
    assert [r["arrivals"] for r in out["rows"]][9:12] == [0, 1, 0] and len(out["rows"]) == 24


# The reports page and the command size from the same daily figures, each
# over its own window: the page's whole days and the command's --days agree.
PAGE_DAYS = {2: {10: 6, 14: 3}, 1: {10: 4, 20: 1}}     # days back -> {hour: transfers}


async def seed_both(client: redis.Redis, today) -> None:
    stats = DeskStats(client, ZONE)
    for back, hours in sorted(PAGE_DAYS.items(), reverse=True):
        day = today - timedelta(days=back)
        for hour, count in hours.items():
            for i in range(count):
                when = datetime(day.year, day.month, day.day, hour, i, tzinfo=ZONE)
                await stats.transfer(f"1380000{i:04d}", when)
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=ZONE)
        await stats.add("answered", 5, noon)
        await stats.add("talk_seconds", 750, noon)


async def reports_page(url: str, days: int, wrapup: int) -> str:
    client = redis.Redis.from_url(url, decode_responses=True)
    app = web.Application()
    reports.add_routes(app, reports.ReportSource(DeskStats(client, ZONE), ZONE, wrapup))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/reports?days={days}&lang=en") as resp:
                assert resp.status == 200
                return await resp.text()
    finally:
        await runner.cleanup()
        await client.aclose()


def page_rows(html: str) -> dict[int, tuple[float, float, int]]:
    return {int(h): (float(a), float(e), int(s)) for h, a, e, s in re.findall(
        r'<tr data-sizing-hour="(\d+)"><td>\d+</td><td data-col="arrivals">([\d.]+)</td>'
        r'<td data-col="erlangs">([\d.]+)</td><td data-col="seats_80_20">(\d+)</td>', html)}


async def test_the_reports_page_sizes_as_the_command_does(server):
    url = server.url.rsplit("/", 1)[0] + "/2"
    now = datetime.now(ZONE)
    client = redis.Redis.from_url(url, decode_responses=True)
    await seed_both(client, now.date())
    settings = Settings()
    settings = replace(settings, desk=replace(settings.desk, wrapup=7))
    expected = await sizing_rows(DeskStats(client, ZONE), settings, days=2, now=now)
    await client.aclose()
    html = await reports_page(url, 3, 7)     # 3 days: today and the two whole days before
    assert page_rows(html) == {r["hour"]: (r["arrivals"], round(r["erlangs"], 3),
                                           r["seats_80_20"])
                               for r in expected if r["arrivals"]}
    # by hand: 10h has (6 + 4) / 2 = 5 a day; talk 1500 s / 10 = 150 s, + 7 s wrap-up
    assert page_rows(html)[10][:2] == (5.0, round(5 * 157 / 3600, 3))
    assert sorted(page_rows(html)) == [10, 14, 20]
    assert "the 2 whole days before today: 7 transfers a day, talk 150 s, wrap-up 7 s" in html
    assert html.count("<svg") == 5 and 'class="desk-seats"' in html


async def test_the_reports_page_says_no_traffic_was_measured(server):
    url = server.url.rsplit("/", 1)[0] + "/3"
    html = await reports_page(url, 28, 15)
    assert 'id="sizing-empty"' in html and "No traffic measured yet" in html
    assert html.count("<svg") == 4 and "sizing-table" not in html
    client = redis.Redis.from_url(url, decode_responses=True)
    await DeskStats(client, ZONE).transfer("13800000001")        # today only: not a whole day
    await client.aclose()
    assert 'id="sizing-empty"' in await reports_page(url, 28, 15)
