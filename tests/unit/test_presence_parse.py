"""Seat presence from recorded AMI traffic of the real PBX (tests/fixtures/ami)."""

from pathlib import Path

from panoramisk.message import Message

from ari_app.asterisk.ami import AmiClient
from ari_app.asterisk.presence import DeskPresence, seat_from_event
from ari_app.desk.board import Board, DeviceState

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ami"
NOW = 1_795_929_300.0


def messages(name: str) -> list[Message]:
    raw = (FIXTURES / name).read_bytes().decode()
    out = []
    for block in raw.split("\r\n\r\n"):
        msg = Message.from_line(block.strip())
        if msg is not None:
            out.append(msg)
    return out


def presence() -> DeskPresence:
    # An AMI client that is never started: no connection, only the handlers.
    ami = AmiClient("127.0.0.1", 1, "u", "s")
    return DeskPresence(ami, Board("desk", [f"860{i}" for i in range(1, 7)]), wrapup=15,
                        clock=lambda: NOW)


def test_queuestatus_rows_become_six_free_seats():
    rows = [m for m in messages("queuestatus-desk.txt") if m.get("Event") == "QueueMember"]
    seats = [seat_from_event(r, NOW, 15) for r in rows]
    assert sorted(s.agent_id for s in seats) == ["8601", "8602", "8603", "8604", "8605", "8606"]
    assert all(s.in_queue and not s.paused and s.state is DeviceState.NOT_INUSE for s in seats)
    assert all(s.wrapup == 15 for s in seats)


def test_member_events_update_the_board_in_order():
    p = presence()
    rows = [m for m in messages("queuestatus-desk.txt") if m.get("Event") == "QueueMember"]
    p.board.replace_members([seat_from_event(r, NOW, 15) for r in rows], NOW)
    events = messages("member-events.txt")
    # 8602 paused for training.
    p.on_event(events[0])
    seat = p.board.get("8602")
    assert seat.paused and seat.paused_reason == "training" and not seat.ready(NOW)
    # 8601 rings busy (Status 3), then is free again.
    p.on_event(events[1])
    assert p.board.get("8601").state is DeviceState.BUSY
    assert not p.board.get("8601").ready(NOW)
    p.on_event(events[2])
    assert p.board.get("8601").ready(NOW)
    assert [s.agent_id for s in p.board.ready_seats(NOW)] == ["8601", "8603", "8604", "8605", "8606"]


def test_a_pause_is_dated_by_asterisks_stamp_as_a_resync_would_date_it():
    """The recorded pause says LastPause 1795929215; the controller hears it
    85 s later (a slow link): the seat is paused since Asterisk's second,
    the instant a resync after a restart reads from QueueStatus."""
    p = presence()
    rows = [m for m in messages("queuestatus-desk.txt") if m.get("Event") == "QueueMember"]
    p.board.replace_members([seat_from_event(r, NOW, 15) for r in rows], NOW)
    pause = messages("member-events.txt")[0]
    p.on_event(pause)
    assert p.board.get("8602").changed_at == 1795929215 == float(pause["LastPause"])
    # A stamp from the future (a PBX clock ahead of ours) is not believed.
    ahead = Message({**pause, "MemberName": "8603", "Interface": "PJSIP/8603",
                     "StateInterface": "PJSIP/8603", "LastPause": str(int(NOW) + 30)})
    p.on_event(ahead)
    assert p.board.get("8603").changed_at == NOW


def test_events_of_other_queues_are_ignored():
    p = presence()
    event = messages("member-events.txt")[0]
    event["Queue"] = "frontline"
    p.on_event(event)
    assert not p.board.get("8602").paused


def test_events_during_a_resync_are_held_not_applied():
    p = presence()
    p._held = []
    p.on_event(messages("member-events.txt")[0])
    assert len(p._held) == 1 and not p.board.get("8602").paused


def test_member_removed_leaves_the_queue():
    p = presence()
    rows = [m for m in messages("queuestatus-desk.txt") if m.get("Event") == "QueueMember"]
    p.board.replace_members([seat_from_event(r, NOW, 15) for r in rows], NOW)
    removed = Message({"Event": "QueueMemberRemoved", "Queue": "desk",
                       "Interface": "PJSIP/8605", "MemberName": "8605"})
    p.on_event(removed)
    assert not p.board.get("8605").in_queue
    assert "8605" not in [s.agent_id for s in p.board.ready_seats(NOW)]


def test_contact_and_device_events_track_registration():
    p = presence()
    p.on_event(Message({"Event": "ContactStatus", "ContactStatus": "Created",
                        "AOR": "8601", "EndpointName": "8601"}))
    assert p.board.get("8601").registered is True
    p.on_event(Message({"Event": "DeviceStateChange", "Device": "PJSIP/8601",
                        "State": "UNAVAILABLE"}))
    p.on_event(Message({"Event": "ContactStatus", "ContactStatus": "Removed",
                        "AOR": "8601", "EndpointName": "8601"}))
    seat = p.board.get("8601")
    assert seat.registered is False and seat.activity(NOW) == "unregistered"
    # A phone of no seat changes nothing.
    p.on_event(Message({"Event": "ContactStatus", "ContactStatus": "Created",
                        "AOR": "1001", "EndpointName": "1001"}))
    assert p.board.get("1001") is None


