"""Pure parts of the wallboard and the reports: languages, masking, time in
state from Asterisk's stamps, the history's figures, CSV and SVG."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date

from panoramisk.message import Message

from ari_app.asterisk.presence import seat_from_event, state_since
from ari_app.web.reports_data import report, to_csv
from ari_app.web.reports_svg import load_per_hour, sla_per_day
from ari_app.web.texts import EN, ZH, choose
from ari_app.web.wallboard import for_viewer, mask


def member(**fields) -> Message:
    base = {"Event": "QueueMember", "Queue": "desk", "Location": "PJSIP/8601",
            "Status": "1", "InCall": "0", "Paused": "0", "LastCall": "0", "LastPause": "0",
            "LoginTime": "0"}
    return Message(base | fields)


def test_both_languages_have_every_text():
    assert set(EN) == set(ZH) and all(ZH.values())


def test_the_page_language_follows_the_browser_then_the_setting():
    assert choose("en-GB,en;q=0.9", "zh") == "en"
    assert choose("fr-FR,zh-CN;q=0.8,en;q=0.5", "en") == "zh"
    assert choose("fr-FR", "en") == "en" and choose(None, "zh") == "zh"
    assert choose("en;q=0.2,zh;q=0.9", "en") == "zh"


def test_numbers_are_masked_for_everyone_but_a_supervisor():
    snap = {"callbacks": [{"number": "13800138501", "topic": "wlan"}]}
    assert mask("13800138501") == "•••••••8501" and mask("12") == "12"
    assert for_viewer(snap, False)["callbacks"][0]["number"] == "•••••••8501"
    assert for_viewer(snap, True)["callbacks"][0]["number"] == "13800138501"
    assert snap["callbacks"][0]["number"] == "13800138501"  # the original is left whole


def test_time_in_state_comes_from_asterisks_stamps():
    now = 1_800_000_000.0
    assert state_since(member(Paused="1", LastPause="1799999000"), now) == 1799999000
    assert state_since(member(LoginTime="1799990000", LastCall="1799995000"), now) == 1799995000
    assert state_since(member(InCall="1", LastCall="1799995000"), now) == now
    assert state_since(member(), now) == now                    # no stamps: from now
    assert state_since(member(LoginTime=str(now + 50)), now) == now  # a stamp ahead: not trusted
    # A live event is stamped when it arrives (Asterisk does not stamp an unpause).
    assert seat_from_event(member(Paused="0", LastPause="1799999000"), now).changed_at == now


DAYS = {
    date(2026, 11, 1): {"transfers": 10, "transfers@09": 6, "transfers@10": 4, "answered": 8,
                        "answered@09": 8, "talk_seconds": 1200, "talk_seconds@09": 1200,
                        "repeat": 1, "sla_met": 3, "sla_breached": 1, "callbacks_made": 4,
                        "callbacks_requested": 5, "callbacks_failed": 1,
                        "seat_ready@09": 120, "seat_busy@09": 180},
    date(2026, 11, 2): {},
    date(2026, 11, 3): {"transfers": 2, "transfers@09": 2, "sla_met": 1, "callbacks_made": 1},
}


def test_the_history_gives_exact_figures_per_day_per_hour_and_in_all():
    data = report(DAYS)
    first, empty, third = data["per_day"]
    assert first["transfers"] == 10 and first["answered"] == 8
    assert first["average_talk_seconds"] == 150.0 and first["sla_met_percent"] == 75.0
    assert first["repeat_rate_percent"] == 10.0 and first["occupancy_percent"] == 60.0
    assert first["callbacks_dialled"] == 4 and first["callbacks_failed"] == 1
    assert empty["average_talk_seconds"] is None and empty["sla_met_percent"] is None
    assert data["total"]["transfers"] == 12 and data["total"]["sla_met_percent"] == 80.0
    nine = data["per_hour"][9]
    assert nine["transfers"] == 8 and nine["seats_ready"] == round(120 / 180, 2)
    assert data["per_hour"][10]["transfers"] == 4 and data["per_hour"][11]["transfers"] == 0


def test_the_csv_holds_the_same_figures():
    rows = list(csv.DictReader(io.StringIO(to_csv(report(DAYS)))))
    days = [r for r in rows if r["scope"] == "day"]
    assert [r["period"] for r in days] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert days[0]["transfers"] == "10" and days[1]["average_talk_seconds"] == ""
    total = next(r for r in rows if r["scope"] == "total")
    assert total["transfers"] == "12" and total["sla_met"] == "4"
    assert next(r for r in rows if r["period"] == "09" and r["scope"] == "hour")["transfers"] == "8"


def test_the_plots_are_svg_with_a_bar_per_day_and_per_hour():
    data = report(DAYS)
    sla = ET.fromstring(sla_per_day(data["per_day"]))
    assert len(sla.findall("{http://www.w3.org/2000/svg}rect")) == 2  # the empty day has none
    load = ET.fromstring(load_per_hour(data["per_hour"], data["days"]))
    assert len(load.findall("{http://www.w3.org/2000/svg}rect")) == 24


def test_the_command_lines_table_has_every_day_and_the_total():
    from ari_app.web.reports_data import to_text
    lines = to_text(report(DAYS)).splitlines()
    assert lines[0].split()[:3] == ["DAY", "IN", "ANSWERED"]
    assert [line.split()[0] for line in lines[1:]] == ["2026-11-01", "2026-11-02",
                                                       "2026-11-03", "TOTAL"]
    assert lines[-1].split()[1] == "12"


def test_every_word_the_board_draws_has_a_phrase_in_both_languages():
    """The board's callback statuses, seat states and pause reasons come from
    the phrases or the settings, never raw words on a Chinese board."""
    from ari_app.desk.callback import Status
    from ari_app.settings import DeskSettings
    from ari_app.web.texts import texts
    from ari_app.web.wallboard.figures import STATE_OF, STATES
    for lang in ("zh", "en"):
        t = texts(lang)
        for status in (Status.OPEN, Status.DIALLING):   # what the board lists
            assert t[f"cbstatus.{status.value}"], status
        for state in (*STATE_OF, *STATES):
            assert t[f"state.{state}"], state
    assert texts("zh")["cbstatus.dialling"] == "呼叫中" and texts("zh")["cbstatus.open"] == "待回电"
    for code, (zh, en) in DeskSettings().pause_reasons.items():
        assert not any("a" <= c.lower() <= "z" for c in zh) and en, code
