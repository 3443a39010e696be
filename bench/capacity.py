"""Capacity: concurrent customer calls through the real PBX, the controller attached.

Customers call the desk route straight from the carrier side (a lab-only
extension 8600 in ``from-carrier`` that enters ``desk-route`` as a transfer
would), so every call goes through the controller: a decision in Stasis, then
the desk queue (six seats, each talking ``--talk`` seconds) or, with every
seat busy, the callback capture under ARI. The number of calls up at once is
raised step by step; each step holds its level for ``--step`` seconds
(calls last at most ``--hold`` seconds, then the customer hangs up).

At each step:

- **set-up failures**: originations the PBX refused (``OriginateResponse``
  Failure) and calls the controller could not route (``fallback`` routes);
- **controller lag**: a seat is paused in Asterisk and the time until the
  controller's board shows it is measured (the controller "falls behind"
  when that exceeds ``--max-lag``);
- **CPU** of the controller, the PBX and the phone simulator, as the share of
  one core they used during the step (the machine has ``os.cpu_count()``).

The capacity printed is the highest level with no failure and the board in
step with Asterisk.

Recording on against off, in the same run: before the ramp (whose backlog
of callbacks would keep the seats from live calls), ``--compare`` calls are
held for ``--step`` seconds with recording off (the dialplan global
``DESK_RECORD = no``), then on, then off again; the PBX's CPU per
call with recording on is given as a ratio to the mean of the two "off"
holds (before and after, so a drift of the machine shows), with the disk
the recordings took per hour of recorded call (the files' bytes over their
length: 8 kHz 16-bit WAV).

    .venv/bin/python -m bench.capacity [--levels 20,40,80,120,200,300,400] [--step 30]
        [--compare 20] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

from ari_app.quality.files import wav_facts
from lab.procstat import cpu_seconds, rss_kib
from lab.stack import SEATS, Stack

from .common import Results
from .routing import routes_counted


async def add_carrier_route(lab: Stack) -> None:
    """8600 reached from the carrier side: the desk route, as after a transfer."""
    for priority, app, data in ((1, "Set", "DESK_TARGET=desk"), (2, "Goto", "desk-route,s,1")):
        await lab.probe.ami.command({
            "Action": "DialplanExtensionAdd", "Context": "from-carrier", "Extension": "8600",
            "Priority": str(priority), "Application": app, "ApplicationData": data})


class Calls:
    """Customer calls we placed: up, refused, ended."""

    def __init__(self, lab: Stack) -> None:
        self.lab = lab
        self.up: dict[str, float] = {}     # channel id -> when placed
        self.placed = self.refused = 0
        self.tasks: set[asyncio.Task] = set()
        lab.phones.ami.on_event("Hangup", self._gone)
        lab.phones.ami.on_event("OriginateResponse", self._response)

    def _gone(self, msg) -> None:
        self.up.pop(msg.get("Uniqueid", ""), None)

    def _response(self, msg) -> None:
        if msg.get("Response") == "Failure" and \
                self.up.pop(msg.get("Uniqueid", ""), None) is not None:
            self.refused += 1

    async def place(self, n: int) -> None:
        """Start ``n`` calls. The AMI answer to an asynchronous Originate comes
        when the call is answered, so each waits in a task of its own."""
        for _ in range(n):
            channel = f"customer-{self.placed}-{uuid.uuid4().hex[:8]}"
            self.placed += 1
            self.up[channel] = time.monotonic()
            task = asyncio.create_task(self._call(channel, f"1390{self.placed:07d}"))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _call(self, channel: str, caller: str) -> None:
        try:
            await self.lab.phones.customer_call(caller, to="8600", channel_id=channel)
        except Exception:  # refused, or no answer from the simulator in time
            if self.up.pop(channel, None) is not None:
                self.refused += 1

    async def end_older_than(self, seconds: float) -> None:
        now = time.monotonic()
        for channel in [c for c, t in self.up.items() if now - t > seconds]:
            self.up.pop(channel, None)
            await self.lab.phones.hangup(channel)


async def board_lag(lab: Stack, seat: str, timeout: float = 10) -> float:
    """Pause ``seat`` in Asterisk; seconds until the controller's board shows it."""
    started = time.monotonic()
    await lab.probe.pause([seat], reason="lag-probe")
    try:
        while time.monotonic() - started < timeout:
            _, body = await lab.controller.request("GET", "/api/seats")
            if any(s["agent_id"] == seat and s["paused"] for s in body["seats"]):
                return time.monotonic() - started
            await asyncio.sleep(0.01)
        return float("inf")
    finally:
        await lab.probe.pause([seat], paused=False, check=False)


