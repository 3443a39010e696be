"""The command line's tables in Simplified Chinese or English: headings,
words and topic names translated, API values untouched underneath, columns
aligned by terminal width (a Chinese character takes two columns)."""

from __future__ import annotations

import unicodedata
from zoneinfo import ZoneInfo

import pytest

from ari_app.settings import SettingsError
from ari_app.settings.loading import load_settings
from ari_app.tables import table

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROWS = [{"id": "cb1", "number": "13800138000", "topic": "mobile-tv", "status": "open",
         "deadline": "2026-11-30T02:15:00Z", "attempts": 0, "last_outcome": "no-answer"},
        {"id": "cb2", "number": "13912345678", "topic": "", "status": "done",
         "deadline": None, "attempts": 1, "last_outcome": "answered"}]
COLUMNS = ["id", "number", "topic", "status", "deadline", "attempts", "last_outcome"]


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_chinese_table_reads_in_chinese_with_the_desk_zone():
    lines = table(ROWS, COLUMNS, SHANGHAI, "zh").splitlines()
    assert lines[0].split() == ["编号", "回电号码", "业务", "状态", "回电时限", "呼叫次数", "上次结果"]
    assert lines[1].split() == ["cb1", "13800138000", "手机电视", "待回电",
                                "2026-11-30T10:15:00+08:00", "0", "无人接听"]
    assert "已完成" in lines[2] and "已接通" in lines[2]


def test_a_hostile_value_cannot_drive_the_terminal():
    row = {"agent_id": "8601", "paused_reason": "\x1b]0;owned\x07\x1b[2Jlunch\nnext"}
    text = table([row], ["agent_id", "paused_reason"], SHANGHAI, "en")
    assert not any(c in text for c in "\x1b\x07")
    assert text.splitlines()[1].split() == ["8601", "?]0;owned??[2Jlunch?next"]


def test_english_table_keeps_the_api_words():
    lines = table(ROWS, COLUMNS, SHANGHAI, "en").splitlines()
    assert lines[0].split()[:4] == ["ID", "NUMBER", "TOPIC", "STATUS"]
    assert "open" in lines[1] and "no-answer" in lines[1] and "Mobile TV" in lines[1]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_columns_line_up_on_a_terminal(lang):
    lines = table(ROWS, COLUMNS, SHANGHAI, lang).splitlines()
    # the number column starts at the same terminal column on every line
    starts = [width(line[:line.index(n)]) for line, n in
              zip(lines, ["回电号码" if lang == "zh" else "NUMBER", "13800138000", "13912345678"])]
    assert len(set(starts)) == 1, (lines, starts)


def test_an_unknown_word_or_topic_is_shown_as_it_is():
    out = table([{"status": "weird", "topic": "custom-topic"}], ["status", "topic"], SHANGHAI, "zh")
    assert "weird" in out and "custom-topic" in out


def test_screen_language_is_checked_at_load(tmp_path):
    cfg = tmp_path / "d.toml"
    cfg.write_text('[desk]\nscreen_language = "fr"\n')
    with pytest.raises(SettingsError, match="screen_language"):
        load_settings(cfg, {})
    cfg.write_text('[callbacks]\nlanguage = "de"\n')
    with pytest.raises(SettingsError, match="language"):
        load_settings(cfg, {})


def test_topic_languages_name_known_topics_and_desk_languages(tmp_path):
    cfg = tmp_path / "d.toml"
    cfg.write_text('[topics]\nlanguages = { "mobile-tv" = "en" }\n')
    assert load_settings(cfg, {}).topics.languages == {"mobile-tv": "en"}
    for bad in ('{ "mobile-tv" = "fr" }', '{ "no-such-topic" = "en" }'):
        cfg.write_text(f"[topics]\nlanguages = {bad}\n")
        with pytest.raises(SettingsError, match="languages"):
            load_settings(cfg, {})
