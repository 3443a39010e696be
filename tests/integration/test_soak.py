"""A bounded soak on loopback: up to 20 concurrent customer calls through the
real PBX, with transfers, pauses and API callbacks mixed, for
DATADESK_SOAK_SECONDS (45 s in the suite; `make soak` runs 300 s). At the
end: every accepted callback delivered (the customer reached, or served
live), none left open or dialling; no number dialled twice at once, no 5xx,
and the board equal to Asterisk's QueueStatus. Memory of the controller
printed."""

from __future__ import annotations

import os
from collections import Counter

from lab.load import MixedLoad
from lab.procstat import rss_kib
from lab.scenarios import board_mismatches
from lab.stack import SEATS

SECONDS = float(os.environ.get("DATADESK_SOAK_SECONDS", "45"))
CONCURRENT = 20
# How an accepted callback may end in the soak: every number it calls back
# answers, so the customer was reached (done), or called the desk live
# meanwhile (served). Open, dialling, failed or cancelled is a callback lost.
DELIVERED = ("done", "served")


async def test_soak(report, lab):
    pid = lab.controller.process.pid
    rss_start = rss_kib(pid)
    load = MixedLoad(lab, concurrent=CONCURRENT)
    await load.prepare()
    mark = lab.probe.log.mark()
    figures = await load.run(SECONDS)
    still_open = await load.wind_down()
    accepted, statuses = figures.accepted, figures.statuses
    placed, peak = figures.placed, figures.peak

    ended: Counter[str] = Counter()
    for cb_id in accepted:
        status, body = await lab.controller.request("GET", f"/api/callbacks/{cb_id}")
        statuses[status] = statuses.get(status, 0) + 1
        ended[body["callback"]["status"] if status == 200 else f"HTTP {status}"] += 1
    lost = sum(n for how, n in ended.items() if how not in DELIVERED)
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
          f"accepted ({dict(ended)}), {dialled} callback dials; open after the wind-down: "
          f"{still_open}; lost={lost} duplicates={duplicates} "
          f"5xx={server_errors}; board vs QueueStatus: {mismatches or 'equal'}; controller RSS "
          f"{rss_start} KiB at start, {rss_end} KiB at end")
    assert still_open == 0, f"{still_open} callback(s) still open after the wind-down"
    assert lost == 0, dict(ended)
    assert duplicates == 0 and server_errors == 0
    assert dialled > 0  # callbacks were really placed during the run
    assert mismatches == []
    # The load really ran: the simulator held (nearly) 20 customer calls at once.
    assert peak >= CONCURRENT - 2 and placed > CONCURRENT
