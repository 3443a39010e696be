"""``python -m lab.demo --keep`` (``make demo``) stopped by a signal stops every process it started:
Redis, both Asterisks and the controller, which run in sessions of their own
and so get no signal from the terminal or from ``kill`` of the demo.

The demo runs with ``--no-scenario``: what is stopped is the stack it keeps
up, the same with or without the scenario played first (test_demo.py plays
the scenario once)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

KEPT_UP = "Stack kept up"


def children(pid: int) -> dict[int, tuple[str, str]]:
    """The live direct children of ``pid``: {pid: (command line, start time)}."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found[int(entry.name)] = (cmdline, fields[19])
    return found


def alive(pid: int, started: str) -> bool:
    """Is this very process (same pid, same start time) still running?"""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == started and fields[0] != "Z"


async def read_until(stream: asyncio.StreamReader, marker: str, out: list[str],
                     timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not any(marker in line for line in out):
        line = await asyncio.wait_for(stream.readline(), max(deadline - time.monotonic(), 0.1))
        if not line:
            raise AssertionError("the demo ended early:\n" + "".join(out[-40:]))
        out.append(line.decode(errors="replace"))


async def the_wallboard_link_carries_a_wallboard_token(out: list[str]) -> None:
    """The wallboard's address the demo prints opens the board, and its token
    can do nothing else: neither register a callback nor read the reports."""
    import aiohttp
    from urllib.parse import parse_qs, urlsplit
    link = next(line.split("wallboard:", 1)[1].strip() for line in out if "wallboard:" in line)
    parts = urlsplit(link)
    token = parse_qs(parts.query)["access_token"][0]
    base = f"{parts.scheme}://{parts.netloc}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        async with http.get(link) as resp:
            assert resp.status == 200, link
        for method, path in (("POST", "/api/callbacks"), ("GET", "/api/reports")):
            async with http.request(method, base + path, json={"number": "13800138000"},
                                    headers={"Authorization": f"Bearer {token}"}) as resp:
                assert resp.status == 403 and "(wallboard)" in (await resp.json())["error"]


async def the_cli_line_runs_in_a_new_users_shell(out: list[str]) -> None:
    """The CLI call the demo prints runs as printed, from where the demo was
    started, in a shell whose PATH has no virtualenv in it."""
    command = next(line.split("CLI:", 1)[1].strip() for line in out if "CLI:" in line)
    proc = await asyncio.create_subprocess_shell(
        command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root")})
    text = (await asyncio.wait_for(proc.communicate(), 60))[0].decode(errors="replace")
    assert proc.returncode == 0 and "8601" in text, (command, text)


@pytest.mark.parametrize("sig, how", [
    (signal.SIGTERM, "exec"), (signal.SIGHUP, "exec"),
    # A shell's "&" starts a job with SIGINT ignored; "trap '' INT" does the same.
    (signal.SIGINT, "trap '' INT; exec"),
], ids=["SIGTERM", "SIGHUP", "SIGINT-in-background"])
async def test_demo_keep_stopped_by_a_signal_stops_everything_it_started(report, sig, how):
    command = f"{how} {sys.executable} -m lab.demo --keep --no-scenario"
    proc = await asyncio.create_subprocess_exec(
        "sh", "-c", command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        start_new_session=True)
    out: list[str] = []
    started: dict[int, tuple[str, str]] = {}
    try:
        await read_until(proc.stdout, KEPT_UP, out, timeout=600)
        await read_until(proc.stdout, "CLI:", out, timeout=30)
        started = children(proc.pid)   # known first: whatever fails below, none is left
        await the_wallboard_link_carries_a_wallboard_token(out)
        if sig == signal.SIGTERM:
            await the_cli_line_runs_in_a_new_users_shell(out)
        kinds = sorted("redis" if "redis-server" in c else "asterisk" if "asterisk" in c
                       else "controller" if "ari_app" in c else c for c, _ in started.values())
        assert kinds == ["asterisk", "asterisk", "controller", "redis"], started
        sent = time.monotonic()
        proc.send_signal(sig)
        rest, _ = await asyncio.wait_for(proc.communicate(), 120)
        took = time.monotonic() - sent
        out.append(rest.decode(errors="replace"))
        text = "".join(out)
        assert proc.returncode == 128 + sig, text[-2000:]
        assert f"Demo stopped by {sig.name}" in text and "Traceback" not in text, text[-2000:]
        left = {pid: c for pid, (c, t) in started.items() if alive(pid, t)}
        assert not left, left
        report(f"{sig.name} ({how.split(';')[0]}): demo and its {len(started)} processes "
               f"gone in {took:.1f} s, exit status {proc.returncode}")
    finally:
        for pid, (_, t) in started.items():  # never leak a stack, even on failure
            if alive(pid, t):
                os.kill(pid, signal.SIGKILL)
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
