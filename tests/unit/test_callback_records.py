"""A stored hash becomes a typed Callback in one place; what cannot be read
is left out with a warning, never guessed at."""

from __future__ import annotations

import logging

import pytest

from ari_app.desk.callback import Outcome, Sla, Status
from ari_app.store.records import callback_of

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
