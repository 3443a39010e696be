"""check-config: will the logins work, and is anything left of the demo?

- The controller's AMI secret and ARI password against the users
  ``manager.conf`` and ``ari.conf`` name for it (an ``ari.conf`` password
  with ``password_format = crypt`` is compared through crypt(3) where this
  Python has it; what cannot be compared is said, not passed over).
- The shipped demo SIP passwords (``demo-8601`` ...) in ``pjsip.conf``.
- The TLS transport's certificate and key files, looked for under the PBX
  host's root (``--pbx-root``, default ``/``): missing files fail; a keys
  directory that is not on this host at all is a note (the check runs away
  from the PBX), not a pass in silence.

No secret is ever printed. Lines that start with ``note: `` inform and do
not fail the check.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from ..asterisk.conffile import ConfigFile, Section
from ..settings import Settings
from .security import _DEMO

NOTE = "note: "


def _user(conf: ConfigFile, name: str) -> Section | None:
    found = conf.named(name)
    return found[-1] if found else None


def _crypt_matches(password: str, hashed: str) -> bool | None:
    """Whether ``password`` gives ``hashed`` under crypt(3); None when this
    Python cannot tell (no ``crypt`` module, or a hash it does not know)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # deprecated since 3.11, gone in 3.13: then we say so
    except ImportError:
        return None
    try:
        result = crypt.crypt(password, hashed)
    except (OSError, ValueError):
        return None
    # libxcrypt answers a hash it does not know with "*0" or "*1", never a match.
    return None if not result or result.startswith("*") else result == hashed


def login_problems(settings: Settings, manager: ConfigFile, ari: ConfigFile) -> list[str]:
    """The controller's secrets compared with the users Asterisk has for it."""
    out: list[str] = []
    ami_user = _user(manager, settings.ami.username)
    if ami_user is not None and settings.ami.secret and ami_user.get("secret") and \
            ami_user.get("secret") != settings.ami.secret:
        out.append(f"{ami_user.where('secret')}: AMI user {ami_user.name}'s secret is not the "
                   "controller's ([ami] secret, DATADESK_AMI_SECRET): Asterisk will refuse "
                   "its login")
    ari_user = _user(ari, settings.ari.username)
    stored = ari_user.get("password") if ari_user is not None else None
    if ari_user is None or not stored or not settings.ari.password:
        return out
    mismatch = f"{ari_user.where('password')}: ARI user {ari_user.name}'s password is not " \
               "the controller's ([ari] password, DATADESK_ARI_PASSWORD): Asterisk will " \
               "refuse its login"
    form = (ari_user.get("password_format") or "plain").lower()
    if form == "plain":
        if stored != settings.ari.password:
            out.append(mismatch)
    elif form == "crypt":
        same = _crypt_matches(settings.ari.password, stored)
        if same is None:
            out.append(f"{NOTE}{ari_user.where('password')}: ARI user {ari_user.name}'s crypt'ed "
                       "password cannot be compared with the controller's here (no crypt(3) "
                       "for it in this Python): try the login with --live")
        elif not same:
            out.append(mismatch)
    else:
        out.append(f"{ari_user.where('password_format')}: ARI user {ari_user.name} has "
                   f"password_format {form}; Asterisk knows plain and crypt")
    return out


def demo_sip_passwords(pjsip: ConfigFile, *, allow_demo: bool) -> list[str]:
    """A SIP auth that still has a shipped demo password (``demo-8601`` ...)."""
    if allow_demo:
        return []
    return [f"{auth.where('password')}: SIP auth {name} has a shipped demo password; set "
            "your own before a phone leaves the lab"
            for name, auth in pjsip.objects("auth").items()
            if _DEMO.search(auth.get("password") or "")]


def tls_file_problems(pjsip: ConfigFile, root: Path) -> list[str]:
    """Every TLS transport's ``cert_file`` and ``priv_key_file`` exist under ``root``."""
    out: list[str] = []
    for transport in pjsip.objects("transport").values():
        if (transport.get("protocol") or "").lower() != "tls":
            continue
        for key in ("cert_file", "priv_key_file"):
            value = transport.get(key)
            if not value:
                continue        # tls_problems names a missing setting
            path = root / value.lstrip("/")
            if not path.parent.is_dir():
                out.append(f"{NOTE}{transport.where(key)}: {key} {value} not checked: "
                           f"{path.parent} is not on this host (run check-config on the PBX "
                           "host, or give --pbx-root)")
            elif not path.is_file() or path.stat().st_size == 0:
                out.append(f"{transport.where(key)}: TLS transport {transport.name}: {key} "
                           f"{value} {'is empty' if path.is_file() else 'does not exist'} "
                           f"(looked for {path}): Asterisk cannot offer TLS")
    return out
