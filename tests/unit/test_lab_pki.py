"""The lab's per-run CA: certificates that verify, keys only the owner reads."""

import stat
import subprocess

from lab.pki import HOST, install, lab_pki


def test_certificates_verify_against_the_run_ca_and_keys_are_private(tmp_path):
    issued = lab_pki(("pbx", "phones"))
    for name, material in issued.items():
        install(material, tmp_path / name, name)
        key = tmp_path / name / f"{name}.key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o700
        done = subprocess.run(["openssl", "verify", "-CAfile", str(tmp_path / name / "ca.crt"),
                               "-verify_ip", HOST, str(tmp_path / name / f"{name}.crt")],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stdout + done.stderr
    # One CA for both, and it is not the one of another run.
    assert issued["pbx"].ca == issued["phones"].ca
    assert lab_pki(("pbx",))["pbx"].ca != issued["pbx"].ca
