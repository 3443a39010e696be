"""check-config on seeded files: the controller's AMI secret and ARI password
against manager.conf and ari.conf (plain and crypt'ed), the shipped demo SIP
passwords, the TLS certificate and key on the PBX host, and which modules
``--live`` reloads."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from ari_app.checkconfig.live import RELOADS, changed_modules, reload_time
from tests.unit.test_check_config import DEMO_ENV, edit, pbx_root, run

REPO = Path(__file__).resolve().parents[2]

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt


def test_an_ami_secret_that_is_not_manager_confs_fails_and_is_never_printed(tmp_path):
    env = {**DEMO_ENV, "DATADESK_AMI_SECRET": "demo-ami-typo-change-me"}
    code, out = run(tmp_path, env=env, flags=("--allow-demo-secrets", "--pbx-root",
                                              str(pbx_root(tmp_path))))
    assert code == 1, out
    assert out.splitlines()[0] == (
        "asterisk-conf/manager.conf:23: AMI user datadesk's secret is not the controller's "
        "([ami] secret, DATADESK_AMI_SECRET): Asterisk will refuse its login"), out
    assert "demo-ami-typo" not in out and "demo-ami-secret" not in out


def test_an_ari_password_that_is_not_ari_confs_fails(tmp_path):
    env = {**DEMO_ENV, "DATADESK_ARI_PASSWORD": "demo-other-change-me"}
    code, out = run(tmp_path, env=env, flags=("--allow-demo-secrets", "--pbx-root",
                                              str(pbx_root(tmp_path))))
    assert code == 1 and out.splitlines()[0].startswith(
        "asterisk-conf/ari.conf:13: ARI user datadesk's password is not the controller's"), out


def crypted(hashed: str):
    def mutate(conf: Path, _plan: Path) -> None:
        edit(conf / "ari.conf", "password = demo-ari-secret-change-me\npassword_format = plain",
             f"password = {hashed}\npassword_format = crypt")
    return mutate


def test_a_crypted_ari_password_is_compared_through_crypt(tmp_path):
    root = str(pbx_root(tmp_path))
    good = crypt.crypt("demo-ari-secret-change-me", crypt.mksalt(crypt.METHOD_SHA512))
    code, out = run(tmp_path / "good", crypted(good), flags=("--allow-demo-secrets",
                                                             "--pbx-root", root))
    assert code == 0 and out.startswith("ok:"), out
    other = crypt.crypt("something-else", crypt.mksalt(crypt.METHOD_SHA512))
    code, out = run(tmp_path / "other", crypted(other), flags=("--allow-demo-secrets",
                                                               "--pbx-root", root))
    assert code == 1 and "ari.conf:13: ARI user datadesk's password is not the" in out, out


def test_a_crypted_password_that_cannot_be_compared_is_said_not_passed_over(tmp_path):
    code, out = run(tmp_path, crypted("$9$unknown-scheme$abc"),
                    flags=("--allow-demo-secrets", "--pbx-root", str(pbx_root(tmp_path))))
    assert code == 0, out
    assert out.splitlines()[1] == (
        "note: asterisk-conf/ari.conf:13: ARI user datadesk's crypt'ed password cannot be "
        "compared with the controller's here (no crypt(3) for it in this Python): try the "
        "login with --live"), out


def pjsip_line(start: str) -> int:
    """The line of the shipped pjsip.conf that starts with ``start`` (the
    file grows; the finding must name the line the setting is on)."""
    lines = (REPO / "asterisk-conf" / "pjsip.conf").read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(start))


def test_the_shipped_demo_sip_passwords_are_named_one_line_each(tmp_path):
    code, out = run(tmp_path, flags=("--pbx-root", str(pbx_root(tmp_path))))
    assert code == 1
    sip = [line for line in out.splitlines() if "SIP auth" in line]
    assert [line.split(" ")[3] for line in sip] == \
        ["8601", "8602", "8603", "8604", "8605", "8606", "1001", "1002"], out
    assert sip[0] == (f"asterisk-conf/pjsip.conf:{pjsip_line('password = demo-8601')}: SIP auth 8601 has a shipped demo "
                      "password; set your own before a phone leaves the lab")
    assert "demo-8601" not in out


def test_a_missing_or_empty_tls_key_fails_and_no_keys_directory_is_a_note(tmp_path):
    root = pbx_root(tmp_path)
    keys = root / "var" / "lib" / "asterisk" / "keys"
    (keys / "datadesk-pbx.key").unlink()
    (keys / "datadesk-pbx.crt").write_text("")
    code, out = run(tmp_path / "missing", flags=("--allow-demo-secrets", "--pbx-root", str(root)))
    assert code == 1
    assert out.splitlines() == [
        f"asterisk-conf/pjsip.conf:{pjsip_line('cert_file =')}: TLS transport transport-tls: cert_file "
        f"/var/lib/asterisk/keys/datadesk-pbx.crt is empty (looked for {keys}/datadesk-pbx.crt)"
        ": Asterisk cannot offer TLS",
        f"asterisk-conf/pjsip.conf:{pjsip_line('priv_key_file =')}: TLS transport transport-tls: "
        "priv_key_file "
        "/var/lib/asterisk/keys/datadesk-pbx.key does not exist (looked for "
        f"{keys}/datadesk-pbx.key): Asterisk cannot offer TLS"], out
    code, out = run(tmp_path / "away", flags=("--allow-demo-secrets", "--pbx-root",
                                              str(tmp_path / "nothing-here")))
    assert code == 0 and out.startswith("ok:"), out
    assert [line.split(": ")[0] for line in out.splitlines()[1:]] == ["note", "note"], out
    assert "is not on this host (run check-config on the PBX host, or give --pbx-root)" in out


def test_live_reloads_only_the_modules_whose_files_changed_since_the_last_reload(tmp_path):
    conf = tmp_path / "conf"
    (conf / "dialplan").mkdir(parents=True)
    for name in ("pjsip.conf", "queues.conf", "extensions.conf", "manager.conf",
                 "dialplan/30-desk.conf"):
        (conf / name).write_text("")
        os.utime(conf / name, (1_000, 1_000))
    assert changed_modules(conf, 2_000) == []
    os.utime(conf / "dialplan" / "30-desk.conf", (2_001, 2_001))
    os.utime(conf / "manager.conf", (2_000.9, 2_000.9))  # the reload's own second: read by it
    assert changed_modules(conf, 2_000) == ["pbx_config.so"]
    assert changed_modules(conf, None) == list(RELOADS)


@pytest.mark.parametrize("status, expected", [
    ({"CoreReloadDate": "2026-12-07", "CoreReloadTime": "19:10:06"}, "2026-12-07 19:10:06"),
    ({"CoreReloadDate": "", "CoreReloadTime": ""}, None), ({}, None)])
def test_the_last_reload_is_read_from_core_status(status, expected):
    from datetime import datetime
    when = reload_time(status)
    assert (when is None and expected is None) or \
        datetime.fromtimestamp(when).strftime("%Y-%m-%d %H:%M:%S") == expected

