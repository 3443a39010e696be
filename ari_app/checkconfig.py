"""``datadesk check-config``: do the Asterisk configs, the dialplan and the settings agree?

One line per problem, ``where: what``; exit status 1 if there is any. It
checks the files an installed controller runs with (``/etc/asterisk``,
``/etc/datadesk/datadesk.toml`` unless told otherwise), every queue, context
and extension the dialplan refers to, and that no secret is empty or a
shipped demo value. With ``--live`` it also asks a running Asterisk to
reload the configuration and reads it back over AMI, so syntax errors are
Asterisk's own.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from pathlib import Path

from .asterisk.conffile import ConfigFile, Section
from .asterisk.dialplan_refs import broken_references
from .checknodes import node_problems
from .settings import Settings

# What the controller's AMI user must be able to do, and no more.
AMI_READ = {"system", "call", "agent"}
AMI_WRITE = {"originate", "reporting"}
# Contexts the controller sends channels to, and the dialplan's own entries.
CONTEXTS = ("desk-transfer", "desk-route", "desk-fallback", "desk-queue", "desk-seat",
            "desk-out-of-scope", "desk-callback", "desk-callback-agent",
            "desk-callback-customer", "desk-callback-answered", "seat-phone")
FEATURE_CODES = ("*861", "*862", "_*863X", "*864")
# The shipped configs' placeholders: demo-ami-secret-change-me and the like.
_DEMO = re.compile(r"^demo-|change-?me", re.IGNORECASE)
# Set on seat endpoints (pjsip.conf set_var): only their channels may run the
# feature codes (dialplan/40-seat-phones.conf, [seat-identity]).
SEAT_MARK = "DESK_SEAT_PHONE=yes"


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


def _extensions(conf: ConfigFile) -> dict[str, dict[str, int]]:
    """context -> {extension: line} of extensions that run (hints aside)."""
    out: dict[str, dict[str, int]] = {}
    for section in conf.sections:
        exts = out.setdefault(section.name, {})
        for key, value, line in section.options:
            parts = [p.strip() for p in value.split(",")]
            if key == "exten" and len(parts) > 1 and parts[1] != "hint":
                exts.setdefault(parts[0], line)
    return out


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
    if not settings.http.tokens:
        problems.append("settings [http] tokens (DATADESK_API_TOKENS): no API token, so "
                        "nobody can use the API")
    for token in settings.http.tokens:
        problems += _secret("settings [http] tokens: a token", token, allow_demo)
    sides: list[tuple[Section | None, str, str]] = [
        ((manager.named(settings.ami.username) or [None])[-1], "secret", "AMI user"),
        ((ari.named(settings.ari.username) or [None])[-1], "password", "ARI user")]
    for section, key, what in sides:
        if section is not None:
            problems += _secret(f"{section.where(key)}: {what} {section.name} {key}",
                                section.get(key), allow_demo)
    return problems


def _dialplan(etc: Path, dialplan_dir: Path) -> ConfigFile:
    """extensions.conf with the dialplan files: those it includes from
    ``<etc>/dialplan``, or those of ``dialplan_dir`` when it is elsewhere."""
    extensions = ConfigFile(etc / "extensions.conf", etc)
    if dialplan_dir.resolve() != (etc / "dialplan").resolve():
        extensions.sections = [s for s in extensions.sections
                               if not s.file.split("/")[-2:-1] == ["dialplan"]]
        for path in sorted(dialplan_dir.glob("*.conf")):
            extensions.sections += ConfigFile(path, dialplan_dir.parent).sections
        extensions.missing_includes = [m for m in extensions.missing_includes
                                       if "dialplan/" not in m]
    return extensions


def _includes(conf: ConfigFile) -> dict[str, list[str]]:
    """context -> the contexts it includes, in order."""
    out: dict[str, list[str]] = {}
    for section in conf.sections:
        out.setdefault(section.name, []).extend(
            v.split(",")[0].strip() for v, _ in section.all("include"))
    return out


def _reachable(context: str, plan: dict[str, dict[str, int]],
               includes: dict[str, list[str]]) -> set[str]:
    """Extensions a channel in ``context`` can reach, includes followed."""
    seen, todo, out = set(), [context], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        out |= set(plan.get(name, {}))
        todo += includes.get(name, [])
    return out


def _set_vars(endpoint) -> dict[str, str]:
    out = {}
    for value, _ in endpoint.all("set_var"):
        name, _, val = value.partition("=")
        out[name.strip()] = val.strip()
    return out


def _transfers(pjsip: ConfigFile, plan: dict[str, dict[str, int]],
               includes: dict[str, list[str]], seats: tuple[str, ...] | list[str]) -> list[str]:
    """Who may transfer a call where: no transferred call may reach a feature
    code (it would log the transferred channel in as a seat), and only the
    configured seats carry the seat mark."""
    problems = []
    global_section = (pjsip.named("global") or [None])[-1]
    order = [m.strip() for m in ((global_section.get("endpoint_identifier_order")
                                  if global_section is not None else None)
                                 or "ip,username,anonymous").split(",")]
    for name, endpoint in sorted(pjsip.objects("endpoint").items()):
        variables = _set_vars(endpoint)
        if (endpoint.get("allow_transfer") or "yes").lower() not in ("no", "false", "0"):
            target = variables.get("TRANSFER_CONTEXT") or endpoint.get("context") or "default"
            codes = sorted(set(FEATURE_CODES) & _reachable(target, plan, includes))
            if codes:
                problems.append(
                    f"{endpoint.where('context')}: a call that endpoint {name} transfers "
                    f"lands in [{target}], which reaches the feature code(s) "
                    f"{','.join(codes)}: the transferred caller could log in as a seat "
                    "(set_var = TRANSFER_CONTEXT=phone-transfer)")
        marked = variables.get(SEAT_MARK.split("=")[0]) == SEAT_MARK.split("=")[1]
        if name in seats and not marked:
            problems.append(f"{endpoint.where()}: seat {name} lacks set_var = {SEAT_MARK} "
                            "(its feature codes are refused)")
        elif marked and name not in seats:
            problems.append(f"{endpoint.where('set_var')}: endpoint {name} is marked "
                            f"{SEAT_MARK} but is not a seat in the settings")
        if not endpoint.get("auth"):
            ways = [m.strip() for m in (endpoint.get("identify_by") or "username,ip").split(",")]
            if "username" in ways and "username" in order:
                problems.append(
                    f"{endpoint.where()}: endpoint {name} has no auth and can be identified "
                    "by the From user: anyone can be it (identify_by = ip and an identify "
                    "section matching its address)")
    if global_section is not None and "ip" in order and "username" in order \
            and order.index("username") < order.index("ip"):
        problems.append(f"{global_section.where('endpoint_identifier_order')}: "
                        "endpoint_identifier_order puts username before ip: a From user "
                        "can override an address (ip,username)")
    return problems


def check(conf_dir: Path, dialplan_dir: Path, settings: Settings, *,
          allow_public: bool = False, allow_demo_secrets: bool = False) -> list[str]:
    """Every disagreement found, one ``where: what`` line each (empty: all agree)."""
    problems: list[str] = []
    etc = conf_dir
    pjsip = ConfigFile(etc / "pjsip.conf", etc)
    queues = ConfigFile(etc / "queues.conf", etc)
    manager = ConfigFile(etc / "manager.conf", etc)
    http = ConfigFile(etc / "http.conf", etc)
    ari = ConfigFile(etc / "ari.conf", etc)
    # The dialplan is included by extensions.conf as <etc>/dialplan/*.conf.
    extensions = _dialplan(etc, dialplan_dir)
    if not etc.is_dir():
        return [f"{etc}: no such directory (give --asterisk-conf or DATADESK_ASTERISK_CONF)"]
    for conf in (pjsip, queues, manager, http, ari, extensions):
        if not conf.path.exists():
            problems.append(f"{conf.path}: missing")
        problems += conf.missing_includes
    if problems:
        return problems  # every further check would only repeat these

    problems += tls_problems(pjsip)

    # Seats: endpoints that can log in, reachable by transfer.
    endpoints, aors = pjsip.objects("endpoint"), pjsip.objects("aor")
    plan = _extensions(extensions)
    problems += node_problems(pjsip, plan, settings.desk.lamp_device)
    problems += _transfers(pjsip, plan, _includes(extensions), settings.desk.seats)
    for seat in settings.desk.seats:
        endpoint = endpoints.get(seat)
        if endpoint is None:
            problems.append(f"pjsip.conf: seat {seat} is not a PJSIP endpoint")
            continue
        if seat not in aors:
            problems.append(f"pjsip.conf: seat {seat} has no aor (its phone cannot register)")
        context = endpoint.get("context") or ""
        if context not in plan:
            problems.append(f"{endpoint.where('context')}: seat {seat} uses context "
                            f"{context!r}, which the dialplan does not define")
        elif not set(FEATURE_CODES) <= set(plan[context]) and context != "seat-phone":
            problems.append(f"{endpoint.where('context')}: seat {seat} cannot dial the "
                            "desk feature codes from its context")
        if seat not in plan.get("desk-transfer", {}):
            problems.append(f"dialplan: seat {seat} has no transfer number in [desk-transfer]")

    # The desk queue.
    desk = queues.named(settings.desk.queue)
    if not desk:
        problems.append(f"queues.conf: no queue [{settings.desk.queue}]")
    else:
        q = desk[-1]
        if (q.get("ringinuse") or "yes").lower() not in ("no", "false", "0"):
            problems.append(f"{q.where('ringinuse')}: ringinuse must be no (a seat in a call "
                            "must not be rung)")
        wrapup = q.get("wrapuptime") or "0"
        if wrapup.isdigit() and int(wrapup) != settings.desk.wrapup:
            problems.append(f"{q.where('wrapuptime')}: wrapuptime {wrapup} differs from the "
                            f"controller's [desk] wrapup {settings.desk.wrapup}")
        members = [(v.split(",")[0].strip(), n) for v, n in q.all("member")]
        static = {m.split("/", 1)[-1] for m, _ in members}
        for member, line in members:
            if member.split("/", 1)[-1] not in settings.desk.seats:
                problems.append(f"{q.file}:{line}: queue member {member} is not a desk seat")
        if members:
            for seat in settings.desk.seats:
                if seat not in static:
                    problems.append(f"{q.where()}: seat {seat} is missing from the desk queue")

    # Every queue, context and extension the dialplan names must exist.
    problems += broken_references(extensions, {s.name for s in queues.sections
                                               if s.name != "general" and not s.template})

    # The dialplan entries the controller relies on.
    for context in CONTEXTS:
        if context not in plan:
            problems.append(f"dialplan: context [{context}] is missing")
    transfer = plan.get("desk-transfer", {})
    if "8600" not in transfer:
        problems.append("dialplan: the desk number 8600 is missing from [desk-transfer]")
    hints = [v for s in extensions.named("desk-transfer") for k, v, _ in s.options
             if k == "exten" and v.replace(" ", "").startswith("8600,hint,")]
    if not any(h.split(",", 2)[2].strip() == settings.desk.lamp_device for h in hints):
        problems.append(f"dialplan: no hint of 8600 on {settings.desk.lamp_device} (the desk lamp)")
    for code in FEATURE_CODES:
        if code not in plan.get("seat-phone", {}):
            problems.append(f"dialplan: feature code {code} is missing from [seat-phone]")

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
    problems += check_secrets(settings, manager, ari, allow_demo=allow_demo_secrets)
    return problems


async def _live(host: str, port: int, username: str, secret: str,
                settings: Settings) -> list[str]:
    from .asterisk.ami import AmiClient, AmiError

    problems: list[str] = []
    ami = AmiClient(host, port, username, secret, name="check-config", max_backoff=1)
    ami.start()
    try:
        try:
            await ami.wait_ready(5)
        except asyncio.TimeoutError:
            return [f"live: cannot reach or log in to AMI at {host}:{port} as {username}"]

        async def cli(command: str) -> str:
            reply = await ami.command({"Action": "Command", "Command": command}, timeout=15)
            output = reply.get("Output", "")
            return "\n".join(output) if isinstance(output, list) else str(output)

        try:
            for module in ("res_pjsip.so", "app_queue.so", "pbx_config.so", "manager"):
                await cli(f"module reload {module}")
            pjsip = await cli("pjsip show endpoints")
            dialplan = await cli("dialplan show desk-transfer")
            queue = await cli(f"queue show {settings.desk.queue}")
        except AmiError as exc:
            return [f"live: Asterisk refused the check ({exc}); the AMI user needs "
                    "write=command,system"]
        for seat in settings.desk.seats:
            if not re.search(rf"Endpoint:\s+{re.escape(seat)}[/\s]", pjsip):
                problems.append(f"live: Asterisk has no PJSIP endpoint {seat} after reload")
        if "'8600'" not in dialplan:
            problems.append("live: Asterisk's [desk-transfer] has no 8600 after reload")
        if not queue.startswith(settings.desk.queue):
            problems.append(f"live: Asterisk has no queue {settings.desk.queue} after reload")
    finally:
        await ami.stop()
    return problems


def check_live(host: str, port: int, username: str, secret: str,
               settings: Settings) -> list[str]:
    """Reload the running Asterisk and read the desk back over AMI (CLI output),
    so that what Asterisk itself makes of the files is checked.

    (pyst2's manager was the first choice for this one-shot tool, but with
    Asterisk 22 it keeps only the last ``Output:`` line of a Command.)"""
    return asyncio.run(_live(host, port, username, secret, settings))
