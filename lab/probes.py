"""The lab's own AMI views of the two instances.

``PbxProbe`` reads the PBX's truth (channels, bridges, queue status, events)
with a test-only AMI user, so tests assert on Asterisk's state, not on the
controller's. ``Phones`` drives the phone simulator.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from panoramisk.message import Message

from ari_app.asterisk.ami import AmiClient


class EventLog:
    """Every AMI event seen, with a way to wait for one."""

    def __init__(self, ami: AmiClient) -> None:
        self.events: list[Message] = []
        self._changed = asyncio.Condition()
        ami.on_event("*", self._on_event)

    def _on_event(self, msg: Message) -> None:
        msg["_received"] = f"{time.monotonic():.6f}"
        self.events.append(msg)
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def mark(self) -> int:
        return len(self.events)

    def since(self, mark: int) -> list[Message]:
        return self.events[mark:]

    async def wait_for(self, match: Callable[[Message], bool], *, since: int = 0,
                       timeout: float = 20) -> Message:
        deadline = time.monotonic() + timeout
        seen = since
        async with self._changed:
            while True:
                for msg in self.events[seen:]:
                    if match(msg):
                        return msg
                seen = len(self.events)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise asyncio.TimeoutError("no matching AMI event")
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except asyncio.TimeoutError:
                    pass


class AmiView:
    """What both instances answer: their channels, and hanging them up."""

    def __init__(self, ami: AmiClient) -> None:
        self.ami = ami
        self.log = EventLog(ami)

    async def channels(self) -> list[Message]:
        rows = await self.ami.rows({"Action": "CoreShowChannels"})
        return [r for r in rows if r.get("Event") == "CoreShowChannel"]

    async def hangup_all(self) -> None:
        for ch in await self.channels():
            await self.ami.send({"Action": "Hangup", "Channel": ch["Channel"]})


class PbxProbe(AmiView):

    async def bridged_pairs(self) -> list[tuple[str, str]]:
        """Pairs of channel names that share a bridge, from CoreShowChannels."""
        by_bridge: dict[str, list[str]] = {}
        for ch in await self.channels():
            if ch.get("BridgeId"):
                by_bridge.setdefault(ch["BridgeId"], []).append(ch["Channel"])
        return [tuple(sorted(v)) for v in by_bridge.values() if len(v) == 2]

    async def wait_bridged(self, prefix_a: str, prefix_b: str, timeout: float = 30
                           ) -> tuple[str, str]:
        """Wait until a channel named ``prefix_a*`` shares a bridge with ``prefix_b*``."""
        deadline = time.monotonic() + timeout
        while True:
            for pair in await self.bridged_pairs():
                a = [c for c in pair if c.startswith(prefix_a)]
                b = [c for c in pair if c.startswith(prefix_b)]
                if a and b and a != b:
                    return a[0], b[0]
            if time.monotonic() > deadline:
                raise asyncio.TimeoutError(f"no bridge of {prefix_a}* with {prefix_b}*: "
                                           f"{await self.bridged_pairs()}")
            await asyncio.sleep(0.2)

    async def connected(self, prefix_a: str, prefix_b: str) -> bool:
        """Is a channel ``prefix_a*`` talking to a channel ``prefix_b*``, directly or
        through Local channel pairs (``...;1`` <-> ``...;2``)?"""
        channels = await self.channels()
        links: dict[str, set[str]] = {c["Channel"]: set() for c in channels}
        by_bridge: dict[str, list[str]] = {}
        for ch in channels:
            if ch.get("BridgeId"):
                by_bridge.setdefault(ch["BridgeId"], []).append(ch["Channel"])
            if ch["Channel"].startswith("Local/") and ch["Channel"][-2:] in (";1", ";2"):
                other = ch["Channel"][:-1] + ("2" if ch["Channel"].endswith("1") else "1")
                if other in links:
                    links[ch["Channel"]].add(other)
        for members in by_bridge.values():
            for a in members:
                links[a].update(m for m in members if m != a)
        starts = [c for c in links if c.startswith(prefix_a)]
        seen, todo = set(starts), list(starts)
        while todo:
            for nxt in links[todo.pop()]:
                if nxt.startswith(prefix_b):
                    return True
                if nxt not in seen and nxt.startswith("Local/"):
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    async def wait_connected(self, prefix_a: str, prefix_b: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not await self.connected(prefix_a, prefix_b):
            if time.monotonic() > deadline:
                raise asyncio.TimeoutError(f"{prefix_a}* never talked to {prefix_b}*: "
                                           f"{await self.bridged_pairs()}")
            await asyncio.sleep(0.2)

    async def pause(self, seats, paused: bool = True, reason: str = "break", *,
                    queue: str = "desk", check: bool = True) -> None:
        """Pause (or unpause) ``seats`` in ``queue`` as Asterisk's own action
        would; ``check=False`` ignores refusals (a seat not logged in)."""
        for seat in seats:
            action = {"Action": "QueuePause", "Queue": queue, "Interface": f"PJSIP/{seat}",
                      "Paused": "true" if paused else "false",
                      "Reason": reason if paused else ""}
            await (self.ami.command(action) if check else self.ami.send(action))

    async def queue_members(self, queue: str) -> list[Message]:
        rows = await self.ami.rows({"Action": "QueueStatus", "Queue": queue})
        return [r for r in rows if r.get("Event") == "QueueMember"]

    async def device_state(self, device: str) -> str:
        """Asterisk's state of ``device`` (``NOT_INUSE``, ``UNAVAILABLE`` ...)."""
        reply = await self.ami.command({"Action": "Getvar",
                                        "Variable": f"DEVICE_STATE({device})"})
        return reply.get("Value", "")

    async def dialog(self, channel: str) -> dict[str, str]:
        """The SIP dialog of PJSIP ``channel`` as the PBX holds it: Call-ID,
        its own tag and URI (local) and the far end's (remote)."""
        out = {}
        for name in ("call-id", "local_tag", "remote_tag", "local_uri", "remote_uri"):
            reply = await self.ami.send({"Action": "Getvar", "Channel": channel,
                                         "Variable": f"CHANNEL(pjsip,{name})"})
            out[name] = reply.get("Value", "")
        return out

    async def contacts(self) -> list[Message]:
        rows = await self.ami.rows({"Action": "PJSIPShowContacts"})
        return [r for r in rows if r.get("Event") == "ContactList"]


