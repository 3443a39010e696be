"""An attended transfer that replaces another endpoint's call: the endpoint
read from a channel name only when it has chan_pjsip's exact shape, one
ERROR line and a count with a bounded label; a phone's own attended
transfer is left alone."""

from __future__ import annotations

import logging

import pytest
from panoramisk.message import Message

from ari_app.asterisk.foreign_replaces import (METRIC, OTHER, ForeignReplaces, endpoint_of,
                                               is_foreign)
from ari_app.logs import hide_numbers
from ari_app.settings import Settings, SettingsError
from ari_app.settings.domain import validate
from ari_app.settings.schema import DeskSettings
from lab.scrape import lines_of


class Ami:
    def __init__(self) -> None:
        self.handlers: dict[str, object] = {}

    def on_event(self, pattern: str, handler) -> None:
        self.handlers[pattern] = handler


def attended(orig: str, second: str, result: str = "Success") -> Message:
    return Message({"Event": "AttendedTransfer", "Result": result,
                    "OrigTransfererChannel": orig, "SecondTransfererChannel": second,
                    "SecondTransfererCallerIDNum": "13800138350",
                    "TransfereeChannel": "PJSIP/carrier-00000010",
                    "TransfereeCallerIDNum": "13800138351"})


@pytest.mark.parametrize("channel, endpoint", [
    ("PJSIP/1004-0000001a", "1004"),
    ("PJSIP/desk-node-00000003", "desk-node"),
    ("PJSIP/carrier-ffffffff", "carrier"),
])
def test_the_endpoint_is_what_comes_before_the_last_dash(channel, endpoint):
    assert endpoint_of(channel) == endpoint


@pytest.mark.parametrize("channel", [
    "", "PJSIP/1004", "PJSIP/-0000001a", "PJSIP/1004-1a", "PJSIP/1004-0000001A",
    "PJSIP/1004-0000001a<ZOMBIE>", "PJSIP/1004-0000001a ", " PJSIP/1004-0000001a",
    "PJSIP/1004-0000001a\r\nEvent: Hangup", "Local/8600@phone-transfer-00000001;1",
    "SIP/1004-0000001a", "pjsip/1004-0000001a", "PJSIP/1004/x-0000001a",
    "PJSIP/../1004-0000001a", "PJSIP/1004;x=y-0000001a", "PJSIP/١٠٠٤-0000001a",
    "PJSIP/" + "1" * 65 + "-0000001a", "PJSIP/10\"04-0000001a", "PJSIP/1004-0000001a-",
])
def test_a_channel_name_of_any_other_shape_has_no_endpoint(channel):
    assert endpoint_of(channel) is None


def test_only_two_channels_of_one_endpoint_are_a_phones_own():
    assert not is_foreign("PJSIP/1002-00000001", "PJSIP/1002-00000002")   # its consultation
    assert not is_foreign("PJSIP/1002-00000001", "PJSIP/1002-00000001")   # its own call
    assert is_foreign("PJSIP/1004-00000001", "PJSIP/carrier-00000002")
    assert is_foreign("PJSIP/1001-00000001", "PJSIP/1002-00000002")
    # Unparseable on either side is never taken for the phone's own.
    assert is_foreign("PJSIP/1002-00000001", "PJSIP/1002-00000001<ZOMBIE>")
    assert is_foreign("Local/x@y-00000001;1", "Local/x@y-00000001;1")
    assert is_foreign("", "")


def test_a_takeover_is_one_error_line_and_one_count_for_the_phone(caplog):
    ami = Ami()
    watch = ForeignReplaces(ami, ["8601", "1001", "1004"])
    with caplog.at_level(logging.INFO, logger="ari_app.asterisk.foreign_replaces"):
        ami.handlers["AttendedTransfer"](attended("PJSIP/1004-00000011",
                                                  "PJSIP/carrier-00000012"))
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    line = hide_numbers(record.getMessage())
    assert line.startswith("phone 1004 took over another endpoint's call")
    assert "PJSIP/carrier-00000012 (caller •••••••8350)" in line   # the call taken over
    assert "13800138350" not in line and "13800138351" not in line
    assert watch.counts == {"1004": 1}
    assert f'{METRIC}{{endpoint="1004"}} 1.0' in lines_of(watch)


def test_a_phones_own_attended_transfer_is_neither_logged_nor_counted(caplog):
    ami = Ami()
    watch = ForeignReplaces(ami, ["1002"])
    with caplog.at_level(logging.INFO, logger="ari_app.asterisk.foreign_replaces"):
        ami.handlers["AttendedTransfer"](attended("PJSIP/1002-00000001", "PJSIP/1002-00000002"))
        ami.handlers["AttendedTransfer"](attended("PJSIP/1002-00000003", "PJSIP/1002-00000003",
                                                  result="Fail"))
    assert not caplog.records
    assert not watch.counts


def test_labels_stay_the_configured_phones_and_other_whatever_the_channel(caplog):
    ami = Ami()
    watch = ForeignReplaces(ami, ["1001"])
    for orig in ("PJSIP/9999-00000001", "Local/evil\"}-00000001;1", "PJSIP/1001-0000000Z"):
        ami.handlers["AttendedTransfer"](attended(orig, "PJSIP/carrier-00000002", "Fail"))
    assert watch.counts == {OTHER: 3}
    samples = [line for line in lines_of(watch) if not line.startswith("#")]
    assert samples == [f'{METRIC}{{endpoint="1001"}} 0.0', f'{METRIC}{{endpoint="other"}} 3.0']
    assert all("tried to take over" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("phone", ['10"01', "1001\n", "", "PJSIP/1001"])
def test_a_frontline_phone_that_is_no_endpoint_name_stops_the_settings(phone):
    with pytest.raises(SettingsError, match="frontline_phones"):
        validate(Settings(desk=DeskSettings(frontline_phones=("1001", phone))))
