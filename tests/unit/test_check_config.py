"""check-config on the shipped configs and on seeded mistakes."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, mutate=None, settings: str = "") -> tuple[int, str]:
    conf, plan = tmp_path / "asterisk-conf", tmp_path / "dialplan"
    shutil.copytree(ROOT / "asterisk-conf", conf)
    shutil.copytree(ROOT / "dialplan", plan)
    if mutate:
        mutate(conf, plan)
    cfg = tmp_path / "datadesk.toml"
    cfg.write_text(settings)
    done = subprocess.run([sys.executable, "-m", "ari_app", "--config", str(cfg), "check-config",
                           "--asterisk-conf", str(conf), "--dialplan", str(plan)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    return done.returncode, done.stdout + done.stderr


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def test_shipped_configs_pass(tmp_path):
    code, out = run(tmp_path)
    assert code == 0 and out.startswith("ok:"), out


SEEDED = {
    "seat missing from the queue": (
        lambda c, p: edit(c / "queues.conf", "autopause = no\n",
                          "autopause = no\nmember => PJSIP/8601,0,8601,PJSIP/8601\n"
                          "member => PJSIP/8602,0,8602,PJSIP/8602\n"),
        "", "seat 8603 is missing from the desk queue"),
    "desk number missing": (
        lambda c, p: edit(p / "20-frontline.conf", "exten => 8600,1,", "exten => 8699,1,"),
        "", "desk number 8600 is missing"),
    "AMI user with write=all": (
        lambda c, p: edit(c / "manager.conf", "write = originate,reporting",
                          "write = all"),
        "", "has write=all"),
    "ARI bound to 0.0.0.0": (
        lambda c, p: edit(c / "http.conf", "bindaddr = 127.0.0.1", "bindaddr = 0.0.0.0"),
        "", "HTTP/ARI bound to 0.0.0.0"),
    "bad hours": (None, '[calendar]\nhours = "22:00-09:00"\n', "hours"),
    "unknown topic list": (None, '[topics]\nlive_only = { "01" = "wlan" }\n',
                           "[topics] live_only: unknown setting"),
    "seat not an endpoint": (
        lambda c, p: edit(c / "pjsip.conf", "[8604](seat-endpoint)", "[8684](seat-endpoint)"),
        "", "seat 8604 is not a PJSIP endpoint"),
    "feature code missing": (
        lambda c, p: edit(p / "40-seat-phones.conf", "exten => *864,1,", "exten => *865,1,"),
        "", "feature code *864 is missing"),
    "AMI on a public address": (
        lambda c, p: edit(c / "manager.conf", "bindaddr = 127.0.0.1", "bindaddr = 0.0.0.0"),
        "", "AMI bound to 0.0.0.0"),
    "wrap-up differs": (None, "[desk]\nwrapup = 30\n", "wrapuptime 15 differs"),
    "seat transfers land among the feature codes": (
        lambda c, p: edit(c / "pjsip.conf", "set_var = TRANSFER_CONTEXT=phone-transfer\n", ""),
        "", "lands in [seat-phone], which reaches the feature code(s) *861"),
    "transfer context includes the seat phones' context": (
        lambda c, p: edit(p / "20-frontline.conf", "include => transfer-not-served\n",
                          "include => transfer-not-served\ninclude => seat-phone\n"),
        "", "lands in [phone-transfer], which reaches the feature code(s)"),
    "seat endpoint without the seat mark": (
        lambda c, p: edit(c / "pjsip.conf", "set_var = DESK_SEAT_PHONE=yes\n", ""),
        "", "seat 8601 lacks set_var = DESK_SEAT_PHONE=yes"),
    "frontline endpoint marked as a seat": (
        lambda c, p: edit(c / "pjsip.conf", "[1001](frontline-endpoint)\n",
                          "[1001](frontline-endpoint)\nset_var = DESK_SEAT_PHONE=yes\n"),
        "", "endpoint 1001 is marked DESK_SEAT_PHONE=yes but is not a seat"),
    "carrier identified by From user": (
        lambda c, p: edit(c / "pjsip.conf", "identify_by = ip\n", ""),
        "", "endpoint carrier has no auth and can be identified by the From user"),
    "username identified before the address": (
        lambda c, p: edit(c / "pjsip.conf", "endpoint_identifier_order = ip,username",
                          "endpoint_identifier_order = username,ip"),
        "", "endpoint_identifier_order puts username before ip"),
}


@pytest.mark.parametrize("mistake", SEEDED)
def test_each_seeded_mistake_is_reported_on_a_line_of_its_own(tmp_path, mistake):
    mutate, settings, expected = SEEDED[mistake]
    code, out = run(tmp_path, mutate, settings)
    assert code == 1, out
    assert any(expected in line for line in out.splitlines()), out
