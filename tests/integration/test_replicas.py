"""Two controller replicas: one leads (holds the ARI application, dials), the
other stands by; the leader is killed and the standby takes over."""

from __future__ import annotations

import asyncio
import time

from lab.scenarios import customer_transferred, specialist_answers
from lab.stack import SEATS


async def test_leader_killed_the_standby_takes_over_and_dials_once(report, lab):
    a = lab.controller
    b = await lab.second_controller()
    try:
        _, health_b = await b.health()
        assert health_b["role"] == "standby" and health_b["ari"] == "down"
        await lab.probe.pause(SEATS, reason="meeting")
        status, created = await a.request("POST", "/api/callbacks", {"number": "13800138701"})
        assert status == 201

        a.kill()
        await a.process.wait()
        killed = time.monotonic()
        await asyncio.wait_for(b.wait_healthy("leader"), 20)
        took_over = time.monotonic() - killed
        report(f"standby took over {took_over:.1f} s after the leader's SIGKILL")
        assert took_over < 10

        # The new leader routes live transfers itself (two seats free: the
        # callback may take one)...
        mark = lab.probe.log.mark()
        await lab.phones.on_ring("13800138701", "answer")
        await lab.probe.pause(("8601", "8602"), paused=False)
        transfer = await customer_transferred(lab, customer="13800138702")
        assert transfer.route == "queue"
        await specialist_answers(lab, transfer)
        # ... and dials the callback registered with the dead leader, once.
        for _ in range(150):
            status, body = await b.request("GET", f"/api/callbacks/{created['callback']['id']}")
            if body["callback"]["status"] in ("done", "failed"):
                break
            await asyncio.sleep(0.2)
        assert body["callback"]["status"] == "done" and body["callback"]["attempts"] == 1
        dials = [e for e in lab.probe.log.since(mark) if e.get("Event") == "DialBegin"
                 and e.get("DialString") == "13800138701@carrier"]
        assert len(dials) == 1
    finally:
        await b.stop()
        await lab.start_controller()
