"""Customers' numbers in the controller's log: masked to the last four
digits as the wallboard masks them, in messages and tracebacks, unless the
operator turned full numbers on; identifiers an operator needs whole (the
spool's keys, Asterisk's unique ids, channel names) are left whole."""

from __future__ import annotations

import json
import logging

import pytest

from ari_app.logs import JsonFormatter, PlainFormatter, hide_numbers, numbers_line
from ari_app.settings import load_settings


@pytest.mark.parametrize("line, shown", [
    ("callback cb2: attempt 1 to 13812345678 (deadline 2026-12-01T02:00:00Z)",
     "callback cb2: attempt 1 to •••••••5678 (deadline 2026-12-01T02:00:00Z)"),
    ("route caller=13800138000 target=8600 topic=07 transferer=1001 -> queue",
     "route caller=•••••••8000 target=8600 topic=07 transferer=1001 -> queue"),
    ("NOT dialled: number '+8613800138000'", "NOT dialled: number '••••••••••8000'"),
    ("number '0044123456789\\r\\nAction: x'", "number '•••••••••6789\\r\\nAction: x'"),
    ("fixed line 02088888888 and local 88888888.", "fixed line •••••••8888 and local ••••8888."),
    ("Redis: event route not recorded: {'caller': '13912345678'}",
     "Redis: event route not recorded: {'caller': '•••••••5678'}"),
    ("dialled PJSIP/13800138000@carrier", "dialled PJSIP/•••••••8000@carrier"),
])
def test_numbers_are_masked_to_their_last_four_digits(line, shown):
    assert hide_numbers(line) == shown


@pytest.mark.parametrize("line", [
    "spool entry 17644680001='x' refused; remove it with 'asterisk -rx \"database del "
    "desk-spool 17644680001\"'",
    "ARI: channel 1764468000.123 left before it could be routed",
    "hung up Local/s@desk-callback-seat-00000012;1 and PJSIP/carrier-00000031",
    "desk 8600, seat 8601, frontline 10086, port 18680, topic 860021, cb1234567",
])
def test_identifiers_an_operator_needs_whole_are_left_whole(line):
    assert hide_numbers(line) == line


def _record(msg: str, *args, exc: BaseException | None = None) -> logging.LogRecord:
    info = (type(exc), exc, None) if exc else None
    return logging.LogRecord("ari_app.dialer", logging.INFO, __file__, 1, msg, args, info)


def test_the_json_lines_mask_the_message_and_the_traceback_unless_full_numbers():
    record = _record("callback %s: attempt %s to %s", "cb2", "1", "13812345678",
                     exc=ValueError("refused 13812345678"))
    masked = json.loads(JsonFormatter().format(record))
    assert masked["msg"] == "callback cb2: attempt 1 to •••••••5678"
    assert "13812345678" not in masked["exc"] and "•••••••5678" in masked["exc"]
    whole = json.loads(JsonFormatter(full_numbers=True).format(record))
    assert whole["msg"].endswith("to 13812345678") and "13812345678" in whole["exc"]


def test_the_plain_lines_mask_too():
    plain = PlainFormatter("%(levelname)s %(message)s")
    assert plain.format(_record("to %s", "13812345678")) == "INFO to •••••••5678"


def test_the_start_says_which_and_the_setting_defaults_to_masked(tmp_path):
    assert "last four digits" in numbers_line(False) and "personal data" in numbers_line(True)
    assert load_settings(None, env={}).logs.full_numbers is False
    cfg = tmp_path / "datadesk.toml"
    cfg.write_text("[logs]\nfull_numbers = true\n")
    assert load_settings(cfg, env={}).logs.full_numbers is True
