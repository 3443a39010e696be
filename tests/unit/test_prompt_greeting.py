"""The callback's greeting in both languages: Mandarin with the generated
set, English generated alone beside the core sounds, into the directory the
tree's ``sounds/en`` symlink names inside the tree."""

from __future__ import annotations

import os

import pytest

import lab.prompts as gen


@pytest.fixture
def fake_tools(monkeypatch):
    made: list[tuple[str, str]] = []
    monkeypatch.setattr(gen.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    monkeypatch.setattr(gen, "_synthesise", lambda text, voice, out: (
        made.append((out.name, text)), out.write_bytes(b"gen")))
    return made


def test_the_greeting_is_a_phrase_in_both_languages():
    wording = {name: (zh, en) for name, zh, en in gen.PHRASES}
    assert wording["desk-greeting"] == ("您好，这里是数据业务专席，为您回电。",
                                        "Hello, this is the data service desk returning your call.")
    voice, column, only = gen.GENERATED["en"]
    # English generates the greeting, the recording notice and survey, and the
    # customer's-time sentences, nothing else.
    assert only == {"desk-greeting", "desk-recording-notice", "desk-survey",
                    "desk-survey-thanks"} | {n for n in wording if n.startswith("desk-time-")}
    assert column == 2 and voice.startswith("en")


def test_english_generates_only_what_the_core_sounds_lack(tmp_path, fake_tools):
    core = tmp_path / "en"
    core.mkdir()
    (core / "calling.gsm").write_bytes(b"core")
    only = gen.GENERATED["en"][2]
    assert {"desk-recording-notice", "desk-survey", "desk-survey-thanks",
            "desk-greeting"} <= set(only)
    assert sorted(gen.build(tmp_path, "en")) == sorted(only)
    assert ("desk-greeting.wav",
            "Hello, this is the data service desk returning your call.") in fake_tools
    assert len(fake_tools) == len(only) and "calling.gsm" not in dict(fake_tools)
    assert (core / "calling.gsm").read_bytes() == b"core"          # the core sound untouched
    assert (core / gen.MANIFEST).read_text().split() == sorted(f"{n}.wav" for n in only)
    assert gen.build(tmp_path, "en") == []                          # again: nothing to do


def test_absolute_symlinks_are_read_inside_the_tree(tmp_path, fake_tools):
    tree = tmp_path / "tree"
    sounds = tree / "usr/share/asterisk/sounds"
    allison = sounds / "en_US_f_Allison"
    allison.mkdir(parents=True)
    (tree / "etc/alternatives").mkdir(parents=True)
    # As Debian installs them: absolute links, meaningful only inside the chroot.
    os.symlink("/usr/share/asterisk/sounds/en_US_f_Allison",
               tree / "etc/alternatives/asterisk-prompt-en")
    os.symlink("/etc/alternatives/asterisk-prompt-en", sounds / "en")
    assert gen.within(tree, sounds / "en") == tree / "usr/share/asterisk/sounds/en_US_f_Allison"
    assert gen.within(tree, sounds / "zh") == sounds / "zh"          # not a link: itself
    gen.build(sounds, "en", root=tree)
    assert (allison / "desk-greeting.wav").is_file()


def test_a_symlink_loop_is_an_error_not_a_hang(tmp_path):
    os.symlink("/a", tmp_path / "a")
    with pytest.raises(gen.PromptError):
        gen.within(tmp_path, tmp_path / "a")


def test_a_recorded_english_greeting_wins(tmp_path, fake_tools):
    gen.build(tmp_path, "en")
    (tmp_path / "en" / "desk-greeting.gsm").write_bytes(b"recorded")
    gen.build(tmp_path, "en")
    assert not (tmp_path / "en" / "desk-greeting.wav").exists()
    assert (tmp_path / "en" / "desk-greeting.gsm").read_bytes() == b"recorded"

