"""The desk's figures: derived from counters (service level, abandon rate and
wait, speed of answer, handle time), counted from recorded shapes of
Asterisk's events (queue calls, named seats, abandons by where, callback
legs, pauses by reason), and the pause reasons' codes."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ari_app.asterisk.desk_calls import DeskCalls, seconds
from ari_app.desk.board import Board
from ari_app.desk.figures import per_seat, service_level_colour, summary
from ari_app.desk.pauses import PauseLedger, by_day, reason_code
from tests.fakes.ami import FakeAmi
from tests.fakes.ari import FakeAri

ZONE = ZoneInfo("Asia/Shanghai")


class Counts:
    """What ``DeskStats.count`` was asked, summed (day fields and seat fields)."""

    zone = ZONE

    def __init__(self) -> None:
        self.total: dict[str, int] = {}
        self.days: dict[str, date] = {}

    async def count(self, amounts, when=None, *, hourly=True):
        for field, amount in amounts.items():
            self.total[field] = self.total.get(field, 0) + amount
            if when is not None:
                self.days[field] = when.date()


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def desk(service_level: int = 20):
    ami, ari, counts, clock = FakeAmi(), FakeAri(), Counts(), Clock()
    board = Board("desk", ["8601", "8602"])
    board.change("8601", clock.now, in_queue=True, wrapup=15)
    calls = DeskCalls(ami, ari, board, counts, service_level, clock=clock)
    calls.counting = True
    calls.pauses = PauseLedger(frozenset({"lunch", "break", "other"}))
    return calls, ami, ari, counts, clock


async def transferred(ari: FakeAri, *uids: str, to: str = "group") -> None:
    """The routing application takes each of ``uids``, transferred to ``to``."""
    for uid in uids:
        await ari.emit({"type": "StasisStart", "args": ["route", to, "", ""],
                        "channel": {"id": uid}})


async def settle(calls: DeskCalls) -> None:
    """Let the counting tasks run to their end."""
    for _ in range(10):
        if not len(calls.tasks):
            return
        await asyncio.sleep(0)
    raise AssertionError("counting tasks still running")


def test_the_figures_of_a_day_from_its_counters():
    day = summary({"transfers": 10, "offered": 8, "answered": 6, "answered_in_sl": 4,
                   "wait_seconds": 90, "completed": 6, "talk_seconds": 600, "wrapup_seconds": 90,
                   "abandoned_queue": 1, "abandoned_queue_seconds": 40,
                   "abandoned_capture": 1, "abandoned_capture_seconds": 20})
    assert day["service_level_percent"] == 50.0           # 4 of the 8 offered
    assert day["abandoned"] == 2 and day["abandoned_percent"] == 20.0
    assert day["abandoned_wait_seconds"] == 30.0 and day["abandoned_queue_wait_seconds"] == 40
    assert day["average_speed_of_answer_seconds"] == 15.0
    assert day["average_talk_seconds"] == 100.0 and day["average_handle_seconds"] == 115.0
    assert day["target_handle_seconds"] == 148


def test_nothing_measured_is_none_not_zero():
    day = summary({})
    for key in ("service_level_percent", "abandoned_percent", "abandoned_wait_seconds",
                "average_speed_of_answer_seconds", "average_handle_seconds"):
        assert day[key] is None, key


def test_the_service_level_colour_is_the_settings():
    colours = {"green": 80, "amber": 60}
    assert service_level_colour(80.0, colours) == "green"
    assert service_level_colour(79.9, colours) == "amber"
    assert service_level_colour(59.9, colours) == "red"
    assert service_level_colour(None, colours) == "none"


async def test_queue_calls_within_and_after_the_service_level_and_their_seat():
    calls, ami, _, counts, _ = desk()
    for hold in ("20", "21"):
        ami.emit({"Event": "AgentConnect", "Queue": "desk", "Channel": "PJSIP/carrier-1",
                  "Uniqueid": "u" + hold, "Interface": "PJSIP/8601", "HoldTime": hold})
    await settle(calls)
    # The service level counts when a seat answers, while the calls go on.
    assert counts.total == {"answered": 2, "answered_in_sl": 1, "wait_seconds": 41}
    for hold, talk in (("20", "30"), ("21", "50")):
        ami.emit({"Event": "AgentComplete", "Queue": "desk", "Channel": "PJSIP/carrier-1",
                  "Uniqueid": "u" + hold, "Interface": "PJSIP/8601", "HoldTime": hold,
                  "TalkTime": talk})
    await settle(calls)
    t = counts.total
    assert (t["completed"], t["talk_seconds"], t["wrapup_seconds"]) == (2, 80, 30)
    assert t["seat:8601:live"] == 2 and t["seat:8601:talk_seconds"] == 80


async def test_a_callback_leg_counts_for_its_seat_not_as_a_live_call():
    calls, ami, _, counts, _ = desk()
    ami.emit({"Event": "AgentConnect", "Queue": "desk",
              "Channel": "Local/s@desk-callback-seat-1;2",
              "Interface": "PJSIP/8601", "HoldTime": "2"})
    ami.emit({"Event": "AgentComplete", "Queue": "desk", "Channel": "Local/s@desk-callback-seat-1;2",
              "Interface": "PJSIP/8601", "HoldTime": "2", "TalkTime": "70"})
    await settle(calls)
    assert counts.total == {"seat:8601:callbacks": 1, "seat:8601:talk_seconds": 70}


async def test_a_caller_who_hangs_up_in_the_queue_is_abandoned_one_who_times_out_is_not():
    calls, ami, ari, counts, clock = desk()
    await transferred(ari, "gone", "timed-out")
    clock.now += 12
    for uid in ("gone", "timed-out"):
        ami.emit({"Event": "QueueCallerAbandon", "Queue": "desk", "Channel": "PJSIP/c-" + uid,
                  "Uniqueid": uid, "HoldTime": "12"})
    ami.emit({"Event": "Hangup", "Uniqueid": "gone", "Context": "desk-queue"})
    # The other went on to the capture and hung up there, later, with a callback stored.
    ami.emit({"Event": "Hangup", "Uniqueid": "timed-out", "Context": "desk-callback"})
    await settle(calls)
    assert counts.total == {"abandoned_queue": 1, "abandoned_queue_seconds": 12}


async def test_abandoned_in_the_capture_counts_the_wait_since_the_transfer():
    calls, _, ari, counts, clock = desk()
    await transferred(ari, "c1")
    clock.now += 30
    calls.abandoned_in_capture("c1", started=clock.now - 5)
    calls.abandoned_in_capture("unknown", started=clock.now - 7)
    await settle(calls)
    assert counts.total == {"abandoned_capture": 2, "abandoned_capture_seconds": 37}


async def test_abandoned_before_routing_and_while_a_named_seat_rang():
    calls, ami, ari, counts, clock = desk()
    await transferred(ari, "r", "s", to="8601")
    ami.emit({"Event": "Hangup", "Uniqueid": "r", "Context": "desk-route"})
    ami.emit({"Event": "DialBegin", "Uniqueid": "s", "Context": "desk-seat"})
    clock.now += 6
    ami.emit({"Event": "DialEnd", "Uniqueid": "s", "Context": "desk-seat",
              "DestChannel": "PJSIP/8601-9", "DialStatus": "CANCEL"})
    ami.emit({"Event": "Hangup", "Uniqueid": "s", "Context": "desk-seat"})
    await settle(calls)
    assert counts.total == {"abandoned_routing": 1, "abandoned_routing_seconds": 0,
                            "abandoned_queue": 1, "abandoned_queue_seconds": 6}


async def test_a_named_seat_answer_and_one_that_rang_out_before_the_queue_answered():
    calls, ami, ari, counts, clock = desk()
    await transferred(ari, "a", to="8601")
    ami.emit({"Event": "DialBegin", "Uniqueid": "a", "Context": "desk-seat"})
    clock.now += 4
    ami.emit({"Event": "DialEnd", "Uniqueid": "a", "Context": "desk-seat",
              "DestChannel": "PJSIP/8601-1", "DialStatus": "ANSWER"})
    clock.now += 60
    ami.emit({"Event": "Hangup", "Uniqueid": "a", "Context": "desk-seat"})
    ami.emit({"Event": "DialBegin", "Uniqueid": "b", "Context": "desk-seat"})
    clock.now += 15
    ami.emit({"Event": "DialEnd", "Uniqueid": "b", "Context": "desk-seat",
              "DestChannel": "PJSIP/8601-2", "DialStatus": "NOANSWER"})
    ami.emit({"Event": "AgentConnect", "Queue": "desk", "Channel": "PJSIP/c-b", "Uniqueid": "b",
              "Interface": "PJSIP/8601", "HoldTime": "10"})
    ami.emit({"Event": "AgentComplete", "Queue": "desk", "Channel": "PJSIP/c-b", "Uniqueid": "b",
              "Interface": "PJSIP/8601", "HoldTime": "10", "TalkTime": "5"})
    await settle(calls)
    t = counts.total
    assert t["answered"] == 2 and t["answered_in_sl"] == 1   # 4 s; 15 + 10 s
    assert t["wait_seconds"] == 29 and t["talk_seconds"] == 65 and t["completed"] == 2
    assert t["seat:8601:live"] == 2


async def test_a_standby_counts_nothing():
    calls, ami, _, counts, _ = desk()
    calls.counting = False
    ami.emit({"Event": "AgentConnect", "Queue": "desk", "Channel": "PJSIP/c-1",
              "Interface": "PJSIP/8601", "HoldTime": "1"})
    ami.emit({"Event": "AgentComplete", "Queue": "desk", "Channel": "PJSIP/c-1",
              "Interface": "PJSIP/8601", "HoldTime": "1", "TalkTime": "5"})
    await settle(calls)
    assert counts.total == {}


def test_hostile_durations_count_as_nothing():
    for value in ("-3", "1.5", "²", "9" * 30, "", None, "12\r\nAction: x"):
        assert seconds(value) == 0, value
    assert seconds("42") == 42


async def test_pauses_by_reason_code_an_unknown_reason_is_other():
    calls, _, _, counts, clock = desk()
    board = calls.board
    seat = board.change("8601", clock.now, paused=True, paused_reason="lunch")
    calls.seat_changed(seat)
    clock.now += 600
    seat = board.change("8601", clock.now, paused=True, paused_reason="Free text\r\n")
    calls.seat_changed(seat)
    clock.now += 60
    seat = board.change("8601", clock.now, paused=False, paused_reason="")
    calls.seat_changed(seat)
    await settle(calls)
    assert counts.total == {"seat:8601:pause:lunch": 600, "seat:8601:pause:other": 60}
    assert reason_code("lunch", {"lunch"}) == "lunch" and reason_code("x", {"lunch"}) == "other"


def test_a_pause_over_midnight_is_cut_at_the_desks_midnight():
    start = datetime(2026, 12, 7, 23, 50, tzinfo=ZONE).timestamp()
    end = datetime(2026, 12, 8, 0, 20, tzinfo=ZONE).timestamp()
    assert by_day(start, end, ZONE) == [(date(2026, 12, 7), 600), (date(2026, 12, 8), 1200)]


def test_a_pause_under_way_counts_only_todays_part():
    ledger = PauseLedger(frozenset({"break"}))
    ledger.seen("8601", True, "break", since=100.0, now=150.0)
    assert ledger.ongoing("8601", now=400.0, day_start=300.0) == ("break", 100.0)
    assert ledger.ongoing("8602", now=400.0, day_start=300.0) is None


def test_per_seat_figures_from_a_days_counters():
    raw = {"seat:8601:live": 3, "seat:8601:talk_seconds": 400, "seat:8601:pause:lunch": 1800,
           "seat:86010:live": 9, "answered": 3}
    seats = per_seat(raw, ["8601", "8602"])
    assert seats["8601"] == {"live": 3, "callbacks": 0, "talk_seconds": 400,
                             "pause_seconds": {"lunch": 1800}}
    assert seats["8602"]["live"] == 0


def test_talk_and_handle_times_divide_by_the_calls_that_ended():
    # One call still going: its answer counts, its talk not yet.
    assert summary({"answered": 3, "completed": 2, "talk_seconds": 200})[
        "average_talk_seconds"] == 100.0
    # A day kept before calls were counted at their end.
    assert summary({"answered": 2, "talk_seconds": 200})["average_talk_seconds"] == 100.0
