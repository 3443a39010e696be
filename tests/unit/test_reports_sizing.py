"""The reports page's sizing section: the profile measured from daily
aggregates, the SVG plot's bars and lines, and the empty case."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from ari_app.desk.sizing import Profile, hourly_rows
from ari_app.sizing_report import profile_from_days
from ari_app.web.reports import render
from ari_app.web.reports_data import report
from ari_app.web.reports_sizing import MAX_SIZING_DAYS, section, sizing
from ari_app.web.reports_svg import BOTTOM, H, LEFT, TOP, sizing_per_hour
from ari_app.web.texts import texts

PLOT_H = H - BOTTOM - TOP       # 268
TODAY = date(2026, 11, 30)


def rows(erlangs: dict[int, float], seats: dict[int, int]) -> list[dict]:
    return [{"hour": h, "arrivals": 1.0 if erlangs.get(h) else 0.0,
             "erlangs": erlangs.get(h, 0.0), "seats_80_20": seats.get(h, 0)} for h in range(24)]


def bars(svg: str) -> dict[int, float]:
    return {int(h): float(height) for h, height in re.findall(
        r'<rect class="erlangs" data-hour="(\d+)" [^>]*height="([\d.]+)"', svg)}


def test_a_bar_for_each_loaded_hour_at_its_height_on_a_scale_of_8():
    svg = sizing_per_hour(rows({9: 2.0, 10: 1.0, 14: 0.5}, {9: 4, 10: 3, 14: 2}), 6, "6 seats")
    # top of scale: the multiple of 4 above the desk's 6 seats -> 8
    # heights drawn to 0.1: 268 * 2 / 8, 268 / 8, 268 * 0.5 / 8
    assert bars(svg) == {9: 67.0, 10: 33.5, 14: 16.8}
    assert svg.count("<title>") == 3 and ">09: 2.00 E<" in svg
    assert all(f">{h:02d}</text>" in svg for h in range(24))


def test_the_desk_seats_line_and_the_80_20_step_line():
    svg = sizing_per_hour(rows({9: 2.0}, {9: 4}), 6, "the desk's 6 seats")
    y6 = TOP + PLOT_H - PLOT_H * 6 / 8                                   # 85.0
    line = re.search(rf'<line class="desk-seats" x1="{LEFT}" x2="960" y1="([\d.]+)" '
                     r'y2="([\d.]+)"', svg)
    assert line and float(line[1]) == float(line[2]) == y6
    points = re.search(r'<polyline class="seats-80-20" points="([^"]+)"', svg)[1].split()
    assert len(points) == 48                          # two points an hour: a step
    y4, y0 = TOP + PLOT_H - PLOT_H * 4 / 8, TOP + PLOT_H
    assert [float(p.split(",")[1]) for p in points[16:22]] == [y0, y0, y4, y4, y0, y0]
    assert "the desk&#x27;s 6 seats</text>" in svg


def test_the_scale_grows_past_the_desk_seats_in_steps_of_4():
    svg = sizing_per_hour(rows({12: 7.5}, {12: 10}), 6, "6")
    assert bars(svg) == {12: round(PLOT_H * 7.5 / 12, 1)}
    assert [f'text-anchor="end">{v}</text>' in svg for v in (0, 3, 6, 9, 12)] == [True] * 5


def test_labels_are_escaped():
    svg = sizing_per_hour(rows({9: 1.0}, {9: 2}), 6, '<script>&"')
    assert "<script>" not in svg and "&lt;script&gt;&amp;&quot;" in svg


def test_a_profile_from_whole_days_of_aggregates():
    raws = [{"transfers@09": 30, "transfers@14": 20, "answered": 40, "talk_seconds": 5920},
            {},
            {"transfers@10": 12, "answered": 12, "talk_seconds": 1800, "transfers": 12}]
    profile = profile_from_days(raws, 2)
    assert profile.days == 3 and profile.per_day == pytest.approx(62 / 3)
    assert profile.hourly[9] == 10 and profile.hourly[10] == 4
    assert profile.hourly[14] == pytest.approx(20 / 3)
    assert profile.talk_mean == pytest.approx(7720 / 52) and profile.wrapup == 2
    assert profile.answered == 52


def test_no_transfer_is_no_profile_and_no_answer_takes_the_specified_talk():
    assert profile_from_days([], 15) is None
    assert profile_from_days([{"answered": 3, "talk_seconds": 300}, {}], 15) is None
    assert profile_from_days([{"transfers@09": 2}], 15).talk_mean == 148


def test_sizing_leaves_today_out_and_keeps_the_last_28_whole_days():
    days = {TODAY - timedelta(days=back): {"transfers@10": back} for back in range(40, -1, -1)}
    measured = sizing(days, TODAY, 15)
    assert measured["profile"].days == MAX_SIZING_DAYS == 28
    assert measured["profile"].hourly[10] == pytest.approx(sum(range(1, 29)) / 28)
    assert measured["rows"] == [vars(r) | {"sla_met": {}}
                                for r in hourly_rows(measured["profile"])]
    assert sizing({TODAY: {"transfers@10": 50}}, TODAY, 15) is None


def test_counters_written_into_redis_by_hand_are_never_a_failure_or_a_hang():
    """Redis is an input: a negative counter counts as nothing; a count no
    desk could carry is said to be unsized, in bounded time, not a 500."""
    yesterday = TODAY - timedelta(days=1)
    negative = sizing({yesterday: {"transfers@10": -500, "transfers@11": 20,
                                   "answered": -3, "talk_seconds": -9}}, TODAY, 15)
    assert negative["profile"].hourly[10] == 0 and negative["profile"].hourly[11] == 20
    assert negative["profile"].talk_mean == 148          # nothing answered: the specified
    assert sizing({yesterday: {"transfers@10": -500}}, TODAY, 15) is None
    huge = sizing({yesterday: {"transfers@10": 10 ** 12}}, TODAY, 15)
    assert huge["rows"] is None
    for language in ("zh", "en"):
        html = section(texts(language), huge, 6)
        assert 'id="sizing-unsized"' in html and "<svg" not in html and "1000" in html


def test_the_section_says_when_nothing_was_measured():
    for language in ("zh", "en"):
        html = section(texts(language), None, 6)
        assert "<svg" not in html and texts(language)["sizing.empty"] in html
        assert 'id="sizing-empty"' in html


def test_the_section_tables_the_hours_with_traffic_and_points_to_the_simulation():
    profile = Profile(7, tuple(14.0 if h == 10 else 0.0 for h in range(24)), 148, 15)
    measured = {"profile": profile,
                "rows": [vars(r) for r in hourly_rows(profile)]}
    html = section(texts("en"), measured, 6)
    cells = re.findall(r'<tr data-sizing-hour="(\d+)"><td>\d+</td><td data-col="arrivals">'
                       r'([\d.]+)</td><td data-col="erlangs">([\d.]+)</td>'
                       r'<td data-col="seats_80_20">(\d+)</td>', html)
    row = hourly_rows(profile)[10]
    assert cells == [("10", "14.00", f"{row.erlangs:.3f}", str(row.seats_80_20))]
    assert "the 7 whole days before today: 14 transfers a day, talk 148 s, wrap-up 15 s" in html
    assert "simulated SLA %: <code>datadesk sizing</code>" in html and "the desk&#x27;s 6 seats" in html
    assert "按实测话务测算座席" in section(texts("zh"), measured, 6)


def test_the_page_has_the_sizing_plot_or_the_message():
    days = {TODAY - timedelta(days=1): {"transfers@10": 5, "transfers": 5}, TODAY: {}}
    data = report(days)
    page = render(data | {"sizing": sizing(days, TODAY, 15)}, "en", "t")
    # The overview's four plots, and the sizing's below the tables.
    assert page.count("<svg") == 5 and 'id="sizing-table"' in page
    empty = render(data | {"sizing": None}, "en", "t")
    assert empty.count("<svg") == 4 and 'id="sizing-empty"' in empty
