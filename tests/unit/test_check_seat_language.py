"""check-config and a seat's whisper language: a seat may hear its whisper
in a language the desk has prompts in (zh, en), or, unset, in the desk's."""

from __future__ import annotations

from pathlib import Path

from ari_app.asterisk.conffile import Section
from ari_app.checkconfig.desk import seat_language_problem
from tests.unit.test_check_config import edit, run


def endpoint(*options: tuple[str, str]) -> Section:
    return Section("8603", "pjsip.conf", 10,
                   options=[(k, v, 11 + i) for i, (k, v) in enumerate(options)])


def test_a_seat_in_a_language_of_the_desk_or_none_passes():
    assert seat_language_problem("8603", endpoint(("type", "endpoint"))) is None
    assert seat_language_problem("8603", endpoint(("language", "zh"))) is None
    assert seat_language_problem("8603", endpoint(("language", "en"))) is None
    assert seat_language_problem("8603", endpoint(("language", ""))) is None  # unset


def test_a_seat_in_a_language_without_prompts_is_refused_where_it_is_set():
    problem = seat_language_problem("8603", endpoint(("type", "endpoint"), ("language", "fr")))
    assert problem == ("pjsip.conf:12: seat 8603 has language 'fr': the desk has prompts "
                       "in zh and en only (unset: the desk's language)")
    # The dialplan compares exactly: "ZH" would quietly play the desk's language.
    assert seat_language_problem("8603", endpoint(("language", "ZH"))) is not None


def test_check_config_refuses_a_seat_language_without_prompts(tmp_path: Path):
    def french(conf: Path, _plan: Path) -> None:
        edit(conf / "pjsip.conf", "[8603](seat-endpoint)\n",
             "[8603](seat-endpoint)\nlanguage = fr\n")
    code, out = run(tmp_path, french)
    assert code == 1 and "seat 8603 has language 'fr'" in out, out


def test_check_config_accepts_a_seat_in_english(tmp_path: Path):
    def english(conf: Path, _plan: Path) -> None:
        edit(conf / "pjsip.conf", "[8606](seat-endpoint)\n",
             "[8606](seat-endpoint)\nlanguage = en\n")
    code, out = run(tmp_path, english)
    assert code == 0, out