def test_queue_events_keep_the_registration():
    p = presence()
    p.on_event(Message({"Event": "ContactStatus", "ContactStatus": "Reachable",
                        "AOR": "8602", "EndpointName": "8602"}))
    p.on_event(messages("member-events.txt")[0])  # 8602 paused
    seat = p.board.get("8602")
    assert seat.registered is True and seat.activity(NOW) == "paused"


class RecordedAmi(AmiClient):
    """Answers QueueStatus from the recorded exchange; while the first read
    is in flight, a recorded member event arrives (as it can on a live link)."""

    def __init__(self, during_first_read: Message) -> None:
        super().__init__("127.0.0.1", 1, "u", "s")
        self.reads = 0
        self.during = during_first_read
        self.presence: DeskPresence | None = None

    async def rows(self, action, *, timeout=None):
        self.reads += 1
        rows = messages("queuestatus-desk.txt")
        if self.reads == 1:
            self.presence.on_event(self.during)  # held, not applied yet
            assert not self.presence.board.synced
        else:
            # Asterisk's second answer already reflects the pause.
            for r in rows:
                if r.get("Name") == "8602":
                    r["Paused"], r["PausedReason"] = "1", "training"
        return rows


async def test_resync_holds_events_and_reads_again_until_quiet():
    pause_8602 = messages("member-events.txt")[0]
    ami = RecordedAmi(pause_8602)
    p = DeskPresence(ami, Board("desk", [f"860{i}" for i in range(1, 7)]), wrapup=15,
                     clock=lambda: NOW)
    ami.presence = p
    await p.resync(ami)
    assert ami.reads == 2 and p.board.synced
    seat = p.board.get("8602")
    assert seat.paused and seat.paused_reason == "training"
    assert len(p.board.ready_seats(NOW)) == 5


async def test_link_lost_marks_the_board_stale():
    p = presence()
    p.board.synced = True
    p.on_link_lost()
    assert not p.board.synced


def _carrier_member(event: str = "QueueMemberAdded") -> Message:
    # What Asterisk reported when a transferred carrier call ran *861.
    return Message({"Event": event, "Queue": "desk", "MemberName": "carrier",
                    "Interface": "PJSIP/carrier", "StateInterface": "PJSIP/carrier",
                    "Membership": "dynamic", "Status": "1", "Paused": "0", "InCall": "0"})


def test_a_queue_member_that_is_not_a_configured_seat_is_ignored_and_logged_once(caplog):
    p = presence()
    rows = [m for m in messages("queuestatus-desk.txt") if m.get("Event") == "QueueMember"]
    p.board.replace_members([seat_from_event(r, NOW, 15) for r in rows], NOW)
    with caplog.at_level("WARNING"):
        p.on_event(_carrier_member())
        p.on_event(_carrier_member("QueueMemberStatus"))
    assert p.board.get("carrier") is None
    assert [s.agent_id for s in p.board] == [f"860{i}" for i in range(1, 7)]
    assert len(p.board.ready_seats(NOW)) == 6
    stray = [r for r in caplog.records if "PJSIP/carrier" in r.getMessage()]
    assert len(stray) == 1 and "not a configured seat" in stray[0].getMessage()
    # Once it left the queue, a new login is logged again.
    p.on_event(_carrier_member("QueueMemberRemoved"))
    with caplog.at_level("WARNING"):
        p.on_event(_carrier_member())
    assert len([r for r in caplog.records if "PJSIP/carrier" in r.getMessage()]) == 2


def test_a_resync_leaves_out_a_member_that_is_not_a_configured_seat(caplog):
    p = presence()
    rows = [m for m in messages("queuestatus-desk.txt") if m.get("Event") == "QueueMember"]
    stray = Message(dict(rows[0]))
    stray["Name"], stray["Location"], stray["StateInterface"] = (
        "carrier", "PJSIP/carrier", "PJSIP/carrier")
    with caplog.at_level("WARNING"):
        p._apply_snapshot(rows + [stray], None, NOW)
    assert p.board.get("carrier") is None
    assert len(p.board.ready_seats(NOW)) == 6
    assert any("PJSIP/carrier" in r.getMessage() for r in caplog.records)


def test_a_seat_name_on_another_channel_technology_is_not_the_seat():
    p = presence()
    p.on_event(Message({"Event": "QueueMemberAdded", "Queue": "desk", "MemberName": "8601",
                        "Interface": "SIP/8601", "Status": "1", "Paused": "0"}))
    assert not p.board.get("8601").in_queue
