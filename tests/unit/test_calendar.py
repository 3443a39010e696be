"""The service calendar and the SLA deadline rule."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ari_app.desk.calendar import CalendarError, ServiceCalendar, Span

SH = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)
CAL = ServiceCalendar.build()  # 09:00-22:00 every day, Asia/Shanghai


def at(d, h, m=0, s=0):
    return datetime(2026, 11, d, h, m, s, tzinfo=SH)


@pytest.mark.parametrize("when, open_", [
    (at(30, 21, 59, 59), True), (at(30, 22), False), (at(30, 8, 59, 59), False),
    (at(30, 9), True), (at(30, 0), False), (at(30, 13), True),
])
def test_open_edges(when, open_):
    assert CAL.is_open(when) is open_


@pytest.mark.parametrize("requested, deadline", [
    (at(30, 12), at(30, 13)),                      # open: +60 min
    (at(30, 23, 30), datetime(2026, 12, 1, 10, 0, tzinfo=SH)),  # closed: opening + 60
    (at(30, 2), at(30, 10)),                       # small hours: same day 10:00
    (at(30, 8, 59, 59), at(30, 10)),
    (at(30, 22), datetime(2026, 12, 1, 10, 0, tzinfo=SH)),
    (at(30, 21, 30), datetime(2026, 12, 1, 9, 30, tzinfo=SH)),  # carries over the night
    (at(30, 21, 59, 59), datetime(2026, 12, 1, 9, 59, 59, tzinfo=SH)),
    (at(30, 21), at(30, 22)),                      # exactly fits before closing
])
def test_sla_deadline(requested, deadline):
    assert CAL.sla_deadline(requested, HOUR) == deadline


def test_instants_in_another_zone_are_judged_in_the_desk_zone():
    utc_1530 = datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc)  # 23:30 in Shanghai
    assert not CAL.is_open(utc_1530)
    assert CAL.sla_deadline(utc_1530, HOUR) == datetime(2026, 12, 1, 10, 0, tzinfo=SH)


def test_shanghai_has_no_dst_jump():
    # Every day of the year opens at 09:00 local, 01:00 UTC.
    for month in range(1, 13):
        opening = CAL.next_opening(datetime(2026, month, 15, 0, 0, tzinfo=SH))
        assert opening.astimezone(timezone.utc).hour == 1


def test_holidays_are_closed_and_push_the_deadline():
    cal = ServiceCalendar.build(holidays=["2026-12-01"])
    assert not cal.is_open(datetime(2026, 12, 1, 12, 0, tzinfo=SH))
    assert cal.sla_deadline(at(30, 23), HOUR) == datetime(2026, 12, 2, 10, 0, tzinfo=SH)
    assert cal.next_opening(at(30, 23)) == datetime(2026, 12, 2, 9, 0, tzinfo=SH)


def test_weekday_overrides():
    cal = ServiceCalendar.build(weekday_hours={"sun": "closed", "sat": "10:00-16:00"})
    sat = datetime(2026, 11, 28, 9, 30, tzinfo=SH)
    assert not cal.is_open(sat)
    assert cal.sla_deadline(datetime(2026, 11, 28, 15, 30, tzinfo=SH), HOUR) == \
        datetime(2026, 11, 30, 9, 30, tzinfo=SH)  # Sat 15:30 -> 30 min Sat, 30 min Mon


def test_round_the_clock_desk():
    cal = ServiceCalendar.build(hours="00:00-24:00")
    assert cal.is_open(at(30, 23, 59, 59)) and cal.is_open(at(30, 0))
    assert cal.sla_deadline(at(30, 23, 30), HOUR) == datetime(2026, 12, 1, 0, 30, tzinfo=SH)


@pytest.mark.parametrize("kwargs, message", [
    ({"hours": "9-22"}, "HH:MM"), ({"hours": "22:00-09:00"}, "after the start"),
    ({"hours": "09:00-24:30"}, "24:00"), ({"timezone": "Mars/Olympus"}, "unknown"),
    ({"holidays": ["2026-13-01"]}, "YYYY-MM-DD"), ({"weekday_hours": {"mo": "closed"}}, "weekday"),
    ({"hours": "closed"}, "never open"),
])
def test_bad_calendars_are_refused(kwargs, message):
    with pytest.raises(CalendarError, match=message):
        ServiceCalendar.build(**kwargs)


def test_span_parse():
    assert Span.parse("closed") is None
    assert Span.parse(" 09:00-22:00 ").start.hour == 9
