"""check-config on the shipped configs and on seeded mistakes."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ari_app.cli import main

ROOT = Path(__file__).resolve().parents[2]
# The shipped configs' demo credentials, as a lab runs them.
DEMO_ENV = {"DATADESK_AMI_SECRET": "demo-ami-secret-change-me",
            "DATADESK_ARI_PASSWORD": "demo-ari-secret-change-me",
            "DATADESK_API_TOKENS": "admin:lab-token-0123456789abcdef"}


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATADESK_")}
    return {**env, **extra}


def pbx_root(tmp_path: Path) -> Path:
    """A PBX host's / holding the certificate and key the shipped pjsip.conf names."""
    keys = tmp_path / "pbx-root" / "var" / "lib" / "asterisk" / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    for suffix in ("crt", "key"):
        (keys / f"datadesk-pbx.{suffix}").write_text(f"-----BEGIN {suffix}-----\n")
    return tmp_path / "pbx-root"


def _copy(tmp_path: Path, mutate, settings: str) -> list[str]:
    """The shipped configs copied, ``mutate``d, with ``settings``: the
    command's arguments."""
    conf, plan = tmp_path / "asterisk-conf", tmp_path / "dialplan"
    shutil.copytree(ROOT / "asterisk-conf", conf)
    shutil.copytree(ROOT / "dialplan", plan)
    if mutate:
        mutate(conf, plan)
    cfg = tmp_path / "datadesk.toml"
    cfg.write_text(settings)
    return ["--config", str(cfg), "check-config", "--asterisk-conf", str(conf),
            "--dialplan", str(plan)]


def run(tmp_path: Path, mutate=None, settings: str = "", *, env: dict[str, str] = DEMO_ENV,
        flags: tuple[str, ...] = ("--allow-demo-secrets",)) -> tuple[int, str]:
    """``datadesk check-config`` as a command of its own (exit status, output)."""
    done = subprocess.run([sys.executable, "-m", "ari_app", *_copy(tmp_path, mutate, settings),
                           *flags], capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env=_env(env))
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def check_here(tmp_path, monkeypatch, capsys):
    """``run``'s twin through the same entry point (``cli.main``) in this
    process, for the many seeded mistakes: the command's code and exit status
    without a Python start per case (``run`` keeps the command itself tested)."""
    def call(mutate=None, settings: str = "") -> tuple[int, str]:
        args = _copy(tmp_path, mutate, settings)
        monkeypatch.chdir(ROOT)
        for key in [k for k in os.environ if k.startswith("DATADESK_")]:
            monkeypatch.delenv(key)
        for key, value in DEMO_ENV.items():
            monkeypatch.setenv(key, value)
        code = main([*args, "--allow-demo-secrets"])
        out = capsys.readouterr()
        return code, out.out + out.err
    return call


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
    "a pause reason the settings do not name": (
        lambda c, p: edit(c / "extensions.conf", "DESK_PAUSE_REASON_5 = lunch",
                          "DESK_PAUSE_REASON_5 = dinner"), "",
        "DESK_PAUSE_REASON_5 = 'dinner' is not a code of [desk] pause_reasons"),
    "service level differs": (None, "[desk]\nservice_level = 30\n",
                              "servicelevel 20 differs from the controller's [desk] service_level 30"),
    "service level missing from the queue": (
        lambda c, p: edit(c / "queues.conf", "servicelevel = 20\n", ""), "",
        "servicelevel 0 differs from the controller's [desk] service_level 20"),
    "queue name misspelt in AddQueueMember": (
        lambda c, p: edit(p / "40-seat-phones.conf", "AddQueueMember(desk,",
                          "AddQueueMember(dsek,"),
        "", "40-seat-phones.conf:13: queue 'dsek' is not defined in queues.conf"),
    "Goto to a missing context": (
        lambda c, p: edit(p / "30-desk.conf", "Goto(desk-callback,s,1)", "Goto(desk-calback,s,1)"),
        "", "jump to context [desk-calback], which the dialplan does not define"),
    "Gosub to a missing extension": (
        lambda c, p: edit(p / "40-seat-phones.conf", "Gosub(seat-identity,s,1)",
                          "Gosub(seat-identity,start,1)"),
        "", "jump to extension start of [seat-identity], which does not exist"),
    "GotoIf to a missing context": (
        lambda c, p: edit(p / "30-desk.conf", "?desk-queue,s,1)", "?desk-queues,s,1)"),
        "", "jump to context [desk-queues]"),
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
    "no SIP ACL": (
        lambda c, p: edit(c / "pjsip.conf", "[sip-acl]\ntype = acl\n", "[sip-acl]\n"),
        "", "no SIP ACL (type = acl): a REFER from any address"),
    "SIP ACL that lets everyone in": (
        lambda c, p: edit(c / "pjsip.conf", "deny = 0.0.0.0/0.0.0.0\n", ""),
        "", "SIP ACL sip-acl lets in any address"),
    "carrier outside the SIP ACL": (
        lambda c, p: edit(c / "pjsip.conf", "match = 127.0.0.3", "match = 127.0.0.9"),
        "", "carrier at 127.0.0.9/32 is refused by SIP ACL sip-acl"),
    "phones told 200 OK at once after a transfer": (
        lambda c, p: edit(c / "pjsip.conf", "refer_blind_progress = yes",
                          "refer_blind_progress = no"),
        "", "endpoint 1001 has refer_blind_progress = no"),
    "allow-list widened in the settings only": (
        None, "[callbacks]\nallow = ['00\\d+', '1[3-9]\\d{9}', '0[1-9]\\d{8,10}']\n",
        "extensions.conf:20: the dialplan lets through numbers of the shapes"),
    "number shapes widened in the dialplan only": (
        lambda c, p: edit(c / "extensions.conf", "|0[1-9][0-9]{8,10})$",
                          "|0[1-9][0-9]{8,10}|00[0-9]+)$"),
        "", "numbers allowed on one side only are refused on the other"),
    "number check on a variable [globals] does not set": (
        lambda c, p: edit(p / "35-spool.conf", "GLOBAL(DESK_NUMBER_SHAPES)",
                          "GLOBAL(DESK_NUMBER_SHAPE)"),
        "", "35-spool.conf:24: the number check uses ${GLOBAL(DESK_NUMBER_SHAPE)}, which [globals]"),
    "the callback trunk read as a channel variable": (
        lambda c, p: edit(p / "30-desk.conf", "${GLOBAL(DESK_OUT_TRUNK)}", "${DESK_OUT_TRUNK}"),
        "", "30-desk.conf:127: ${DESK_OUT_TRUNK} reads the global DESK_OUT_TRUNK as a channel "
            "variable"),
    "the number shapes read as a channel variable": (
        lambda c, p: edit(p / "35-spool.conf", "${GLOBAL(DESK_NUMBER_SHAPES)}",
                          "${DESK_NUMBER_SHAPES}"),
        "", "read it as ${GLOBAL(DESK_NUMBER_SHAPES)}"),
    "a sound the Mandarin set lacks": (
        lambda c, p: edit(p / "20-frontline.conf", "Playback(one-moment-please)",
                          "Playback(one-moment-please&press-1)"),
        "", "20-frontline.conf:31: plays 'press-1', which the zh prompt set lacks"),
    "a queue announcement the sets lack": (
        lambda c, p: edit(c / "queues.conf", "autopause = no\n",
                          "autopause = no\nperiodic-announce-frequency = 60\n"
                          "periodic-announce = desk-wait-please\n"),
        "", "plays 'desk-wait-please', which the en prompt set lacks"),
}


