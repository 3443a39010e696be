"""Quality's pure rules: recording names, byte ranges, WAV facts, the review
and its appeal, pause spans, records read from hostile Redis values, and the
token forms of the new roles."""

from __future__ import annotations

import io
import wave

import pytest

from ari_app.quality import review as rules
from ari_app.quality.files import wav_facts
from ari_app.quality.names import BadName, checked
from ari_app.quality.pause import with_span
from ari_app.roles import TokenError, may, parse_entry, Permission, UNSCOPED
from ari_app.store.recordings import Recording
from ari_app.web.byte_ranges import RangeNotSatisfiable, byte_range
from lab.scrape import lines_of


@pytest.mark.parametrize("name", ["desk-179666804014", "desk-cb12-3", "desk-123456"])
def test_the_names_the_dialplan_makes_are_names(name):
    assert checked(name) == name


@pytest.mark.parametrize("name", [
    "../etc/passwd", "desk-../x", "desk-1%2f..", "desk-12345\x00", "desk-1,desk-2",
    "desk-12345", "desk-cb1-1/..", "desk-cbx-1", "DESK-1234567", "desk-123456\n",
    "desk-1234567.wav", "", None, 42, "desk-" + "1" * 33])
def test_anything_else_is_not_a_name(name):
    with pytest.raises(BadName):
        checked(name)


@pytest.mark.parametrize("header, size, expected", [
    (None, 100, None), ("bytes=0-9", 100, (0, 9)), ("bytes=90-", 100, (90, 99)),
    ("bytes=-10", 100, (90, 99)), ("bytes=50-500", 100, (50, 99)),
    ("bytes=0-1,5-6", 100, None), ("items=0-9", 100, None), ("bytes=-", 100, None),
    ("bytes=-500", 100, (0, 99))])
def test_one_range_or_the_whole_file(header, size, expected):
    assert byte_range(header, size) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=100-200", "bytes=9-3", "bytes=-0"])
def test_a_range_outside_the_file_is_not_satisfiable(header):
    with pytest.raises(RangeNotSatisfiable):
        byte_range(header, 100)


def _wav(seconds: float) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x01\x00" * int(8000 * seconds))
    return out.getvalue()


def test_wav_length_and_whether_it_is_closed():
    data = _wav(2.5)
    facts = wav_facts(data)
    assert facts.seconds == pytest.approx(2.5) and facts.closed
    growing = data + b"\x00" * 1600           # still being written: header behind the bytes
    assert not wav_facts(growing).closed and wav_facts(growing).seconds == pytest.approx(2.6)
    for junk in (b"", b"RIFF", b"not a wav file at all", data[:30]):
        with pytest.raises(ValueError):
            wav_facts(junk)


def test_a_score_can_be_appealed_once_and_decided_once():
    review = rules.scored({}, 60, "no ID check", "qa/wang", 10.0)
    review = rules.scored(review, 65, "", "qa/wang", 11.0)         # re-scored before any appeal
    assert rules.final_score(review) == 65
    review = rules.appealed(review, "the customer refused", "specialist/8601", 12.0)
    with pytest.raises(rules.ReviewRefused) as once:
        rules.appealed(review, "again", "specialist/8601", 13.0)
    assert once.value.conflict
    with pytest.raises(rules.ReviewRefused):
        rules.scored(review, 90, "", "qa/wang", 13.0)               # under appeal: QA is done
    decided = rules.decided(review, "changed", 80, "fair point", "supervisor/li", 14.0)
    assert rules.final_score(decided) == 80 and decided["decided_by"] == "supervisor/li"
    with pytest.raises(rules.ReviewRefused):
        rules.decided(decided, "upheld", None, "", "supervisor/li", 15.0)
    upheld = rules.decided(review, "upheld", None, "", "supervisor/li", 14.0)
    assert rules.final_score(upheld) == 65


