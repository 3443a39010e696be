"""Routing overhead on a real transfer: through the controller vs the dialplan alone.

A customer calls the frontline over SIP; the frontline phone blind-transfers
(SIP REFER) to the desk. Timed on the machine's clock as both Asterisks
stamp their AMI events (``Timestamp``): from the phone's ``Transfer()`` (it
sends the REFER) to ``QueueCallerJoin`` on the PBX (the caller is in the desk
queue); and, the routing alone, from the PBX's ``BlindTransfer`` (it has
taken the REFER and moved the caller) to the same join. Two paths,
alternated call by call on the same running stack:

- **controller**: the shipped route, 8600 -> ``desk-route`` -> ``Stasis`` ->
  the controller decides -> ``continue`` to ``desk-queue``;
- **dialplan alone** (the baseline): a lab-only extension 8699 that goes
  straight to ``desk-fallback`` (``QUEUE_MEMBER(desk,ready)`` then ``Queue``),
  what Asterisk does without a controller.

    .venv/bin/python -m bench.routing [--calls 25] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time

import aiohttp

from lab.stack import FRONTLINE, SEATS, Stack

from .common import Results, spread

BASELINE_EXTEN = "8699"


async def add_baseline_extension(lab: Stack) -> None:
    """8699 where the phones' transfers land ([phone-transfer], whose own
    extensions match before its includes): the dialplan's routing, no Stasis."""
    await lab.probe.ami.command({
        "Action": "DialplanExtensionAdd", "Context": "phone-transfer", "Extension": BASELINE_EXTEN,
        "Priority": "1", "Application": "Goto", "ApplicationData": "desk-fallback,s,1"})


async def routes_counted(lab: Stack) -> dict[str, float]:
    """The controller's routing decisions so far, by route (from /metrics)."""
    async with aiohttp.ClientSession(headers=lab.controller.headers) as http:
        async with http.get(lab.controller.url + "/metrics") as resp:
            text = await resp.text()
    counted = {m[1]: float(m[2]) for m in re.finditer(
        r'datadesk_routes_total\{route="([^"]+)"\} (\S+)', text)}
    for field in ("sum", "count"):  # the controller's own time per route
        found = re.search(rf"^datadesk_route_seconds_{field} (\S+)$", text, re.M)
        counted[f"seconds_{field}"] = float(found[1]) if found else 0.0
    return counted


async def quiet(lab: Stack, timeout: float = 30) -> None:
    """No call left anywhere, and every seat free again (after wrap-up)."""
    deadline = time.monotonic() + timeout
    # The frontline phone's own leg lingers after its REFER: end what is left.
    await lab.phones.hangup_all()
    await lab.probe.hangup_all()
    while await lab.probe.channels() or await lab.phones.channels():
        if time.monotonic() > deadline:
            left = [c.get("Channel") + " " + c.get("Context", "") + " " + c.get("Application", "")
                    for c in await lab.probe.channels() + await lab.phones.channels()]
            raise TimeoutError(f"calls did not end: {left}")
        await asyncio.sleep(0.1)
    while True:
        members = await lab.probe.queue_members("desk")
        if all(m.get("InCall") == "0" and m.get("Status") == "1" for m in members):
            _, seats = await lab.controller.request("GET", "/api/seats")
            if all(s["ready"] for s in seats["seats"]):
                return
        if time.monotonic() > deadline:
            raise TimeoutError("seats did not come back")
        await asyncio.sleep(0.2)


class Refers:
    """When the phone simulator's phones ran ``Transfer()`` (sent a REFER)."""

    def __init__(self, lab: Stack) -> None:
        self.stamps: list[float] = []
        lab.phones.ami.on_event("Newexten", self._on_exten)

    def _on_exten(self, msg) -> None:
        if msg.get("Application") == "Transfer":
            self.stamps.append(float(msg.get("Timestamp", "nan")))


async def one_transfer(lab: Stack, refers: Refers, exten: str, caller: str
                       ) -> tuple[float, float]:
    """Seconds from the REFER, and from BlindTransfer, to QueueCallerJoin."""
    for phone in FRONTLINE:
        await lab.phones.on_ring(phone, f"transfer:{exten}")
    mark = lab.probe.log.mark()
    sent = len(refers.stamps)
    await lab.phones.customer_call(caller)
    transfer = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "BlindTransfer" and m.get("TransfereeCallerIDNum") == caller,
        since=mark, timeout=20)
    joined = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "QueueCallerJoin" and m.get("Queue") == "desk"
        and m.get("Channel") == transfer.get("TransfereeChannel"), since=mark, timeout=20)
    assert len(refers.stamps) == sent + 1, "one REFER per transfer"
    at = float(joined["Timestamp"])
    return at - refers.stamps[-1], at - float(transfer["Timestamp"])


async def run(args: argparse.Namespace) -> int:
    results = Results("routing")
    async with Stack(relays=False) as lab:
        await add_baseline_extension(lab)
        for seat in SEATS:
            await lab.phones.on_ring(seat, "talk:1")
        refers = Refers(lab)
        before = await routes_counted(lab)
        times: dict[str, list[float]] = {"controller": [], "dialplan": []}
        routing: dict[str, list[float]] = {"controller": [], "dialplan": []}
        for i in range(args.calls + 1):
            order = [("controller", "8600"), ("dialplan", BASELINE_EXTEN)]
            if i % 2:
                order.reverse()
            for path, exten in order:
                took, routed = await one_transfer(lab, refers, exten, f"1380013{i:04d}")
                await quiet(lab)
                if i:  # the first pair warms both paths up
                    times[path].append(took * 1000)
                    routing[path].append(routed * 1000)
        after = await routes_counted(lab)
    queued = int(after.get("queue", 0) - before.get("queue", 0))
    inside = (after["seconds_sum"] - before["seconds_sum"]) / max(
        after["seconds_count"] - before["seconds_count"], 1)
    results.note(f"{args.calls} transfers on each path, alternated; the controller routed "
                 f"{queued} of them to the queue (expected {args.calls + 1})")
    assert queued == args.calls + 1, "the controller path did not go through the controller"
    ctrl, base = spread(times["controller"]), spread(times["dialplan"])
    results.add("dialplan alone p50 (REFER -> queue)", base["p50"], "ms")
    results.add("dialplan alone p90", base["p90"], "ms")
    results.add("controller p50 (REFER -> queue)", ctrl["p50"], "ms")
    results.add("controller p90", ctrl["p90"], "ms")
    results.add("p50 overhead of the controller", ctrl["p50"] - base["p50"], "ms", at_most=5)
    results.add("controller / dialplan alone (p50)", ctrl["p50"] / base["p50"], "x",
                at_most=1.2)
    results.add("controller / dialplan alone (mean)",
                statistics.fmean(times["controller"]) / statistics.fmean(times["dialplan"]), "x")
    r_ctrl, r_base = spread(routing["controller"]), spread(routing["dialplan"])
    results.add("routing alone p50, dialplan (BlindTransfer -> queue)", r_base["p50"], "ms")
    results.add("routing alone p50, controller", r_ctrl["p50"], "ms")
    results.add("routing alone, controller / dialplan (p50)", r_ctrl["p50"] / r_base["p50"], "x")
    results.add("in the controller: StasisStart -> continue accepted (mean)", inside * 1000, "ms")
    return results.finish(args.json)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=25)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
