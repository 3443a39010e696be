"""The number policy and the retry rule."""

from datetime import datetime, timedelta, timezone

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from ari_app.desk.callback import Outcome, RetryPolicy, Status, after_attempt, claim_refusal
from ari_app.desk.numbers import InvalidNumber, NumberPolicy

POLICY = NumberPolicy()
NOW = datetime(2026, 11, 30, 4, 0, tzinfo=timezone.utc)
DEADLINE = NOW + timedelta(hours=1)


@pytest.mark.parametrize("raw, expected", [
    ("13800138000", "13800138000"), ("138 0013 8000", "13800138000"),
    ("138-0013-8000", "13800138000"), ("076922345678", "076922345678"),
    ("01012345678", "01012345678"), ("19912345678", "19912345678"),
])
def test_allowed_numbers(raw, expected):
    assert POLICY.check(raw) == expected


@pytest.mark.parametrize("raw, why", [
    ("+8613800138000", "international"), ("008613800138000", "international"),
    ("95588", "premium"), ("10086", "premium"), ("12580", "premium"), ("10690000", "premium"),
    ("1380013800", "mainland"), ("11800138000", "premium"), ("23800138000", "mainland"),
    ("13800138000&PJSIP/x", "digits only"), ("13800138000\n", "digits only"),
    ("1380013800０", "digits only"), ("", "empty"), ("9" * 41, "too long"), ("9" * 21, "too long"),
    (13800138000, "string"),
])
def test_refused_numbers_say_why(raw, why):
    with pytest.raises(InvalidNumber, match=why):
        POLICY.check(raw)


def test_custom_policy_patterns():
    policy = NumberPolicy(allow=(r"4\d{3}",), deny={})
    assert policy.check("4123") == "4123"
    with pytest.raises(InvalidNumber):
        policy.check("13800138000")


RETRY = RetryPolicy(max_attempts=3, backoff=(120, 300), seat_retry=30)


def test_answered_ends_the_callback():
    assert after_attempt(Outcome.ANSWERED, 1, NOW, DEADLINE, RETRY).status is Status.DONE


def test_busy_is_retried_after_the_backoff_then_fails_at_the_attempt_limit():
    first = after_attempt(Outcome.BUSY, 1, NOW, DEADLINE, RETRY)
    assert first.status is Status.OPEN and first.due == NOW + timedelta(seconds=120)
    second = after_attempt(Outcome.NO_ANSWER, 2, NOW, DEADLINE, RETRY)
    assert second.due == NOW + timedelta(seconds=300)
    third = after_attempt(Outcome.BUSY, 3, NOW, DEADLINE, RETRY)
    assert third.status is Status.FAILED and "3 attempt" in third.reason


def test_a_retry_that_would_start_after_the_deadline_fails_instead():
    late = DEADLINE - timedelta(seconds=60)
    nxt = after_attempt(Outcome.BUSY, 1, late, DEADLINE, RETRY)
    assert nxt.status is Status.FAILED and "deadline" in nxt.reason
    graced = after_attempt(Outcome.BUSY, 1, late, DEADLINE,
                           RetryPolicy(max_attempts=3, backoff=(120,), grace=600))
    assert graced.status is Status.OPEN


def test_no_seat_costs_the_customer_no_attempt():
    nxt = after_attempt(Outcome.SEAT_NO_ANSWER, 3, NOW, DEADLINE, RETRY)
    assert nxt.status is Status.OPEN and nxt.due == NOW + timedelta(seconds=30)


@pytest.mark.parametrize("late", [timedelta(seconds=-10), timedelta(minutes=20)])
def test_a_customer_never_rung_is_still_called_after_the_deadline(late):
    # Overdue callbacks are claimed first thing in the morning; a seat that
    # does not pick up must not end one that never rang the customer.
    nxt = after_attempt(Outcome.SEAT_NO_ANSWER, 0, DEADLINE + late, DEADLINE, RETRY,
                        seat_failures=1)
    assert nxt.status is Status.OPEN


def test_once_the_customer_was_rung_the_deadline_bounds_seat_retries_too():
    nxt = after_attempt(Outcome.SEAT_HUNG_UP, 1, DEADLINE, DEADLINE, RETRY, seat_failures=1)
    assert nxt.status is Status.FAILED and "deadline" in nxt.reason


def test_seat_failures_are_bounded():
    nxt = after_attempt(Outcome.SEAT_NO_ANSWER, 0, NOW, DEADLINE, RETRY,
                        seat_failures=RETRY.seat_tries)
    assert nxt.status is Status.FAILED and "no seat took it 10 times" in nxt.reason


@pytest.mark.parametrize("status, outcome", [
    ("ANSWER", Outcome.ANSWERED), ("BUSY", Outcome.BUSY), ("NOANSWER", Outcome.NO_ANSWER),
    ("CONGESTION", Outcome.FAILED), ("CHANUNAVAIL", Outcome.FAILED),
    ("CANCEL", Outcome.SEAT_HUNG_UP), ("", Outcome.SEAT_HUNG_UP),
])
def test_dialstatus_mapping(status, outcome):
    assert Outcome.from_dialstatus(status) is outcome


def test_a_claim_is_refused_once_the_attempts_or_the_tries_are_used_up():
    assert claim_refusal(2, 11, RETRY) is None
    assert claim_refusal(3, 3, RETRY) == "its 3 attempt(s) at the customer are used up (at most 3)"
    assert RETRY.max_tries == 13
    assert claim_refusal(0, 13, RETRY) == "claimed 13 times already (at most 13)"


# What can bring a callback back to the queue: an attempt's outcome, or a
# deferral (the call rate limit) that is no outcome at all.
WAYS_BACK = st.one_of(st.sampled_from(list(Outcome)), st.just("deferred"))


@settings(max_examples=500)
@given(st.lists(WAYS_BACK, max_size=60), st.integers(1, 5), st.integers(1, 12))
def test_whatever_brings_a_callback_back_the_customer_is_called_at_most_max_attempts(
        ways, max_attempts, seat_tries):
    """The rule as the store and the dialer apply it: each claim counts a
    try; an outcome that reached the customer counts an attempt; the retry
    rule decides what follows, the claim rule whether it may be claimed."""
    policy = RetryPolicy(max_attempts=max_attempts, backoff=(1,), seat_retry=1,
                         seat_tries=seat_tries)
    far = NOW + timedelta(days=365)                     # time is not the limit here
    attempts = tries = 0
    for way in ways:
        if claim_refusal(attempts, tries, policy) is not None:
            break
        tries += 1
        if way == "deferred":
            continue
        attempts += 1 if way.reached_customer else 0
        if after_attempt(way, attempts, NOW, far, policy,
                         seat_failures=tries - attempts).status is not Status.OPEN:
            break
    assert attempts <= max_attempts and tries <= policy.max_tries
