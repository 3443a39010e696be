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
    from ari_app.dialer.attempt import originate
    from ari_app.dialer.config import DialerSettings
    timing = DialerSettings.of()
    base = {"id": "cb1", "fence": "1", "number": "13912345678"}
    for stored, sent in (("zh", "zh"), ("en", "en"), ("", ""), ("x\r\nAction: Logoff", "")):
        action = originate({**base, "language": stored}, timing)
        assert f"CB_LANGUAGE={sent}" in action["Variable"], action
