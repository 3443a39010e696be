"""The routing rule, over boards and calendars built by hand."""

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ari_app.desk.board import Board, DeviceState, Seat
from ari_app.desk.calendar import ServiceCalendar
from ari_app.desk.routing import (DeskStatus, NamedUnavailable, Route, RoutingPolicy, decide,
                                  desk_status)
from ari_app.desk.topics import TopicCatalogue

SH = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 11, 30, 12, 0, tzinfo=SH)  # a Monday
CAL = ServiceCalendar.build()
TOPICS = TopicCatalogue()


def board(*seats: Seat, synced: bool = True) -> Board:
    b = Board("desk", [s.agent_id for s in seats])
    for s in seats:
        b.update(s)
    b.synced = synced
    return b


def ready(agent_id: str, **kw) -> Seat:
    return replace(Seat(agent_id, f"PJSIP/{agent_id}", registered=True, in_queue=True,
                        state=DeviceState.NOT_INUSE, wrapup=15,
                        changed_at=NOON.timestamp()), **kw)


def route(b: Board, when: datetime = NOON, **kw):
    return decide(b, CAL, when, **kw)


def test_group_transfer_goes_to_the_queue_when_a_seat_is_ready():
    d = route(board(ready("8601"), ready("8602", paused=True)))
    assert d.route is Route.QUEUE and "1 seat" in d.reason


def test_no_ready_seat_means_callback_with_a_deadline_an_hour_away():
    b = board(ready("8601", paused=True, paused_reason="break"),
              ready("8602", state=DeviceState.INUSE),
              ready("8603", state=DeviceState.RINGING),
              ready("8604", state=DeviceState.UNAVAILABLE),
              ready("8605", in_queue=False))
    d = route(b)
    assert d.route is Route.CALLBACK and d.deadline == NOON + timedelta(hours=1)


def test_a_registered_seat_in_a_call_is_not_free():
    assert route(board(ready("8601", in_call=True))).route is Route.CALLBACK


def test_wrapup_keeps_a_seat_out_until_it_ends():
    seat = ready("8601", last_call=NOON.timestamp() - 10, wrapup=15)
    assert route(board(seat)).route is Route.CALLBACK
    assert route(board(seat), NOON + timedelta(seconds=5)).route is Route.QUEUE


def test_named_specialist_ready_gets_the_call():
    d = route(board(ready("8601"), ready("8603")), target="8603")
    assert d.route is Route.SEAT and d.seat == "8603"


def test_named_specialist_busy_falls_back_to_the_group_by_default():
    d = route(board(ready("8601"), ready("8603", state=DeviceState.INUSE)), target="8603")
    assert d.route is Route.QUEUE and d.seat is None


def test_named_specialist_busy_goes_to_callback_when_configured():
    policy = RoutingPolicy(named_unavailable=NamedUnavailable.CALLBACK)
    d = route(board(ready("8601"), ready("8603", state=DeviceState.INUSE)), target="8603",
              policy=policy)
    assert d.route is Route.CALLBACK and "8603" in d.reason


def test_named_specialist_busy_and_desk_busy_means_callback():
    assert route(board(ready("8603", paused=True)), target="8603").route is Route.CALLBACK


def test_unknown_named_target_is_treated_as_the_group():
    assert route(board(ready("8601")), target="9999").route is Route.QUEUE


def test_board_out_of_sync_leaves_the_decision_to_the_dialplan():
    assert route(board(ready("8601"), synced=False)).route is Route.FALLBACK


@pytest.mark.parametrize("when, expected", [
    (datetime(2026, 11, 30, 21, 59, 59, tzinfo=SH), Route.QUEUE),
    (datetime(2026, 11, 30, 22, 0, 0, tzinfo=SH), Route.CALLBACK),
    (datetime(2026, 11, 30, 8, 59, 59, tzinfo=SH), Route.CALLBACK),
    (datetime(2026, 11, 30, 9, 0, 0, tzinfo=SH), Route.QUEUE),
])
def test_opening_hours_edges(when, expected):
    assert route(board(ready("8601")), when).route is expected


def test_closed_desk_callback_reason_says_when_it_opens():
    d = route(board(ready("8601")), datetime(2026, 11, 30, 23, 30, tzinfo=SH))
    assert d.route is Route.CALLBACK and "opens Tue 09:00" in d.reason
    assert d.deadline == datetime(2026, 12, 1, 10, 0, tzinfo=SH)


def test_topics_live_callback_only_and_out_of_scope():
    b = board(ready("8601"))
    assert route(b, topic=TOPICS.classify("01")).route is Route.QUEUE
    d = route(b, topic=TOPICS.classify("22"))
    assert d.route is Route.CALLBACK and "mobile-movie-tickets" in d.reason
    d = route(b, topic=TOPICS.classify("43"))
    assert d.route is Route.OUT_OF_SCOPE and d.topic.name == "staff-complaint"
    # Out of scope wins even when the desk is closed: a callback would be wasted.
    night = datetime(2026, 11, 30, 23, 0, tzinfo=SH)
    assert route(b, night, topic=TOPICS.classify("44")).route is Route.OUT_OF_SCOPE


def test_desk_status_for_the_lamp():
    assert desk_status(board(ready("8601")), CAL, NOON) is DeskStatus.FREE
    assert desk_status(board(ready("8601", paused=True)), CAL, NOON) is DeskStatus.BUSY
    assert desk_status(board(ready("8601")), CAL, NOON.replace(hour=22)) is DeskStatus.CLOSED


def test_a_seat_whose_phone_unregistered_is_not_ready_even_before_its_device_state_says_so():
    seat = ready("8601", registered=False)  # device state still NOT_INUSE
    assert route(board(seat)).route is Route.CALLBACK
    assert seat.activity(NOON.timestamp()) == "unregistered"


def test_every_default_topic_has_a_display_name_in_chinese_and_english():
    from ari_app.desk.topics import (DEFAULT_CALLBACK_ONLY, DEFAULT_LIVE, DEFAULT_OUT_OF_SCOPE,
                                     DISPLAY_NAMES, display_name)
    slugs = {*DEFAULT_LIVE.values(), *DEFAULT_CALLBACK_ONLY.values(),
             *DEFAULT_OUT_OF_SCOPE.values()}
    assert set(DISPLAY_NAMES) == slugs
    assert display_name("mobile-movie-tickets", "zh") == "手机电影票"
    assert display_name("mobile-movie-tickets", "en") == "Mobile movie tickets"
    assert display_name("a-new-service", "zh") == "a-new-service"
