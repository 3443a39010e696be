"""When the PBX or Redis stalls, the wallboard says so: the lab's own Asterisk
or Redis process stopped with SIGSTOP (its sockets stay open, nothing
answers) and resumed with SIGCONT, the banner read in headless Chromium, the
time from the stop to the banner reported.

Only this stack's processes are stopped, by pid, and always resumed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

from lab.browser import Browser
from lab.configs import LAB_SERVICE_LEVEL
from lab.scenarios import customer_transferred
from lab.scrape import samples
from tests.integration.test_callbacks import log_entries
from tests.integration.test_wallboard import board_url, wait_page

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
SHOWN = "(() => {{ const s = document.getElementById('{}'); return (getComputedStyle(s)" \
        ".display === 'none' ? 'hidden' : 'shown') + '|' + s.textContent; }})()"
STALE, STORE = SHOWN.format("stale"), SHOWN.format("store-down")
TILES = "document.querySelectorAll('.tile').length"
FIGURE_TILES = ("['k-sl', 'k-abandoned', 'k-asa', 'k-aht', 'k-open', 'k-next'].map(id => { const k = "
                "document.getElementById(id); return k ? k.querySelector('.label').textContent "
                "+ '|' + k.querySelector('b').textContent : null; })")


async def wait_text(browser: Browser, expression: str, starts: str, timeout: float) -> str:
    """Until the page's ``expression`` starts with ``starts``; what it says then."""
    started = time.monotonic()
    while True:
        value = await browser.evaluate(expression) or ""
        if value.startswith(starts):
            return value
        if time.monotonic() - started > timeout:
            raise AssertionError(f"page shows {value!r}, expected {starts!r}...")
        await asyncio.sleep(0.05)


def desk_time(instant: str) -> str:
    """An instant of the snapshot as the page writes it (the desk's zone)."""
    when = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    return when.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M:%S")


async def metrics(lab) -> dict[str, float]:
    async with aiohttp.ClientSession(headers=lab.controller.headers,
                                     timeout=aiohttp.ClientTimeout(total=10)) as http:
        async with http.get(lab.controller.url + "/metrics") as resp:
            text = await resp.text()
    return samples(text)


async def test_a_frozen_pbx_shows_board_may_be_stale_since_on_the_wallboard_and_readyz(
        report, lab):
    since_log = lab.controller.log.stat().st_size
    pid = lab.pbx.pid
    assert pid is not None
    async with Browser() as browser:
        await browser.goto(board_url(lab, lang="en"))
        await wait_page(browser, TILES, 6, timeout=10)
        assert (await browser.evaluate(STALE)).startswith("hidden|")
        stopped_at, started = time.time(), time.monotonic()
        os.kill(pid, signal.SIGSTOP)
        try:
            shown = await wait_text(browser, STALE, "shown|Board may be stale since ", 30)
            waited = time.monotonic() - started
            report(f"frozen PBX: 'board may be stale' on the wallboard {waited:.1f} s after "
                   "SIGSTOP")
            status, health = await lab.controller.health()
            assert status == 503 and health["ami"] == "down" and health["board"] == "stale"
            assert health["ami_trouble"].startswith("no answer"), health
            since = health["board_stale_since"]
            stale_at = datetime.fromisoformat(since.replace("Z", "+00:00")).timestamp()
            # The last word from Asterisk came before the stop (pings every 2 s).
            assert stopped_at - 5 <= stale_at <= stopped_at + 1, (stopped_at, since)
            assert f"the board may be stale since {since}" in health["status"], health
            assert shown == f"shown|Board may be stale since {desk_time(since)} · the PBX " \
                            "does not answer", shown
            figures = await metrics(lab)
            assert figures["datadesk_board_stale"] == 1
            assert figures['datadesk_connection_up{link="ami"}'] == 0
            assert int(figures["datadesk_board_stale_since_seconds"]) == stale_at
            assert figures["datadesk_ami_heartbeats_missed_total"] >= 1
            await browser.screenshot(ARTIFACTS / "wallboard-pbx-frozen.png")
            await browser.goto(board_url(lab, lang="zh"))
            zh = await wait_text(browser, STALE, "shown|座席状态可能已过时（自 ", 10)
            assert zh == f"shown|座席状态可能已过时（自 {desk_time(since)} 起） · 交换机无响应", zh
            await browser.screenshot(ARTIFACTS / "wallboard-pbx-frozen-zh.png")
            # The freeze the board was first seen to hide lasted 20 s.
            await asyncio.sleep(max(0.0, 20 - (time.monotonic() - started)))
        finally:
            os.kill(pid, signal.SIGCONT)
        resumed = time.monotonic()
        await wait_text(browser, STALE, "hidden|", 60)
        report(f"frozen PBX resumed: banner gone {time.monotonic() - resumed:.1f} s after "
               "SIGCONT (reconnect and resync)")
    await lab.controller.wait_healthy()
    await lab.probe.ami.wait_ready(30)
    entries = log_entries(lab.controller.log, since_log)
    lines = [e.get("msg", "") for e in entries]
    assert any(m.startswith("ami: no answer from Asterisk for ") and "stale since" in m
               for m in lines), lines
    # Every line names its cause: no empty parentheses, no pointer to nothing.
    assert not [m for m in lines if "()" in m or "see the error above" in m or ": :" in m], lines


