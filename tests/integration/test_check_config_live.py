"""check-config --live: the running PBX reloads our configs and reads them back."""

import asyncio
import os
import sys
from pathlib import Path

from lab.asterisk import write_private
from lab.configs import HARNESS_AMI_USER
from lab.controller import to_toml

ROOT = Path(__file__).resolve().parents[2]
# The checkout's files, named: check-config never looks beside the package.
# They hold the shipped demo secrets (the lab's PBX runs generated ones).
SHIPPED = ("--asterisk-conf", str(ROOT / "asterisk-conf"), "--dialplan", str(ROOT / "dialplan"),
           "--allow-demo-secrets")


async def test_live_check_reloads_the_running_pbx_and_passes(lab, tmp_path):
    # The lab's settings but with the shipped wrap-up (the lab runs its PBX
    # with 2 s, the shipped queues.conf says 15): files and settings agree,
    # so the one line is the pass, and only the live part could fail it.
    config = tmp_path / "datadesk.toml"
    write_private(config, to_toml(lab.controller_settings({"desk": {"wrapup": 15}})))
    mark = lab.probe.log.mark()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ari_app", "--config", str(config), "check-config",
        "--live", "--ami-user", HARNESS_AMI_USER, "--ami-port", str(lab.ports.pbx_ami), *SHIPPED,
        env={**os.environ, "DATADESK_ADMIN_AMI_SECRET": lab.keys.harness_ami},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    text = out.decode()
    assert proc.returncode == 0, text
    assert text.splitlines() == [f"ok: {ROOT / 'asterisk-conf'} + {ROOT / 'dialplan'} agree "
                                 f"with {config} (and Asterisk reloaded them)"], text
    # Asterisk itself says it reloaded what the check names (its Reload events).
    for module in ("res_pjsip.so", "app_queue.so", "pbx_config.so"):
        await lab.probe.log.wait_for(lambda m, module=module: m.get("Event") == "Reload"
                                     and m.get("Module") == module, since=mark, timeout=10)


async def test_live_check_with_a_wrong_secret_says_so(lab):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ari_app", "--config", str(lab.controller.config), "check-config",
        "--live", "--ami-user", HARNESS_AMI_USER, "--ami-port", str(lab.ports.pbx_ami), *SHIPPED,
        env={**os.environ, "DATADESK_ADMIN_AMI_SECRET": "wrong"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1 and "live: cannot reach or log in" in out.decode()
