"""SLA-risk escalation over real SIP: a callback near its deadline takes the
next free seat ahead of a live caller already waiting in the desk queue,
and the controller POSTs the SLA-risk alert to a webhook receiver. The
order is read from the PBX's AMI events (QueueCallerJoin, AgentConnect)."""

from __future__ import annotations

import asyncio
import time

import redis.asyncio as redis
from aiohttp import web

from lab.scenarios import customer_transferred
from lab.stack import SEATS

from tests.integration.test_callbacks import register, wait_status


async def receiver() -> tuple[web.AppRunner, str, list[dict]]:
    """An HTTP receiver on a loopback port that keeps every JSON body."""
    bodies: list[dict] = []

    async def hook(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        return web.json_response({"ok": True})
    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/hook", bodies


async def near_deadline(lab, cb_id: str, seconds: float) -> float:
    """Move a stored callback's deadline to ``seconds`` from now, as an admin
    would (the hash and the deadline indexes)."""
    deadline = time.time() + seconds
    client = redis.Redis.from_url(lab.redis.url, decode_responses=True)
    try:
        await client.hset(f"datadesk:cb:{cb_id}", "deadline", deadline)
        await client.zadd("datadesk:cb:open", {cb_id: deadline}, xx=True)
        await client.zadd("datadesk:cb:ready", {cb_id: deadline}, xx=True)
    finally:
        await client.aclose()
    return deadline


def is_event(name: str, **prefixes: str):
    return lambda m: m.get("Event") == name and all(
        m.get(k, "").startswith(v) for k, v in prefixes.items())


async def test_a_callback_near_its_deadline_is_seated_before_a_waiting_live_caller(lab):
    runner, url, alerts = await receiver()
    await lab.start_controller({"callbacks": {"alert_url": url, "at_risk": 15,
                                                "escalate": True}})
    try:
        await lab.controller.wait_healthy()
        await escalation_scenario(lab, alerts)
    finally:
        await runner.cleanup()
        await lab.start_controller()


async def escalation_scenario(lab, alerts: list[dict]) -> None:
    log = lab.probe.log
    await lab.probe.pause([s for s in SEATS if s != "8601"])
    # A live caller A occupies the one seat (its own AgentConnect: the log
    # holds earlier tests' events too).
    start = log.mark()
    first = await customer_transferred(lab, customer="13800138401")
    assert first.route == "queue"
    await log.wait_for(is_event("AgentConnect", Queue="desk", Interface="PJSIP/8601",
                                Channel=first.customer_channel), since=start, timeout=20)
    cb = await register(lab, "13800138402", topic="wlan")   # an hour to go: it waits
    # A live caller B waits in the desk queue (a real call from the carrier).
    mark = log.mark()
    await lab.probe.ami.command({
        "Action": "Originate", "Channel": "PJSIP/13800138403@carrier",
        "CallerID": "\"Live\" <13800138403>", "Context": "desk-queue", "Exten": "queue",
        "Priority": "1", "Timeout": "20000", "Async": "true"}, timeout=25)
    live = await log.wait_for(is_event("QueueCallerJoin", Queue="desk", Channel="PJSIP/carrier-"),
                              since=mark, timeout=20)
    await asyncio.sleep(3)   # the dialer yields to B while the callback is far from its deadline
    assert not [m for m in log.since(mark)
                if is_event("QueueCallerJoin", Channel="Local/s@desk-callback-seat")(m)]

    deadline = await near_deadline(lab, cb["id"], 300)
    leg = await log.wait_for(is_event("QueueCallerJoin", Queue="desk",
                                      Channel="Local/s@desk-callback-seat"), since=mark,
                             timeout=15)
    assert leg.get("Position") == "1"                  # queued ahead of B
    await lab.phones.hangup(first.phone_channel)       # the seat comes free
    seated = await log.wait_for(is_event("AgentConnect", Queue="desk"), since=mark, timeout=15)
    assert seated.get("Channel", "").startswith("Local/s@desk-callback-seat"), seated
    assert seated.get("Interface") == "PJSIP/8601"
    assert not [m for m in log.since(mark) if is_event("AgentConnect", Queue="desk")(m)
                and m.get("Channel") == live.get("Channel")]   # B still waits
    body = await wait_status(lab, cb["id"], {"done", "failed"}, timeout=40)
    assert body["callback"]["sla"] == "met"
    # The alert reached the receiver with its named fields.
    for _ in range(100):
        if alerts:
            break
        await asyncio.sleep(0.1)
    assert [a["callback_id"] for a in alerts] == [cb["id"]]
    alert = alerts[0]
    assert alert["number"] == "*******8402" and 0 < alert["minutes_left"] <= 5
    assert alert["deadline"].endswith("Z") and abs(
        time.mktime(time.strptime(alert["deadline"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
        - deadline) < 2
