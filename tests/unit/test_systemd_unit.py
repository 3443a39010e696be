"""deploy/systemd/datadesk.service: systemd itself accepts it, and it is locked down."""

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "systemd" / "datadesk.service"
SYSTEM_UNITS = Path("/usr/lib/systemd/system")

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                reason="systemd-analyze is not installed")


def verify(tmp_path: Path, unit_text: str) -> subprocess.CompletedProcess:
    """``systemd-analyze verify`` in a scratch root: the system's own units,
    our unit, and an executable where ExecStart expects the installed command
    (verify refuses a unit whose command does not exist)."""
    root = tmp_path / "root"
    shutil.copytree(SYSTEM_UNITS, root / SYSTEM_UNITS.relative_to("/"), symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "etc/systemd/system/datadesk.service").write_text(unit_text)
    command = root / "opt/datadesk/bin/datadesk"
    command.parent.mkdir(parents=True)
    command.write_text("#!/bin/sh\n")
    command.chmod(0o755)
    return subprocess.run(["systemd-analyze", "verify", f"--root={root}", "datadesk.service"],
                          capture_output=True, text=True, timeout=60)


def test_systemd_accepts_the_unit_without_a_single_complaint(tmp_path):
    done = verify(tmp_path, UNIT.read_text())
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stderr


def test_the_check_catches_a_mistake_in_the_unit(tmp_path):
    done = verify(tmp_path, UNIT.read_text().replace("Type=exec", "Type=eventually"))
    assert "Failed to parse service type" in done.stderr


def _service() -> configparser.SectionProxy:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read_string(UNIT.read_text())
    return unit["Service"]


def test_the_controller_runs_as_its_own_user_with_no_way_to_gain_privileges():
    service = _service()
    assert service["User"] == "datadesk" and service["Group"] == "datadesk"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["CapabilityBoundingSet"] == ""


def test_it_restarts_on_failure_and_is_ready_only_when_readyz_says_so():
    service = _service()
    assert service["Restart"] == "on-failure" and service["Type"] == "exec"
    assert service["ExecStart"] == "/opt/datadesk/bin/datadesk run"
    assert service["ExecStartPost"].startswith("/opt/datadesk/bin/datadesk wait-ready")
    assert service["Environment"] == "DATADESK_CONFIG=/etc/datadesk/datadesk.toml"
