"""Reading an attempt's end (every receipt shape, every DIALSTATUS) and the
recovery decision for an attempt whose lease ran out."""

from __future__ import annotations

import pytest

from ari_app.desk.callback import Outcome
from ari_app.dialer.attempt import Receipt, dialstatus, ending
from ari_app.dialer.recovery import Action, recover


@pytest.mark.parametrize("value, receipt", [
    ("3,ANSWER,1800000000", Receipt("3", "ANSWER", 1800000000.0)),
    ("3,busy,1800000000", Receipt("3", "BUSY", 1800000000.0)),
    ("3,DIALLING,1800000000", Receipt("3", "DIALLING", 1800000000.0)),
    ("3,NOANSWER", Receipt("3", "NOANSWER", None)),
    ("3,NOANSWER,", Receipt("3", "NOANSWER", None)),
    ("3,CHANUNAVAIL,soon", Receipt("3", "CHANUNAVAIL", None)),
    ("3,SEATGONE,1800000000,extra", Receipt("3", "SEATGONE", 1800000000.0)),
])
def test_a_receipt_is_read_in_one_place(value, receipt):
    assert Receipt.parse(value) == receipt


@pytest.mark.parametrize("value", [None, "", "3", ",ANSWER,1"])
def test_an_empty_or_malformed_receipt_is_none(value):
    assert Receipt.parse(value) is None


@pytest.mark.parametrize("status, outcome", [
    ("ANSWER", Outcome.ANSWERED), ("BUSY", Outcome.BUSY), ("NOANSWER", Outcome.NO_ANSWER),
    ("CONGESTION", Outcome.FAILED), ("CHANUNAVAIL", Outcome.FAILED),
    ("CANCEL", Outcome.SEAT_HUNG_UP), ("REFUSED", Outcome.REFUSED),
    ("SEATGONE", Outcome.SEAT_HUNG_UP), ("AGENTGONE", Outcome.SEAT_HUNG_UP),
    ("DIALLING", Outcome.SEAT_HUNG_UP),
])
def test_every_receipt_status_after_a_hangup_gives_its_outcome(status, outcome):
    got = ending({"Event": "Hangup"}, Receipt.parse(f"4,{status},1800000100"), "4", 5.0)
    assert got.outcome is outcome
    assert got.answered_at == (1800000100.0 if outcome is Outcome.ANSWERED else None)


def test_a_receipt_of_another_attempt_says_nothing_of_this_one():
    old = Receipt.parse("3,ANSWER,1800000000")
    assert dialstatus(old, "4") == ""
    got = ending({"Event": "Hangup"}, old, "4", 5.0)
    assert got.outcome is Outcome.SEAT_HUNG_UP and got.at is None


def test_no_event_and_no_receipt_is_a_seat_that_left():
    assert ending(None, None, "4", 5.0).outcome is Outcome.SEAT_HUNG_UP


@pytest.mark.parametrize("status, outcome", [
    ("ANSWER", Outcome.ANSWERED), ("BUSY", Outcome.BUSY), ("NOANSWER", Outcome.NO_ANSWER),
    ("CHANUNAVAIL", Outcome.FAILED), ("CANCEL", Outcome.SEAT_HUNG_UP),
])
def test_a_dialend_is_read_as_is_at_the_time_it_came(status, outcome):
    got = ending({"Event": "DialEnd", "DialStatus": status},
                 Receipt.parse("4,BUSY,1"), "4", 42.0)
    assert got.outcome is outcome and got.at == 42.0


@pytest.mark.parametrize("status", ["open", "done", "failed", "cancelled", "served", None])
def test_a_callback_no_longer_dialling_is_left_alone(status):
    assert recover(status, "2", live=True, receipt=None).action is Action.LEAVE


def test_an_attempt_still_up_in_asterisk_is_followed_whatever_its_receipt():
    for receipt in (None, Receipt.parse("2,ANSWER,1800000000")):
        assert recover("dialling", "2", live=True, receipt=receipt).action is Action.FOLLOW


@pytest.mark.parametrize("status, outcome, at", [
    ("ANSWER", Outcome.ANSWERED, 1800000000.0), ("BUSY", Outcome.BUSY, 1800000000.0),
    ("NOANSWER", Outcome.NO_ANSWER, 1800000000.0), ("CONGESTION", Outcome.FAILED, 1800000000.0),
    ("REFUSED", Outcome.REFUSED, 1800000000.0), ("SEATGONE", Outcome.SEAT_HUNG_UP, 1800000000.0),
    ("AGENTGONE", Outcome.SEAT_HUNG_UP, 1800000000.0),
])
def test_an_attempt_that_ended_unattended_is_recorded_from_its_receipt(status, outcome, at):
    got = recover("dialling", "2", live=False, receipt=Receipt.parse(f"2,{status},1800000000"))
    assert got.action is Action.RECORD and got.ending.outcome is outcome and got.ending.at == at


@pytest.mark.parametrize("receipt", [None, "1,ANSWER,1800000000", "1,DIALLING,1800000000"])
def test_an_attempt_gone_without_a_receipt_of_its_own_is_requeued(receipt):
    got = recover("dialling", "2", live=False, receipt=Receipt.parse(receipt))
    assert got.action is Action.REQUEUE and got.ending is None


def test_an_attempt_gone_mid_dial_counts_as_an_attempt_at_the_customer():
    """Its receipt says the customer's leg started and never ended (Asterisk
    stopped mid-dial): recorded as failed at the receipt's time, so it costs
    an attempt, never a free requeue."""
    got = recover("dialling", "2", live=False, receipt=Receipt.parse("2,DIALLING,1800000000"))
    assert got.action is Action.RECORD
    assert got.ending.outcome is Outcome.FAILED and got.ending.outcome.reached_customer
    assert got.ending.at == 1800000000.0
