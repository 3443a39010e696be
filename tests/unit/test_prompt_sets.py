"""The language of a call and the prompt sets: every sound the shipped
dialplan, queues and controller play (read from the files and the code) is
in every language's set, and every phrase has its wording."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ari_app.asterisk.conffile import ConfigFile
from ari_app.asterisk.prompt_sets import PHRASES, SETS, TONES, names
from ari_app.asterisk.prompts import Prompts, call_language
from ari_app.asterisk.sounds_played import (Played, code_sounds, dialplan_sounds, missing,
                                            number_files, queue_sounds)

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


def shipped_dialplan() -> list[Played]:
    """Every sound every shipped dialplan file names (the nodes' too)."""
    files = sorted((ROOT / "dialplan").glob("*.conf")) + sorted(
        (ROOT / "dialplan" / "nodes").glob("*.conf"))
    return [p for f in files for p in dialplan_sounds(ConfigFile(f, ROOT))]


def test_the_dialplan_is_read_for_every_way_it_plays_a_sound():
    """The enumeration itself: Playback, an IF's both branches, Read's
    prompts, SayDigits, on every path (the frontline return, the seats'
    feature codes, the spool, a frontline node's fallback)."""
    by_name = {}
    for p in shipped_dialplan():
        by_name.setdefault(p.name, []).append(p.where)
    assert "dialplan/20-frontline.conf" in by_name["one-moment-please"][0]
    assert {"agent-loginok", "agent-alreadyon", "agent-loggedoff", "beep", "beeperr"} <= \
        set(by_name)
    assert {"vm-enter-num-to-call", "vm-toenternumber", "calling", "desk-greeting"} <= \
        set(by_name)
    assert {f"digits/{d}" for d in range(10)} <= set(by_name)
    assert any("nodes/frontline-node.conf" in w for w in by_name["tt-allbusy"])
    assert not [p for p in shipped_dialplan() if p.unknown]      # every name knowable


def test_every_sound_the_shipped_dialplan_queues_and_code_play_is_in_every_set():
    queues = ConfigFile(ROOT / "asterisk-conf" / "queues.conf", ROOT / "asterisk-conf")
    played = shipped_dialplan() + queue_sounds(queues) + code_sounds()
    assert len({p.name for p in played}) > 60
    lacking = [(p.name, p.where, language) for p, language in missing(played)]
    assert lacking == [], lacking


def test_a_set_that_lacks_a_played_name_is_named_with_where_and_which_language():
    played = shipped_dialplan()
    without = {**SETS, "zh": SETS["zh"] - {"one-moment-please"}}
    lacking = [(p.name, p.where.split("/")[-1].split(":")[0], lang)
               for p, lang in missing(played, without)]
    assert lacking == [("one-moment-please", "20-frontline.conf", "zh")]


def test_queue_announcements_turned_on_are_played_sounds(tmp_path):
    conf = tmp_path / "queues.conf"
    conf.write_text("[general]\n[q](!)\nannounce-frequency = 30\n[desk](q)\n"
                    "periodic-announce-frequency = 60\nperiodic-announce = desk-a,desk-b\n"
                    "announce = desk-whisper\n[quiet]\nannounce-position = yes\n")
    names = [p.name for p in queue_sounds(ConfigFile(conf, tmp_path))]
    assert {"queue-youarenext", "queue-thankyou", "desk-a", "desk-b", "desk-whisper"} <= \
        set(names)
    assert "queue-periodic-announce" not in names                 # overridden
    shipped = ConfigFile(ROOT / "asterisk-conf" / "queues.conf", ROOT / "asterisk-conf")
    assert queue_sounds(shipped) == []       # the shipped queues announce nothing


def test_numbers_are_spelt_as_asterisk_says_them_per_language():
    """main/say.c: English says 11-19 by name and tens then units; Mandarin
    always tens then units."""
    assert number_files(15, "en") == ["digits/15"]
    assert number_files(15, "zh") == ["digits/10", "digits/5"]
    assert number_files(45, "en") == number_files(45, "zh") == ["digits/40", "digits/5"]
    assert number_files(60, "zh") == ["digits/60"] and number_files(0, "zh") == ["digits/0"]


def test_the_english_set_has_every_phrase_and_the_core_times():
    assert SETS["zh"] - SETS["en"] == set()
    assert SETS["en"] - SETS["zh"] == {"digits/a-m", "digits/p-m", "digits/oh"}
    assert set(TONES) <= SETS["zh"] & SETS["en"]


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


def test_the_prompt_document_lists_every_phrase_and_tone():
    doc = (ROOT / "docs" / "prompts.md").read_text()
    lacking = [name for name in [*names(), *TONES] if f"| `{name}` |" not in doc]
    assert not lacking, f"docs/prompts.md lacks {lacking}"


def test_a_recorded_file_replaces_the_generated_one_and_is_never_overwritten(tmp_path,
                                                                            monkeypatch):
    import lab.prompts as gen
    made = []
    monkeypatch.setattr(gen.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    monkeypatch.setattr(gen, "_synthesise",
                        lambda text, voice, out: (made.append(out.name), out.write_bytes(b"gen")))
    monkeypatch.setattr(gen, "_tone", lambda effects, out: out.write_bytes(b"tone"))
    assert len(gen.build(tmp_path)) == len(PHRASES) + len(TONES)  # first build: everything
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
