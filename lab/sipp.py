"""A phone that is not an Asterisk: SIPp playing a scenario of tests/sipp/.

The phone simulator's phones are Asterisk, which always waits for a
transfer's outcome; real phones often do not. ``SippPhone`` registers a
phone's account from its own UDP port (digest auth, as a phone does) and
then lets SIPp answer on that port; ``frontline_sipp`` makes it the only
frontline phone customers reach, as the lab's SIPp phone (one the simulator
never registers, so none of its registrations can take SIPp's place). SIPp is our child process, stopped by its pid. ``notifies`` reads
what the phone was told about its transfer from SIPp's message log.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from .configs import SIPP_PHONE
from .paths import SIPP_SCENARIOS
from .ports import free_port
from .stack import FRONTLINE

SCENARIOS = SIPP_SCENARIOS


class SippError(RuntimeError):
    """SIPp is missing, or a registration was refused."""


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # SIP digest (RFC 2617), not security


def _digest(challenge: str, user: str, password: str, uri: str) -> str:
    fields = dict(part.strip().split("=", 1) for part in challenge.split(" ", 1)[1].split(",")
                  if "=" in part)
    fields = {k: v.strip('"') for k, v in fields.items()}
    realm, nonce = fields["realm"], fields["nonce"]
    ha1, ha2 = _md5(f"{user}:{realm}:{password}"), _md5(f"REGISTER:{uri}")
    header = f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}"'
    if "qop" in fields:
        cnonce = secrets.token_hex(8)
        response = _md5(f"{ha1}:{nonce}:00000001:{cnonce}:auth:{ha2}")
        header += f', qop=auth, nc=00000001, cnonce="{cnonce}"'
    else:
        response = _md5(f"{ha1}:{nonce}:{ha2}")
    header += f', response="{response}", algorithm=MD5'
    if "opaque" in fields:
        header += f', opaque="{fields["opaque"]}"'
    return header


def register(user: str, password: str, pbx_port: int, local_port: int,
             expires: int = 300) -> None:
    """Register ``user`` at the PBX with Contact = 127.0.0.1:``local_port``,
    sent from that port (the PBX rewrites contacts to the source address)."""
    uri = f"sip:127.0.0.1:{pbx_port}"
    call_id, tag = secrets.token_hex(8), secrets.token_hex(4)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", local_port))
        sock.settimeout(5)
        auth = ""
        for cseq in (1, 2):
            request = (
                f"REGISTER {uri} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{secrets.token_hex(6)}"
                ";rport\r\nMax-Forwards: 70\r\n"
                f"From: <sip:{user}@127.0.0.1:{pbx_port}>;tag={tag}\r\n"
                f"To: <sip:{user}@127.0.0.1:{pbx_port}>\r\n"
                f"Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n"
                f"Contact: <sip:{user}@127.0.0.1:{local_port}>\r\nExpires: {expires}\r\n"
                f"{auth}Content-Length: 0\r\n\r\n")
            sock.sendto(request.encode(), ("127.0.0.1", pbx_port))
            while True:
                reply = sock.recvfrom(65535)[0].decode(errors="replace")
                status = reply.split("\r\n", 1)[0]
                if f"CSeq: {cseq} REGISTER" in reply and not status.startswith("SIP/2.0 1"):
                    break
            if status.startswith("SIP/2.0 200"):
                return
            challenge = next((line.split(":", 1)[1].strip() for line in reply.split("\r\n")
                              if line.lower().startswith("www-authenticate:")), None)
            if not status.startswith("SIP/2.0 401") or challenge is None:
                break
            auth = f"Authorization: {_digest(challenge, user, password, uri)}\r\n"
    raise SippError(f"registration of {user} refused: {status}")


class SippPhone:
    """SIPp answering as phone ``user`` on 127.0.0.1:``port``."""

    def __init__(self, scenario: str, user: str, port: int, keys: dict[str, str]) -> None:
        if shutil.which("sipp") is None:
            raise SippError("sipp is not installed (Debian package sip-tester: make deps)")
        self.scenario = SCENARIOS / scenario
        self.user, self.port, self.keys = user, port, keys
        self.dir = Path(tempfile.mkdtemp(prefix="datadesk-sipp-"))
        self.messages = self.dir / "messages.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        args = ["sipp", "-sf", str(self.scenario), "-i", "127.0.0.1", "-p", str(self.port),
                "-nostdin", "-aa", "-timeout", "120", "-key", "user", self.user,
                "-trace_msg", "-message_file", str(self.messages),
                "-trace_err", "-error_file", str(self.dir / "errors.log")]
        for key, value in self.keys.items():
            args += ["-key", key, value]
        out = (self.dir / "sipp.out").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            *args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
        out.close()

    def log(self) -> str:
        return self.messages.read_text(errors="replace") if self.messages.exists() else ""

    async def stop(self) -> None:
        proc = self.process
        if proc is not None and proc.returncode is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except asyncio.TimeoutError:
                os.kill(proc.pid, signal.SIGKILL)
                await proc.wait()

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


_RECEIVED = re.compile(r"message received \[\d+\] bytes :\s*\n(.*?)(?=\n-{20,}|\Z)", re.S)


def notifies(log: str) -> list[tuple[str, str]]:
    """(Subscription-State, sipfrag status line) of every NOTIFY the phone
    received, in order, e.g. ``("terminated;reason=noresource", "SIP/2.0 486
    Busy Here")``: what the PBX told the phone about its REFER."""
    out = []
    for message in _RECEIVED.findall(log):
        if not message.startswith("NOTIFY "):
            continue
        head, _, body = message.replace("\r\n", "\n").partition("\n\n")
        state = next((line.split(":", 1)[1].strip() for line in head.split("\n")
                      if line.lower().startswith("subscription-state:")), "")
        out.append((state, body.strip().split("\n", 1)[0]))
    return out


@asynccontextmanager
async def frontline_sipp(lab: Any, scenario: str,
                         keys: dict[str, str]) -> AsyncIterator[SippPhone]:
    """SIPp as the lab's SIPp phone (``SIPP_PHONE``, which the simulator never
    registers) from a port of its own, put in the frontline queue with the
    simulator's frontline phones paused there, so customers reach SIPp;
    afterwards it leaves the queue, its registration is withdrawn and the
    others are unpaused, also when the body fails. ``lab`` is a ``Stack``."""
    user, password = SIPP_PHONE, lab.keys.sipp_phone
    port = free_port()
    phone = SippPhone(scenario, user, port, keys)
    await lab.probe.pause(FRONTLINE, queue="frontline")
    try:
        await asyncio.to_thread(register, user, password, lab.ports.pbx_sip, port)
        await lab.probe.ami.command({"Action": "QueueAdd", "Queue": "frontline",
                                     "Interface": f"PJSIP/{user}", "MemberName": user},
                                    as_list=False)
        await phone.start()
        yield phone
    finally:
        await phone.stop()
        await lab.probe.ami.send({"Action": "QueueRemove", "Queue": "frontline",
                                  "Interface": f"PJSIP/{user}"})
        await lab.probe.pause(FRONTLINE, paused=False, queue="frontline", check=False)
        await asyncio.to_thread(register, user, password, lab.ports.pbx_sip, port, 0)
        phone.remove()
