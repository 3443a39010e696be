"""check-config on the TLS transport phones may register on."""

from pathlib import Path

from ari_app.asterisk.conffile import ConfigFile
from ari_app.checkconfig import tls_problems

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "asterisk-conf" / "pjsip.conf").read_text()


def problems(tmp_path: Path, text: str) -> list[str]:
    etc = tmp_path / "asterisk-conf"
    etc.mkdir(exist_ok=True)
    (etc / "pjsip.conf").write_text(text)
    return tls_problems(ConfigFile(etc / "pjsip.conf", etc))


def test_shipped_tls_transport_passes(tmp_path):
    assert problems(tmp_path, SHIPPED) == []


def test_no_tls_transport_is_reported(tmp_path):
    text = SHIPPED.replace("protocol = tls", "protocol = tcp")
    assert problems(tmp_path, text) == [
        "pjsip.conf: no TLS transport (protocol = tls): phones can only use UDP"]


def test_missing_key_is_reported(tmp_path):
    text = SHIPPED.replace("priv_key_file = ", "; priv_key_file = ")
    [problem] = problems(tmp_path, text)
    assert "has no priv_key_file" in problem


def test_old_protocols_are_reported(tmp_path):
    for method in ("tlsv1", "tlsv1_1", "default"):
        text = SHIPPED.replace("method = sslv23", f"method = {method}")
        [problem] = problems(tmp_path, text)
        assert problem.startswith("asterisk-conf/pjsip.conf:"), problem
        assert "older than TLS 1.2" in problem, problem


def test_sslv23_without_a_cipher_list_is_reported(tmp_path):
    text = "\n".join(line for line in SHIPPED.splitlines() if not line.startswith("cipher ="))
    [problem] = problems(tmp_path, text)
    assert "older than TLS 1.2" in problem


def test_weak_ciphers_are_named(tmp_path):
    text = SHIPPED.replace("cipher = ", "cipher = AES256-GCM-SHA384,ECDHE-RSA-AES128-SHA,"
                                        "DES-CBC3-SHA,TLS_AES_128_GCM_SHA256,")
    [problem] = problems(tmp_path, text)
    assert problem.endswith("weak cipher(s) AES256-GCM-SHA384,ECDHE-RSA-AES128-SHA,DES-CBC3-SHA")
