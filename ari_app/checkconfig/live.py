"""check-config --live: what a running Asterisk makes of the files, over AMI.

With an admin AMI user it reloads only the modules whose files changed since
Asterisk's last reload (``CoreStatus``; all four when that time cannot be
read), so a check of unchanged files disturbs nothing; then it tries the
controller's own AMI and ARI logins, as the controller would make them, and
reads the desk back (endpoints, dialplan, queue).
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path

import aiohttp

from ..logs import cause
from ..settings import Settings

# Each module --live may reload, and the files (under the Asterisk config
# directory) whose change makes that reload needed.
RELOADS: dict[str, tuple[str, ...]] = {
    "res_pjsip.so": ("pjsip.conf",), "app_queue.so": ("queues.conf",),
    "pbx_config.so": ("extensions.conf", "dialplan/*.conf"), "manager": ("manager.conf",)}


def changed_modules(conf_dir: Path, last_reload: float | None) -> list[str]:
    """The modules of ``RELOADS`` with a file written in a later second than
    ``last_reload`` (Unix time, whole seconds as Asterisk tells it; a file
    written in that same second was read by it); every one when unknown."""
    if last_reload is None:
        return list(RELOADS)
    out = []
    for module, patterns in RELOADS.items():
        times = [int(p.stat().st_mtime) for pattern in patterns for p in conf_dir.glob(pattern)]
        if times and max(times) > last_reload:
            out.append(module)
    return out


def reload_time(status: dict) -> float | None:
    """``CoreStatus``'s last reload (the PBX host's local time) as Unix time."""
    try:
        return datetime.strptime(f"{status.get('CoreReloadDate')} "
                                 f"{status.get('CoreReloadTime')}",
                                 "%Y-%m-%d %H:%M:%S").timestamp()
    except ValueError:
        return None


async def controller_logins(settings: Settings) -> list[str]:
    """The controller's own AMI and ARI logins tried, each failure named."""
    from ..asterisk.ami import AmiClient, AmiTuning
    out: list[str] = []
    ami = AmiClient(settings.ami.host, settings.ami.port, settings.ami.username,
                    settings.ami.secret, name="check-config", tuning=AmiTuning(max_backoff=1))
    ami.start()
    try:
        await ami.wait_ready(5)
    except asyncio.TimeoutError:
        out.append(f"live: the controller's AMI login as {settings.ami.username} at "
                   f"{settings.ami.host}:{settings.ami.port} failed: {ami.trouble}")
    finally:
        await ami.stop()
    url = settings.ari.url.rstrip("/") + "/ari/asterisk/ping"
    auth = aiohttp.BasicAuth(settings.ari.username, settings.ari.password)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            async with http.get(url, auth=auth) as resp:
                status = resp.status
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return out + [f"live: cannot reach ARI at {settings.ari.url} "
                      f"({type(exc).__name__}: {cause(exc)})"]
    if status == 401:
        out.append(f"live: ARI refused the controller's login as {settings.ari.username} "
                   "(HTTP 401): check [ari] password against ari.conf")
    elif status != 200:
        out.append(f"live: ARI at {settings.ari.url} answered HTTP {status} to the "
                   "controller's login")
    return out


def desk_problems(settings: Settings, pjsip: str, dialplan: str, queue: str) -> list[str]:
    """What Asterisk's own account of the desk lacks."""
    problems = [f"live: Asterisk has no PJSIP endpoint {seat}" for seat in settings.desk.seats
                if not re.search(rf"Endpoint:\s+{re.escape(seat)}[/\s]", pjsip)]
    if "'8600'" not in dialplan:
        problems.append("live: Asterisk's [desk-transfer] has no 8600")
    if not queue.startswith(settings.desk.queue):
        problems.append(f"live: Asterisk has no queue {settings.desk.queue}")
    return problems


async def _live(host: str, port: int, username: str, secret: str,
                settings: Settings, conf_dir: Path) -> list[str]:
    from ..asterisk.ami import AmiClient, AmiTuning
    from ..ports import AmiError

    ami = AmiClient(host, port, username, secret, name="check-config",
                    tuning=AmiTuning(max_backoff=1))
    ami.start()
    try:
        try:
            await ami.wait_ready(5)
        except asyncio.TimeoutError:
            return [f"live: cannot reach or log in to AMI at {host}:{port} as {username} "
                    f"({ami.trouble})"]

        async def cli(command: str) -> str:
            reply = await ami.command({"Action": "Command", "Command": command}, timeout=15)
            output = reply.get("Output", "")
            return "\n".join(output) if isinstance(output, list) else str(output)

        try:
            status = await ami.command({"Action": "CoreStatus"})
            for module in changed_modules(conf_dir, reload_time(status)):
                await cli(f"module reload {module}")
            logins = await controller_logins(settings)
            found = desk_problems(settings, await cli("pjsip show endpoints"),
                                  await cli("dialplan show desk-transfer"),
                                  await cli(f"queue show {settings.desk.queue}"))
        except AmiError as exc:
            return [f"live: Asterisk refused the check ({exc}); the AMI user needs "
                    "write=command,system"]
        return logins + found
    finally:
        await ami.stop()


def check_live(host: str, port: int, username: str, secret: str,
               settings: Settings, conf_dir: Path) -> list[str]:
    """Reload in the running Asterisk what changed in ``conf_dir``, try the
    controller's own logins, and read the desk back over AMI (CLI output),
    so that what Asterisk itself makes of the files is checked.

    (pyst2's manager was the first choice for this one-shot tool, but with
    Asterisk 22 it keeps only the last ``Output:`` line of a Command.)"""
    return asyncio.run(_live(host, port, username, secret, settings, conf_dir))
