"""The config files of the two lab instances.

The PBX runs the shipped ``asterisk-conf/`` and ``dialplan/`` with only
ports, secrets and the carrier's address changed (see ``confedit``), plus a
test-only AMI user the tests use to read Asterisk's own state. The phone
simulator's configs are templates under ``tests/phonesim/``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from ari_app.roles import ROLES

from .confedit import set_option

from .paths import ASTERISK_CONF, DIALPLAN, PHONESIM, REPO  # noqa: F401 (REPO: for importers)

# Files of asterisk-conf/ that the lab writes itself.
_LAB_OWNED = {"asterisk.conf"}


@dataclass
class Ports:
    pbx_sip: int
    pbx_tls: int
    pbx_ami: int
    pbx_http: int
    pbx_rtp: tuple[int, int]
    sim_sip: int
    sim_tls: int
    sim_ami: int
    sim_rtp: tuple[int, int]


@dataclass
class Secrets:
    """Generated per run: nothing reusable outside this lab."""
    ami: str = field(default_factory=lambda: secrets.token_hex(12))
    ari: str = field(default_factory=lambda: secrets.token_hex(12))
    harness_ami: str = field(default_factory=lambda: secrets.token_hex(12))
    sim_ami: str = field(default_factory=lambda: secrets.token_hex(12))
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))   # role admin
    # A token for every other role (ari_app/roles.py), e.g. the wallboard's link.
    role_tokens: dict[str, str] = field(default_factory=lambda: {
        role: secrets.token_urlsafe(24) for role in ROLES if role != "admin"})
    tls_phone: str = field(default_factory=lambda: secrets.token_hex(12))
    sipp_phone: str = field(default_factory=lambda: secrets.token_hex(12))


HARNESS_AMI_USER = "harness"
# The phone simulator's carrier side: an address of its own, as a real
# carrier's, so the PBX can know the carrier by address (phones use 127.0.0.1).
CARRIER_ADDRESS = "127.0.0.3"
LAB_WRAPUP = 2
# The lab's service level: short, so that a call answered after it does not
# keep a test waiting 20 s; the controller's [desk] service_level is the same.
LAB_SERVICE_LEVEL = 4
# A frontline phone the lab adds to the PBX that may use TLS only; it is in
# no queue until a test puts it there.
TLS_PHONE = "1003"
# A frontline phone the lab adds to the PBX for SIPp alone (lab/sipp.py): the
# simulator never registers it, so no registration of the simulator's can
# take its place; it is in no queue until a test puts it there.
SIPP_PHONE = "1004"
# Seats the lab gives a whisper language (pjsip.conf "language"): one of
# each, so a callback can be whispered in a language other than the
# desk's; the other seats have none and hear the desk's.
SEAT_LANGUAGES = {"8605": "zh", "8606": "en"}
# Certificate file names (without suffix) in each instance's keys directory;
# the PBX's are the shipped pjsip.conf's.
PBX_CERT = "datadesk-pbx"
SIM_CERT = "phonesim"


def phone_passwords(pjsip_conf: str) -> dict[str, str]:
    """Phone username -> password, as the shipped pjsip.conf sets them."""
    out: dict[str, str] = {}
    user = None
    for line in pjsip_conf.splitlines():
        line = line.split(";", 1)[0].strip()
        if line.startswith("["):
            user = None
        elif line.startswith("username"):
            user = line.split("=", 1)[1].strip()
        elif line.startswith("password") and user:
            out[user] = line.split("=", 1)[1].strip()
    return out


def _lab_phone(user: str, password: str, what: str, extra: str = "") -> str:
    # The shipped templates, plus ``extra`` lines on the endpoint.
    return (
        f"\n; TEST-ONLY frontline phone added by the lab: {what}.\n"
        f"[{user}](frontline-endpoint)\nauth = {user}\naors = {user}\n"
        f"callerid = \"Frontline {user}\" <{user}>\n{extra}\n"
        f"[{user}](phone-aor)\n\n"
        f"[{user}](phone-auth)\nusername = {user}\npassword = {password}\n")


def seat_language(pjsip_conf: str, seat: str, language: str) -> str:
    """``pjsip_conf`` with ``language`` set on seat ``seat``'s endpoint, as an
    admin would write it: a line under its ``[<seat>](seat-endpoint)``."""
    head = f"[{seat}](seat-endpoint)\n"
    if head not in pjsip_conf:
        raise KeyError(f"no endpoint {head.strip()}")
    return pjsip_conf.replace(head, f"{head}language = {language}\n", 1)


def pbx_files(ports: Ports, keys: Secrets, keys_dir: str) -> dict[str, str]:
    """The PBX's configs; ``keys_dir`` is where it finds its certificate
    (a path as the chrooted Asterisk sees it)."""
    files: dict[str, str] = {}
    for path in sorted(ASTERISK_CONF.glob("*.conf")):
        if path.name not in _LAB_OWNED:
            files[path.name] = path.read_text()
    for path in sorted(DIALPLAN.glob("*.conf")):
        files[f"dialplan/{path.name}"] = path.read_text()

    files["pjsip.conf"] = set_option(files["pjsip.conf"], "transport-udp", "bind",
                                     f"127.0.0.1:{ports.pbx_sip}")
    tls = {"bind": f"127.0.0.1:{ports.pbx_tls}", "cert_file": f"{keys_dir}/{PBX_CERT}.crt",
           "priv_key_file": f"{keys_dir}/{PBX_CERT}.key"}
    for key, value in tls.items():
        files["pjsip.conf"] = set_option(files["pjsip.conf"], "transport-tls", key, value)
    files["pjsip.conf"] += _lab_phone(TLS_PHONE, keys.tls_phone, "TLS only",
                                      "transport = transport-tls\n")
    files["pjsip.conf"] += _lab_phone(SIPP_PHONE, keys.sipp_phone, "SIPp's")
    for seat, language in SEAT_LANGUAGES.items():
        files["pjsip.conf"] = seat_language(files["pjsip.conf"], seat, language)
    files["pjsip.conf"] = set_option(files["pjsip.conf"], "carrier", "contact",
                                     f"sip:{CARRIER_ADDRESS}:{ports.sim_sip}")
    files["pjsip.conf"] = set_option(files["pjsip.conf"], "carrier", "match", CARRIER_ADDRESS)
    files["manager.conf"] = set_option(files["manager.conf"], "general", "port",
                                       str(ports.pbx_ami))
    files["manager.conf"] = set_option(files["manager.conf"], "datadesk", "secret", keys.ami)
    # Asterisk's own time on every event: benchmarks time call flows with it.
    files["manager.conf"] = set_option(files["manager.conf"], "general", "timestampevents", "yes")
    files["manager.conf"] += (
        f"\n; TEST-ONLY user added by the lab to read Asterisk's own state.\n"
        f"[{HARNESS_AMI_USER}]\nsecret = {keys.harness_ami}\n"
        "deny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.1/255.255.255.255\n"
        "read = all\nwrite = all\n")
    files["http.conf"] = set_option(files["http.conf"], "general", "bindport",
                                    str(ports.pbx_http))
    files["ari.conf"] = set_option(files["ari.conf"], "datadesk", "password", keys.ari)
    # A shorter wrap-up than production's so consecutive test calls need not
    # wait for it; tests about wrap-up set their own.
    files["queues.conf"] = set_option(files["queues.conf"], "desk", "wrapuptime", str(LAB_WRAPUP))
    files["queues.conf"] = set_option(files["queues.conf"], "desk", "servicelevel",
                                      str(LAB_SERVICE_LEVEL))
    files["rtp.conf"] = set_option(files["rtp.conf"], "general", "rtpstart", str(ports.pbx_rtp[0]))
    files["rtp.conf"] = set_option(files["rtp.conf"], "general", "rtpend", str(ports.pbx_rtp[1]))
    return files


def _phone_block(user: str, password: str, pbx_sip: int, *, tls: bool = False) -> str:
    """One simulated phone; ``tls``: it registers and calls over TLS only
    (``pbx_sip`` is then the PBX's TLS port)."""
    uri = f"sip:127.0.0.1:{pbx_sip}" + (";transport=tls" if tls else "")
    suffix = "-tls" if tls else ""
    return (
        f"[phone-{user}](phone-registration{suffix})\n"
        f"outbound_auth = phone-{user}\n"
        f"server_uri = {uri}\n"
        f"client_uri = sip:{user}@127.0.0.1:{pbx_sip}\n"
        f"contact_user = {user}\n\n"
        f"[phone-{user}](phone-auth)\nusername = {user}\npassword = {password}\n\n"
        f"[phone-{user}](phone-endpoint{suffix})\nfrom_user = {user}\n"
        f"outbound_auth = phone-{user}\ncallerid = <{user}>\n\n")


def phonesim_files(ports: Ports, keys: Secrets, keys_dir: str) -> dict[str, str]:
    """The phone simulator's configs; ``keys_dir`` as for ``pbx_files``."""
    passwords = phone_passwords((ASTERISK_CONF / "pjsip.conf").read_text())
    phones = "".join(_phone_block(u, p, ports.pbx_sip) for u, p in passwords.items())
    phones += _phone_block(TLS_PHONE, keys.tls_phone, ports.pbx_tls, tls=True)
    marks = {
        "@SIM_PORT@": str(ports.sim_sip),
        "@SIM_TLS_PORT@": str(ports.sim_tls),
        "@SIM_KEYS@": keys_dir,
        "@SIM_CERT@": SIM_CERT,
        "@PBX_PORT@": str(ports.pbx_sip),
        "@PBX_TLS_PORT@": str(ports.pbx_tls),
        "@SIM_AMI_PORT@": str(ports.sim_ami),
        "@SIM_AMI_SECRET@": keys.sim_ami,
        "@CARRIER_ADDR@": CARRIER_ADDRESS,
        "@PHONES@": phones,
    }
    files: dict[str, str] = {}
    for path in sorted(PHONESIM.glob("*.conf")):
        text = path.read_text()
        for mark, value in marks.items():
            text = text.replace(mark, value)
        files[path.name] = text
    files["rtp.conf"] = f"[general]\nrtpstart = {ports.sim_rtp[0]}\nrtpend = {ports.sim_rtp[1]}\n"
    return files
