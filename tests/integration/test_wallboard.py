"""The wallboard in a real headless Chromium, fed by the running controller."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from lab.browser import Browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

SEAT_STATE = """(() => { const row = document.querySelector('tr[data-seat="%s"]');
  return row ? row.children[1].textContent + '|' + row.children[2].textContent : null; })()"""


async def wait_page(browser: Browser, expression: str, expected, timeout: float) -> float:
    started = time.monotonic()
    while True:
        value = await browser.evaluate(expression)
        if value == expected:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"page shows {value!r}, expected {expected!r}")
        await asyncio.sleep(0.05)


async def test_a_seat_pausing_in_asterisk_shows_on_the_wallboard_within_2_s(report, lab):
    # Keep the callback waiting on the board: nobody free to dial it.
    await lab.probe.pause(("8601", "8602", "8603", "8604", "8605", "8606"), reason="meeting")
    status, created = await lab.controller.request(
        "POST", "/api/callbacks", {"number": "13800138501", "topic": "wlan"})
    assert status == 201
    url = f"{lab.controller.url}/wallboard?access_token={lab.keys.api_token}"
    async with Browser() as browser:
        await browser.goto(url)
        await wait_page(browser, SEAT_STATE % "8602", "paused|meeting", timeout=10)
        await lab.probe.pause(["8602"], reason="training")
        waited = await wait_page(browser, SEAT_STATE % "8602", "paused|training", timeout=2)
        report(f"wallboard showed the pause {waited * 1000:.0f} ms after Asterisk took it")
        lamp = await browser.evaluate("document.getElementById('lamp').textContent")
        assert lamp == "busy"
        rows = await browser.evaluate(
            "[...document.querySelectorAll('#callbacks tbody tr')].map(r => r.textContent)")
        assert any("13800138501" in r and "wlan" in r for r in rows), rows
        snapshot = await lab.controller.get("/api/wallboard")
        figures = await browser.evaluate(
            "[...document.querySelectorAll('#today tr')].map(r => r.textContent)")
        assert f"Transfers to the desk{snapshot['today']['transfers']}" in figures, figures
        assert any(f.startswith("Average talk time") for f in figures), figures
        shot = await browser.screenshot(ARTIFACTS / "wallboard.png")
        assert shot.stat().st_size > 10_000
    await lab.controller.request("DELETE", f"/api/callbacks/{created['callback']['id']}")


async def test_the_wallboard_needs_the_token(lab):
    import aiohttp
    async with aiohttp.ClientSession() as http:
        async with http.get(lab.controller.url + "/wallboard") as resp:
            assert resp.status == 401
        async with http.get(lab.controller.url + "/api/wallboard/events?access_token=nope") as resp:
            assert resp.status == 401
