"""check-config --live: what a running Asterisk makes of the files, over AMI."""

from __future__ import annotations

import asyncio
import re

from ..settings import Settings


async def _live(host: str, port: int, username: str, secret: str,
                settings: Settings) -> list[str]:
    from ..asterisk.ami import AmiClient, AmiTuning
    from ..ports import AmiError

    problems: list[str] = []
    ami = AmiClient(host, port, username, secret, name="check-config",
                    tuning=AmiTuning(max_backoff=1))
    ami.start()
    try:
        try:
            await ami.wait_ready(5)
        except asyncio.TimeoutError:
            return [f"live: cannot reach or log in to AMI at {host}:{port} as {username}"]

        async def cli(command: str) -> str:
            reply = await ami.command({"Action": "Command", "Command": command}, timeout=15)
            output = reply.get("Output", "")
            return "\n".join(output) if isinstance(output, list) else str(output)

        try:
            for module in ("res_pjsip.so", "app_queue.so", "pbx_config.so", "manager"):
                await cli(f"module reload {module}")
            pjsip = await cli("pjsip show endpoints")
            dialplan = await cli("dialplan show desk-transfer")
            queue = await cli(f"queue show {settings.desk.queue}")
        except AmiError as exc:
            return [f"live: Asterisk refused the check ({exc}); the AMI user needs "
                    "write=command,system"]
        for seat in settings.desk.seats:
            if not re.search(rf"Endpoint:\s+{re.escape(seat)}[/\s]", pjsip):
                problems.append(f"live: Asterisk has no PJSIP endpoint {seat} after reload")
        if "'8600'" not in dialplan:
            problems.append("live: Asterisk's [desk-transfer] has no 8600 after reload")
        if not queue.startswith(settings.desk.queue):
            problems.append(f"live: Asterisk has no queue {settings.desk.queue} after reload")
    finally:
        await ami.stop()
    return problems


def check_live(host: str, port: int, username: str, secret: str,
               settings: Settings) -> list[str]:
    """Reload the running Asterisk and read the desk back over AMI (CLI output),
    so that what Asterisk itself makes of the files is checked.

    (pyst2's manager was the first choice for this one-shot tool, but with
    Asterisk 22 it keeps only the last ``Output:`` line of a Command.)"""
    return asyncio.run(_live(host, port, username, secret, settings))
