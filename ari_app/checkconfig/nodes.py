"""check-config for PBX nodes: the trunks between a desk node and its
frontline nodes, and the desk lamp's device-state publication.

A node's role is read from its pjsip.conf, as shipped in asterisk-conf/nodes/:
an endpoint ``desk-node`` makes a *frontline* node; endpoints whose context is
``from-frontline-node`` make the *desk* node; neither: a single PBX, which has
nothing to check here.
"""

from __future__ import annotations

import re

from ..asterisk.conffile import ConfigFile, Section

DESK_TRUNK = "desk-node"
FROM_NODE_CONTEXT = "from-frontline-node"
EVENT = "asterisk-devicestate"


def node_role(pjsip: ConfigFile) -> str:
    """``desk``, ``frontline`` or ``single``."""
    endpoints = pjsip.objects("endpoint")
    if DESK_TRUNK in endpoints:
        return "frontline"
    if any(e.get("context") == FROM_NODE_CONTEXT for e in endpoints.values()):
        return "desk"
    return "single"


def _trunk_problems(pjsip: ConfigFile, name: str, endpoint: Section) -> list[str]:
    """A trunk endpoint known by address and by password, on its own transport."""
    problems = []
    if (endpoint.get("identify_by") or "") != "ip":
        problems.append(f"{endpoint.where('identify_by')}: trunk {name} must be known by its "
                        "address (identify_by = ip)")
    matches = [i for i in pjsip.objects("identify").values() if i.get("endpoint") == name
               and i.get("match")]
    if not matches:
        problems.append(f"{endpoint.where()}: trunk {name} has no identify with a match address")
    auths = pjsip.objects("auth")
    for key in ("auth", "outbound_auth"):
        auth = auths.get(endpoint.get(key) or "")
        if auth is None:
            problems.append(f"{endpoint.where(key)}: trunk {name} has no {key} (an address "
                            "alone can be spoofed over UDP)")
        elif not (auth.get("password") or "") or "demo" in (auth.get("password") or ""):
            problems.append(f"{auth.where('password')}: trunk {name}'s {key} has an empty or "
                            "demo password")
    if not endpoint.get("transport"):
        problems.append(f"{endpoint.where()}: trunk {name} names no transport (the node's "
                        "address must be the source of its traffic)")
    return problems


def _publish_to(pjsip: ConfigFile, publish_name: str, where: str) -> list[str]:
    publish = pjsip.objects("outbound-publish").get(publish_name)
    if publish is None:
        return [f"{where}: devicestate_publish names no outbound-publish [{publish_name}]"]
    if publish.get("event") != EVENT:
        return [f"{publish.where('event')}: outbound-publish {publish_name} must have "
                f"event = {EVENT}"]
    return []


def _desk_problems(pjsip: ConfigFile, plan: dict, lamp: str) -> list[str]:
    problems = []
    publications = pjsip.objects("asterisk-publication")
    inbound = pjsip.objects("inbound-publication")
    for name, endpoint in pjsip.objects("endpoint").items():
        if endpoint.get("context") != FROM_NODE_CONTEXT:
            continue
        problems += _trunk_problems(pjsip, name, endpoint)
        publication = publications.get(name)
        if publication is None or not publication.get("devicestate_publish"):
            problems.append(f"{endpoint.where()}: no asterisk-publication [{name}] with "
                            f"devicestate_publish: node {name} never sees the desk lamp")
            continue
        problems += _publish_to(pjsip, publication.get("devicestate_publish") or "",
                                publication.where("devicestate_publish"))
        if (publication.get("device_state") or "no").lower() in ("yes", "true", "1"):
            problems.append(f"{publication.where('device_state')}: the desk node must take no "
                            f"device state from node {name} (device_state = no)")
        if name not in inbound:
            problems.append(f"{publication.where()}: no inbound-publication [{name}]: a "
                            "restarted node cannot ask for the lamp")
    if FROM_NODE_CONTEXT not in plan:
        problems.append(f"dialplan: context [{FROM_NODE_CONTEXT}] is missing "
                        "(dialplan/nodes/desk-node.conf)")
    return problems


def _frontline_problems(pjsip: ConfigFile, plan: dict, lamp: str) -> list[str]:
    endpoint = pjsip.objects("endpoint")[DESK_TRUNK]
    problems = _trunk_problems(pjsip, DESK_TRUNK, endpoint)
    aor = pjsip.objects("aor").get(endpoint.get("aors") or "")
    if aor is None or not aor.get("contact"):
        problems.append(f"{endpoint.where('aors')}: trunk {DESK_TRUNK} has no aor contact")
    elif not (aor.get("qualify_frequency") or "0").strip("0"):
        problems.append(f"{aor.where('qualify_frequency')}: qualify the desk node "
                        "(qualify_frequency): a dead desk node must fail a transfer at once")
    publication = pjsip.objects("asterisk-publication").get(DESK_TRUNK)
    if publication is None or (publication.get("device_state") or "no").lower() \
            not in ("yes", "true", "1"):
        problems.append(f"pjsip.conf: no asterisk-publication [{DESK_TRUNK}] with "
                        "device_state = yes: the desk lamp never arrives")
    else:
        pattern = publication.get("device_state_filter") or ""
        try:
            if not pattern or not re.search(pattern, lamp) or re.search(pattern, "PJSIP/1001"):
                problems.append(f"{publication.where('device_state_filter')}: "
                                f"device_state_filter must take {lamp} and nothing else")
        except re.error as exc:
            problems.append(f"{publication.where('device_state_filter')}: bad regex: {exc}")
        if publication.get("devicestate_publish"):
            problems += _publish_to(pjsip, publication.get("devicestate_publish") or "",
                                    publication.where("devicestate_publish"))
    if DESK_TRUNK not in pjsip.objects("inbound-publication"):
        problems.append(f"pjsip.conf: no inbound-publication [{DESK_TRUNK}] "
                        f"(event_{EVENT}): the desk lamp's PUBLISH is refused")
    if "desk-route" not in plan:
        problems.append("dialplan: context [desk-route] is missing "
                        "(dialplan/nodes/frontline-node.conf)")
    return problems


def node_problems(pjsip: ConfigFile, plan: dict[str, dict[str, int]], lamp: str) -> list[str]:
    """Problems of this node's trunks and lamp publication, one line each
    (empty for a single PBX). ``plan``: context -> extensions of the dialplan."""
    role = node_role(pjsip)
    if role == "desk":
        return _desk_problems(pjsip, plan, lamp)
    if role == "frontline":
        return _frontline_problems(pjsip, plan, lamp)
    return []
