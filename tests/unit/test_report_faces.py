"""The figures on every face of the history: the same numbers per day, hour
and seat in the JSON, the CSV and the terminal's table (in the screen's
language, narrow enough for a terminal); the plots' scales read in whole,
distinct numbers."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from ari_app.desk.pauses import DEFAULT_PAUSE_REASONS
from ari_app.tables import terminal_width
from ari_app.web.reports_data import report, text_heads, to_csv, to_text
from ari_app.web.reports_page import render
from ari_app.web.reports_svg import load_per_hour, ticks

DAYS = {date(2026, 12, 1): {"transfers": 10, "transfers@10": 10, "offered": 8, "answered": 6,
                            "answered@10": 6, "answered_in_sl": 4, "wait_seconds": 90,
                            "talk_seconds": 600, "wrapup_seconds": 90, "abandoned_queue": 1,
                            "abandoned_queue_seconds": 40, "abandoned_capture": 1,
                            "abandoned_capture_seconds": 20, "seat:8601:live": 4,
                            "seat:8601:callbacks": 1, "seat:8601:talk_seconds": 500,
                            "seat:8601:pause:lunch": 1800, "seat:8602:live": 2,
                            "sla_met": 7, "sla_breached": 3, "booked_sla_met": 4,
                            "booked_sla_breached": 0},
        date(2026, 12, 2): {}}
CODES = tuple(DEFAULT_PAUSE_REASONS)


def data() -> dict:
    return report(DAYS, ("8601", "8602"), CODES) | {"service_level_seconds": 20}


def test_the_csv_holds_the_days_figures_and_each_seats():
    rows = list(csv.DictReader(io.StringIO(to_csv(data()))))
    day = next(r for r in rows if r["scope"] == "day" and r["period"] == "2026-12-01")
    assert day["service_level_percent"] == "50.0" and day["abandoned"] == "2"
    assert day["abandoned_percent"] == "20.0" and day["average_speed_of_answer_seconds"] == "15.0"
    assert day["average_handle_seconds"] == "115.0" and day["abandoned_queue"] == "1"
    # Booked and unbooked promises apart: 4 of 4 slots kept, 3 of 6 told times.
    assert (day["sla_met_percent"], day["booked_sla_met_percent"],
            day["unbooked_sla_met_percent"]) == ("70.0", "100.0", "50.0")
    empty = next(r for r in rows if r["scope"] == "day" and r["period"] == "2026-12-02")
    assert empty["booked_sla_met_percent"] == "" and empty["unbooked_sla_met_percent"] == ""
    hour = next(r for r in rows if r["scope"] == "hour" and r["period"] == "10")
    assert hour["transfers"] == "10" and hour["answered"] == "6"
    seat = next(r for r in rows if r["scope"] == "seat" and r["seat"] == "8601")
    assert (seat["seat_live"], seat["seat_callbacks"], seat["seat_talk_seconds"]) == \
        ("4", "1", "500")
    assert seat["seat_pause_lunch_seconds"] == "1800" and seat["seat_average_talk_seconds"] == "100.0"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_terminal_table_speaks_the_screens_language_and_fits_a_terminal(lang):
    text = to_text(data(), text_heads(data(), lang, DEFAULT_PAUSE_REASONS), terminal_width)
    lines = text.splitlines()
    assert max(terminal_width(line) for line in lines) <= 100, text
    heads = lines[0] + lines[5]
    if lang == "zh":
        assert not re.search(r"[A-Za-z]", heads), heads
        assert "20秒接通%" in lines[0] and "用餐秒" in lines[5]
    else:
        assert "SL20s%" in lines[0] and "LUNCH_S" in lines[5]
    assert lines[1].split()[:4] == ["2026-12-01", "10", "6", "50.0"]
    assert lines[6].split()[:2] == ["8601", "4"]


@pytest.mark.parametrize("vmax", [0, 0.4, 1, 2, 3, 4, 5, 6, 7, 9, 13, 37, 99, 101, 777])
def test_every_scale_reads_in_whole_distinct_numbers(vmax):
    top, steps = ticks(vmax)
    labels = [top * i / steps for i in range(steps + 1)]
    assert top >= vmax and steps <= 5
    assert all(v == int(v) for v in labels) and len(set(labels)) == len(labels)


def test_a_first_days_load_plot_never_reads_2_2_1_0_0():
    rows = report({date(2026, 12, 1): {"transfers@10": 2}})["per_hour"]
    labels = re.findall(r'text-anchor="end">(\d+)</text>', load_per_hour(rows, 1))
    left = labels[:len(labels) // 2 + 1]
    assert len(set(left)) == len(left), labels


def test_the_csv_link_carries_any_token_whole():
    page = render(data() | {"sizing": None}, "en", "a+b&c#d e", pause_reasons=DEFAULT_PAUSE_REASONS)
    link = re.search(r'<a id="csv" href="([^"]*)"', page).group(1)
    assert parse_qs(urlsplit(html.unescape(link)).query)["access_token"] == ["a+b&c#d e"]


def test_the_page_shows_the_windows_figures_as_cards_and_a_table_per_seat():
    page = render(data() | {"sizing": None}, "zh", "t", pause_reasons=DEFAULT_PAUSE_REASONS)
    cards = dict(re.findall(r'data-figure="([a-z_]+)"><span class="label">[^<]*</span><b>([^<]*)',
                            page))
    assert cards["service_level_percent"] == "50.0%" and cards["abandoned"] == "2"
    assert cards["average_handle_seconds"] == "115.0 秒"
    assert 'class="card red"' in page  # 50 % is below the amber 60 %
    assert '<tr data-seat="8601"><td>8601</td><td data-col="live">4</td>' in page
    assert "暂停: 用餐" in page
