"""Transfers that go wrong, over real SIP: a REFER from anyone but the phone
is refused.

Every assertion reads what Asterisk did (AMI events, bridges, channels) or
what the phone received, never the controller's account.
"""

from __future__ import annotations

import pytest

from lab.forged import refer_into_call_of
from lab.stack import FRONTLINE, Stack


def _is(event: str, **headers: str):
    def match(msg) -> bool:
        return msg.get("Event") == event and all(msg.get(k) == v for k, v in headers.items())
    return match


async def _answered_by(lab: Stack, customer: str, mark: int) -> str:
    """The customer's channel once a frontline agent answered it (waits)."""
    joined = await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "QueueCallerJoin" and m.get("Queue") == "frontline"
        and m.get("CallerIDNum") == customer, since=mark, timeout=20)
    channel = joined["Channel"]
    await lab.probe.log.wait_for(_is("AgentConnect", Queue="frontline", Channel=channel),
                                 since=mark, timeout=30)
    return channel


@pytest.fixture
async def frontline(lab):
    """The stack; every frontline phone unpaused in the frontline queue after
    the test (which pauses some to choose who answers)."""
    yield lab
    await lab.probe.pause(FRONTLINE, paused=False, queue="frontline", check=False)


# ------------------------------------------- a REFER from another address


async def test_a_refer_injected_into_a_phones_call_from_another_address_is_refused(frontline):
    """A REFER with phone 1001's Call-ID and tags, from 127.0.0.2 and without
    credentials, is refused (403) before Asterisk looks for the call: the
    customer stays with the phone and nothing is transferred."""
    lab = frontline
    await lab.probe.pause(["1002"], queue="frontline")
    mark = lab.probe.log.mark()
    await lab.phones.customer_call("13800138330")
    customer = await _answered_by(lab, "13800138330", mark)

    status = await refer_into_call_of(lab.probe, lab.ports.pbx_sip, "1001",
                                      "sip:8600@127.0.0.1", source="127.0.0.2")

    assert status.startswith("SIP/2.0 403"), status
    assert not [m for m in lab.probe.log.since(mark) if m.get("Event") == "BlindTransfer"]
    assert await lab.probe.connected(customer, "PJSIP/1001-")
