"""The history: a seeded multi-day history in the lab's Redis, read back
exactly by the reports page (in Chromium, with the desk sized from it), its
CSV and ``datadesk report``; and a callback request counted as it happens."""

from __future__ import annotations

import asyncio
import csv
import io
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
import redis.asyncio as redis

from ari_app.desk.sizing import Profile, hourly_rows
from ari_app.store.stats import DeskStats, day_key
from lab.browser import Browser
from lab.configs import LAB_WRAPUP
from lab.stack import SEATS

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
ZONE = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parents[2]

# Days back from today -> {(field, hour): amount}; day 2 stays empty.
HISTORY = {
    3: {("transfers", 9): 30, ("transfers", 14): 20, ("answered", 9): 25, ("answered", 14): 15,
        ("talk_seconds", 9): 3700, ("talk_seconds", 14): 2220, ("repeat", 14): 2,
        ("callbacks_requested", 14): 6, ("callbacks_made", 15): 5, ("callbacks_failed", 16): 1,
        ("sla_met", 15): 4, ("sla_breached", 16): 1, ("seat_ready", 9): 120,
        ("seat_busy", 9): 240, ("offered", 9): 28, ("offered", 14): 20,
        ("answered_in_sl", 9): 22, ("answered_in_sl", 14): 14, ("wait_seconds", 9): 250,
        ("wait_seconds", 14): 150, ("completed", 9): 25, ("completed", 14): 15,
        ("wrapup_seconds", 9): 375, ("wrapup_seconds", 14): 225, ("abandoned_queue", 9): 3,
        ("abandoned_queue_seconds", 9): 90, ("abandoned_capture", 14): 2,
        ("abandoned_capture_seconds", 14): 50, ("abandoned_routing", 14): 1,
        ("seat:8601:live", 9): 14, ("seat:8601:talk_seconds", 9): 2100,
        ("seat:8602:live", 14): 15, ("seat:8602:callbacks", 15): 5,
        ("seat:8602:pause:lunch", 12): 1800},
    1: {("transfers", 10): 12, ("answered", 10): 12, ("talk_seconds", 10): 1800,
        ("sla_met", 11): 3, ("offered", 10): 12, ("answered_in_sl", 10): 11,
        ("wait_seconds", 10): 60, ("completed", 10): 12, ("abandoned_queue", 10): 1,
        ("abandoned_queue_seconds", 10): 25},
}


async def seed(url: str, today: date) -> None:
    client = redis.from_url(url, decode_responses=True)
    try:
        stats = DeskStats(client, ZONE)
        for back in (1, 2, 3):
            await client.delete(day_key(today - timedelta(days=back)))
        for back, counts in HISTORY.items():
            day = today - timedelta(days=back)
            for (field, hour), amount in counts.items():
                await stats.add(field, amount, when=datetime(day.year, day.month, day.day, hour,
                                                             tzinfo=ZONE))
    finally:
        await client.aclose()


OVERVIEW = ("(() => { const o = document.getElementById('overview').getBoundingClientRect();"
            " const p = document.querySelector('.plot svg').getBoundingClientRect();"
            " const t = document.querySelector('.plot svg text').getBoundingClientRect();"
            " return [o.bottom, p.width, t.height]; })()")
SIZING_ROWS = ("Object.fromEntries([...document.querySelectorAll('tr[data-sizing-hour]')]"
               ".map(r => [r.dataset.sizingHour, [...r.querySelectorAll('td[data-col]')]"
               ".map(c => c.textContent)]))")


def expected_sizing() -> dict[str, list[str]]:
    """The sizing table of ``?days=4``: the three whole days before today of
    HISTORY (transfers a day per hour, talk from answered calls), the lab's
    wrap-up, through Erlang C."""
    fields = [(f, h, n) for counts in HISTORY.values() for (f, h), n in counts.items()]
    hourly = [sum(n for f, h, n in fields if f == "transfers" and h == hour) / 3
              for hour in range(24)]
    talk = (sum(n for f, _, n in fields if f == "talk_seconds")
            / sum(n for f, _, n in fields if f == "answered"))
    rows = hourly_rows(Profile(3, tuple(hourly), talk, LAB_WRAPUP))
    # by hand for 09h: 30 / 3 = 10 a day, (7720 s / 52 calls + 2 s) * 10 / 3600 s
    assert f"{rows[9].erlangs:.3f}" == f"{10 * (7720 / 52 + 2) / 3600:.3f}" == "0.418"
    return {str(r.hour): [f"{r.arrivals:.2f}", f"{r.erlangs:.3f}", str(r.seats_80_20)]
            for r in rows if r.arrivals}