async def hold_level(lab: Stack, calls: Calls, level: int, args: argparse.Namespace,
                     lags: list[float]) -> tuple[int, int]:
    """Keep ``level`` calls up for ``args.step`` seconds, probing the board's lag
    every 4 s; returns the most calls started and the most seen on the PBX."""
    started = time.monotonic()
    next_probe = started + 3
    peak = pbx_peak = 0
    while time.monotonic() - started < args.step:
        await calls.end_older_than(args.hold)
        missing = level - len(calls.up)
        if missing > 0:
            await calls.place(min(missing, 10))
        peak = max(peak, len(calls.up))
        if time.monotonic() >= next_probe:
            on_pbx = sum(1 for c in await lab.probe.channels()
                         if c.get("Channel", "").startswith("PJSIP/carrier-"))
            pbx_peak = max(pbx_peak, on_pbx)
            lags.append(await board_lag(lab, SEATS[len(lags) % len(SEATS)]))
            next_probe = time.monotonic() + 4
        await asyncio.sleep(0.1)
    return peak, pbx_peak


async def set_recording(lab: Stack, on: bool) -> None:
    """The PBX's global DESK_RECORD (read by dialplan/32-quality.conf)."""
    await lab.probe.ami.command({"Action": "Setvar", "Variable": "DESK_RECORD",
                                 "Value": "yes" if on else "no"})


def recorded(lab: Stack) -> tuple[int, float]:
    """(bytes, seconds) of the desk's closed recordings on the PBX."""
    assert lab.pbx is not None
    size = seconds = 0.0
    for path in (lab.pbx.home / "spool" / "recording").glob("desk-*.wav"):
        data = path.read_bytes()
        try:
            facts = wav_facts(data)
        except ValueError:
            continue
        if facts.closed:
            size, seconds = size + len(data), seconds + facts.seconds
    return int(size), seconds


async def compare_recording(lab: Stack, calls: Calls, args: argparse.Namespace,
                            results: Results) -> None:
    """PBX CPU with recording off, on, off at ``args.compare`` calls."""
    per_call: dict[str, list[float]] = {"off": [], "on": []}
    before = recorded(lab)
    for mode in ("off", "on", "off"):
        await set_recording(lab, mode == "on")
        for channel in list(calls.up):      # start from calls made in this mode
            await lab.phones.hangup(channel)
            calls.up.pop(channel, None)
        cpu, started = cpu_seconds(lab.pbx.pid), time.monotonic()
        _peak, pbx_peak = await hold_level(lab, calls, args.compare, args, [])
        share = (cpu_seconds(lab.pbx.pid) - cpu) / (time.monotonic() - started)
        per_call[mode].append(share / max(pbx_peak, 1))
        results.note(f"recording {mode:>3}: {pbx_peak} calls up, PBX CPU {share:.0%} of a core "
                     f"({share / max(pbx_peak, 1) * 100:.2f} % a call)")
    await set_recording(lab, True)
    off = sum(per_call["off"]) / len(per_call["off"])
    results.add(f"PBX CPU per call, recording on / off ({args.compare} calls)",
                per_call["on"][0] / max(off, 1e-9), "x")
    size, seconds = recorded(lab)
    size, seconds = size - before[0], seconds - before[1]
    if seconds > 0:
        results.add("disk per hour of recorded call (8 kHz 16-bit WAV)",
                    size / seconds * 3600 / 1e6, "MB")
    else:
        results.note("no recording was closed during the comparison (no seat answered?): "
                     "disk per hour not measured")


