"""``datadesk demo``: the whole stack on loopback and a narrated scenario.

Redis, the PBX with our configs, the phone simulator and the controller come
up; then a customer calls, a frontline agent transfers to the data desk and a
specialist answers, with every step read back from Asterisk itself.
"""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp

from .scenarios import customer_transferred, specialist_answers
from .stack import SEATS, Stack

_T0 = time.monotonic()


def say(text: str) -> None:
    print(f"  [{time.monotonic() - _T0:6.1f} s] {text}", flush=True)


def title(text: str) -> None:
    print(f"\n== {text}", flush=True)


async def show_board(lab: Stack) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(lab.controller.url + "/api/seats") as resp:
            board = await resp.json()
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


async def lamp(lab: Stack) -> str:
    reply = await lab.probe.ami.send({"Action": "ExtensionState", "Exten": "8600",
                                      "Context": "desk-transfer"})
    return reply.get("StatusText", "?")


async def settle(lab: Stack) -> None:
    await lab.phones.hangup_all()
    await lab.probe.hangup_all()
    while await lab.probe.channels() or await lab.phones.channels():
        await asyncio.sleep(0.1)
    await asyncio.sleep(2.5)  # the lab's wrap-up


async def run(lab: Stack) -> None:
    health = await lab.controller.wait_healthy()
    title("The stack")
    say(f"PBX: SIP udp/127.0.0.1:{lab.ports.pbx_sip}, AMI :{lab.ports.pbx_ami}, "
        f"ARI :{lab.ports.pbx_http}; phones: udp/127.0.0.1:{lab.ports.sim_sip}")
    say(f"controller: {lab.controller.url} health {json.dumps(health)}")
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

    title("3. Every specialist on a break: the caller is not queued")
    say(f"desk lamp (BLF of 8600, read from Asterisk): {await lamp(lab)}")
    await asyncio.gather(*(feature_code(lab, seat, "*8631") for seat in SEATS))
    say("each seat dialled *8631 on its phone (pause, reason 1 = break)")
    await asyncio.sleep(0.5)
    await show_board(lab)
    say(f"desk lamp: {await lamp(lab)}")
    transfer = await customer_transferred(lab, customer="13700137000", say=say)
    say(f"route '{transfer.route}': the caller goes to the callback path "
        "(callback capture is not built yet; the caller hears the desk is busy)")
    await settle(lab)
    await asyncio.gather(*(feature_code(lab, seat, "*864") for seat in SEATS))
    say("each seat dialled *864 (unpause)")
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


async def main(*, keep: bool = False) -> int:
    async with Stack() as lab:
        await run(lab)
        if keep:
            title("Stack kept up; Ctrl-C to stop it")
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                pass
    print("\nDemo done: every process the demo started has been stopped.")
    return 0
