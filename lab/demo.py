"""``python -m lab.demo`` (``make demo``): the whole stack on loopback and a narrated scenario.

Redis, the PBX with our configs, the phone simulator and the controller come
up; then a customer calls, a frontline agent transfers to the data desk and a
specialist answers, with every step read back from Asterisk itself.

SIGTERM, SIGHUP and SIGINT stop the demo at any point and stop every process
it started (they run in sessions of their own, so nothing else would), also
when SIGINT came in ignored, as it does for a shell's ``&``.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from ari_app.settings import load_settings
from ari_app.timefmt import for_people

from .configs import LAB_WRAPUP
from .scenarios import customer_transferred, in_capture, specialist_answers
from .stack import SEATS, Stack

_T0 = time.monotonic()


def say(text: str) -> None:
    print(f"  [{time.monotonic() - _T0:6.1f} s] {text}", flush=True)


def desk_time(lab: Stack, instant: str) -> str:
    """An instant of the API (UTC, ``Z``) as every screen shows it: desk time."""
    zone = ZoneInfo(load_settings(lab.controller.config).calendar.timezone)
    return for_people(instant, zone)


def datadesk_command() -> str:
    """The command line tool as this shell can run it: the virtualenv's
    ``datadesk`` (relative to here when inside), or this Python's module."""
    tool = Path(sys.executable).parent / "datadesk"
    if not tool.exists():
        return f"{sys.executable} -m ari_app"
    try:
        return str(tool.relative_to(Path.cwd()))
    except ValueError:
        return str(tool)


def title(text: str) -> None:
    print(f"\n== {text}", flush=True)


async def show_board(lab: Stack) -> None:
    board = await lab.controller.get("/api/seats")
    for seat in board["seats"]:
        reason = f" ({seat['paused_reason']})" if seat["paused_reason"] else ""
        print(f"      seat {seat['agent_id']}: {'ready' if seat['ready'] else 'not ready'}"
              f" | device {seat['state']} | paused {seat['paused']}{reason}", flush=True)


async def feature_code(lab: Stack, seat: str, code: str) -> None:
    """The seat's phone dials a feature code; wait until the PBX hung up."""
    mark = lab.probe.log.mark()
    await lab.phones.dial(seat, code, hold=2)
    await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "Hangup" and m.get("Channel", "").startswith(f"PJSIP/{seat}-"),
        since=mark, timeout=10)


async def wait_callback(lab: Stack, number: str) -> dict:
    for _ in range(100):
        _, body = await lab.controller.request("GET", "/api/callbacks")
        for cb in body["callbacks"]:
            if cb["number"] == number:
                return cb
        await asyncio.sleep(0.2)
    raise TimeoutError(f"no callback stored for {number}")


async def wait_callback_done(lab: Stack, cb_id: str) -> dict:
    for _ in range(200):
        _, body = await lab.controller.request("GET", f"/api/callbacks/{cb_id}")
        if body["callback"]["status"] not in ("open", "dialling"):
            return body["callback"]
        await asyncio.sleep(0.2)
    raise TimeoutError(f"callback {cb_id} not done")


async def lamp(lab: Stack) -> str:
    reply = await lab.probe.ami.send({"Action": "ExtensionState", "Exten": "8600",
                                      "Context": "desk-transfer"})
    return reply.get("StatusText", "?")


async def settle(lab: Stack) -> None:
    """No call left, and no seat still in its wrap-up after the last one."""
    await lab.phones.hangup_all()
    await lab.probe.hangup_all()
    while await lab.probe.channels() or await lab.phones.channels():
        await asyncio.sleep(0.1)
    controller = lab.controller
    if controller is None or controller.process is None or controller.process.returncode is not None:
        await asyncio.sleep(LAB_WRAPUP + 0.5)  # no board to ask: the lab's wrap-up, waited out
        return
    deadline = time.monotonic() + LAB_WRAPUP + 10
    while any(seat["activity"] in ("wrap-up", "in-call", "ringing")
              for seat in (await controller.get("/api/seats"))["seats"]):
        if time.monotonic() > deadline:
            raise TimeoutError("a seat is still busy after the calls ended")
        await asyncio.sleep(0.1)


