"""What a caller hears about time (``ari_app/asterisk/told.py``), in each
language's word order: the estimate, a window, "after", the apology when
late, the slot offer and which key chose what; every sound it can say is in
both prompt sets."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ari_app.asterisk import told
from ari_app.asterisk.prompt_sets import SETS
from ari_app.asterisk.sounds_played import _media, told_sounds
from ari_app.desk.calendar import ServiceCalendar
from ari_app.desk.promise import Promise, Slot, Told, Workload, estimate

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=SH)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH) if day <= 30 else \
        datetime(2026, 12, day - 30, hour, minute, tzinfo=SH)


def test_within_about_n_minutes_in_both_languages():
    promise = Promise(Told.WITHIN, NOW, NOW + timedelta(minutes=25), 25)
    assert told.said(promise, NOW, SH, "zh") == ("desk-time-expect", "number:25",
                                                 "desk-time-minutes")
    assert told.said(promise, NOW, SH, "en") == ("desk-time-expect", "number:25",
                                                 "desk-time-minutes")


def test_a_closed_desk_says_between_nine_and_ten_tomorrow_in_each_word_order():
    cal = ServiceCalendar.build()
    now = at(30, 23, 30)
    promise = estimate(now, cal, cal.sla_deadline(now, timedelta(hours=1)),
                       Workload(0, 0, 6, 163), timedelta(hours=1))
    assert told.said(promise, now, SH, "zh") == (
        "desk-time-window", "digits/tomorrow", "number:9", "digits/oclock", "desk-time-to",
        "number:10", "digits/oclock", "desk-time-end")
    assert told.said(promise, now, SH, "en") == (
        "desk-time-window", "digits/tomorrow", "desk-time-from", "number:9", "digits/a-m",
        "desk-time-to", "number:10", "digits/a-m")


def test_after_nine_and_the_apology_when_the_time_runs_past_the_deadline():
    after = Promise(Told.AFTER, at(31, 9), None)
    assert told.said(after, at(30, 23), SH, "zh") == (
        "desk-time-window", "digits/tomorrow", "number:9", "digits/oclock", "desk-time-after")
    assert told.said(after, at(30, 23), SH, "en") == (
        "desk-time-window", "digits/tomorrow", "desk-time-after", "number:9", "digits/a-m")
    late = Promise(Told.BETWEEN, at(30, 14), at(30, 15), late=True)
    assert told.said(late, NOW, SH, "en")[-1] == "desk-time-late"


def test_times_with_minutes_are_said_as_each_language_says_them():
    assert told.clock(at(30, 21, 30), "zh") == ("number:21", "digits/oclock", "number:30",
                                                "minutes")
    assert told.clock(at(30, 21, 30), "en") == ("number:9", "number:30", "digits/p-m")
    assert told.clock(at(30, 9, 5), "en") == ("number:9", "digits/oh", "number:5", "digits/a-m")
    assert told.clock(at(30, 0, 0), "en") == ("number:12", "digits/a-m")


def test_a_window_two_days_on_names_the_weekday():
    # 2 Dec 2026 is a Wednesday: digits/day-3.
    assert told.window(at(32, 9), at(32, 10), NOW, SH, "en")[0] == "digits/day-3"


def test_the_offer_gives_one_key_each_from_two_and_keeps_on_one():
    slots = [Slot(at(30, 14), at(30, 15)), Slot(at(30, 16), at(30, 17))]
    words = told.offer(slots, NOW, SH, "zh")
    assert words[:2] == ("desk-time-keep", "desk-time-later")
    assert words[2:5] == ("vm-press", "digits/2", "desk-time-slot")
    assert "desk-time-end" not in words     # the list has no closing verb
    assert ("vm-press", "digits/3") == words[words.index("digits/3") - 1:][:2]
    assert told.chosen("1", slots) is None
    assert told.chosen("2", slots) == slots[0] and told.chosen("3", slots) == slots[1]
    for wrong in ("4", "0", "*", "#", "", "٢", "22"):
        assert told.chosen(wrong, slots) is False, wrong


def test_every_sound_the_times_can_say_is_in_both_sets():
    for language in SETS:
        names = {f for media in told_sounds(language) for f in _media(media, language)}
        assert names <= SETS[language], (language, names - SETS[language])
        assert "desk-time-late" in names and "digits/day-6" in names
