"""A throw-away certificate authority for the lab's SIP over TLS.

Each lab run makes its own CA and, signed by it, one certificate per Asterisk
instance for the loopback address the instances listen on. The CA's private
key never leaves a temporary directory that is removed at once; what the
instances get is their own key (mode 0600), their certificate and the CA
certificate (to verify the other side). Everything is made by the ``openssl``
command line, so the files are exactly what an operator would make.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Short-lived on purpose: a lab certificate must be useless a day later.
DAYS = "2"
HOST = "127.0.0.1"


class PkiError(RuntimeError):
    """openssl failed; the message carries its output."""


@dataclass(frozen=True)
class Issued:
    """One instance's TLS material, as PEM bytes."""
    cert: bytes
    key: bytes
    ca: bytes


def _openssl(*args: str, cwd: Path) -> None:
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=30)
    if proc.returncode != 0:
        raise PkiError(f"openssl {args[0]} failed: {proc.stderr.strip()}")


def _new_key(name: str, cwd: Path) -> None:
    # P-256: fast to make, accepted by every TLS 1.2 phone.
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", f"{name}.key", cwd=cwd)
    os.chmod(cwd / f"{name}.key", 0o600)


def _make_ca(cwd: Path) -> None:
    _new_key("ca", cwd)
    _openssl("req", "-x509", "-new", "-key", "ca.key", "-out", "ca.crt", "-days", DAYS,
             "-subj", "/O=Data desk lab/CN=Data desk lab CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=cwd)


def _issue(name: str, cwd: Path) -> Issued:
    _new_key(name, cwd)
    (cwd / f"{name}.ext").write_text(
        f"subjectAltName = IP:{HOST}, DNS:localhost\n"
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature\n"
        "extendedKeyUsage = serverAuth, clientAuth\n")
    _openssl("req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr",
             "-subj", f"/O=Data desk lab/CN={HOST}", cwd=cwd)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", DAYS, "-sha256", "-extfile", f"{name}.ext",
             "-out", f"{name}.crt", cwd=cwd)
    return Issued(cert=(cwd / f"{name}.crt").read_bytes(),
                  key=(cwd / f"{name}.key").read_bytes(),
                  ca=(cwd / "ca.crt").read_bytes())


def lab_pki(names: tuple[str, ...]) -> dict[str, Issued]:
    """A new CA and one certificate for each of ``names`` (blocking: run it
    in a thread). Raises ``PkiError`` if openssl fails."""
    with tempfile.TemporaryDirectory(prefix="datadesk-pki-") as tmp:
        cwd = Path(tmp)
        _make_ca(cwd)
        return {name: _issue(name, cwd) for name in names}


def install(issued: Issued, keys_dir: Path, name: str) -> None:
    """Write ``name``.crt, ``name``.key (0600) and ca.crt into ``keys_dir``
    (created 0700)."""
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = keys_dir / f"{name}.key"
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(issued.key)
    (keys_dir / f"{name}.crt").write_bytes(issued.cert)
    (keys_dir / "ca.crt").write_bytes(issued.ca)
