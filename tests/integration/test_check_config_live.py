"""check-config --live against the running PBX and its own files: the
controller's own AMI and ARI logins tried, only what changed reloaded."""

import asyncio
import os
import sys
from pathlib import Path

from lab.configs import HARNESS_AMI_USER


async def check_live(lab, config: Path, *, admin_secret: str) -> tuple[int, str]:
    """``datadesk check-config --live`` on the lab PBX's own files."""
    etc = lab.pbx.home / "etc"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ari_app", "--config", str(config), "check-config",
        "--live", "--ami-user", HARNESS_AMI_USER, "--ami-port", str(lab.ports.pbx_ami),
        "--asterisk-conf", str(etc), "--dialplan", str(etc / "dialplan"),
        "--pbx-root", str(lab.pbx.tree), "--allow-demo-secrets",
        env={**os.environ, "DATADESK_ADMIN_AMI_SECRET": admin_secret},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode()


def reloads(lab, mark: int) -> list[str]:
    return [m.get("Module") for m in lab.probe.log.since(mark) if m.get("Event") == "Reload"]


async def test_live_check_reloads_only_what_changed_and_tries_the_controllers_logins(lab):
    config = lab.controller.config
    etc = lab.pbx.home / "etc"
    mark = lab.probe.log.mark()
    code, text = await check_live(lab, config, admin_secret=lab.keys.harness_ami)
    assert code == 0, text
    assert text.splitlines() == [f"ok: {etc} + {etc / 'dialplan'} agree with {config} (and "
                                 "the running Asterisk agrees)"], text
    # The files are as Asterisk read them at its start: nothing reloaded.
    (etc / "pjsip.conf").touch()
    (etc / "queues.conf").touch()
    code, text = await check_live(lab, config, admin_secret=lab.keys.harness_ami)
    assert code == 0, text
    # Asterisk itself says what it reloaded (its Reload events): the two
    # changed files' modules, and nothing before them.
    for module in ("res_pjsip.so", "app_queue.so"):
        await lab.probe.log.wait_for(lambda m, module=module: m.get("Event") == "Reload"
                                     and m.get("Module") == module, since=mark, timeout=10)
    assert sorted(reloads(lab, mark)) == ["app_queue.so", "res_pjsip.so"], reloads(lab, mark)


async def test_live_check_names_a_controller_login_asterisk_refuses(lab, tmp_path):
    config = tmp_path / "datadesk.toml"
    text = lab.controller.config.read_text()
    config.write_text(text.replace(lab.keys.ari, "not-the-ari-password")
                      .replace(lab.keys.ami, "not-the-ami-secret"))
    code, out = await check_live(lab, config, admin_secret=lab.keys.harness_ami)
    assert code == 1, out
    assert any(line.startswith("live: the controller's AMI login as datadesk at ")
               and "AMI refused the login for user datadesk" in line
               for line in out.splitlines()), out
    assert "live: ARI refused the controller's login as datadesk (HTTP 401)" in out, out
    assert "not-the-" not in out


async def test_live_check_with_a_wrong_admin_secret_says_so(lab):
    code, out = await check_live(lab, lab.controller.config, admin_secret="wrong")
    assert code == 1 and "live: cannot reach or log in to AMI at" in out, out
    assert "AMI refused the login for user harness" in out, out