@pytest.mark.parametrize("score", [-1, 101, 50.5, "80", True, None])
def test_a_score_is_a_whole_number_from_0_to_100(score):
    with pytest.raises(rules.ReviewRefused) as refused:
        rules.scored({}, score, "", "qa", 1.0)
    assert not refused.value.conflict


def test_an_appeal_needs_a_score_and_a_reason():
    with pytest.raises(rules.ReviewRefused):
        rules.appealed({}, "why", "specialist/8601", 1.0)
    for reason in ("", "   ", None, "x" * 501, "a\x00b"):
        with pytest.raises(rules.ReviewRefused):
            rules.appealed({"score": 50}, reason, "specialist/8601", 1.0)


def test_pause_spans_open_and_close_once():
    spans = with_span([], "8601", True, 100.0)
    assert spans == [{"by": "8601", "from": 100.0, "to": None}]
    assert with_span(spans, "8601", True, 101.0) == spans          # already paused
    closed = with_span(spans, "8601", False, 130.0)
    assert closed[0]["to"] == 130.0
    assert with_span(closed, "8601", False, 131.0) == closed       # not paused: nothing
    assert len(with_span(closed, "8601", True, 140.0)) == 2


def test_a_record_from_hostile_redis_values_reads_as_absent():
    rec = Recording.from_hash("desk-123456", {
        "seconds": "nan", "size": "1e999", "started": "yesterday", "pauses": "{not json",
        "review": "[1,2]", "answered": "12.5", "seat": "8601"})
    assert rec.seconds == 0 and rec.size == 0 and rec.started == 0
    assert rec.pauses == [] and rec.review == {} and rec.answered == 12.5
    assert not rec.under_review


def test_token_forms_of_the_quality_roles():
    qa = parse_entry("qa/wang:abcdefghijklmnopq")
    assert (qa.role, qa.name, qa.seat, qa.label) == ("qa", "wang", "", "qa/wang")
    spec = parse_entry("specialist/8601:abcdefghijklmnopq")
    assert spec.seat == "8601" and spec.label == "specialist/8601"
    with pytest.raises(TokenError):
        parse_entry("specialist:abcdefghijklmnopq")                 # whose calls?
    with pytest.raises(TokenError):
        parse_entry("auditor/x:abcdefghijklmnopq")                  # unknown role
    assert parse_entry("qa:abcdefghijklmnopq").label.startswith("qa#")
    assert not may(UNSCOPED, Permission.RECORDINGS)                  # no old token hears calls
    assert may("qa", Permission.SCORE) and not may("supervisor", Permission.SCORE)
    assert may("supervisor", Permission.DECIDE) and not may("qa", Permission.DECIDE)


def test_satisfaction_is_satisfied_over_rated_and_not_rated_is_never_a_rating():
    from datetime import date
    from ari_app.quality.figures import csv_rows, figures
    day = {"surveyed": 5, "rated": 4, "satisfied": 3, "dissatisfied": 1, "not_rated": 1,
           "surveyed@10": 5, "rated@10": 4, "satisfied@10": 3,
           "surveyed#8601": 5, "rated#8601": 4, "satisfied#8601": 3,
           "score_sum#8601": 150, "scored#8601": 2,
           "surveyed%wlan": 5, "rated%wlan": 4, "satisfied%wlan": 3}
    data = figures({date(2026, 12, 7): day, date(2026, 12, 8): {}})
    assert data["total"]["satisfaction_percent"] == 75.0     # 3 of 4 rated, not 3 of 5
    assert data["total"]["rated_percent"] == 80.0            # 4 of 5 surveyed
    assert data["per_day"][1]["satisfaction_percent"] is None   # nothing to measure
    assert data["per_hour"][10]["satisfaction_percent"] == 75.0
    [seat] = data["per_seat"]
    assert seat["seat"] == "8601" and seat["average_score"] == 75.0
    assert data["per_topic"][0]["topic"] == "wlan"
    scopes = {row[0] for row in csv_rows(data)}
    assert scopes == {"satisfaction-day", "satisfaction-hour", "satisfaction-seat",
                      "satisfaction-topic", "satisfaction-total"}