@pytest.mark.parametrize("mistake", SEEDED)
def test_each_seeded_mistake_is_reported_on_a_line_of_its_own(check_here, mistake):
    mutate, settings, expected = SEEDED[mistake]
    code, out = check_here(mutate, settings)
    assert code == 1, out
    assert any(expected in line for line in out.splitlines()), out


def test_a_queue_renamed_everywhere_but_the_dialplan_is_reported_at_each_use(check_here):
    code, out = check_here(lambda c, p: edit(c / "queues.conf", "[desk]\n", "[datadesk]\n"),
                           '[desk]\nqueue = "datadesk"\n')
    uses = [line for line in out.splitlines() if "queue 'desk' is not defined" in line]
    # QUEUE_MEMBER, Queue twice, Add/Remove/Pause/UnpauseQueueMember.
    assert code == 1 and len(uses) == 7, out
    assert {u.split(":")[0].rsplit("/", 1)[-1] for u in uses} == {
        "30-desk.conf", "40-seat-phones.conf"}, out


def test_the_shipped_demo_secrets_are_refused_without_the_lab_flag(tmp_path):
    code, out = run(tmp_path, flags=())
    assert code == 1, out
    for where in ("[ami] secret", "[ari] password", "manager.conf:23: AMI user datadesk secret",
                  "ari.conf:13: ARI user datadesk password"):
        assert any(where in line and "demo value" in line for line in out.splitlines()), out


def test_an_empty_ami_secret_is_refused_even_in_a_lab(tmp_path):
    env = {k: v for k, v in DEMO_ENV.items() if k != "DATADESK_AMI_SECRET"}
    code, out = run(tmp_path, env=env)
    assert code == 1 and "settings [ami] secret (DATADESK_AMI_SECRET) is empty" in out, out


def test_no_api_token_is_refused(tmp_path):
    env = {k: v for k, v in DEMO_ENV.items() if k != "DATADESK_API_TOKENS"}
    code, out = run(tmp_path, env=env)
    assert code == 1 and "no API token" in out, out


