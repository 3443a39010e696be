"""Running the controller as an operator would: it starts or refuses to in one
line, says what it is and where it points, tells readiness truthfully, names
why a link is refused once and does not repeat it every second."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from ari_app import __version__
from lab.controller import ControllerProcess
from lab.scrape import samples


def entries(replica: ControllerProcess, start: int = 0) -> list[dict]:
    """The JSON log lines the replica wrote from byte ``start`` on."""
    text = replica.log.read_bytes()[start:].decode(errors="replace")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


async def readyz(replica: ControllerProcess) -> tuple[int, dict]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        async with http.get(replica.url + "/readyz") as resp:
            return resp.status, await resp.json()


async def until_answering(replica: ControllerProcess) -> None:
    for _ in range(200):
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
                async with http.get(replica.url + "/livez") as resp:
                    if resp.status == 200 and (await resp.json())["ok"]:
                        return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"/livez never answered; log:\n{replica.tail()}")


async def metrics(replica: ControllerProcess) -> dict[str, float]:
    async with aiohttp.ClientSession(headers=replica.headers) as http:
        async with http.get(replica.url + "/metrics") as resp:
            assert resp.status == 200
            text = await resp.text()
    return samples(text)


async def test_a_lone_controller_without_redis_is_not_ready_and_does_not_repeat_itself(
        report, lab):
    await lab.controller.stop()       # alone: no other replica leads
    await lab.redis.stop()
    lone = ControllerProcess(lab.controller_settings())
    try:
        await lone.start(wait_healthy=False)
        await until_answering(lone)
        await asyncio.sleep(1)
        status, body = await readyz(lone)
        assert status == 503 and not body["ok"] and body["role"] == "standby"
        assert any("Redis" in p for p in body["problems"])
        # Once-a-second complaints would write a dozen lines in 12 s.
        await asyncio.sleep(11)
        complaints = [e for e in entries(lone) if e["level"] == "warning"
                      and "Redis" in e["msg"] and "unreachable" in e["msg"]]
        report(f"{len(complaints)} Redis warning line(s) in the first 12 s without Redis")
        assert 2 <= len(complaints) <= 6, [e["msg"] for e in complaints]
        assert any("more since" in e["msg"] for e in complaints)
        await lab.redis.start()
        body = await asyncio.wait_for(lone.wait_healthy("leader"), 20)
        assert body["ok"] and body["status"].startswith("leading")
    finally:
        if lab.redis.process is None or lab.redis.process.returncode is not None:
            await lab.redis.start()
        await lone.stop()
        lone.remove()


async def test_a_port_in_use_stops_the_start_in_one_line(lab):
    twin = ControllerProcess(lab.controller_settings(), http_port=lab.controller.http_port)
    try:
        await twin.start(wait_healthy=False)
        code = await asyncio.wait_for(twin.process.wait(), 20)
        lines = twin.log.read_text().splitlines()
        assert code != 0
        assert len(lines) == 1 and "Traceback" not in lines[0]
        assert f"cannot listen on 127.0.0.1:{lab.controller.http_port}" in lines[0]
        assert "in use" in lines[0]
    finally:
        twin.remove()


async def test_a_fresh_controller_says_what_it_is_and_stops_cleanly(lab):
    start = lab.controller.log.stat().st_size
    await lab.start_controller()      # a restart: a fresh process
    banner = next(e["msg"] for e in entries(lab.controller, start)
                  if "starting" in e["msg"])
    assert f"datadesk {__version__}" in banner and str(lab.controller.config) in banner
    assert f"HTTP on 127.0.0.1:{lab.controller.http_port}" in banner
    assert f"AMI datadesk@127.0.0.1:{lab.ami_relay.port}" in banner
    assert f"Redis {lab.redis.address} as {lab.redis.controller_user}" in banner
    text = lab.controller.log.read_text()
    for secret in (lab.keys.ami, lab.keys.ari, lab.keys.api_token):
        assert secret not in text

    lines = await metrics(lab.controller)
    assert lines[f'datadesk_build_info{{version="{__version__}"}}'] == 1
    assert lines['datadesk_role{role="leader"}'] == 1
    assert lines['datadesk_role{role="standby"}'] == 0
    assert lines["datadesk_ready"] == 1
    assert lines["datadesk_callbacks_overdue"] == 0
    for route in ("queue", "seat", "callback", "out-of-scope", "fallback"):
        assert lines[f'datadesk_routes_total{{route="{route}"}}'] == 0, route

    await lab.controller.stop()       # SIGTERM
    logged = entries(lab.controller, start)
    assert not [e for e in logged if "resync on FullyBooted failed" in e["msg"]]
    assert not [e for e in logged if e["level"] in ("warning", "error")], logged
    assert any("board resynced" in e["msg"] for e in logged)


async def test_a_wrong_ari_password_is_named_once(lab):
    await lab.controller.stop()       # alone: this one leads and tries ARI
    wrong = ControllerProcess(lab.controller_settings({"ari": {"password": "not-the-one"}}))
    try:
        await wrong.start(wait_healthy=False)
        await until_answering(wrong)
        for _ in range(100):
            status, body = await readyz(wrong)
            if body["role"] == "leader":
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(8)        # several reconnect attempts
        status, body = await readyz(wrong)
        assert status == 503 and any("ARI" in p for p in body["problems"])
        text = wrong.log.read_text()
        assert text.count("ARI refused the login for user datadesk (HTTP 401): check [ari]") == 1
        assert "WSServerHandshakeError" not in text and "not-the-one" not in text
    finally:
        await wrong.stop()
        wrong.remove()


async def test_a_wrong_ami_secret_is_named_once(lab):
    wrong = ControllerProcess(lab.controller_settings({"ami": {"secret": "not-the-secret"}}))
    try:
        await wrong.start(wait_healthy=False)
        await until_answering(wrong)
        await asyncio.sleep(8)        # several reconnect attempts
        status, body = await readyz(wrong)
        assert status == 503 and any("AMI" in p for p in body["problems"])
        text = wrong.log.read_text()
        assert text.count("AMI refused the login for user datadesk (Authentication failed): "
                          "check [ami]") == 1
        assert "still failing: AMI refused the login" in text and "not-the-secret" not in text
    finally:
        await wrong.stop()
        wrong.remove()
