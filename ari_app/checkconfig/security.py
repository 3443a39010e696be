"""check-config: what guards the PBX: loopback binds, TLS, least privilege, secrets."""

from __future__ import annotations

import ipaddress
import re

from ..asterisk.conffile import ConfigFile, Section
from ..settings import Settings, build_grants

# What the controller's AMI user must be able to do, and no more.
AMI_READ = {"system", "call", "agent"}
AMI_WRITE = {"originate", "reporting"}
# The shipped configs' placeholders: demo-ami-secret-change-me and the like.
_DEMO = re.compile(r"^demo-|change-?me", re.IGNORECASE)


def _loopback(value: str) -> bool:
    host = value.split(":")[0].strip("[]") if value.count(":") <= 1 else value
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


# TLS transport methods that admit protocols older than TLS 1.2 (Asterisk's
# "default" is TLSv1); sslv23 is every version, so it needs a cipher list.
WEAK_TLS_METHODS = {"", "default", "unspecified", "tlsv1", "tlsv1_1", "sslv2", "sslv3"}


def _weak_cipher(name: str) -> bool:
    """Not forward-secret AEAD (TLS 1.3 suites, named TLS_..., all are)."""
    upper = name.upper()
    if upper.startswith("TLS_"):
        return False
    aead = any(mode in upper for mode in ("GCM", "CHACHA20", "CCM"))
    return not (aead and upper.startswith(("ECDHE-", "DHE-")))


def tls_problems(pjsip: ConfigFile) -> list[str]:
    """The TLS transport phones may register on: present, with a certificate,
    TLS 1.2 or newer and strong ciphers only."""
    transports = [t for t in pjsip.objects("transport").values()
                  if (t.get("protocol") or "").lower() == "tls"]
    if not transports:
        return ["pjsip.conf: no TLS transport (protocol = tls): phones can only use UDP"]
    problems = []
    for t in transports:
        for key in ("cert_file", "priv_key_file"):
            if not t.get(key):
                problems.append(f"{t.where()}: TLS transport {t.name} has no {key}")
        method = (t.get("method") or "").lower()
        ciphers = [c.strip() for c in (t.get("cipher") or "").split(",") if c.strip()]
        if method in WEAK_TLS_METHODS or (method == "sslv23" and not ciphers):
            problems.append(f"{t.where('method')}: TLS transport {t.name} allows protocols "
                            "older than TLS 1.2 (method tlsv1_2 or tlsv1_3, or sslv23 with "
                            "a cipher list of TLS 1.2 AEAD suites)")
        weak = [c for c in ciphers if _weak_cipher(c)]
        if weak:
            problems.append(f"{t.where('cipher')}: TLS transport {t.name} allows weak "
                            f"cipher(s) {','.join(weak)}")
    return problems


# An address from no network an admin would permit (TEST-NET-1, RFC 5737):
# a SIP ACL that lets it in lets in everyone.
_STRANGER = ipaddress.ip_address("192.0.2.1")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(value: str) -> list[Network] | None:
    """The networks of an ACL or identify value (``a.b.c.d/mask``, CIDR, a bare
    address; comma-separated); None if one is a host name (not checked)."""
    out: list[Network] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            return None
    return out


def _acl_rules(pjsip: ConfigFile) -> dict[str, list[tuple[bool, list[Network] | None]]]:
    """ACL name -> its (permit?, networks) rules in file order, with what a
    later ``[name](+)`` section adds."""
    names = set(pjsip.objects("acl"))
    rules: dict[str, list[tuple[bool, list[Network] | None]]] = {n: [] for n in names}
    for section in pjsip.sections:
        if section.name in names:
            rules[section.name] += [(key == "permit", _networks(value))
                                    for key, value, _ in section.options
                                    if key in ("permit", "deny")]
    return rules