async def run(args: argparse.Namespace) -> int:
    results = Results("capacity")
    levels = [int(x) for x in args.levels.split(",")]
    capacity, at_capacity = 0, None
    async with Stack(relays=False) as lab:
        await add_carrier_route(lab)
        for seat in SEATS:
            await lab.phones.on_ring(seat, f"talk:{args.talk}")
        calls = Calls(lab)
        pids = {"controller": lab.controller.process.pid, "pbx": lab.pbx.pid,
                "phones": lab.sim.pid}
        results.note(f"{os.cpu_count()} CPUs; seats talk {args.talk} s; calls last at most "
                     f"{args.hold} s; each level held {args.step} s")
        if args.compare:
            # First, on a quiet desk: after the ramp the seats are taken by its
            # backlog of callbacks, and hardly a live call would be recorded.
            await compare_recording(lab, calls, args, results)
            for channel in list(calls.up):
                await lab.phones.hangup(channel)
        for level in levels:
            before = await routes_counted(lab)
            refused = calls.refused
            cpu = {k: cpu_seconds(p) for k, p in pids.items()}
            started = time.monotonic()
            lags: list[float] = []
            try:
                peak, pbx_peak = await hold_level(lab, calls, level, args, lags)
            except asyncio.TimeoutError:
                # The lab's own Asterisks share the two cores: when the phone
                # simulator stops answering, the machine, not the controller,
                # is at its end.
                results.note(f"level {level}: the phone simulator stopped answering its AMI "
                             f"(the machine is saturated); the last level held stands")
                break
            elapsed = time.monotonic() - started
            share = {k: (cpu_seconds(p) - cpu[k]) / elapsed for k, p in pids.items()}
            after = await routes_counted(lab)
            routed = {r: int(after[r] - before.get(r, 0)) for r in after
                      if not r.startswith("seconds_")}
            failed = (calls.refused - refused) + routed.get("fallback", 0)
            worst = max(lags) if lags else float("inf")
            ok = failed == 0 and worst <= args.max_lag
            # Calls the simulator has started but the PBX has not seen yet do not count.
            short = pbx_peak < level * 0.9
            results.note(
                f"level {level:>4}: {peak:>4} started, {pbx_peak:>4} up on the PBX, "
                f"routed {sum(routed.values()):>4} "
                f"({routed.get('queue', 0)} queue, {routed.get('callback', 0)} callback), "
                f"failed {failed}, board lag worst {worst * 1000:.0f} ms; CPU (share of one "
                f"core): controller {share['controller']:.0%}, PBX {share['pbx']:.0%}, "
                f"phones {share['phones']:.0%}; controller RSS "
                f"{rss_kib(pids['controller']) // 1024} MiB  "
                f"{'LIMIT' if not ok else 'simulator short of the level' if short else 'ok'}")
            if not ok:
                break
            capacity, at_capacity = pbx_peak, (share, worst, routed)
            if short:
                results.note("the phone simulator could not hold more calls up: the level "
                             "reached is a floor of the controller's capacity, not its limit")
                break
        try:
            for channel in list(calls.up):
                await lab.phones.hangup(channel)
        except asyncio.TimeoutError:
            pass  # the lab stops both Asterisks on the way out in any case
    results.add("calls up at once on the PBX (no failure, board in step)", capacity, "calls")
    if at_capacity is not None:
        share, worst, routed = at_capacity
        results.add(f"controller CPU at {capacity} calls (share of one core)",
                    share["controller"] * 100, "%")
        results.add(f"PBX CPU at {capacity} calls (share of one core)", share["pbx"] * 100, "%")
        results.add("controller CPU / PBX CPU", share["controller"] / max(share["pbx"], 1e-9),
                    "x")
        results.add(f"board lag at {capacity} calls (worst)", worst * 1000, "ms",
                    at_most=args.max_lag * 1000)
    return results.finish(args.json)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="20,40,80,120,200,300,400")
    parser.add_argument("--step", type=float, default=30)
    parser.add_argument("--hold", type=float, default=60)
    parser.add_argument("--talk", type=int, default=8)
    parser.add_argument("--max-lag", type=float, default=1.0)
    parser.add_argument("--compare", type=int, default=20,
                        help="calls held for the recording on/off comparison (0: none)")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