async def fetch(lab, path: str) -> str:
    async with aiohttp.ClientSession(headers=lab.controller.headers) as http:
        async with http.get(lab.controller.url + path) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.text()


def check_rows(rows: dict[str, dict[str, str]], today: date) -> None:
    three, two, one = (str(today - timedelta(days=b)) for b in (3, 2, 1))
    assert rows[three]["transfers"] == "50" and rows[three]["answered"] == "40"
    assert rows[three]["average_talk_seconds"] == "148.0"
    assert rows[three]["callbacks_requested"] == "6" and rows[three]["callbacks_dialled"] == "5"
    assert rows[three]["sla_met_percent"] == "80.0" and rows[three]["repeat_rate_percent"] == "4.0"
    assert rows[three]["occupancy_percent"] == "66.7"
    assert rows[two]["transfers"] == "0" and rows[two]["average_talk_seconds"] in ("", "–")
    assert rows[one]["transfers"] == "12" and rows[one]["sla_met_percent"] == "100.0"
    # The live calls' figures: 36 of 48 offered answered in time, 6 of 50 left.
    assert rows[three]["service_level_percent"] == "75.0" and rows[three]["abandoned"] == "6"
    assert rows[three]["abandoned_percent"] == "12.0"
    assert rows[three]["average_speed_of_answer_seconds"] == "10.0"
    assert rows[three]["average_handle_seconds"] == "163.0"   # (5920 + 600) / 40


async def test_the_reports_page_and_csv_give_the_seeded_history_exactly(report, lab):
    today = datetime.now(ZONE).date()
    await seed(lab.redis.url, today)
    body = await fetch(lab, "/reports.csv?days=4")
    table = list(csv.DictReader(io.StringIO(body)))
    check_rows({r["period"]: r for r in table if r["scope"] == "day"}, today)
    hours = {r["period"]: r for r in table if r["scope"] == "hour"}
    assert int(hours["09"]["transfers"]) >= 30 and float(hours["09"]["seats_ready"]) >= 0.5
    async with Browser() as browser:
        await browser.call("Emulation.setDeviceMetricsOverride", width=1920, height=1080,
                           deviceScaleFactor=1, mobile=False)
        for lang in ("en", "zh"):
            await browser.goto(f"{lab.controller.url}/reports?days=4&lang={lang}"
                               f"&access_token={lab.keys.api_token}")
            for _ in range(100):
                if await browser.evaluate("document.readyState") == "complete":
                    break
                await asyncio.sleep(0.05)
            page = await browser.evaluate(
                "Object.fromEntries([...document.querySelectorAll('tr[data-day]')].map(r => "
                "[r.dataset.day, Object.fromEntries([...r.querySelectorAll('td[data-col]')]"
                ".map(c => [c.dataset.col, c.textContent]))]))")
            check_rows(page, today)
            plots = await browser.evaluate("document.querySelectorAll('svg').length")
            assert plots == 5   # the overview's four and the sizing
            assert await browser.evaluate(SIZING_ROWS) == expected_sizing()
            # One screen of overview: the cards and the four plots within 1920x1080,
            # the plots side by side; their labels at least 15 px as drawn.
            bottom, width, label = await browser.evaluate(OVERVIEW)
            assert bottom <= 1080 and width > 0.4 * 1920, (bottom, width)
            assert label >= 15, label
            await browser.screenshot(ARTIFACTS / f"reports-{lang}.png")
    report(f"reports page and CSV checked against {len(HISTORY)} seeded days")


async def test_datadesk_report_prints_the_same_csv(lab):
    today = datetime.now(ZONE).date()
    await seed(lab.redis.url, today)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ari_app", "--config", str(lab.controller.config), "report",
        "--days", "4", "--csv", stdout=asyncio.subprocess.PIPE, cwd=str(REPO))
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    served = await fetch(lab, "/reports.csv?days=4")
    assert out.decode().strip() == served.strip()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ari_app", "--config", str(lab.controller.config), "report",
        "--days", "4", "--lang", "en", stdout=asyncio.subprocess.PIPE, cwd=str(REPO))
    out, _ = await proc.communicate()
    lines = out.decode().splitlines()
    # The days and their total, then a line a seat, then the quality figures.
    seats = lines[8:lines.index("", 7)]
    satisfaction = lines[lines.index("", 7) + 1:]
    assert proc.returncode == 0 and lines[5].startswith("TOTAL") and lines[6] == ""
    assert [line.split()[0] for line in seats] == list(SEATS)
    assert satisfaction[0].startswith("SATISFACTION")
    assert lines[1].split()[:2] == [str(today - timedelta(days=3)), "50"]


