"""The controller's AMI user holds only what it needs (Asterisk refuses the rest)."""

import asyncio
import secrets
import socket
import stat

import pytest

from ari_app.asterisk.ami import AmiClient, AmiTuning
from lab.configs import CARRIER_ADDRESS


async def test_controller_ami_user_cannot_run_cli_commands_or_read_shell(lab):
    ami = AmiClient("127.0.0.1", lab.ports.pbx_ami, "datadesk", lab.keys.ami, name="least-priv")
    ami.start()
    try:
        await ami.wait_ready(10)
        reply = await ami.send({"Action": "Command", "Command": "core show version"})
        assert reply.get("Response") == "Error"
        assert "permission denied" in reply.get("Message", "").lower()
        reply = await ami.send({"Action": "Getvar", "Variable": "SHELL(id)"})
        assert reply.get("Response") == "Error" or not reply.get("Value")
        # What it does need works: reading the desk queue.
        rows = await ami.rows({"Action": "QueueStatus", "Queue": "desk"})
        assert sum(1 for r in rows if r.get("Event") == "QueueMember") == 6
    finally:
        await ami.stop()


async def test_wrong_ami_secret_is_refused(lab):
    ami = AmiClient("127.0.0.1", lab.ports.pbx_ami, "datadesk", "not-the-secret",
                    name="bad-secret", tuning=AmiTuning(max_backoff=0.5))
    ami.start()
    try:
        with pytest.raises(asyncio.TimeoutError):
            await ami.wait_ready(2)
    finally:
        await ami.stop()


async def test_controller_ami_user_cannot_pause_a_seat(lab):
    """write=agent is gone: Asterisk itself refuses QueuePause to the controller."""
    ami = AmiClient("127.0.0.1", lab.ports.pbx_ami, "datadesk", lab.keys.ami, name="no-agent")
    ami.start()
    try:
        await ami.wait_ready(10)
        reply = await ami.send({"Action": "QueuePause", "Queue": "desk",
                                "Interface": "PJSIP/8601", "Paused": "true", "Reason": "x"})
        assert reply.get("Response") == "Error"
        assert "permission denied" in reply.get("Message", "").lower()
    finally:
        await ami.stop()
    members = {m["Name"]: m for m in await lab.probe.queue_members("desk")}
    assert members["8601"]["Paused"] == "0"


def test_lab_files_with_secrets_are_readable_by_their_owner_only(lab):
    files = [lab.pbx.home / "etc" / "manager.conf", lab.pbx.home / "etc" / "ari.conf",
             lab.pbx.home / "etc" / "pjsip.conf", lab.sim.home / "etc" / "manager.conf",
             lab.sim.home / "etc" / "pjsip.conf", lab.controller.config]
    modes = {str(f): oct(stat.S_IMODE(f.stat().st_mode)) for f in files}
    assert set(modes.values()) == {"0o600"}, modes
    # The harness AMI secret is in one of them.
    assert lab.keys.harness_ami in (lab.pbx.home / "etc" / "manager.conf").read_text()


def _invite(sock: socket.socket, pbx_port: int, from_user: str) -> str:
    """One INVITE to the service number from ``sock`` with ``From: from_user``;
    returns the PBX's final response line (and ACKs nothing: a 2xx would be a
    failure of the test anyway)."""
    host, port = sock.getsockname()
    tag, call_id = secrets.token_hex(4), secrets.token_hex(8)
    sdp = (f"v=0\r\no=- 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
           f"m=audio {port + 2} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
    request = (
        f"INVITE sip:10086@127.0.0.1:{pbx_port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {host}:{port};branch=z9hG4bK{secrets.token_hex(6)};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:{from_user}@{CARRIER_ADDRESS}>;tag={tag}\r\n"
        f"To: <sip:10086@127.0.0.1:{pbx_port}>\r\n"
        f"Call-ID: {call_id}@{host}\r\nCSeq: 1 INVITE\r\n"
        f"Contact: <sip:{from_user}@{host}:{port}>\r\n"
        f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}")
    sock.sendto(request.encode(), ("127.0.0.1", pbx_port))
    while True:
        data, _ = sock.recvfrom(65535)
        status = data.decode(errors="replace").split("\r\n", 1)[0]
        if status.startswith("SIP/2.0 ") and not status.startswith("SIP/2.0 1"):
            return status


@pytest.mark.parametrize("source", ["127.0.0.2", "127.0.0.1"])
async def test_an_invite_claiming_to_be_the_carrier_from_another_address_is_refused(
        report, lab, source):
    """From: carrier identifies nothing unless it comes from the carrier's address
    (127.0.0.1 is where the phones register from)."""
    mark = lab.probe.log.mark()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.settimeout(10)
        status = await asyncio.to_thread(_invite, sock, lab.ports.pbx_sip, "carrier")
    report(f"INVITE From: carrier from {source}: {status}")
    assert status.split()[1] in ("401", "403"), status
    # The real carrier (the phone simulator's carrier side) still gets in.
    channel_id = await lab.phones.customer_call("13800138090")
    joined = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "QueueCallerJoin" and m.get("Queue") == "frontline",
        since=mark, timeout=15)
    assert joined.get("Channel", "").startswith("PJSIP/carrier-")
    carrier = [m for m in lab.probe.log.since(mark) if m.get("Event") == "Newchannel"
               and m.get("Channel", "").startswith("PJSIP/carrier-")]
    assert len(carrier) == 1, [m.get("Channel") for m in carrier]
    await lab.phones.hangup(channel_id)