def test_own_secrets_pass_without_the_lab_flag(tmp_path):
    def own(conf: Path, _plan: Path) -> None:
        edit(conf / "manager.conf", "demo-ami-secret-change-me", "s3cret-ami-from-the-vault")
        edit(conf / "ari.conf", "demo-ari-secret-change-me", "s3cret-ari-from-the-vault")
        pjsip = conf / "pjsip.conf"
        pjsip.write_text(re.sub(r"password = demo-(\d+)", r"password = own-\1-from-the-vault",
                                pjsip.read_text()))
    env = {"DATADESK_AMI_SECRET": "s3cret-ami-from-the-vault",
           "DATADESK_ARI_PASSWORD": "s3cret-ari-from-the-vault",
           "DATADESK_API_TOKENS": "admin:a-real-token-0123456789"}
    code, out = run(tmp_path, own, env=env, flags=("--pbx-root", str(pbx_root(tmp_path))))
    assert code == 0 and out.startswith("ok:") and len(out.splitlines()) == 1, out


def _installed(tmp_path: Path, *args: str, env: dict[str, str] = DEMO_ENV) -> tuple[int, str]:
    """The command as the image runs it: from /, the package's directory unknown."""
    done = subprocess.run([sys.executable, "-m", "ari_app", *args], capture_output=True,
                          text=True, cwd="/", timeout=60, env=_env(env))
    return done.returncode, done.stdout + done.stderr


def test_installed_and_run_from_root_with_explicit_paths_it_passes(tmp_path):
    conf = tmp_path / "etc-asterisk"
    shutil.copytree(ROOT / "asterisk-conf", conf)
    shutil.copytree(ROOT / "dialplan", conf / "dialplan")
    cfg = tmp_path / "datadesk.toml"
    cfg.write_text("")
    code, out = _installed(tmp_path, "check-config", "--config", str(cfg), "--asterisk-conf",
                           str(conf), "--allow-demo-secrets", "--pbx-root",
                           str(pbx_root(tmp_path)))
    assert code == 0 and out == f"ok: {conf} + {conf / 'dialplan'} agree with {cfg}\n", out


def test_installed_defaults_are_the_etc_paths_never_the_package(tmp_path):
    conf = tmp_path / "etc-asterisk"
    shutil.copytree(ROOT / "asterisk-conf", conf)
    shutil.copytree(ROOT / "dialplan", conf / "dialplan")
    cfg = tmp_path / "datadesk.toml"
    cfg.write_text("")
    env = {**DEMO_ENV, "DATADESK_CONFIG": str(cfg), "DATADESK_ASTERISK_CONF": str(conf)}
    code, out = _installed(tmp_path, "check-config", "--allow-demo-secrets", env=env)
    assert code == 0 and str(conf) in out, out
    code, out = _installed(tmp_path, "check-config", env={})
    assert code == 1 and "/etc/datadesk/datadesk.toml" in out and "asterisk-conf" not in out, out


def test_the_example_settings_agree_with_the_shipped_configs(tmp_path):
    code, out = run(tmp_path, settings=(ROOT / "datadesk.example.toml").read_text())
    assert code == 0 and out.startswith("ok:"), out


def test_a_missing_config_directory_or_file_is_one_clear_line_not_a_cascade(tmp_path):
    cfg = tmp_path / "datadesk.toml"
    cfg.write_text("")
    code, out = _installed(tmp_path, "check-config", "--config", str(cfg), "--asterisk-conf",
                           str(tmp_path / "nowhere"), "--allow-demo-secrets")
    assert code == 1 and out.splitlines() == [
        f"{tmp_path / 'nowhere'}: no such directory (give --asterisk-conf or "
        "DATADESK_ASTERISK_CONF)"], out
    code, out = run(tmp_path, lambda c, p: (c / "queues.conf").unlink())
    assert code == 1 and out.splitlines() == [f"{tmp_path / 'asterisk-conf' / 'queues.conf'}: "
                                              "missing"], out


def test_the_deprecated_token_forms_are_warned_about_but_pass(tmp_path):
    env = {**DEMO_ENV, "DATADESK_API_TOKENS": "lab-token-0123456789abcdef",
           "DATADESK_SUPERVISOR_TOKENS": "lab-supervisor-0123456789"}
    code, out = run(tmp_path, env=env)
    warnings = [line for line in out.splitlines() if line.startswith("warning: ")]
    assert code == 0 and len(warnings) == 2, out
    assert "without a role" in warnings[0] and "supervisor_tokens" in warnings[1]
    assert "0123456789" not in out                       # the tokens themselves never shown
    (tmp_path / "typo").mkdir()
    code, out = run(tmp_path / "typo",
                    env={**DEMO_ENV, "DATADESK_API_TOKENS": "wallbord:lab-0123456789abc"})
    assert code == 1 and "unknown role 'wallbord'" in out, out
