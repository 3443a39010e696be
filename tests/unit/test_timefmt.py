"""One rule for times: the desk's zone for people, UTC ``Z`` for programs."""

import json
import logging
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from ari_app import logs
from ari_app.cli import _table
from ari_app.store.records import callback_of
from ari_app.timefmt import for_machines, for_people, parse
from ari_app.web.callbacks_api import present, present_history

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026-11-30 02:15:00.25 UTC = 10:15:00.25 in Shanghai.
STORED = "1796004900.250"


def test_machines_get_utc_with_z_to_the_second():
    assert for_machines(STORED) == "2026-11-30T02:15:00Z"
    assert for_machines(float(STORED), milliseconds=True) == "2026-11-30T02:15:00.250Z"
    assert for_machines(datetime(2026, 11, 30, 10, 15, tzinfo=SHANGHAI)) == "2026-11-30T02:15:00Z"
    assert for_machines(None) is None


def test_people_get_the_desk_zone_with_its_offset():
    assert for_people(STORED, SHANGHAI) == "2026-11-30T10:15:00+08:00"
    assert for_people("2026-11-30T02:15:00Z", SHANGHAI) == "2026-11-30T10:15:00+08:00"
    assert for_people("", SHANGHAI) == ""
    assert for_people("soon", SHANGHAI) == "soon"


def test_a_time_without_a_zone_is_refused_not_guessed():
    with pytest.raises(ValueError):
        parse("2026-11-30T02:15:00")


def test_cli_tables_show_the_desk_zone_offset_not_unix_seconds():
    history = [present_history({"seq": "1-0", "event": "created", "at": STORED,
                                "deadline": STORED})]
    table = _table(history, ["event", "at"], SHANGHAI)
    assert table.splitlines()[1].split() == ["created", "2026-11-30T10:15:00+08:00"]


def test_api_fields_keep_their_names_and_are_utc_z():
    cb = present(callback_of({"id": "cb1", "number": "13800138000", "status": "open",
                              "created": STORED, "deadline": STORED, "due": STORED}))
    assert cb["created"] == cb["deadline"] == cb["due"] == "2026-11-30T02:15:00Z"
    assert cb["answered_at"] is None
    entry = present_history({"seq": "1-0", "event": "created", "at": STORED, "outcome": ""})
    assert entry == {"seq": "1-0", "event": "created", "at": "2026-11-30T02:15:00Z",
                     "outcome": ""}


def test_json_log_ts_is_utc_ending_in_z():
    record = logging.LogRecord("datadesk", logging.INFO, __file__, 1, "hello", (), None)
    record.created = float(STORED)
    entry = json.loads(logs.JsonFormatter().format(record))
    assert entry["ts"] == "2026-11-30T02:15:00.250Z"
    plain = logs.PlainFormatter("%(asctime)s %(message)s").format(record)
    assert plain == "2026-11-30T02:15:00.250Z hello"


def test_the_api_time_is_parsed_back_to_the_same_instant():
    when = datetime(2026, 11, 30, 2, 15, tzinfo=timezone.utc)
    assert parse(for_machines(when)) == when
