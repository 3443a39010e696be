"""Sizing from the desk's own records on a real Redis: transfers counted by
local hour from the event log's stream ids, talk time from the daily
figures, and ``datadesk sizing --json`` printing the per-hour rows."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as redis

from ari_app import cli
from ari_app.settings import Settings
from ari_app.sizing_report import sizing_rows
from ari_app.store.events import EVENTS
from lab.redis_server import RedisServer

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=ZONE)


@pytest.fixture(scope="module")
async def server():
    srv = RedisServer(appendonly=False)
    await srv.start()
    client = redis.Redis.from_url(srv.url, decode_responses=True)
    # Two whole days before NOW: 10h gets 6 transfers a day, 14h 3 (and one
    # capture event that is not a transfer); today's traffic is not read.
    entries = []
    for day in (28, 29):
        for hour, count in ((10, 6), (14, 3)):
            entries += [(datetime(2026, 11, day, hour, i, tzinfo=ZONE), "route")
                        for i in range(count)]
        entries.append((datetime(2026, 11, day, 11, 0, tzinfo=ZONE), "capture"))
        await client.hset(f"datadesk:stats:2026-11-{day}", mapping={"answered": 10,
                                                                  "talk_seconds": 1800})
    entries.append((NOW, "route"))
    for when, kind in sorted(entries):
        await client.xadd(EVENTS, {"kind": kind}, id=f"{int(when.timestamp() * 1000)}-0")
    await client.aclose()
    yield srv
    await srv.stop()
    srv.remove()


async def test_rows_count_transfers_by_local_hour_over_whole_days(server):
    client = redis.Redis.from_url(server.url, decode_responses=True)
    rows = await sizing_rows(client, Settings(), days=2, now=NOW)
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
    await client.xadd(EVENTS, {"kind": "route"}, id=f"{int(yesterday.timestamp() * 1000)}-0")
    await client.hset(f"datadesk:stats:{yesterday.date()}", mapping={"answered": 4,
                                                                      "talk_seconds": 400})
    await client.aclose()
    monkeypatch.setenv("DATADESK_REDIS_URL", url)
    monkeypatch.delenv("DATADESK_CONFIG", raising=False)
    assert await asyncio.to_thread(cli.main, ["sizing", "--days", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["profile"]["talk_mean"] == 100 and out["profile"]["answered"] == 4
    assert [r["arrivals"] for r in out["rows"]][9:12] == [0, 1, 0] and len(out["rows"]) == 24
