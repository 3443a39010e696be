"""The planner: how many callbacks to claim, from the board and the attempts
in flight (seat counting), and why none."""

from __future__ import annotations

import pytest

from ari_app.dialer.planner import DeskView, Hold, plan


def view(**kw) -> DeskView:
    base = dict(open=True, synced=True, ami_ready=True, callers_waiting=0, ready_seats=3)
    return DeskView(**{**base, **kw})


@pytest.mark.parametrize("kw, hold", [
    ({"open": False}, Hold.CLOSED), ({"synced": False}, Hold.UNSYNCED),
    ({"ami_ready": False}, Hold.AMI_DOWN), ({"callers_waiting": 1}, Hold.CALLERS_WAITING),
    ({"ready_seats": 0}, Hold.NO_FREE_SEAT),
])
def test_nothing_is_claimed_and_the_plan_says_why(kw, hold):
    got = plan(view(**kw), in_flight=0, seated=0)
    assert (got.claims, got.hold) == (0, hold)


def test_the_closed_desk_wins_over_every_other_reason():
    got = plan(view(open=False, synced=False, callers_waiting=4, ready_seats=0),
               in_flight=0, seated=0)
    assert got.hold is Hold.CLOSED and got.claims == 0


def test_one_claim_per_ready_seat_when_nothing_is_in_flight():
    got = plan(view(ready_seats=4), in_flight=0, seated=0)
    assert got.claims == 4 and got.hold is None


@pytest.mark.parametrize("ready, in_flight, seated, claims", [
    (3, 1, 0, 2),   # one attempt still seeks a seat: it takes one of the ready three
    (3, 3, 0, 0),   # every ready seat spoken for
    (3, 2, 2, 3),   # both attempts have their seat: those seats are off the ready list
    (2, 4, 1, 0),   # more seeking than ready: never a negative claim
    (6, 5, 5, 6),
    (1, 2, 1, 0),
])
def test_attempts_seeking_a_seat_take_ready_seats_seated_ones_do_not(ready, in_flight,
                                                                    seated, claims):
    assert plan(view(ready_seats=ready), in_flight=in_flight, seated=seated).claims == claims
