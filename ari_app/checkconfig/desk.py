"""check-config: the desk as the PBX sees it: seats, the queue, the dialplan."""

from __future__ import annotations

from pathlib import Path

from ..asterisk.conffile import ConfigFile, Section
from ..asterisk.dialplan_refs import broken_references
from ..desk.callback import LANGUAGES
from ..settings import Settings

# Contexts the controller sends channels to, and the dialplan's own entries.
CONTEXTS = ("desk-transfer", "desk-route", "desk-fallback", "desk-queue", "desk-seat",
            "desk-out-of-scope", "desk-callback", "desk-callback-seat",
            "desk-callback-customer", "desk-callback-answered", "seat-phone")
FEATURE_CODES = ("*861", "*862", "_*863X", "*864")
# Set on seat endpoints (pjsip.conf set_var): only their channels may run the
# feature codes (dialplan/40-seat-phones.conf, [seat-identity]).
SEAT_MARK = "DESK_SEAT_PHONE=yes"


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
            if (endpoint.get("refer_blind_progress") or "yes").lower() in ("no", "false", "0"):
                problems.append(f"{endpoint.where('refer_blind_progress')}: endpoint {name} "
                                "has refer_blind_progress = no: its phone is told 200 OK at "
                                "once after a transfer, whatever becomes of the caller")
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


def seat_language_problem(seat: str, endpoint: Section) -> str | None:
    """The seat's whisper language (its endpoint's ``language``) when the
    desk has no prompt set in it; None when it has one or is unset (the
    seat then hears the desk's language). The dialplan would play such a
    seat the desk's language, so the admin's intent would be lost quietly."""
    language = endpoint.get("language")
    if not language or language in LANGUAGES:
        return None
    return (f"{endpoint.where('language')}: seat {seat} has language {language!r}: the desk "
            f"has prompts in {' and '.join(LANGUAGES)} only (unset: the desk's language)")


def seat_problems(pjsip: ConfigFile, extensions: ConfigFile, settings: Settings) -> list[str]:
    """Seats: endpoints that can log in, reachable by transfer."""
    problems: list[str] = []
    endpoints, aors = pjsip.objects("endpoint"), pjsip.objects("aor")
    plan = _extensions(extensions)
    problems += _transfers(pjsip, plan, _includes(extensions), settings.desk.seats)
    for seat in settings.desk.seats:
        endpoint = endpoints.get(seat)
        if endpoint is None:
            problems.append(f"pjsip.conf: seat {seat} is not a PJSIP endpoint")
            continue
        if seat not in aors:
            problems.append(f"pjsip.conf: seat {seat} has no aor (its phone cannot register)")
        language = seat_language_problem(seat, endpoint)
        if language:
            problems.append(language)
        context = endpoint.get("context") or ""
        if context not in plan:
            problems.append(f"{endpoint.where('context')}: seat {seat} uses context "
                            f"{context!r}, which the dialplan does not define")
        elif not set(FEATURE_CODES) <= set(plan[context]) and context != "seat-phone":
            problems.append(f"{endpoint.where('context')}: seat {seat} cannot dial the "
                            "desk feature codes from its context")
        if seat not in plan.get("desk-transfer", {}):
            problems.append(f"dialplan: seat {seat} has no transfer number in [desk-transfer]")
    return problems


def queue_problems(queues: ConfigFile, settings: Settings) -> list[str]:
    """The desk queue: no ringing a seat in a call, the same wrap-up, seats as members."""
    problems: list[str] = []
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
        level = q.get("servicelevel") or "0"
        if not level.isdigit() or int(level) != settings.desk.service_level:
            problems.append(f"{q.where('servicelevel')}: servicelevel {level} differs from the "
                            f"controller's [desk] service_level {settings.desk.service_level} "
                            "(Asterisk's own service level would measure another threshold)")
        members = [(v.split(",")[0].strip(), n) for v, n in q.all("member")]
        static = {m.split("/", 1)[-1] for m, _ in members}
        for member, line in members:
            if member.split("/", 1)[-1] not in settings.desk.seats:
                problems.append(f"{q.file}:{line}: queue member {member} is not a desk seat")
        if members:
            for seat in settings.desk.seats:
                if seat not in static:
                    problems.append(f"{q.where()}: seat {seat} is missing from the desk queue")
    return problems


def dialplan_problems(extensions: ConfigFile, queues: ConfigFile, settings: Settings) -> list[str]:
    """Every name the dialplan refers to exists, and the entries the controller relies on."""
    problems: list[str] = []
    plan = _extensions(extensions)
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
    return problems
