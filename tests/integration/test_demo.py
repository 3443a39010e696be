"""``make demo`` as an operator runs it: the whole scenario, and a clean log.

The demo (``python -m lab.demo``) brings up its own stack, plays every step of
the scenario (live transfers, a named seat, a callback captured and placed, a
callback-only topic, the controller stopped and started again) and then reads
the controller's log: a normal run writes no WARNING or ERROR line (the
expected ones would be listed in ``lab.demo.EXPECTED_WARNINGS``: none are).
"""

from __future__ import annotations

import asyncio
import os
import re
import sys

from lab.paths import REPO


async def test_the_demo_runs_through_with_no_warning_or_error(report):
    # Run without blocking the event loop: the session's own stack (its relays,
    # its AMI clients) lives on this loop and must keep being served meanwhile.
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lab.demo", cwd=REPO, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        raw, _ = await asyncio.wait_for(proc.communicate(), 600)
    except asyncio.TimeoutError:
        proc.terminate()   # the demo stops everything it started on SIGTERM
        try:
            await asyncio.wait_for(proc.wait(), 60)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
        raise
    out = raw.decode(errors="replace")
    assert proc.returncode == 0, out[-4000:]
    for step in ("1. A data-service question", "2. Transfer to one named specialist",
                 "3. Every specialist on a break", "3b. Seats are free", "4. The controller is down",
                 "callback record: status done"):
        assert step in out, (step, out[-4000:])
    assert "no warning or error in the controller's log" in out, out[-4000:]
    # Times are told in the desk's time, as every screen tells them, never UTC's "Z".
    assert re.search(r"deadline \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00 ", out), out[-4000:]
    assert not re.search(r"\d\d:\d\d(:\d\d)?(\.\d+)?Z\b", out), out[-4000:]
    assert "Traceback" not in out
    assert "Demo done: every process the demo started has been stopped." in out
    report("demo ran through: controller log with 0 warning/error lines")
