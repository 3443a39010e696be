"""check-config --live: the running PBX reloads our configs and reads them back."""

import asyncio
import os
import sys
from pathlib import Path

from lab.configs import HARNESS_AMI_USER

ROOT = Path(__file__).resolve().parents[2]
# The checkout's files, named: check-config never looks beside the package.
# They hold the shipped demo secrets (the lab's PBX runs generated ones).
SHIPPED = ("--asterisk-conf", str(ROOT / "asterisk-conf"), "--dialplan", str(ROOT / "dialplan"),
           "--allow-demo-secrets")


async def test_live_check_reloads_the_running_pbx_and_passes(lab):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ari_app", "--config", str(lab.controller.config), "check-config",
        "--live", "--ami-user", HARNESS_AMI_USER, "--ami-port", str(lab.ports.pbx_ami), *SHIPPED,
        env={**os.environ, "DATADESK_ADMIN_AMI_SECRET": lab.keys.harness_ami},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    text = out.decode()
    # The lab runs the PBX with a 2 s wrap-up and tells the controller so; the
    # shipped queues.conf says 15, which check-config rightly reports.
    assert "wrapuptime 15 differs" in text
    assert [line for line in text.splitlines() if "wrapuptime" not in line] == [], text


async def test_live_check_with_a_wrong_secret_says_so(lab):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ari_app", "--config", str(lab.controller.config), "check-config",
        "--live", "--ami-user", HARNESS_AMI_USER, "--ami-port", str(lab.ports.pbx_ami), *SHIPPED,
        env={**os.environ, "DATADESK_ADMIN_AMI_SECRET": "wrong"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1 and "live: cannot reach or log in" in out.decode()