async def run(lab: Stack) -> None:
    health = await lab.controller.wait_healthy()
    title("The stack")
    say(f"PBX: SIP udp/127.0.0.1:{lab.ports.pbx_sip}, AMI :{lab.ports.pbx_ami}, "
        f"ARI :{lab.ports.pbx_http}; phones: udp/127.0.0.1:{lab.ports.sim_sip}")
    say(f"controller: {lab.controller.url} health {json.dumps(health)}")
    say("prompts in Mandarin (zh, the desk's default); for English set [callbacks] "
        "language = \"en\" in the settings, or DESK_LANGUAGE=en on a call from the IVR")
    say("the desk as the controller sees it (GET /api/seats):")
    await show_board(lab)

    title("1. A data-service question, transferred live to the desk")
    transfer = await customer_transferred(lab, customer="13800138000", say=say)
    await specialist_answers(lab, transfer, say=say)
    await settle(lab)

    title("2. Transfer to one named specialist (agent ID 8603)")
    transfer = await customer_transferred(lab, customer="13900139000", target="8603", say=say)
    await specialist_answers(lab, transfer, say=say)
    await settle(lab)

    title("3. Every specialist on a break: the caller leaves a callback")
    say(f"desk lamp (BLF of 8600, read from Asterisk): {await lamp(lab)}")
    await asyncio.gather(*(feature_code(lab, seat, "*8631") for seat in SEATS))
    say("each seat dialled *8631 on its phone (pause, reason 1 = break)")
    await asyncio.sleep(0.5)
    await show_board(lab)
    say(f"desk lamp: {await lamp(lab)}")
    transfer = await customer_transferred(lab, customer="13700137000", say=say)
    say(f"route '{transfer.route}': the caller hears that the desk is busy and is "
        "offered a callback")
    await in_capture(lab, transfer)
    await lab.phones.dtmf(transfer.phone_channel, "2")
    say("the caller presses 2: another number")
    await in_capture(lab, transfer, prompt="vm-enter-num-to-call")
    await lab.phones.dtmf(transfer.phone_channel, "13912345678#")
    say("... keys in 13912345678# ...")
    await in_capture(lab, transfer, prompt="you-entered")
    await lab.phones.dtmf(transfer.phone_channel, "1")
    say("... and confirms with 1")
    cb = await wait_callback(lab, "13912345678")
    say(f"callback {cb['id']} stored: number {cb['number']}, deadline "
        f"{desk_time(lab, cb['deadline'])} (status {cb['status']})")
    await settle(lab)
    mark = lab.probe.log.mark()
    await feature_code(lab, "8604", "*864")
    say("seat 8604 dialled *864 (unpause): the dialer places the callback, seat first")
    connect = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "AgentConnect" and m.get("Queue") == "desk", since=mark,
        timeout=30)
    say(f"seat {connect.get('MemberName')} answered the callback leg and hears the number")
    dial = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "DialBegin" and m.get("DialString", "").endswith("@carrier"),
        since=mark, timeout=30)
    say(f"then the customer is dialled: {dial.get('DialString')}")
    await lab.probe.wait_connected("PJSIP/8604-", "PJSIP/carrier-", timeout=20)
    say("seat 8604 and the customer are talking (bridged in Asterisk)")
    done = await wait_callback_done(lab, cb["id"])
    say(f"callback record: status {done['status']}, attempts {done['attempts']}, "
        f"outcome {done['last_outcome']}, SLA {done['sla']}")
    await settle(lab)
    await asyncio.gather(*(feature_code(lab, seat, "*864") for seat in SEATS if seat != "8604"))
    say("the other seats dialled *864 (unpause)")
    await asyncio.sleep(0.5)
    say(f"desk lamp: {await lamp(lab)}")

    title("3b. Seats are free, but the topic is callback-only (860022: movie tickets)")
    transfer = await customer_transferred(lab, customer="13500135000", target="860022", say=say)
    await settle(lab)

    title("4. The controller is down: the dialplan still reaches the desk")
    await lab.controller.stop()
    say("controller stopped (SIGTERM)")
    transfer = await customer_transferred(lab, customer="13600136000", say=say)
    await specialist_answers(lab, transfer, say=say)
    await settle(lab)
    await lab.start_controller()
    say("controller started again; health: "
        + json.dumps(await lab.controller.wait_healthy()))


