"""The demo's log check: what counts as a line an operator must act on."""

import json

from lab.demo import log_problems


def _line(level: str, msg: str) -> str:
    return json.dumps({"ts": "2026-11-29T22:00:00.000Z", "level": level, "logger": "x",
                       "msg": msg})


def test_warnings_errors_and_stray_text_are_problems_info_is_not(tmp_path):
    log = tmp_path / "controller.log"
    lines = [_line("info", "ARI: application 'datadesk' connected"),
             _line("warning", "Redis: unreachable at 127.0.0.1:6379"),
             _line("error", "callback cb1: number refused at dial time"),
             _line("critical", "giving up"),
             "Traceback (most recent call last):",
             _line("debug", "event")]
    log.write_text("\n".join(lines) + "\n")
    assert log_problems(log) == [lines[1], lines[2], lines[3], lines[4]]


def test_a_clean_log_has_no_problem(tmp_path):
    log = tmp_path / "controller.log"
    log.write_text(_line("info", "leadership: leading") + "\n")
    assert log_problems(log) == []
