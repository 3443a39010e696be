"""The dialer on fakes (``tests/fakes``) with stored records the controller
did not write: the id is the key's; a record that disagrees with its key, or
whose tries are used up, ends failed with one ERROR line and the metric; a
lease entry with nothing behind it is dropped; every way back to the queue
counts, so no customer is called more often than the attempts allow; and for
any string in any stored field, no Originate value carries , = ; | or a
control character."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from ari_app.asterisk.ami_shapes import check_originate
from ari_app.desk.callback import Refused, RetryPolicy
from ari_app.store.records import MISMATCH
from tests.unit.test_dialer_steps import OPEN, Desk

LEASE = 90  # the default [callbacks] lease the fakes' dialer runs with


def errors(caplog, cb_id: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.ERROR
            and getattr(r, "callback", None) == cb_id]


@pytest.mark.parametrize("field", ["cb1x,SECCHECK=from-redis,DESK_OUT_TRUNK=1001", "cb1x",
                                   "cb2", ""])
async def test_a_record_whose_id_field_differs_from_its_key_is_never_dialled(caplog, field):
    desk = Desk(ready=1)
    await desk.request("13800138001")
    desk.store.hashes["cb1"]["id"] = field
    await desk.dialer._step()
    await desk.settle()
    cb = desk.store.hashes["cb1"]
    assert not desk.placed and not desk.dialer.active
    assert cb["status"] == "failed"
    assert cb["reason"] == MISMATCH + "its id field differs from its key"
    assert desk.dialer.not_placed == {"record-mismatch": 1}
    (line,) = errors(caplog, "cb1")
    assert "NOT dialled (record-mismatch)" in line.getMessage()
    assert "13800138001" not in desk.store.numbers   # a new request makes a new callback


async def test_a_valid_callback_beside_a_refused_one_is_still_dialled():
    desk = Desk(ready=1)
    await desk.request("13800138001")
    await desk.request("13800138002")
    desk.store.hashes["cb1"]["fence"] = "0,X=1"
    await desk.dialer._step()
    await desk.settle()
    assert desk.store.hashes["cb1"]["status"] == "failed"
    assert [a["ChannelId"] for a in desk.placed] == ["cb2-1"]
    await desk.dialer.stop()


async def test_a_record_whose_attempts_are_used_up_is_refused_not_dialled(caplog):
    desk = Desk(ready=1)
    await desk.request("13800138001")
    desk.store.hashes["cb1"]["attempts"] = "3"
    await desk.dialer._step()
    await desk.settle()
    assert not desk.placed and desk.store.hashes["cb1"]["status"] == "failed"
    assert desk.store.hashes["cb1"]["reason"] == \
        "its 3 attempt(s) at the customer are used up (at most 3)"
    assert desk.dialer.not_placed == {"used-up": 1} and len(errors(caplog, "cb1")) == 1


async def test_a_lapsed_record_that_disagrees_with_its_key_ends_failed_not_requeued(caplog):
    desk = Desk()
    await desk.request("13800138001")
    await desk.store.claim(lease=LEASE, owner="gone", now=OPEN - 200)
    desk.board.synced = False   # nothing new is claimed: only recovery acts
    desk.store.hashes["cb1"]["id"] = "cb1x"
    await desk.dialer._step()
    cb = desk.store.hashes["cb1"]
    assert cb["status"] == "failed" and cb["reason"].startswith(MISMATCH)
    assert "cb1" not in desk.store.ready and "cb1" not in desk.store.leases
    assert desk.dialer.not_placed == {"record-mismatch": 1} and len(errors(caplog, "cb1")) == 1


async def test_a_lease_entry_with_no_callback_being_dialled_behind_it_is_dropped():
    desk = Desk()
    await desk.request("13800138001")
    desk.store.leases["cb77"] = OPEN - 500            # no record at all
    desk.store.leases["cb1"] = OPEN - 500             # a record that is open, not dialling
    await desk.dialer._step()
    await desk.settle()
    assert desk.store.leases == {"cb1": OPEN + LEASE}   # only the claim this step made
    assert [a["ChannelId"] for a in desk.placed] == ["cb1-1"]
    await desk.dialer.stop()


async def lapse_repeatedly(desk: Desk, receipt: str | None, rounds: int = 60) -> list[str]:
    """A dialer that keeps dying mid-attempt: claim (as it would), leave a
    ``receipt`` (``DIALLING``: the customer's leg started; None: no seat took
    it), let the lease run out, let recovery act, wait for the next due
    time. Returns the fences that were claimed."""
    desk.board.synced = False          # only recovery acts in the dialer's step
    claimed = []
    for _ in range(rounds):
        desk.clock[0] += 3600
        got = await desk.store.claim(lease=LEASE, owner="gone", now=desk.clock[0],
                                     policy=desk.dialer.rules.retry)
        if got is None or isinstance(got, Refused):
            break
        claimed.append(got["fence"])
        if receipt is not None:
            desk.ami.receipts["cb1"] = f"{got['fence']},{receipt},{int(desk.clock[0])}"
        desk.clock[0] += LEASE + 1
        await desk.dialer._step()
    return claimed


@pytest.mark.parametrize("receipt, most", [
    ("DIALLING", RetryPolicy().max_attempts),   # each one rang the customer: attempts
    (None, RetryPolicy().seat_tries),           # none reached a seat: seat tries
])
async def test_a_callback_whose_attempts_keep_lapsing_is_claimed_a_bounded_number_of_times(
        receipt, most):
    desk = Desk()
    await desk.request("13800138001")
    desk.store.hashes["cb1"]["deadline"] = str(OPEN + 10 ** 6)   # time is not the limit
    claimed = await lapse_repeatedly(desk, receipt)
    assert len(claimed) == most, claimed
    assert desk.store.hashes["cb1"]["status"] == "failed"


# Values that probe every header the dialer fills from a record, and values
# that keep the record valid so that the Originate itself is built.
HOSTILE = ",=;|\r\n\x00\t\"'<>()$@/&^ "
hostile = st.text(alphabet=st.sampled_from(list(HOSTILE) + list("cb0139zhen-x")), max_size=24)
field_values = st.one_of(hostile, st.text(max_size=40),
                         st.sampled_from(["cb1", "1", "0", "zh", "en", "13800138001", "wlan"]))
FIELDS = ("id", "number", "topic", "language", "fence", "tries", "attempts", "deadline",
          "status", "note", "agent", "source")
VALUES = ("Channel", "ChannelId", "OtherChannelId", "Exten", "Context", "CallerID")


async def dial_a_record(fields: dict[str, str]) -> Desk:
    desk = Desk(ready=1)
    await desk.request("13800138001")
    desk.store.hashes["cb1"].update(fields)
    await desk.dialer._step()
    await desk.settle()
    await desk.dialer.stop()
    return desk


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=4))
def test_for_any_stored_field_the_originate_passes_the_strict_check_or_is_never_sent(fields):
    desk = asyncio.run(dial_a_record(fields))
    originates = [a for a in desk.ami.sent if a.get("Action") == "Originate"]
    assert len(originates) <= 1
    for action in originates:
        check_originate(action)      # raises if a value is not of its shape
        values = [str(action[k]) for k in VALUES] + \
            [v.partition("=")[2] for v in action["Variable"]]
        assert not [v for v in values if re.search(r"[,=;|\x00-\x1f]", v)], action
        assert action["ChannelId"] == f"cb1-{desk.store.hashes['cb1']['fence']}"
    assert "error" not in desk.dialer.not_placed     # no record breaks an attempt
    status = desk.store.hashes["cb1"]["status"]
    assert status == ("dialling" if originates else "failed"), (fields, status)
    event("placed" if originates else "refused")
