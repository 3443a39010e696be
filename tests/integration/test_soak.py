"""A bounded soak on loopback: up to 20 concurrent customer calls through the
real PBX, with transfers, pauses and API callbacks mixed, for
DATADESK_SOAK_SECONDS (45 s in the suite; `make soak` runs 300 s). At the
end: no accepted callback lost, no number dialled twice at once, no 5xx, and
the board equal to Asterisk's QueueStatus. Memory of the controller printed."""

from __future__ import annotations

import asyncio
import os
import random
import time

from ari_app.lab.scenarios import board_mismatches
from ari_app.lab.stack import FRONTLINE, SEATS

SECONDS = float(os.environ.get("DATADESK_SOAK_SECONDS", "45"))
CONCURRENT = 20


def rss_kib(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def test_soak(report, lab):
    rng = random.Random(20261129)
    pid = lab.controller.process.pid
    rss_start = rss_kib(pid)
    for phone in FRONTLINE:
        await lab.phones.on_ring(phone, "transfer:8600")
    for seat in SEATS:
        # Long enough to hear a callback's announcement ("calling" + 11 digits).
        await lab.phones.on_ring(seat, "talk:14")
    callback_numbers = [f"139001390{i:02d}" for i in range(40)]
    for number in callback_numbers:
        await lab.phones.on_ring(number, "talk:3")
    mark = lab.probe.log.mark()
    accepted: set[str] = set()
    statuses: dict[int, int] = {}
    placed = 0
    peak = 0
    started = time.monotonic()
    next_pause = next_callback = started

    while time.monotonic() - started < SECONDS:
        active = sum(1 for c in await lab.phones.channels()
                     if c.get("Context") == "customer")
        peak = max(peak, active)
        if active < CONCURRENT:
            await lab.phones.customer_call(f"138001390{rng.randrange(100):02d}")
            placed += 1
        now = time.monotonic()
        if now >= next_pause:
            seat = rng.choice(SEATS)
            await lab.probe.ami.send({"Action": "QueuePause", "Queue": "desk",
                                      "Interface": f"PJSIP/{seat}",
                                      "Paused": rng.choice(["true", "false"]), "Reason": "break"})
            next_pause = now + 3
        if now >= next_callback:
            status, body = await lab.controller.request(
                "POST", "/api/callbacks", {"number": rng.choice(callback_numbers)})
            statuses[status] = statuses.get(status, 0) + 1
            if status in (200, 201):
                accepted.add(body["callback"]["id"])
            next_callback = now + 2
        await asyncio.sleep(0.2)

    # Wind down: live callers hang up (the dialer gives them way, by design),
    # every seat comes back, and the dialer finishes what it has.
    for channel in await lab.phones.channels():
        if channel.get("Context") == "customer":
            await lab.phones.hangup(channel["Channel"])
    for seat in SEATS:
        await lab.probe.ami.send({"Action": "QueuePause", "Queue": "desk",
                                  "Interface": f"PJSIP/{seat}", "Paused": "false"})
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        _, listing = await lab.controller.request("GET", "/api/callbacks?limit=1000")
        if listing["open"] == 0:
            break
        await asyncio.sleep(1)
    await lab.phones.hangup_all()
    await lab.probe.hangup_all()
    await asyncio.sleep(2)

    lost = 0
    for cb_id in accepted:
        status, body = await lab.controller.request("GET", f"/api/callbacks/{cb_id}")
        statuses[status] = statuses.get(status, 0) + 1
        if status != 200 or body["callback"]["status"] not in (
                "done", "failed", "served", "open", "dialling", "cancelled"):
            lost += 1
    # No number rung twice at once: carrier legs per number, from Dial to Hangup.
    ringing: dict[str, set[str]] = {}
    duplicates = 0
    for event in lab.probe.log.since(mark):
        if event.get("Event") == "DialBegin" and event.get("DialString", "").endswith("@carrier"):
            legs = ringing.setdefault(event["DialString"].split("@")[0], set())
            duplicates += bool(legs)
            legs.add(event.get("DestChannel", ""))
        elif event.get("Event") == "Hangup":
            for legs in ringing.values():
                legs.discard(event.get("Channel", ""))
    server_errors = sum(n for s, n in statuses.items() if s >= 500)
    mismatches = await board_mismatches(lab, SEATS)
    rss_end = rss_kib(pid)
    dialled = sum(1 for e in lab.probe.log.since(mark) if e.get("Event") == "DialBegin"
                  and e.get("DialString", "").endswith("@carrier"))
    report(f"soak {SECONDS:.0f} s: {placed} customer calls placed (peak {peak} at once), {len(accepted)} callbacks "
          f"accepted, {dialled} callback dials; lost={lost} duplicates={duplicates} "
          f"5xx={server_errors}; board vs QueueStatus: {mismatches or 'equal'}; controller RSS "
          f"{rss_start} KiB at start, {rss_end} KiB at end")
    assert lost == 0 and duplicates == 0 and server_errors == 0
    assert dialled > 0  # callbacks were really placed during the run
    assert mismatches == []
    # The load really ran: the simulator held (nearly) 20 customer calls at once.
    assert peak >= CONCURRENT - 2 and placed > CONCURRENT