def _allows(rules: list[tuple[bool, list[Network] | None]],
            address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Asterisk's reading: the last rule that matches decides; none: allowed."""
    allowed = True
    for permit, networks in rules:
        if any(address.version == n.version and address in n for n in networks or []):
            allowed = permit
    return allowed


def sip_acl_problems(pjsip: ConfigFile) -> list[str]:
    """A SIP ACL (res_pjsip_acl) that refuses strangers and lets in every
    peer known by its address (the carrier, the other nodes). Without one,
    PJSIP obeys an in-dialog request (a REFER, a BYE) from any address that
    knows the call's Call-ID and tags."""
    acls = pjsip.objects("acl")
    if not acls:
        return ["pjsip.conf: no SIP ACL (type = acl): a REFER from any address that knows a "
                "call's identifiers is obeyed; let in only the phone network and the carrier"]
    problems = []
    rules = _acl_rules(pjsip)
    for name, acl in sorted(acls.items()):
        if acl.get("acl") or acl.get("contact_acl"):
            continue  # named lists of acl.conf: not read here
        if _allows(rules[name], _STRANGER):
            problems.append(f"{acl.where()}: SIP ACL {name} lets in any address (start with "
                            "deny = 0.0.0.0/0.0.0.0, then permit your phone network and "
                            "your carrier)")
    for ident_name, ident in sorted(pjsip.objects("identify").items()):
        for network in _networks(ident.get("match") or "") or []:
            refused = [n for n in acls if not _allows(rules[n], network.network_address)]
            if refused:
                problems.append(f"{ident.where('match')}: {ident.get('endpoint') or ident_name} "
                                f"at {network} is refused by SIP ACL {refused[0]} (add it as "
                                "permit)")
    return problems


def _secret(where: str, value: str | None, allow_demo: bool) -> list[str]:
    if not value:
        return [f"{where} is empty"]
    if _DEMO.search(value) and not allow_demo:
        return [f"{where} is a shipped demo value; set your own"]
    return []


def check_secrets(settings: Settings, manager: ConfigFile, ari: ConfigFile, *,
                  allow_demo: bool) -> list[str]:
    """Empty or demo secrets on either side, and no API token."""
    problems = _secret("settings [ami] secret (DATADESK_AMI_SECRET)", settings.ami.secret,
                       allow_demo)
    problems += _secret("settings [ari] password (DATADESK_ARI_PASSWORD)",
                        settings.ari.password, allow_demo)
    held = build_grants(settings.http)
    if not held:
        problems.append("settings [http] tokens (DATADESK_API_TOKENS): no API token, so "
                        "nobody can use the API")
    for grant in held:
        problems += _secret(f"settings [http] tokens: a token (role {grant.role})", grant.token,
                            allow_demo)
    sides: list[tuple[Section | None, str, str]] = [
        ((manager.named(settings.ami.username) or [None])[-1], "secret", "AMI user"),
        ((ari.named(settings.ari.username) or [None])[-1], "password", "ARI user")]
    for section, key, what in sides:
        if section is not None:
            problems += _secret(f"{section.where(key)}: {what} {section.name} {key}",
                                section.get(key), allow_demo)
    return problems


def ami_problems(manager: ConfigFile, settings: Settings, *, allow_public: bool) -> list[str]:
    """AMI enabled on loopback, and the controller's user with exactly the classes it needs."""
    problems: list[str] = []
    # AMI: the controller's user, least privilege, loopback.
    general = (manager.named("general") or [None])[-1]
    if general is None or (general.get("enabled") or "no").lower() != "yes":
        problems.append("manager.conf: AMI is not enabled")
    elif not allow_public and not _loopback(general.get("bindaddr") or "0.0.0.0"):
        problems.append(f"{general.where('bindaddr')}: AMI bound to "
                        f"{general.get('bindaddr') or '0.0.0.0'}, not loopback")
    users = manager.named(settings.ami.username)
    if not users:
        problems.append(f"manager.conf: no AMI user [{settings.ami.username}] for the controller")
    else:
        user = users[-1]
        for key, needed in (("read", AMI_READ), ("write", AMI_WRITE)):
            have = {c.strip() for c in (user.get(key) or "").split(",") if c.strip()}
            if "all" in have or have - needed:
                problems.append(f"{user.where(key)}: AMI user {settings.ami.username} has "
                                f"{key}={','.join(sorted(have))}; it needs "
                                f"{','.join(sorted(needed))} and no more")
            elif needed - have:
                problems.append(f"{user.where(key)}: AMI user {settings.ami.username} lacks "
                                f"{key} class(es) {','.join(sorted(needed - have))}")
    return problems


def http_problems(http: ConfigFile, ari: ConfigFile, settings: Settings, *, allow_public: bool) -> list[str]:
    """HTTP/ARI on loopback, the controller's ARI user, the controller's own HTTP address."""
    problems: list[str] = []
    # HTTP/ARI: loopback, the controller's user.
    hgeneral = (http.named("general") or [None])[-1]
    if hgeneral is not None and not allow_public and \
            not _loopback(hgeneral.get("bindaddr") or "0.0.0.0"):
        problems.append(f"{hgeneral.where('bindaddr')}: HTTP/ARI bound to "
                        f"{hgeneral.get('bindaddr') or '0.0.0.0'}, not loopback")
    if not ari.named(settings.ari.username):
        problems.append(f"ari.conf: no ARI user [{settings.ari.username}] for the controller")
    if not allow_public and not _loopback(settings.http.host):
        problems.append(f"settings [http] host {settings.http.host} is not loopback "
                        "(use --allow-public if a proxy guards it)")
    return problems
