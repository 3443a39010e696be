"""The language of a call and the prompt set: every phrase the capture, the
spool and the whisper play has a Mandarin wording to generate."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from ari_app.asterisk.prompts import Prompts, call_language
from lab.prompts import PHRASES, names

ROOT = Path(__file__).resolve().parents[2]


def test_desk_language_applies_unless_the_ivr_asks_for_one_the_desk_speaks():
    assert call_language("", "zh") == "zh"
    assert call_language("en", "zh") == "en"
    assert call_language(" ZH ", "en") == "zh"
    assert call_language("fr", "zh") == "zh"          # unknown: the default, never "fr"
    assert call_language("../../etc", "en") == "en"


def test_every_capture_phrase_has_a_generated_mandarin_wording():
    prompts = Prompts(language="zh")
    used = {name for f in dataclasses.fields(prompts) if f.name != "language"
            for name in getattr(prompts, f.name)}
    missing = used - set(names())
    assert not missing, missing
    assert all(zh.strip() and en.strip() for _, zh, en in PHRASES)


def test_every_sound_the_dialplan_plays_has_a_generated_mandarin_wording():
    played = set()
    for conf in ("30-desk.conf", "35-spool.conf"):
        text = (ROOT / "dialplan" / conf).read_text()
        for args in re.findall(r"(?:Playback\(|Read\([A-Z_]+,)([^,)]+)", text):
            played.update(args.split("&"))
    assert played and not played - set(names()), played - set(names())


def test_digits_0_to_9_are_in_the_set():
    assert {f"digits/{d}" for d in range(10)} <= set(names())


def test_the_originate_carries_the_callbacks_language_and_nothing_else():
    from ari_app.desk.callback import Callback, Progress, Request, Status, Times
    from ari_app.dialer.originate import originate
    from ari_app.dialer.config import DialerSettings
    timing = DialerSettings.of()
    for stored, sent in (("zh", "zh"), ("en", "en"), ("", ""), ("x\r\nAction: Logoff", "")):
        cb = Callback("cb1", Status.DIALLING, Request("13912345678", language=stored),
                      Times(1800000000.0, 1800000000.0), Progress(fence="1"))
        action = originate(cb, timing)
        assert f"CB_LANGUAGE={sent}" in action["Variable"], action


from datetime import datetime, timedelta  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from ari_app.asterisk.prompts import promise  # noqa: E402
from ari_app.desk.calendar import ServiceCalendar  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(minutes=60)


def told(hh: int, mm: int, language: str) -> tuple[str, ...]:
    """What a caller captured at hh:mm (30 Nov 2026, Shanghai) hears, from
    the same calendar that sets the SLA deadline (09:00-22:00)."""
    cal = ServiceCalendar.build("Asia/Shanghai", "09:00-22:00", {}, [])
    now = datetime(2026, 11, 30, hh, mm, tzinfo=SH)
    return promise(now, cal.sla_deadline(now, HOUR), SH, HOUR, language)


def test_open_desk_says_less_than_the_sla_in_minutes():
    assert told(12, 0, "zh") == ("queue-less-than", "number:60", "queue-minutes")
    assert told(21, 0, "en") == ("queue-less-than", "number:60", "queue-minutes")


def test_near_closing_says_the_next_mornings_time_2130_to_0930():
    assert told(21, 30, "zh") == ("queue-less-than", "digits/tomorrow", "number:9",
                                  "digits/oclock", "number:30", "minutes", "desk-before")
    assert told(21, 30, "en") == ("digits/tomorrow", "number:9", "number:30", "digits/a-m")


def test_closed_says_today_or_tomorrow_at_the_full_hour():
    assert told(23, 30, "zh")[1:4] == ("digits/tomorrow", "number:10", "digits/oclock")
    assert "minutes" not in told(23, 30, "zh")
    assert told(3, 0, "en") == ("digits/today", "number:10", "digits/a-m")


def test_every_sound_a_promise_names_has_a_mandarin_wording():
    for hh, mm in ((12, 0), (21, 30), (23, 30), (3, 0)):
        for media in told(hh, mm, "zh"):
            assert media.startswith("number:") or media in names(), media
        # English says a.m./p.m. from the core sounds, which have no zh wording.
        for media in told(hh, mm, "en"):
            assert media.startswith("number:") or media in names() \
                or media in ("digits/a-m", "digits/p-m"), media


def test_the_prompt_document_lists_every_phrase():
    doc = (ROOT / "docs" / "prompts.md").read_text()
    missing = [name for name, _, _ in PHRASES if f"| `{name}` |" not in doc]
    assert not missing, f"docs/prompts.md lacks {missing}"


def test_a_recorded_file_replaces_the_generated_one_and_is_never_overwritten(tmp_path,
                                                                            monkeypatch):
    import lab.prompts as gen
    made = []
    monkeypatch.setattr(gen.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    monkeypatch.setattr(gen, "_synthesise",
                        lambda text, voice, out: (made.append(out.name), out.write_bytes(b"gen")))
    assert len(gen.build(tmp_path)) == len(PHRASES)              # first build: everything
    assert gen.build(tmp_path) == []                             # again: nothing to do
    zh = tmp_path / "zh"
    (zh / "tt-allbusy.sln16").write_bytes(b"studio")             # an operator's recording
    (zh / "digits" / "1.wav").unlink()
    (zh / "digits" / "1.wav").write_bytes(b"studio too")         # copied over a generated one
    assert gen.build(tmp_path) == []
    assert not (zh / "tt-allbusy.wav").exists()                  # only the recording is left
    assert (zh / "tt-allbusy.sln16").read_bytes() == b"studio"
    assert "tt-allbusy.wav" not in (zh / gen.MANIFEST).read_text().split()
    assert (zh / "digits" / "1.wav").read_bytes() == b"studio too"