# Warnings a demo run is expected to log, by the start of their message:
# none. A normal run of the scenario above must leave the operator nothing to
# act on; anything else is a fault to look at.
EXPECTED_WARNINGS: tuple[str, ...] = ()


def log_problems(path: Path) -> list[str]:
    """The controller's WARNING, ERROR and CRITICAL lines (JSON logs), less the
    expected ones."""
    found = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            found.append(line)  # not a log line: a traceback or a stray print
            continue
        level, msg = str(entry.get("level", "")).lower(), str(entry.get("msg", ""))
        if level in ("warning", "error", "critical") and not msg.startswith(EXPECTED_WARNINGS):
            found.append(line)
    return found


def check_logs(lab: Stack) -> bool:
    title("The controller's log")
    problems = log_problems(lab.controller.log)
    if not problems:
        say("no warning or error in the controller's log")
        return True
    say(f"{len(problems)} warning/error line(s) in the controller's log:")
    for line in problems:
        print(f"      {line}", flush=True)
    return False


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


@dataclass
class StopOnSignal:
    """While ``armed``, the first of ``STOP_SIGNALS`` cancels ``task``; later ones
    are ignored so that they cannot cut the clean-up short."""
    task: asyncio.Task
    armed: bool = True
    received: signal.Signals | None = None

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:  # replaces an inherited SIG_IGN too
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.armed and self.received is None:
            self.received = signal.Signals(sig)
            print(f"\n{self.received.name}: stopping every process the demo started ...",
                  flush=True)
            self.task.cancel()


async def main(*, keep: bool = False, sentinel: bool = False, scenario: bool = True) -> int:
    """Run the demo; 0 when it ran through, 128 + the signal's number when a
    signal stopped it (everything started is stopped either way).
    ``scenario=False``: the stack only, its log checked, no calls played."""
    stop = StopOnSignal(asyncio.current_task())
    stop.install()
    clean = True
    try:
        async with Stack(sentinel=sentinel) as lab:
            try:
                if scenario:
                    await run(lab)
                clean = check_logs(lab)
                if keep:
                    await keep_up(lab)
            finally:
                stop.armed = False  # the stack's own clean-up runs to its end
    except asyncio.CancelledError:
        if stop.received is None:
            raise
        print(f"Demo stopped by {stop.received.name}: every process the demo started has "
              "been stopped.", flush=True)
        return 128 + stop.received
    print("\nDemo done: every process the demo started has been stopped.")
    return 0 if clean else 1


async def keep_up(lab: Stack) -> None:
    """Leave the stack up until a signal (Ctrl-C, SIGTERM, SIGHUP) arrives."""
    title("Stack kept up; Ctrl-C (or SIGTERM) to stop it")
    tokens = lab.keys.role_tokens
    print(f"  wallboard: {lab.controller.url}/wallboard?access_token={tokens['wallboard']}")
    print(f"  reports:   {lab.controller.url}/reports?access_token={tokens['supervisor']}")
    print(f"  API:       curl -H 'Authorization: Bearer {tokens['relay']}' "
          f"{lab.controller.url}/api/seats")
    print(f"  CLI:       {datadesk_command()} --config {lab.controller.config} seats",
          flush=True)
    await asyncio.Event().wait()


def cli(argv: list[str] | None = None) -> int:
    """``python -m lab.demo [--keep] [--sentinel] [--no-scenario]`` (what ``make demo``
    runs)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m lab.demo",
        description="Bring up the lab stack (Redis, the PBX from our configs, a phone "
                    "simulator, the controller) and play the demo scenario.")
    parser.add_argument("--keep", action="store_true",
                        help="keep the stack up at the end, until Ctrl-C or SIGTERM")
    parser.add_argument("--sentinel", action="store_true",
                        help="Redis as a master, a replica and three sentinels")
    parser.add_argument("--no-scenario", dest="scenario", action="store_false",
                        help="bring the stack up without playing the scenario (with --keep: "
                             "a stack to try things on at once)")
    args = parser.parse_args(argv)
    return asyncio.run(main(keep=args.keep, sentinel=args.sentinel, scenario=args.scenario))


if __name__ == "__main__":
    raise SystemExit(cli())
