"""The controller's AMI framing and dispatch, on recorded bytes."""

from __future__ import annotations

import asyncio

import pytest

from ari_app.asterisk.ami_framing import _Session

BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def session(loop: asyncio.AbstractEventLoop) -> _Session:
    return _Session(loop.create_future(), loop=loop, host="127.0.0.1", port=1)


class _Transport:
    def write(self, _data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


def feed(s: _Session, *chunks: bytes):
    protocol = s.config["protocol_factory"]()
    protocol.connection_made(_Transport())
    protocol.factory = s
    for chunk in chunks:
        protocol.data_received(chunk)
    return protocol


def event(name: str, **headers: str) -> bytes:
    lines = [f"Event: {name}"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def test_only_events_with_a_handler_are_parsed_and_dispatched():
    s = session(asyncio.get_running_loop())
    got: list[str] = []
    s.register_event("QueueMemberPause", lambda _m, msg: got.append(msg["Interface"]))
    s.register_event("Agent*", lambda _m, msg: got.append(msg["Event"]))
    protocol = feed(s, BANNER, event("Newchannel", Channel="PJSIP/x"),
                    event("QueueMemberPause", Interface="PJSIP/8601", Paused="1"),
                    event("AgentConnect", Queue="desk"), event("BridgeEnter"))
    assert got == ["PJSIP/8601", "AgentConnect"]
    assert protocol.version == "11.0.0"
    assert s.wants("AgentComplete") and not s.wants("Newchannel")
    assert s.wants("Shutdown")  # the session must always see Asterisk going away


async def test_an_answer_to_an_action_is_parsed_even_without_a_handler():
    s = session(asyncio.get_running_loop())
    protocol = feed(s, BANNER)
    future = protocol.send({"Action": "QueueStatus", "Queue": "desk"}, as_list=True)
    action_id = next(iter(protocol.responses))
    feed_more = (f"Response: Success\r\nActionID: {action_id}\r\nEventList: start\r\n"
                 "Message: Queue status will follow\r\n\r\n"
                 f"Event: QueueMember\r\nActionID: {action_id}\r\nName: 8601\r\n\r\n"
                 f"Event: QueueStatusComplete\r\nActionID: {action_id}\r\n"
                 "EventList: Complete\r\n\r\n").encode()
    protocol.data_received(feed_more)
    rows = await asyncio.wait_for(future, 1)
    assert [r.get("Event") for r in rows][1:] == ["QueueMember", "QueueStatusComplete"]


@pytest.mark.parametrize("cut", [1, 2, 7, 40])
async def test_a_caller_name_split_across_reads_keeps_its_characters(cut):
    s = session(asyncio.get_running_loop())
    names: list[str] = []
    s.register_event("AgentConnect", lambda _m, msg: names.append(msg["CallerIDName"]))
    raw = event("AgentConnect", CallerIDName="张伟 Zhang")
    at = raw.index("张".encode()) + cut % 3 + (cut // 3)
    feed(s, BANNER, raw[:at], raw[at:])
    assert names == ["张伟 Zhang"]


async def test_a_message_split_anywhere_is_dispatched_once():
    s = session(asyncio.get_running_loop())
    seen: list[str] = []
    s.register_event("QueueMemberStatus", lambda _m, msg: seen.append(msg["Status"]))
    raw = BANNER + event("QueueMemberStatus", Status="2") + event("QueueMemberStatus", Status="1")
    for i in range(1, len(raw)):
        seen.clear()
        feed(s, raw[:i], raw[i:])
        assert seen == ["2", "1"], f"split at byte {i}"
