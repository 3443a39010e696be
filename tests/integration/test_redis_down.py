"""Redis goes away and comes back: live routing goes on, callbacks are refused
loudly while it is down, and what was stored before survives (AOF)."""

from __future__ import annotations

import asyncio

from lab.scenarios import customer_transferred, specialist_answers


async def test_redis_down_then_back(lab):
    await lab.probe.pause(["8601"], reason="x")
    status, kept = await lab.controller.request(
        "POST", "/api/callbacks", {"number": "13800138601", "topic": "wlan"})
    assert status == 201
    # Keep it undialled: every seat paused.
    await lab.probe.pause(("8602", "8603", "8604", "8605", "8606"), reason="x")
    await asyncio.sleep(1.5)  # AOF everysec: the write is on disk
    await lab.redis.stop()
    try:
        status, body = await lab.controller.request(
            "POST", "/api/callbacks", {"number": "13800138602"})
        assert status == 503 and "unavailable" in body["error"]
        # Live transfers still route on the board in memory.
        await lab.probe.pause(["8603"], paused=False)
        await asyncio.sleep(0.5)
        transfer = await customer_transferred(lab, customer="13800138603")
        assert transfer.route == "queue"
        _, seat = await specialist_answers(lab, transfer)
        assert seat.startswith("PJSIP/8603-")
    finally:
        await lab.redis.start()
    for _ in range(50):
        status, body = await lab.controller.request("GET", f"/api/callbacks/{kept['callback']['id']}")
        if status == 200:
            break
        await asyncio.sleep(0.2)
    assert status == 200 and body["callback"]["number"] == "13800138601"
    assert body["callback"]["status"] in ("open", "dialling")


async def test_the_first_request_after_a_quick_redis_restart_is_accepted(report, lab):
    # Every seat paused: nothing is dialled, the pool's connections sit idle.
    await lab.probe.pause(("8601", "8602", "8603", "8604", "8605", "8606"), reason="x")
    status, _ = await lab.controller.request("POST", "/api/callbacks",
                                             {"number": "13800138611"})
    assert status == 201
    await lab.redis.stop()
    await lab.redis.start()   # back before any health check could notice
    status, body = await lab.controller.request("POST", "/api/callbacks",
                                                {"number": "13800138612"})
    assert status == 201, body
    status, body = await lab.controller.request("GET", "/api/callbacks?limit=10")
    assert status == 200 and {c["number"] for c in body["callbacks"]} >= {
        "13800138611", "13800138612"}


async def test_reports_with_redis_down_are_a_503_and_the_cli_one_line(lab):
    import sys
    from lab.paths import REPO
    mark = lab.controller.log.stat().st_size
    await lab.redis.stop()
    try:
        for route in ("/api/reports?days=3", "/reports?days=3", "/reports.csv?days=3"):
            status, body = await lab.controller.request("GET", route)
            assert status == 503, (route, body)
            assert set(body) == {"error"} and body["error"].startswith(
                "the callback store is unavailable") and "try again shortly" in body["error"]
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ari_app", "--config", str(lab.controller.config), "report",
            "--days", "3", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            cwd=str(REPO))
        out, err = await proc.communicate()
    finally:
        await lab.redis.start()
    assert proc.returncode == 4 and out == b"", (proc.returncode, out, err)
    lines = err.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("datadesk: the controller answered 503: "), err
    log = lab.controller.log.read_bytes()[mark:].decode(errors="replace")
    assert "Traceback" not in log and '"exc"' not in log, log
    answered = [line for line in log.splitlines() if "answered 503" in line]
    assert len(answered) == 4 and all('"warning"' in line for line in answered), answered
