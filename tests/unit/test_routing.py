"""The routing rule, over boards built by hand."""

from dataclasses import replace

from ari_app.desk.board import Board, DeviceState, Seat
from ari_app.desk.routing import Route, decide

NOW = 1_800_000_000.0


def board(*seats: Seat, synced: bool = True) -> Board:
    b = Board("desk", [s.agent_id for s in seats])
    for s in seats:
        b.update(s)
    b.synced = synced
    return b


def ready(agent_id: str, **kw) -> Seat:
    return replace(Seat(agent_id, f"PJSIP/{agent_id}", in_queue=True,
                        state=DeviceState.NOT_INUSE, wrapup=15, changed_at=NOW), **kw)


def test_group_transfer_goes_to_the_queue_when_a_seat_is_ready():
    d = decide(board(ready("8601"), ready("8602", paused=True)), "desk", NOW)
    assert d.route is Route.QUEUE
    assert "1 seat" in d.reason


def test_no_ready_seat_means_callback():
    b = board(ready("8601", paused=True, paused_reason="break"),
              ready("8602", state=DeviceState.INUSE),
              ready("8603", state=DeviceState.RINGING),
              ready("8604", state=DeviceState.UNAVAILABLE),
              ready("8605", in_queue=False))
    assert decide(b, "desk", NOW).route is Route.CALLBACK


def test_a_registered_seat_in_a_call_is_not_free():
    b = board(ready("8601", in_call=True))
    assert decide(b, "desk", NOW).route is Route.CALLBACK


def test_wrapup_keeps_a_seat_out_until_it_ends():
    seat = ready("8601", last_call=NOW - 10, wrapup=15)
    assert decide(board(seat), "desk", NOW).route is Route.CALLBACK
    assert decide(board(seat), "desk", NOW + 5).route is Route.QUEUE


def test_named_specialist_ready_gets_the_call():
    d = decide(board(ready("8601"), ready("8603")), "8603", NOW)
    assert d.route is Route.SEAT and d.seat == "8603"


def test_named_specialist_busy_falls_back_to_the_group():
    d = decide(board(ready("8601"), ready("8603", state=DeviceState.INUSE)), "8603", NOW)
    assert d.route is Route.QUEUE and d.seat is None


def test_named_specialist_busy_and_desk_busy_means_callback():
    d = decide(board(ready("8603", paused=True)), "8603", NOW)
    assert d.route is Route.CALLBACK


def test_unknown_named_target_is_treated_as_the_group():
    d = decide(board(ready("8601")), "9999", NOW)
    assert d.route is Route.QUEUE


def test_board_out_of_sync_leaves_the_decision_to_the_dialplan():
    d = decide(board(ready("8601"), synced=False), "desk", NOW)
    assert d.route is Route.FALLBACK
