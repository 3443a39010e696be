"""An Originate's values checked for their shape (``asterisk/ami_shapes.py``):
the desk's own actions pass; a , = ; | or control character in any header
that steers the call, an odd variable name or an overlong value is refused
before anything is sent."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ari_app.asterisk.ami import AmiClient
from ari_app.asterisk.ami_shapes import HeaderRefused, check_originate
from ari_app.dialer.attempt import originate
from ari_app.dialer.config import DialerSettings

TIMING = DialerSettings(seat_wait=30, customer_ring=30, lease=90.0, per_number_day=10,
                        per_minute=60)
ATTEMPT = {"id": "cb12", "fence": "3", "number": "13800138001", "topic": "wlan",
           "language": "zh"}
HEADERS = ("Channel", "ChannelId", "OtherChannelId", "Exten", "Context", "CallerID")


def test_the_desks_own_originates_pass():
    check_originate(originate(ATTEMPT, TIMING, escalated=True))
    check_originate({"Action": "Originate", "Channel": "Local/12345@desk-spool-ack/n",
                     "Application": "Wait", "Data": "0", "Async": "false"})
    check_originate({"Action": "Originate", "Channel": "PJSIP/10086@carrier-out",
                     "CallerID": '"Customer" <13800138001>', "Context": "customer",
                     "Exten": "s", "ChannelId": "customer-13800138001-1a2b3c4d", "Async": "true",
                     "Variable": ["__SPOOL_VALUE=13800138001 1 12", "CB_LANGUAGE=", "X=fr^x"]})


@pytest.mark.parametrize("header", HEADERS)
@pytest.mark.parametrize("bad", [",", "=", ";", "|", "\r", "\n", "\x00", "\t", "\x7f"])
def test_a_separator_or_control_character_in_a_header_that_steers_the_call_is_refused(
        header, bad):
    action = originate(ATTEMPT, TIMING)
    action[header] = f"cb12{bad}DESK_OUT_TRUNK"
    with pytest.raises(HeaderRefused, match=header):
        check_originate(action)


@pytest.mark.parametrize("variable", [
    "CB_ID=cb12x,SECCHECK=from-redis", "CB_ID=cb12=1", "CB_ID=a;b", "CB_ID=a|b",
    "CB_ID=a\r\nAction: Hangup", "FILE(/etc/passwd)=x", "CB ID=1", "=1", "CB_ID",
    "1CB=1", f"CB_ID={'9' * 257}",
])
def test_a_variable_that_is_not_a_plain_name_and_a_plain_value_is_refused(variable):
    action = originate(ATTEMPT, TIMING)
    action["Variable"] = [*action["Variable"], variable]
    with pytest.raises(HeaderRefused, match="Variable"):
        check_originate(action)


def test_lengths_are_bounded_and_header_names_match_in_any_case():
    with pytest.raises(HeaderRefused, match="at most 80"):
        check_originate({"Action": "Originate", "exten": "1" * 81})
    with pytest.raises(HeaderRefused, match="carries ','"):
        check_originate({"action": "originate", "CHANNELID": "cb1,X=1-1"})
    with pytest.raises(HeaderRefused):
        check_originate({"Action": "Originate", "variable": "A=1,B=2"})   # one string, two


def test_a_hostile_stored_id_never_becomes_an_originate():
    with pytest.raises(HeaderRefused):
        originate({**ATTEMPT, "id": "cb12x,SECCHECK=from-redis,DESK_OUT_TRUNK=1001"}, TIMING)


async def test_the_ami_client_refuses_such_an_originate_before_anything_is_sent():
    """No connection at all: the refusal comes before the link is looked at."""
    client = AmiClient("127.0.0.1", 1, "u", "p")
    action = {**originate(ATTEMPT, TIMING), "ChannelId": "cb12,X=1"}
    with pytest.raises(HeaderRefused):
        await client.send(action)


@settings(max_examples=1500)
@given(st.sampled_from((*HEADERS, "Variable")), st.text(max_size=60))
def test_whatever_a_value_holds_it_is_refused_or_carries_no_separator(header, value):
    action = originate(ATTEMPT, TIMING)
    action[header] = [f"CB_X={value}"] if header == "Variable" else value
    try:
        check_originate(action)
    except HeaderRefused as exc:
        assert header in str(exc)
        return
    assert not re.search(r"[,=;|\x00-\x1f\x7f]", value)