class Phones(AmiView):
    """The phone simulator: script each phone, place customer calls."""

    async def on_ring(self, number: str, behaviour: str) -> None:
        """What ``number`` does when rung (see tests/phonesim/README.md)."""
        await self.ami.command({"Action": "DBPut", "Family": "phone",
                                "Key": f"{number}/on_ring", "Val": behaviour})

    async def reset(self, *numbers: str) -> None:
        for number in numbers:
            await self.ami.send({"Action": "DBDel", "Family": "phone", "Key": f"{number}/on_ring"})

    async def customer_call(self, caller: str, to: str = "10086", *,
                            channel_id: str | None = None) -> str:
        """A customer with number ``caller`` calls ``to`` at the PBX; returns our
        channel id. Returns once the PBX answered (the Originate's answer)."""
        channel_id = channel_id or f"customer-{caller}-{uuid.uuid4().hex[:8]}"
        await self.ami.command({
            "Action": "Originate", "Channel": f"PJSIP/{to}@carrier-out",
            "CallerID": f"\"Customer\" <{caller}>", "Context": "customer", "Exten": "s",
            "Priority": "1", "Timeout": "30000", "ChannelId": channel_id, "Async": "true"},
            timeout=35)
        return channel_id

    async def dial(self, phone: str, number: str, *, hold: float = 5) -> str:
        """Phone ``phone`` dials ``number`` at the PBX (a feature code, say) and
        stays on the line up to ``hold`` seconds; returns our channel id."""
        channel_id = f"phone-{phone}-{uuid.uuid4().hex[:8]}"
        await self.ami.command({
            "Action": "Originate", "Channel": f"PJSIP/{number}@phone-{phone}",
            "Application": "Wait", "Data": str(hold), "Timeout": "10000",
            "ChannelId": channel_id, "Async": "true"}, timeout=15)
        return channel_id

    async def dtmf(self, channel_id: str, digits: str, *, gap: float = 0.25) -> None:
        """Key ``digits`` on a phone's call (RFC 4733 DTMF towards the PBX)."""
        for digit in digits:
            await self.ami.command({"Action": "PlayDTMF", "Channel": channel_id,
                                    "Digit": digit, "Duration": "120"})
            await asyncio.sleep(gap)

    async def call_of(self, phone: str) -> str:
        """The simulator's channel of the call the PBX put through to ``phone``
        (a number it rang: a seat, a frontline phone or a customer)."""
        for ch in await self.channels():
            reply = await self.ami.send({"Action": "Getvar", "Channel": ch["Channel"],
                                         "Variable": "PHONE"})
            if reply.get("Value") == phone:
                return ch["Channel"]
        raise LookupError(f"no call to {phone} on the phone simulator")

    async def refer(self, channel: str, refer_to: str) -> None:
        """The phone whose call is ``channel`` (on the simulator) presses
        transfer: a REFER into that call with ``Refer-To: <refer_to>``."""
        await self.ami.command({"Action": "Setvar", "Channel": channel,
                                "Variable": "REFER_TO", "Value": refer_to})
        await self.ami.command({"Action": "Redirect", "Channel": channel,
                                "Context": "phone-refer", "Exten": "s", "Priority": "1"})

    async def hangup(self, channel_id: str) -> Any:
        return await self.ami.send({"Action": "Hangup", "Channel": channel_id})
