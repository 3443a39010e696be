"""SIP requests a stranger sends: written by hand, from an address the test
chooses, with no credentials.

``replaces`` names a dialog the PBX holds in a Refer-To (as a phone's
attended transfer does); ``forged_refer`` injects a REFER into a dialog the
PBX holds, as the far end of it, and returns the PBX's answer (or that none
came); ``refer_into_call_of`` does so into the call a phone is in.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from typing import Any
from urllib.parse import quote


def replaces(dialog: dict[str, str]) -> str:
    """``?Replaces=...`` for a Refer-To, naming ``dialog`` as the PBX holds it
    (``PbxProbe.dialog``): the PBX's own tag is the to-tag."""
    value = f"{dialog['call-id']};to-tag={dialog['local_tag']};from-tag={dialog['remote_tag']}"
    return "?Replaces=" + quote(value, safe="")


def forged_refer(pbx_port: int, dialog: dict[str, str], refer_to: str, *,
                 source: str, timeout: float = 5) -> str:
    """Send, over UDP from ``source`` (a port of our own), a REFER into the
    PBX's ``dialog`` as its far end (that party's tag in From), without
    credentials. Returns the PBX's final status line, or ``"no answer"``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.settimeout(timeout)
        port = sock.getsockname()[1]
        request = (
            f"REFER sip:127.0.0.1:{pbx_port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {source}:{port};rport;branch=z9hG4bK{uuid.uuid4().hex}\r\n"
            "Max-Forwards: 70\r\n"
            f"From: {dialog['remote_uri']};tag={dialog['remote_tag']}\r\n"
            f"To: {dialog['local_uri']};tag={dialog['local_tag']}\r\n"
            f"Call-ID: {dialog['call-id']}\r\n"
            "CSeq: 9000 REFER\r\n"
            f"Contact: <sip:{source}:{port}>\r\n"
            f"Refer-To: <{refer_to}>\r\n"
            "Content-Length: 0\r\n\r\n")
        sock.sendto(request.encode(), ("127.0.0.1", pbx_port))
        try:
            while True:
                status = sock.recv(65535).decode(errors="replace").split("\r\n", 1)[0]
                if not status.startswith("SIP/2.0 1"):   # skip provisional answers
                    return status
        except socket.timeout:
            return "no answer"


async def refer_into_call_of(probe: Any, pbx_port: int, phone: str, refer_to: str, *,
                             source: str) -> str:
    """``forged_refer`` into the call phone ``phone`` is in at the PBX (its
    PJSIP channel's dialog, read with ``probe``, a ``PbxProbe``)."""
    channel = next(c["Channel"] for c in await probe.channels()
                   if c["Channel"].startswith(f"PJSIP/{phone}-"))
    dialog = await probe.dialog(channel)
    if not (dialog["call-id"] and dialog["local_tag"] and dialog["remote_tag"]):
        raise LookupError(f"no dialog on {channel}: {dialog}")
    return await asyncio.to_thread(forged_refer, pbx_port, dialog, refer_to, source=source)