def test_the_cli_and_csv_carry_the_satisfaction_after_the_desk_table_and_nothing_without():
    import csv
    import io
    from datetime import date
    import re
    from ari_app.quality.figures import csv_table, figures, text_lines
    from ari_app.web.reports_data import text_heads
    day = {"surveyed": 4, "rated": 2, "satisfied": 1, "surveyed#8601": 4, "rated#8601": 2,
           "satisfied#8601": 1, "score_sum#8601": 90, "scored#8601": 1}
    data = figures({date(2026, 12, 7): day})
    lines = text_lines(data, text_heads({}, "en"))
    assert lines[0] == "" and lines[1].startswith("SATISFACTION")
    assert "satisfied   50.0 %" in lines[2] and "rated   50.0 %" in lines[2]
    assert lines[-1].startswith("seat 8601") and lines[-1].endswith("average QA score 90.0")
    # In Chinese the same figures, and no Latin letter.
    zh = text_lines(data, text_heads({}, "zh"))
    assert not re.search(r"[A-Za-z]", "\n".join(zh)), zh
    assert "满意率   50.0 %" in zh[2] and zh[-1].endswith("平均质检分 90.0")
    out = io.StringIO()
    csv_table(csv.writer(out, lineterminator="\n"), data)
    rows = out.getvalue().split("\n")
    assert rows[0] == "" and rows[1].startswith("scope,period,surveyed")
    assert text_lines(None, text_heads({}, "en")) == [] and text_lines({}, {}) == []
    empty = io.StringIO()
    csv_table(csv.writer(empty), None)
    assert empty.getvalue() == ""


def test_the_quality_settings_reach_the_dialplan_as_globals():
    from ari_app.quality import quality_globals
    from ari_app.settings import QualitySettings
    assert quality_globals(QualitySettings()) == {
        "DESK_RECORD_NOTICE": "yes", "DESK_SURVEY": "yes", "DESK_SURVEY_WAIT": "6"}
    off = quality_globals(QualitySettings(notice=False, survey=False, survey_wait=3))
    assert off == {"DESK_RECORD_NOTICE": "no", "DESK_SURVEY": "no", "DESK_SURVEY_WAIT": "3"}


async def test_metrics_name_failures_and_leave_out_the_store_when_redis_is_away():
    from collections import Counter
    from types import SimpleNamespace
    from redis.exceptions import ConnectionError as RedisDown
    from ari_app.quality.metrics import QualityCollector

    class Store:
        def __init__(self, down: bool) -> None:
            self.down = down

        async def totals(self):
            if self.down:
                raise RedisDown("away")
            return 3, 120_000
    parts = SimpleNamespace(tracker=SimpleNamespace(failures=Counter({"file": 2})),
                            retention=SimpleNamespace(counts=Counter({"deleted": 5})),
                            store=Store(False))
    collector = QualityCollector(parts)

    async def scraped() -> dict[str, float]:
        await collector.read()
        return {name: float(value) for name, value in (
            line.rsplit(" ", 1) for line in lines_of(collector) if not line.startswith("#"))}
    values = await scraped()
    assert values['datadesk_recording_failures_total{stage="file"}'] == 2
    assert values['datadesk_recording_failures_total{stage="pause"}'] == 0
    assert values['datadesk_recordings_retention_total{result="deleted"}'] == 5
    assert values["datadesk_recordings_stored"] == 3
    assert values["datadesk_recordings_bytes"] == 120000
    parts.store = Store(True)
    assert "datadesk_recordings_stored" not in await scraped()   # unknown, never a wrong zero


