"""SIP over TLS: the shipped transport-tls, a phone on it, a transfer over it.

The lab adds frontline phone 1003 to the PBX as a TLS-only endpoint (the
shipped templates plus ``transport = transport-tls``); the phone simulator
registers it over TLS and checks the PBX's certificate against the lab's CA
(``verify_server = yes``). 1003 is in no queue unless a test puts it there.
"""

from __future__ import annotations

import asyncio
import ssl

import pytest

from lab.configs import TLS_PHONE
from lab.forged import refer_into_call_of
from lab.scenarios import customer_transferred, specialist_answers
from lab.stack import FRONTLINE, Stack


@pytest.fixture
async def tls_frontline(lab: Stack):
    """Customers reach only the TLS phone: it joins the frontline queue and
    the UDP phones pause there."""
    await lab.probe.ami.command({"Action": "QueueAdd", "Queue": "frontline",
                                 "Interface": f"PJSIP/{TLS_PHONE}", "MemberName": TLS_PHONE},
                                as_list=False)   # "Added ... to queue" reads as a list otherwise
    await lab.probe.pause(FRONTLINE, queue="frontline")
    yield lab
    await lab.probe.pause(FRONTLINE, paused=False, queue="frontline", check=False)
    await lab.probe.ami.send({"Action": "QueueRemove", "Queue": "frontline",
                              "Interface": f"PJSIP/{TLS_PHONE}"})
    await lab.phones.reset(TLS_PHONE)


async def _contact(lab: Stack, endpoint: str) -> dict:
    rows = [c for c in await lab.probe.contacts() if c.get("Endpoint") == endpoint]
    assert len(rows) == 1, rows
    return rows[0]


def _refer_sources(log_text: str) -> list[str]:
    """The transport and source of every REFER in res_pjsip_logger's output,
    e.g. ``TLS:127.0.0.1:40312``."""
    lines = log_text.splitlines()
    out = []
    for head, first in zip(lines, lines[1:]):
        if "Received SIP request" in head and first.startswith("REFER "):
            out.append(head.split(" from ", 1)[1].split(" ", 1)[0])
    return out


async def _refers_logged(lab: Stack, offset: int, timeout: float = 5) -> list[str]:
    """REFERs in the PBX's log after ``offset`` (the logger thread may lag)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        with lab.pbx.log_file.open(errors="replace") as log:
            log.seek(offset)
            found = _refer_sources(log.read())
        if found or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)


async def test_a_phone_registers_over_tls(lab):
    contact = await _contact(lab, TLS_PHONE)
    # The phone registered over TLS, so the PBX reaches it over TLS.
    assert contact["Uri"].lower().endswith(";transport=tls"), contact["Uri"]
    assert contact["Status"] == "Reachable"   # the PBX's qualify went over TLS too
    # The UDP phones are untouched.
    assert "transport=tls" not in (await _contact(lab, "1001"))["Uri"].lower()


async def test_transfer_over_tls_reaches_the_desk(tls_frontline):
    lab = tls_frontline
    await lab.phones.on_ring(TLS_PHONE, "transfer:8600")
    offset = lab.pbx.log_file.stat().st_size
    await lab.pbx.rx("pjsip set logger on")
    try:
        transfer = await customer_transferred(lab, customer="13800138101")
        refers = await _refers_logged(lab, offset)
    finally:
        await lab.pbx.rx("pjsip set logger off")

    # The TLS phone answered and its REFER moved the customer ...
    assert transfer.transferer_channel.startswith(f"PJSIP/{TLS_PHONE}-")
    assert transfer.customer_channel.startswith("PJSIP/carrier-")
    # ... and that REFER reached the PBX over TLS, nothing over UDP.
    assert refers and all(src.startswith("TLS:") for src in refers), refers
    # The customer is routed as for any transfer.
    assert transfer.route == "queue"
    customer, _seat = await specialist_answers(lab, transfer)
    assert customer == transfer.customer_channel


# --------------------------------------------------------------- the transport


def _client(lab: Stack, **versions) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(lab.sim.keys_dir / "ca.crt"))
    for key, value in versions.items():
        setattr(ctx, key, value)
    return ctx


async def _handshake(lab: Stack, ctx: ssl.SSLContext) -> tuple[str, str]:
    """(protocol version, cipher) the PBX's TLS port agreed to with ``ctx``."""
    _reader, writer = await asyncio.wait_for(asyncio.open_connection(
        "127.0.0.1", lab.ports.pbx_tls, ssl=ctx, server_hostname="127.0.0.1"), 10)
    try:
        tls = writer.get_extra_info("ssl_object")
        return tls.version(), tls.cipher()[0]
    finally:
        writer.close()


async def test_tls_port_speaks_tls12_and_tls13_with_aead_ciphers(lab):
    version, cipher = await _handshake(lab, _client(lab, maximum_version=ssl.TLSVersion.TLSv1_2))
    assert version == "TLSv1.2" and cipher.startswith("ECDHE-") and "GCM" in cipher, cipher
    version, _ = await _handshake(lab, _client(lab, minimum_version=ssl.TLSVersion.TLSv1_3))
    assert version == "TLSv1.3"


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
async def test_tls_port_refuses_old_protocols_and_cbc_ciphers(lab):
    old = _client(lab, minimum_version=ssl.TLSVersion.TLSv1,
                  maximum_version=ssl.TLSVersion.TLSv1_1)
    old.set_ciphers("DEFAULT:@SECLEVEL=0")   # our side offers TLS 1.0/1.1 for real
    with pytest.raises(ssl.SSLError) as refused:
        await _handshake(lab, old)
    assert "PROTOCOL_VERSION" in str(refused.value).upper()   # the PBX said no
    cbc = _client(lab, maximum_version=ssl.TLSVersion.TLSv1_2)
    cbc.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384")
    with pytest.raises(ssl.SSLError) as refused:
        await _handshake(lab, cbc)
    assert "HANDSHAKE_FAILURE" in str(refused.value).upper()


# ------------------------------------------------- an in-dialog REFER from elsewhere


async def test_a_refer_injected_into_a_tls_phones_call_from_another_address_is_refused(
        tls_frontline):
    """PJSIP finds a call by its Call-ID and tags alone, whatever the transport
    or the address a request comes from; the shipped SIP ACL (pjsip.conf
    [sip-acl]) lets in only the phone network and the carrier, so the same
    REFER over UDP from 127.0.0.2 is refused and the customer stays with the
    TLS phone."""
    lab = tls_frontline
    await lab.phones.on_ring(TLS_PHONE, "answer")
    mark = lab.probe.log.mark()
    await lab.phones.customer_call("13800138102")
    connect = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "AgentConnect" and m.get("Queue") == "frontline"
        and m.get("MemberName") == TLS_PHONE, since=mark, timeout=30)

    status = await refer_into_call_of(lab.probe, lab.ports.pbx_sip, TLS_PHONE,
                                      "sip:8600@127.0.0.1", source="127.0.0.2")

    assert status.startswith("SIP/2.0 403"), status
    assert not [m for m in lab.probe.log.since(mark) if m.get("Event") == "BlindTransfer"]
    assert await lab.probe.connected(connect["Channel"], f"PJSIP/{TLS_PHONE}-")
