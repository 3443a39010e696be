"""Call scenarios played over real SIP, shared by the demo and the tests.

Each returns what Asterisk itself reported (AMI events of the PBX, bridges
from CoreShowChannels), never what the controller says about itself.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from panoramisk.message import Message

from .stack import FRONTLINE, Stack


@dataclass
class Transfer:
    customer: str
    target: str
    customer_channel: str = ""      # on the PBX
    customer_uniqueid: str = ""     # its Uniqueid (the controller's ARI channel id)
    phone_channel: str = ""         # the customer's own handset, on the phone simulator
    transferer_channel: str = ""
    route: str = ""                 # DESK_ROUTE as set on the customer's channel
    events: list[Message] = field(default_factory=list)
    mark: int = 0                   # the probe log's length before the customer called
    log_offset: int = 0             # the PBX log's size then (see ``played``)
    phones_mark: int = 0            # the same for the phone simulator's log


def _is(event: str, **headers: str):
    def match(msg: Message) -> bool:
        return msg.get("Event") == event and all(
            msg.get(k, "").startswith(v) for k, v in headers.items())
    return match


async def customer_transferred(lab: Stack, *, customer: str = "13800138000",
                               target: str = "8600", timeout: float = 30,
                               say=lambda _text: None) -> Transfer:
    """A customer calls the service number; the frontline agent who answers
    presses transfer to ``target`` (a SIP REFER from the phone). Returns once
    the PBX has set the desk route on the customer's channel."""
    assert lab.phones is not None and lab.probe is not None
    result = Transfer(customer, target)
    log = lab.probe.log
    mark = result.mark = log.mark()
    if lab.pbx is not None and lab.pbx.log_file.exists():
        result.log_offset = lab.pbx.log_file.stat().st_size
    result.phones_mark = lab.phones.log.mark()
    for phone in FRONTLINE:
        await lab.phones.on_ring(phone, f"transfer:{target}")
    say(f"customer {customer} calls the service number 10086")
    result.phone_channel = await lab.phones.customer_call(customer)
    answered = await log.wait_for(_is("AgentConnect", Queue="frontline"), since=mark,
                                  timeout=timeout)
    say(f"frontline agent {answered.get('MemberName')} answers, hears it is a data-service "
        f"question and presses transfer to {target}")
    blind = await log.wait_for(_is("BlindTransfer"), since=mark, timeout=timeout)
    result.customer_channel = blind.get("TransfereeChannel", "")
    result.customer_uniqueid = blind.get("TransfereeUniqueid", "")
    result.transferer_channel = blind.get("TransfererChannel", "")
    say(f"the PBX takes the REFER: {result.customer_channel} is blind-transferred to "
        f"{blind.get('Extension')}@{blind.get('Context')} ({blind.get('Result')})")
    routed = await log.wait_for(
        lambda m: _is("VarSet", Channel=result.customer_channel)(m)
        and m.get("Variable") == "DESK_ROUTE", since=mark, timeout=timeout)
    result.route = routed.get("Value", "")
    say(f"desk route for the customer: {result.route}")
    result.events = log.since(mark)
    return result


# The line the PBX logs for each sound it plays (messages.log has verbose(3):
# asterisk-conf/logger.conf), naming the channel, the file with the format
# Asterisk chose and the language it looked in.
PLAYING = re.compile(r"<(?P<chan>[^>]+)> Playing '(?P<file>[^']+)' \(language '(?P<lang>[^']*)'\)")


def played(log: Path, since: int, channel: str) -> list[tuple[str, str]]:
    """(file with extension, language) Asterisk played on ``channel``, read
    from its log ``log`` from byte ``since`` on."""
    with log.open("rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    return [(m["file"], m["lang"]) for m in PLAYING.finditer(text) if m["chan"] == channel]


async def wait_played(log: Path, since: int, channel: str, name: str,
                      timeout: float = 30) -> None:
    """Until Asterisk has started playing the sound ``name`` (no extension)
    on ``channel``: the caller hears it now."""
    deadline = time.monotonic() + timeout
    while not any(f.rsplit(".", 1)[0] == name for f, _ in played(log, since, channel)):
        assert time.monotonic() < deadline, played(log, since, channel)
        await asyncio.sleep(0.05)


async def in_capture(lab: Stack, transfer: Transfer, *, prompt: str = "tt-allbusy",
                     since: int | None = None, timeout: float = 30) -> None:
    """Until the caller of ``transfer`` hears ``prompt`` (the capture's busy
    message unless told): from then on the capture takes every key pressed.
    ``since``: the PBX log offset to look from (for a capture started again
    after a restart); the transfer's start unless told."""
    assert lab.pbx is not None
    await wait_played(lab.pbx.log_file, transfer.log_offset if since is None else since,
                      transfer.customer_channel, prompt, timeout)


async def phone_told(lab: Stack, transfer: Transfer, timeout: float = 30) -> str:
    """What the transferring phone (an Asterisk of the simulator) was told by
    the final NOTIFY of its REFER: the status code, "0" for any 2xx
    (``Transfer()``'s TRANSFERSTATUSPROTOCOL)."""
    assert lab.phones is not None
    told = await lab.phones.log.wait_for(
        lambda m: m.get("Event") == "VarSet" and m.get("Variable") == "TRANSFERSTATUSPROTOCOL",
        since=transfer.phones_mark, timeout=timeout)
    return told.get("Value", "")


async def seat_ready(lab: Stack, agent_id: str, timeout: float = 10) -> None:
    """Until the controller's board has the seat ready: a seat that answered
    the previous test's call may still be in its wrap-up, and a transfer to
    it by name would rightly go to the group instead."""
    assert lab.controller is not None
    deadline = time.monotonic() + timeout
    while True:
        seats = {s["agent_id"]: s for s in (await lab.controller.get("/api/seats"))["seats"]}
        if seats[agent_id]["ready"]:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"seat {agent_id} never ready: {seats[agent_id]}")
        await asyncio.sleep(0.1)


async def specialist_answers(lab: Stack, transfer: Transfer, *, timeout: float = 30,
                             say=lambda _text: None) -> tuple[str, str]:
    """Wait until the customer's channel shares a bridge with a desk seat."""
    assert lab.probe is not None
    pair = await lab.probe.wait_bridged(transfer.customer_channel, "PJSIP/86", timeout=timeout)
    say(f"bridged in Asterisk: {pair[0]} <-> {pair[1]}")
    return pair


async def board_mismatches(lab: Stack, seats: tuple[str, ...]) -> list[str]:
    """Where the controller's board and Asterisk's QueueStatus disagree (empty: equal)."""
    assert lab.probe is not None and lab.controller is not None
    truth = {m["Name"]: m for m in await lab.probe.queue_members("desk")}
    board = {s["agent_id"]: s for s in (await lab.controller.get("/api/seats"))["seats"]}
    states = {"0": "unknown", "1": "not_inuse", "2": "inuse", "3": "busy", "5": "unavailable",
              "6": "ringing", "7": "ringinuse", "8": "onhold"}
    out = []
    for agent_id in seats:
        seat, member = board[agent_id], truth.get(agent_id)
        if seat["in_queue"] != (member is not None):
            out.append(f"{agent_id}: in_queue {seat['in_queue']} vs Asterisk {member is not None}")
            continue
        if member is None:
            continue
        for ours, theirs in ((seat["paused"], member["Paused"] == "1"),
                             (seat["paused_reason"], member["PausedReason"]),
                             (seat["state"], states.get(member["Status"], member["Status"]))):
            if ours != theirs:
                out.append(f"{agent_id}: {ours!r} vs Asterisk {theirs!r}")
    return out
