"""The customer's time, pure: the estimate told at capture, the booking grid,
a slot's capacity and room, what is offered, and what may not be booked."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ari_app.desk.calendar import ServiceCalendar
from ari_app.desk.promise import (Booking, Measured, Slot, Told, Workload, booked,
                                  booking_refusal, capacity, estimate, expected_first_dial,
                                  offer, slot_at, slots, with_room)

SH = ZoneInfo("Asia/Shanghai")
CAL = ServiceCalendar.build()          # 09:00-22:00 every day, Asia/Shanghai
HOUR = timedelta(hours=1)
SLA = timedelta(minutes=60)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SH)


def told(now: datetime, work: Workload) -> object:
    return estimate(now, CAL, CAL.sla_deadline(now, SLA), work, HOUR)


def test_an_idle_desk_promises_the_shortest_step_never_less():
    promise = told(at(1, 12), Workload(ahead=0, ready=3, working=6, handle=163))
    assert (promise.told, promise.minutes, promise.late) == (Told.WITHIN, 5, False)
    assert promise.end == at(1, 12, 5)


def test_callbacks_ahead_share_the_working_seats_one_handle_time_each():
    # 24 ahead, none ready, 6 working, 300 s each: (24 + 1) * 300 / 6 = 1250 s -> 25 min.
    work = Workload(ahead=24, ready=0, working=6, handle=300)
    assert expected_first_dial(at(1, 12), CAL, work) == at(1, 12) + timedelta(seconds=1250)
    promise = told(at(1, 12), work)
    assert (promise.told, promise.minutes, promise.late) == (Told.WITHIN, 25, False)


def test_ready_seats_take_the_first_callbacks_at_once():
    assert expected_first_dial(at(1, 12), CAL, Workload(4, 5, 6, 300)) == at(1, 12)
    assert expected_first_dial(at(1, 12), CAL, Workload(5, 5, 6, 300)) == \
        at(1, 12) + timedelta(seconds=50)


def test_rounding_up_never_makes_a_kept_promise_sound_late():
    # Expected 58 min from now with the deadline at 60: "within 60", not 65 and late.
    work = Workload(ahead=57, ready=0, working=1, handle=60)
    promise = told(at(1, 12), work)
    assert (promise.minutes, promise.late) == (60, False)


def test_past_the_deadline_the_time_is_said_and_flagged_late():
    work = Workload(ahead=99, ready=0, working=6, handle=300)   # 5000 s: 83 min
    promise = told(at(1, 12), work)
    assert promise.told is Told.BETWEEN and promise.late
    assert (promise.start, promise.end) == (at(1, 13), at(1, 14))


def test_a_closed_desk_tells_the_window_of_the_first_morning_hour():
    promise = told(at(1, 23, 30), Workload(ahead=10, ready=0, working=6, handle=163))
    assert promise.told is Told.BETWEEN and not promise.late
    assert (promise.start, promise.end) == (at(2, 9), at(2, 10))


def test_a_closed_desk_with_a_morning_backlog_tells_a_later_window_and_says_it_is_late():
    promise = told(at(2, 3), Workload(ahead=200, ready=0, working=6, handle=163))
    # (200 + 1) * 163 / 6 = 5460 s after 09:00: 10:31, past the 10:00 deadline.
    assert (promise.start, promise.end, promise.late) == (at(2, 10), at(2, 11), True)


def test_a_closed_desk_with_no_seat_planned_says_after_the_opening():
    promise = told(at(1, 23), Workload(ahead=0, ready=0, working=0, handle=163))
    assert (promise.told, promise.start, promise.end) == (Told.AFTER, at(2, 9), None)


def test_an_open_desk_with_no_seat_working_says_its_sla_time():
    promise = told(at(1, 12), Workload(ahead=3, ready=0, working=0, handle=163))
    assert (promise.told, promise.minutes, promise.late) == (Told.WITHIN, 60, False)


def test_a_time_that_would_cross_the_closing_is_told_as_the_next_morning_window():
    # 21:50, 30 min of work ahead: the first dial carries into 09:20 tomorrow.
    work = Workload(ahead=5, ready=0, working=1, handle=300)
    promise = told(at(1, 21, 50), work)
    # The deadline carries over too (09:50): the window is told up to it, not late.
    assert promise.told is Told.BETWEEN and not promise.late
    assert (promise.start, promise.end) == (at(2, 9), at(2, 9, 50))


def test_the_grid_cuts_each_opening_span_from_its_start_and_the_last_slot_at_closing():
    cal = ServiceCalendar.build(hours="09:30-12:00")
    grid = list(slots(cal, at(1, 9, 45), HOUR, 1))
    assert [(s.start, s.end) for s in grid][:3] == [
        (at(1, 9, 30), at(1, 10, 30)), (at(1, 10, 30), at(1, 11, 30)),
        (at(1, 11, 30), at(1, 12))]
    assert grid[3].start == at(2, 9, 30)


def test_the_slot_holding_a_closed_instant_is_the_first_of_the_next_opening():
    assert slot_at(CAL, at(1, 23), HOUR) == Slot(at(2, 9), at(2, 10))
    assert slot_at(CAL, at(1, 14, 59), HOUR) == Slot(at(1, 14), at(1, 15))


def test_capacity_is_seats_times_length_over_handle_less_the_measured_live_calls():
    hourly = [0.0] * 24
    hourly[11] = 30.0
    measured = Measured(tuple(hourly), handle=180.0)
    assert capacity(Slot(at(1, 10), at(1, 11)), 6, measured, SH) == 120
    assert capacity(Slot(at(1, 11), at(1, 12)), 6, measured, SH) == 90
    # Half in 10h, half in 11h: 120 - 15.
    assert capacity(Slot(at(1, 10, 30), at(1, 11, 30)), 6, measured, SH) == 105
    assert capacity(Slot(at(1, 11), at(1, 12)), 1, measured, SH) == 0   # never below 0


def test_room_is_the_capacity_less_what_is_booked_and_offers_skip_full_slots():
    grid = [with_room(Slot(at(1, h), at(1, h + 1)), 10, booked_)
            for h, booked_ in ((13, 0), (14, 10), (15, 12), (16, 3), (17, 0), (18, 0))]
    assert [s.room for s in grid] == [10, 0, 0, 7, 10, 10]
    assert [s.start.hour for s in offer(grid, at(1, 13, 30), 3)] == [16, 17, 18]
    assert offer(grid, at(1, 13), 0) == []


def test_a_booked_promise_is_its_slot_never_late():
    promise = booked(Slot(at(1, 15), at(1, 16)), Booking.ASSIGNED)
    assert (promise.told, promise.start, promise.end, promise.late, promise.booking) == \
        (Told.BETWEEN, at(1, 15), at(1, 16), False, Booking.ASSIGNED)


@pytest.mark.parametrize("when, why", [
    (at(1, 11, 59), "is in the past"),
    (at(1, 23), "is outside the desk's opening hours"),
    (at(1, 8, 59) + timedelta(days=1), "is outside the desk's opening hours"),
    (at(9, 12), "is more than 7 day(s) ahead ([callbacks] book_days)"),
])
def test_a_booking_is_refused_in_the_past_outside_hours_or_too_far_ahead(when, why):
    assert booking_refusal(when, at(1, 12), CAL, 7) == why


def test_a_booking_within_the_hours_and_the_days_is_accepted():
    assert booking_refusal(at(8, 11), at(1, 12), CAL, 7) is None
