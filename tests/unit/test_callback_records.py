"""A stored hash becomes a typed Callback in one place; what cannot be read
is left out with a warning, never guessed at; the id is the key's, and a
record whose fields disagree with its key says why."""

from __future__ import annotations

import logging

import pytest

from ari_app.desk.callback import Outcome, Sla, Status
from ari_app.store.records import MISMATCH, callback_of, disagreement

STORED = {"id": "cb7", "number": "13800138000", "topic": "wlan", "status": "open",
          "deadline": "1800003600", "due": "1800000000", "created": "1800000000",
          "attempts": "1", "tries": "3", "fence": "3", "last_outcome": "busy",
          "sla": "breached", "first_dialled": "1800004000.5", "reason": "busy: retry"}


def test_a_stored_hash_reads_into_typed_fields():
    cb = callback_of(STORED)
    assert cb.status is Status.OPEN and cb.request.number == "13800138000"
    assert cb.times.deadline == 1800003600.0 and cb.times.updated is None
    assert (cb.progress.attempts, cb.progress.tries, cb.progress.fence) == (1, 3, "3")
    assert cb.progress.last_outcome is Outcome.BUSY and cb.result.sla is Sla.BREACHED
    assert cb.result.first_dialled == 1800004000.5 and cb.result.answered_at is None


@pytest.mark.parametrize("former, now", [("agent-no-answer", Outcome.SEAT_NO_ANSWER),
                                         ("agent-hung-up", Outcome.SEAT_HUNG_UP)])
def test_outcomes_stored_under_their_former_names_still_read(former, now):
    assert callback_of({**STORED, "last_outcome": former}).progress.last_outcome is now


@pytest.mark.parametrize("field, value", [("status", "lost"), ("deadline", "soon"),
                                          ("attempts", "x"), ("sla", "maybe")])
def test_an_unreadable_record_is_left_out_with_a_warning(caplog, field, value):
    with caplog.at_level(logging.WARNING):
        assert callback_of({**STORED, field: value}) is None
    assert "cb7" in caplog.text and "unreadable" in caplog.text


def test_a_record_without_a_number_is_left_out():
    assert callback_of({k: v for k, v in STORED.items() if k != "number"}) is None


def test_the_id_is_the_keys_whatever_the_id_field_says():
    assert callback_of({**STORED, "id": "cb7x,SECCHECK=1"}, "cb7").id == "cb7"


@pytest.mark.parametrize("key, fields, why", [
    ("cb7", {"id": "cb7x,SECCHECK=from-redis"}, "its id field differs from its key"),
    ("cb7", {"id": "cb8"}, "its id field differs from its key"),
    ("cb07", {"id": "cb07"}, "its key is not a callback id (cb and digits)"),
    ("cb7\n", {"id": "cb7\n"}, "its key is not a callback id (cb and digits)"),
    ("cb" + "9" * 19, {"id": "cb" + "9" * 19}, "its key is not a callback id (cb and digits)"),
    ("cb7", {"status": "done"}, "its status is not open"),
    ("cb7", {"fence": "3,X=1"}, "its fence is not a count"),
    ("cb7", {"tries": "1" * 10}, "its tries is not a count"),
    ("cb7", {"attempts": "\u0661"}, "its attempts is not a count"),
    ("cb7", {"deadline": "1e9"}, "its deadline is not a time"),
    ("cb7", {"deadline": " 1800003600"}, "its deadline is not a time"),
    ("cb7", {"deadline": "nan"}, "its deadline is not a time"),
])
def test_a_record_the_controller_cannot_have_written_under_its_key_says_why(key, fields, why):
    assert disagreement(key, {**STORED, **fields}) == MISMATCH + why


def test_a_record_as_the_store_writes_it_agrees_with_its_key():
    assert disagreement("cb7", STORED) is None
    assert disagreement("cb7", {**STORED, "status": "dialling"}, Status.DIALLING) is None
    assert disagreement("cb7", {**STORED, "deadline": "1800003600.25"}) is None
    assert disagreement("cb7", {}) == MISMATCH + "no record under its key"