def test_the_reports_page_section_names_each_figure_in_both_languages():
    from datetime import date
    from ari_app.quality.figures import figures
    from ari_app.web.reports_quality import section
    from ari_app.web.texts import texts
    data = figures({date(2026, 12, 7): {"surveyed": 4, "rated": 2, "satisfied": 1,
                                        "surveyed#8601": 4, "rated#8601": 2,
                                        "satisfied#8601": 1, "score_sum#8601": 90,
                                        "scored#8601": 1}})
    for lang, title in (("zh", "满意度（按日）"), ("en", "Satisfaction per day")):
        html = section(texts(lang), data)
        assert title in html and 'data-q-day="2026-12-07"' in html
        assert '<td data-col="satisfaction_percent">50.0</td>' in html
        assert '<td data-col="average_score">90.0</td>' in html
        assert 'data-day=' not in html           # the page's day rows are the desk's own
    assert section(texts("en"), None) == ""


async def test_files_go_to_ari_only_under_a_checked_name():
    from ari_app.ports import AriError
    from ari_app.quality.files import FileMissing, FileUnavailable, RecordingFiles

    class Ari:
        def __init__(self) -> None:
            self.asked: list[tuple[str, str]] = []

        async def download(self, path: str, *, limit: int) -> bytes:
            self.asked.append(("GET", path))
            if "desk-222222" in path:
                raise AriError(404, "GET", path, "Recording not found")
            if "desk-333333" in path:
                raise AriError(500, "GET", path, "boom")
            return b"RIFF"

        async def request(self, method: str, path: str, **_kw):
            self.asked.append((method, path))
            raise AriError(404, method, path, "Recording not found")
    ari = Ari()
    files = RecordingFiles(ari)
    assert await files.read("desk-111111") == b"RIFF"
    with pytest.raises(FileMissing):
        await files.read("desk-222222")
    with pytest.raises(FileUnavailable):
        await files.read("desk-333333")
    assert await files.delete("desk-cb1-2") is False          # already gone
    for hostile in ("../etc/passwd", "desk-1/../x", "desk-111111\x00", "desk-1,2"):
        with pytest.raises(BadName):
            await files.read(hostile)
    assert ari.asked == [("GET", "/recordings/stored/desk-111111/file"),
                         ("GET", "/recordings/stored/desk-222222/file"),
                         ("GET", "/recordings/stored/desk-333333/file"),
                         ("DELETE", "/recordings/stored/desk-cb1-2")]   # nothing hostile sent


def test_a_recording_shows_its_number_masked_but_the_last_four_unless_the_role_sees_numbers():
    from ari_app.web.recordings_api import present
    rec = Recording(name="desk-179666804014", number="13800138201")
    assert present(rec, full_number=False)["number"] == "•••••••8201"
    assert present(rec, full_number=True)["number"] == "13800138201"
    assert present(Recording(name="desk-179666804014", number="8201"),
                   full_number=False)["number"] == "8201"


@pytest.mark.parametrize("seat, topic, kept", [
    ("8601", "wlan", ("8601", "wlan")),
    ("8601", "手机支付", ("8601", "手机支付")),
    ("86#01", "wlan%x", ("", "")),
    ("=HYPERLINK(1)", "@09", ("", "")),
    ("8601\n", "-cmd", ("", "")),
    ("", "", ("", ""))])
def test_a_seat_or_topic_from_a_recording_record_names_a_counter_only_in_its_shape(
        seat, topic, kept):
    from ari_app.store.quality_stats import _SEAT, _TOPIC, _shaped
    assert (_shaped("seat", seat, _SEAT), _shaped("topic", topic, _TOPIC)) == kept


async def test_a_record_the_store_cannot_mark_is_an_index_failure_told_and_counted(caplog):
    from ari_app.quality.tracker import RecordingTracker

    class Ami:
        def on_event(self, *_):
            pass

        def on_connected(self, *_):
            pass

    class Away:
        async def update(self, name, fields):
            raise ConnectionError("Redis away")

    tracker = RecordingTracker(Ami(), Away(), None, None, is_seat=lambda _: True,
                               leading=lambda: True)
    with caplog.at_level("ERROR"):
        await tracker._mark("desk-1796000000123", "missing")
    assert tracker.failures["index"] == 1
    assert any("desk-1796000000123" in r.getMessage() and "missing" in r.getMessage()
               and "Redis away" in r.getMessage() for r in caplog.records)
