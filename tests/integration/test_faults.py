"""Faults around a caller in capture, and what the logs must never hold."""

from __future__ import annotations

import asyncio
import time

from ari_app.lab.scenarios import customer_transferred
from ari_app.lab.stack import SEATS


async def test_controller_killed_during_capture_the_caller_is_picked_up_again(lab):
    for seat in SEATS:
        await lab.probe.ami.command({"Action": "QueuePause", "Queue": "desk",
                                     "Interface": f"PJSIP/{seat}", "Paused": "true",
                                     "Reason": "x"})
    transfer = await customer_transferred(lab, customer="13800138901")
    assert transfer.route == "callback"
    await asyncio.sleep(1.0)  # in capture, hearing the busy message
    lab.controller.kill()
    await lab.controller.process.wait()
    killed = time.monotonic()
    await lab.start_controller()
    # The caller is still in the application; the new controller finds the
    # channel and starts the capture again: the caller confirms the number.
    await asyncio.sleep(1.5)
    await lab.phones.dtmf(transfer.phone_channel, "1")
    for _ in range(100):
        _, body = await lab.controller.request("GET", "/api/callbacks")
        if any(cb["number"] == "13800138901" for cb in body["callbacks"]):
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError(f"no callback stored after the restart: {body}")
    print(f"caller served again {time.monotonic() - killed:.1f} s after the SIGKILL")


async def test_secrets_never_reach_the_log(lab):
    # Provoke some logging with credentials around: a bad API token, a callback.
    await lab.controller.request("GET", "/api/seats", token="x" * 20)
    await lab.controller.request("POST", "/api/callbacks", {"number": "13800138902"})
    await asyncio.sleep(0.5)
    log = lab.controller.log.read_text()
    for secret in (lab.keys.ami, lab.keys.ari, lab.keys.api_token):
        assert secret not in log