async def test_a_hung_redis_says_the_store_is_unreachable_where_the_callbacks_stand(
        report, lab):
    # Every seat paused first: a callback stored while one is ready would be
    # claimed and its attempt's lease would fail in the hang as well.
    await lab.probe.pause(("8601", "8602", "8603", "8604", "8605", "8606"), reason="meeting")
    status, created = await lab.controller.request(
        "POST", "/api/callbacks", {"number": "13800138701", "topic": "wlan"})
    assert status == 201
    since_log = lab.controller.log.stat().st_size
    redis = lab.redis.process
    assert redis is not None and redis.returncode is None
    async with Browser() as browser:
        await browser.goto(board_url(lab, lang="en"))
        await wait_page(browser, "document.querySelectorAll('#callbacks tr').length", 1, 10)
        assert (await browser.evaluate(STORE)).startswith("hidden|")
        started = time.monotonic()
        os.kill(redis.pid, signal.SIGSTOP)
        try:
            await wait_text(browser, STORE, "shown|Callback store unreachable", 30)
            report(f"hung Redis: 'callback store unreachable' on the wallboard "
                   f"{time.monotonic() - started:.1f} s after SIGSTOP")
            assert await browser.evaluate("document.querySelectorAll('#callbacks tr').length") \
                == 0
            # Once Redis's watcher has missed it, the notice says since when.
            shown = await wait_text(browser, STORE, "shown|Callback store unreachable since ", 30)
            snapshot = await lab.controller.get("/api/wallboard")
            store = snapshot["stalls"]["store"]
            assert store["reachable"] is False and store["since"], store
            assert shown == (f"shown|Callback store unreachable since {desk_time(store['since'])}"
                             ": callbacks cannot be shown or stored now"), shown
            # What is read from Redis is unknown, not none; the threshold (a setting) is known.
            tiles = await browser.evaluate(FIGURE_TILES)
            assert tiles == [f"Answered in {LAB_SERVICE_LEVEL} s %|?", "Abandoned|?",
                             "Avg. answer|?", "Avg. handle|?", "Open callbacks|?",
                             "Next deadline|?"], tiles
            await browser.screenshot(ARTIFACTS / "wallboard-redis-hung.png")
            await browser.goto(board_url(lab, lang="zh"))
            await wait_text(browser, STORE, f"shown|回电存储自 {desk_time(store['since'])} 起无法访问",
                            10)
            failing = await metrics(lab)
            assert failing['datadesk_loop_failing{loop="dialer"}'] == 1
            # Long enough for a loop without back-off to have written a line a second.
            await asyncio.sleep(max(0.0, 20 - (time.monotonic() - started)))
        finally:
            os.kill(redis.pid, signal.SIGCONT)
        await wait_text(browser, STORE, "hidden|", 30)
        await wait_page(browser, "document.querySelectorAll('#callbacks tr').length", 1, 15)
    await lab.controller.wait_healthy()
    # The dialer's back-off (at most 10 s) brings its next step; that one works.
    waited = time.monotonic()
    while True:
        dialer = [e for e in log_entries(lab.controller.log, since_log)
                  if e.get("logger") == "ari_app.dialer"]
        back = [e["msg"] for e in dialer if e.get("level") == "info"
                and e["msg"].startswith("dialer: working again after")]
        if back or time.monotonic() - waited > 30:
            break
        await asyncio.sleep(0.2)
    warnings = [e["msg"] for e in dialer if e.get("level") == "warning"]
    assert len(warnings) == 1 and "retrying with back-off" in warnings[0], warnings
    assert len(back) == 1, dialer
    figures = await metrics(lab)
    assert figures['datadesk_loop_failed_steps_total{loop="dialer"}'] >= 2
    assert figures['datadesk_loop_failing{loop="dialer"}'] == 0
    report(f"hung Redis for 20 s: the dialer wrote {len(warnings)} WARNING and one line when "
           f"it worked again ({back[0]})")
    await lab.controller.request("DELETE", f"/api/callbacks/{created['callback']['id']}")


async def test_a_websocket_left_over_from_a_frozen_pbx_does_not_take_the_desk_from_the_controller(
        report, lab):
    """A connection to ARI opened while Asterisk is stopped and given up on
    (as the controller's own timed-out reconnect is) is accepted by Asterisk
    when it resumes: it registers the application, replacing the controller's
    websocket, and its close unregisters it. Unless the controller notices,
    every transfer after that goes to the dialplan fallback with /readyz
    saying ARI connected."""
    since_log = lab.controller.log.stat().st_size
    pid = lab.pbx.pid
    assert pid is not None
    url = f"ws://127.0.0.1:{lab.ports.pbx_http}/ari/events"
    os.kill(pid, signal.SIGSTOP)
    try:
        login = {"Authorization": aiohttp.encode_basic_auth("datadesk", lab.keys.ari)}
        async with aiohttp.ClientSession(headers=login) as http:
            with contextlib.suppress(asyncio.TimeoutError, aiohttp.ClientError):
                async with asyncio.timeout(2):
                    await http.ws_connect(url, params={"app": "datadesk"})
    finally:
        os.kill(pid, signal.SIGCONT)
    resumed = time.monotonic()
    # Asterisk takes the abandoned upgrade from its backlog, registers the
    # application to it, fails to answer it and unregisters the application.
    lost = await wait_log(lab, since_log, lambda m: m.startswith("ARI: Asterisk no longer "), 30)
    report(f"controller's line: {lost}")
    await lab.controller.wait_healthy()
    report(f"abandoned ARI websocket after a freeze: application held again "
           f"{time.monotonic() - resumed:.1f} s after SIGCONT")
    transfer = await customer_transferred(lab, customer="13800138702")
    assert transfer.route == "queue"
    await lab.phones.hangup_all()
    figures = await metrics(lab)
    assert figures["datadesk_ari_application_lost_total"] >= 1


async def wait_log(lab, since: int, test, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        lines = [e.get("msg", "") for e in log_entries(lab.controller.log, since)]
        found = [m for m in lines if test(m)]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no such line in the controller's log: {lines}")
        await asyncio.sleep(0.1)
