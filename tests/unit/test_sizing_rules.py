"""Sizing rows from a measured profile (pure): offered load and Erlang C
seats per hour, the profile's checks and its JSON round trip; and the SLA
simulation run on a profile, in this process."""

from __future__ import annotations

import pytest

from ari_app.desk.sizing import Profile, hourly_rows, with_simulation
from ari_app.desk.staffing import seats_needed

HOURLY = tuple(100.0 if h == 11 else 10.0 if 9 <= h < 22 else 0.0 for h in range(24))


def test_each_hour_has_its_load_and_erlang_c_seats():
    rows = hourly_rows(Profile(7, HOURLY, talk_mean=148, wrapup=15))
    assert [r.hour for r in rows] == list(range(24))
    peak = rows[11]
    assert peak.erlangs == pytest.approx(100 * 163 / 3600, abs=1e-3)
    assert peak.seats_80_20 == seats_needed(100 * 163 / 3600, 163, 20, 0.8)
    assert rows[3].erlangs == 0 and rows[3].seats_80_20 == 0


def test_simulation_figures_join_the_rows_by_hour():
    rows = with_simulation(hourly_rows(Profile(1, HOURLY, 148, 15)),
                           {6: {11: 80.0}, 4: {11: 50.0, 12: 90.0}})
    assert rows[11].sla_met == {4: 50.0, 6: 80.0} and rows[12].sla_met == {4: 90.0}
    assert rows[3].sla_met == {}


@pytest.mark.parametrize("kw", [dict(hourly=(1.0,) * 23), dict(hourly=(-1.0,) + (0.0,) * 23),
                                dict(talk_mean=0), dict(days=0), dict(wrapup=-1)])
def test_a_bad_profile_is_refused(kw):
    base = dict(days=1, hourly=(1.0,) * 24, talk_mean=148, wrapup=15)
    with pytest.raises(ValueError):
        Profile(**{**base, **kw})


def test_the_profile_round_trips_through_json_and_gives_shares():
    p = Profile(3, HOURLY, 150.5, 15, answered=40)
    assert Profile.from_json(p.to_json()) == p
    assert sum(p.shares) == pytest.approx(100) and p.per_day == sum(HOURLY)
    with pytest.raises(ValueError, match="not a traffic profile"):
        Profile.from_json({"days": 1})


def test_the_simulation_sizes_a_measured_profile_with_the_real_dialer():
    """The simulation ``datadesk sizing --simulate`` runs, in this process:
    requests made at night are all called back after the opening, within the
    SLA; the table gains a column per seat count simulated."""
    from ari_app.sizing_report import render, simulated

    hourly = [0.0] * 24
    hourly[2], hourly[10] = 6.0, 3.0
    profile = Profile(1, tuple(hourly), 120.0, 15.0, 3)
    met = simulated(profile, seats=[2])
    assert list(met) == [2] and met[2][2] == 100.0
    table = render(profile, with_simulation(hourly_rows(profile), met)).splitlines()
    assert table[1].split()[-1] == "met@2"
    assert table[2 + 2].split()[-1] == "100.0"         # the 02h row
    # On the desk's screen: the open hours and the night hour with requests only.
    shown = render(profile, with_simulation(hourly_rows(profile), met), "zh",
                   set(range(9, 22))).splitlines()
    assert shown[1].split()[-1] == "2席达成%" and shown[2].split()[0] == "02"
    assert [line.split()[0] for line in shown[2:-1]] == ["02", *(f"{h:02d}" for h in range(9, 22))]
    assert shown[-1] == "营业时间外且无来电的小时未列出"