async def test_a_callback_request_is_counted_in_todays_aggregate(lab):
    before = (await lab.controller.get("/api/reports?days=1"))["total"]["callbacks_requested"]
    status, created = await lab.controller.request(
        "POST", "/api/callbacks", {"number": "13800138777", "topic": "wlan"})
    assert status == 201
    again = await lab.controller.request(
        "POST", "/api/callbacks", {"number": "13800138777", "topic": "wlan"})
    assert again[0] == 200  # the same number again: updated, not a new request
    after = (await lab.controller.get("/api/reports?days=1"))["total"]["callbacks_requested"]
    assert after == before + 1
    await lab.controller.request("DELETE", f"/api/callbacks/{created['callback']['id']}")


async def test_days_out_of_range_or_not_ascii_digits_are_refused_on_every_route(lab):
    # "²" and "٣٦٦" pass str.isdigit(); 5,000 digits made int() refuse: each a 500 once.
    for bad in ("0", "367", "x", "²", "٣٦٦", "3" * 5000, "1.5", "+7"):
        for route in ("/api/reports", "/reports", "/reports.csv"):
            status, body = await lab.controller.request("GET", f"{route}?days={quote(bad)}")
            assert status == 400 and body["field"] == "days", (route, bad, body)


def controller_redis(lab) -> redis.Redis:
    """Redis with the controller's own login (its ACL user), as a holder of
    that login would write."""
    return redis.from_url(lab.redis.address, username=lab.redis.controller_user,
                          password=lab.redis.controller_password, decode_responses=True)


async def test_a_malformed_counter_written_with_the_controllers_login_counts_as_nothing(lab):
    key = day_key(datetime.now(ZONE).date())
    client, admin = controller_redis(lab), redis.from_url(lab.redis.url, decode_responses=True)
    before = await admin.hget(key, "transfers")
    try:
        answered = (await lab.controller.get("/api/reports?days=1"))["total"]["answered"]
        mark = lab.controller.log.stat().st_size
        await client.hset(key, "transfers", "1.5")
        for route in ("/api/reports?days=1", "/reports?days=1", "/reports.csv?days=1",
                      "/api/reports?days=2"):
            text = await fetch(lab, route)       # 200, not a 500
            assert text
        total = (await lab.controller.get("/api/reports?days=1"))["total"]
        assert total["transfers"] == 0 and total["answered"] == answered
        board = await lab.controller.get("/api/wallboard")
        assert board["today"] is not None and board["today"]["transfers"] == 0
        assert board["open_callbacks"] is not None           # the store is not "down"
        lines = lab.controller.log.read_bytes()[mark:].decode(errors="replace").splitlines()
        warned = [line for line in lines if key in line and '"warning"' in line]
        assert len(warned) == 1 and "transfers" in warned[0], lines
        assert not [line for line in lines if '"error"' in line or "Traceback" in line], lines
    finally:
        if before is None:
            await admin.hdel(key, "transfers")
        else:
            await admin.hset(key, "transfers", before)
        await client.aclose()
        await admin.aclose()


async def test_a_call_answered_at_a_named_seat_counts_as_answered_live(report, lab):
    from lab.scenarios import customer_transferred, seat_ready, specialist_answers
    await seat_ready(lab, "8603")
    before = (await lab.controller.get("/api/wallboard"))["today"]
    transfer = await customer_transferred(lab, customer="13800138003", target="8603")
    assert transfer.route == "seat"
    _, seat = await specialist_answers(lab, transfer)
    assert seat.startswith("PJSIP/8603-")
    await asyncio.sleep(2)  # two seconds of talk
    await lab.probe.hangup_all()
    # A call counts as answered when the seat answers, its talk when it ends:
    # wait for both, or the talk read may be the one before the hang-up.
    for _ in range(100):
        today = (await lab.controller.get("/api/wallboard"))["today"]
        if today["answered"] > before["answered"] and \
                today["talk_seconds"] > before["talk_seconds"]:
            break
        await asyncio.sleep(0.1)
    assert today["answered"] == before["answered"] + 1
    talk = today["talk_seconds"] - before["talk_seconds"]
    assert talk >= 2, talk
    report(f"named-seat call counted as answered live, {talk} s of talk")
