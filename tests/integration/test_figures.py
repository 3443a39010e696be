"""The desk's figures from real SIP calls: a live transfer answered within the
service level, one answered after it, one abandoned in the queue, one
abandoned in the callback capture. The same figures are read on
``/api/wallboard``, ``/api/reports``, ``/reports.csv``, ``/reports`` and
``datadesk report``; Asterisk's own service level (``QueueStatus``'s
``QueueParams``, reset at the start) agrees with the controller's where both
measure the same thing: the queue calls answered, and within the threshold.

The stack is shared with earlier tests: the figures are compared as the
change this test made (the day's counters before and after), and the faces
with each other at the end."""

from __future__ import annotations

import asyncio
import csv
import io
import sys
import time
from pathlib import Path

from lab.configs import LAB_SERVICE_LEVEL
from lab.scenarios import customer_transferred, in_capture, seat_ready, specialist_answers
from lab.stack import SEATS

REPO = Path(__file__).resolve().parents[2]
OTHERS = tuple(s for s in SEATS if s != "8601")
COUNTERS = ("transfers", "offered", "answered", "answered_in_sl", "completed",
            "abandoned_queue", "abandoned_capture", "abandoned_routing")


async def today(lab) -> dict:
    return (await lab.controller.get("/api/reports?days=1"))["total"]


async def seat_day(lab, agent: str) -> dict:
    board = await lab.controller.get("/api/wallboard")
    return next(s["today"] for s in board["seats"] if s["agent_id"] == agent)


async def until(check, what: str, timeout: float = 20):
    """Until ``check()`` (a coroutine) returns something true; that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        await asyncio.sleep(0.2)


async def no_calls(lab) -> bool:
    return not await lab.probe.channels()


async def queue_params(lab) -> dict:
    rows = await lab.probe.ami.rows({"Action": "QueueStatus", "Queue": "desk"})
    return next(r for r in rows if r.get("Event") == "QueueParams")


async def answered_call(lab, customer: str, ring: str, talk: float) -> None:
    """Seat 8601 alone ready, its phone ``ring`` (``answer`` or ``answer:S``):
    a transfer to the desk, answered, ``talk`` seconds, hung up."""
    await seat_ready(lab, "8601")
    await lab.phones.on_ring("8601", ring)
    transfer = await customer_transferred(lab, customer=customer)
    assert transfer.route == "queue"
    await specialist_answers(lab, transfer)
    await asyncio.sleep(talk)
    await lab.probe.hangup_all()
    await until(lambda: no_calls(lab), "the call ended")


async def run_datadesk(lab, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ari_app", "--config", str(lab.controller.config), *args,
        stdout=asyncio.subprocess.PIPE, cwd=str(REPO))
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    return out.decode()


async def test_the_figures_of_real_calls_agree_on_every_face_and_with_asterisk(report, lab):
    await lab.probe.pause(OTHERS, reason="meeting")
    await lab.probe.ami.command({"Action": "QueueReset", "Queue": "desk"})
    before, seat_before = await today(lab), await seat_day(lab, "8601")

    # 1: answered at once; 2: the seat answers after the service level.
    await answered_call(lab, "13800138101", "answer", 2)
    await answered_call(lab, "13800138102", f"answer:{LAB_SERVICE_LEVEL + 3}", 1)
    # 3: the caller hangs up while the queue rings a seat that does not answer.
    await seat_ready(lab, "8601")
    await lab.phones.on_ring("8601", "ignore")
    gone = await customer_transferred(lab, customer="13800138103")
    assert gone.route == "queue"
    await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "AgentCalled" and m.get("Queue") == "desk",
        since=gone.mark, timeout=10)
    await lab.phones.hangup_all()
    await until(lambda: no_calls(lab), "the abandoned call ended")
    # 4: nobody ready: the callback capture; the caller hangs up before a number.
    await lab.probe.pause(["8601"], reason="lunch")
    left = await customer_transferred(lab, customer="13800138104")
    assert left.route == "callback"
    await in_capture(lab, left)
    await lab.phones.hangup_all()

    async def counted() -> dict | None:
        now = await today(lab)
        done = now["abandoned_capture"] > before["abandoned_capture"] \
            and now["completed"] >= before["completed"] + 2 \
            and now["abandoned_queue"] > before["abandoned_queue"]
        return now if done else None
    after = await until(counted, "every call counted")
    change = {k: after[k] - before[k] for k in COUNTERS}
    assert change == {"transfers": 4, "offered": 3, "answered": 2, "answered_in_sl": 1,
                      "completed": 2, "abandoned_queue": 1, "abandoned_capture": 1,
                      "abandoned_routing": 0}
    seat_after = await seat_day(lab, "8601")
    assert seat_after["live"] - seat_before["live"] == 2
    assert seat_after["talk_seconds"] - seat_before["talk_seconds"] >= 3
    assert seat_after["pause_seconds"].get("lunch", 0) > 0   # paused now: counted so far

    # Asterisk's own figures since the reset: the same two answered, one in time.
    params = await queue_params(lab)
    assert params["ServiceLevel"] == str(LAB_SERVICE_LEVEL)
    assert params["Completed"] == str(change["answered"])
    assert float(params["ServicelevelPerf"]) == 100 * change["answered_in_sl"] / change["answered"]
    assert params["Abandoned"] == str(change["abandoned_queue"])

    # Every face says the same of today.
    board = (await lab.controller.get("/api/wallboard"))["today"]
    rows = list(csv.DictReader(io.StringIO(await lab.controller.text("/reports.csv?days=1"))))
    csv_total = next(r for r in rows if r["scope"] == "total")
    cli_rows = list(csv.DictReader(io.StringIO(await run_datadesk(lab, "report", "--days",
                                                                   "1", "--csv"))))
    cli_total = next(r for r in cli_rows if r["scope"] == "total")
    shown = ("transfers", "answered", "service_level_percent", "abandoned", "abandoned_percent",
             "average_speed_of_answer_seconds", "average_handle_seconds")
    for key in shown:
        value = after[key]
        assert board[key] == value, key
        assert csv_total[key] == cli_total[key] == ("" if value is None else str(value)), key
    table = await run_datadesk(lab, "report", "--days", "1", "--lang", "en")
    day = table.splitlines()[1].split()
    assert day[1:4] == [str(after["transfers"]), str(after["answered"]),
                        str(after["service_level_percent"])], table
    page = await lab.controller.text("/reports?days=1&lang=en")
    assert (f'data-figure="service_level_percent"><span class="label">Answered in '
            f'{LAB_SERVICE_LEVEL} s %</span><b>{after["service_level_percent"]}%</b>') in page
    report(f"figures of 4 real calls: service level {after['service_level_percent']} % today, "
           f"Asterisk's ServicelevelPerf {params['ServicelevelPerf']} % of its "
           f"{params['Completed']} completed since the reset")
