"""Values that reach Asterisk: AMI framing, Stasis arguments, config edits."""

from datetime import timedelta

import pytest

from ari_app.asterisk.ami_framing import check_header_value
from ari_app.service import CallbacksService, RequestError
from ari_app.desk.calendar import ServiceCalendar
from ari_app.desk.numbers import NumberPolicy
from ari_app.desk.topics import TopicCatalogue
from ari_app.asterisk.stasis import parse_args
from lab.confedit import set_option


@pytest.mark.parametrize("value", ["1\r\nAction: Originate", "x\n", "a\rb"])
def test_ami_values_with_line_breaks_are_refused(value):
    with pytest.raises(ValueError):
        check_header_value("Variable", value)


def test_plain_ami_values_pass():
    assert check_header_value("Queue", "desk") == "desk"
    assert check_header_value("Reason", 5) == "5"


@pytest.mark.parametrize("args, expected", [
    (["route", "desk", "", ""], ("desk", "", "")),
    (["route", "8603", "21", "1001"], ("8603", "21", "1001")),
    (["route"], ("desk", "", "")),
    (["route", "8603&PJSIP/evil", "2", "1001-0001"], ("desk", "", "")),
    (["route", "a" * 100, "123", "x" * 40], ("desk", "", "")),
    (["route", "86 03", "0a", ""], ("desk", "", "")),
    (["route", 8603, None], ("desk", "", "")),
])
def test_stasis_arguments_are_fenced(args, expected):
    assert parse_args(args) == expected


def test_set_option_changes_only_the_named_section():
    text = "[a]\nport = 1 ; note\n[b]\nport = 2\n"
    out = set_option(text, "b", "port", "9")
    assert out == "[a]\nport = 1 ; note\n[b]\nport = 9\n"


def test_set_option_handles_templates_and_missing_keys():
    text = "[carrier]\ntype = aor\ncontact = sip:1.2.3.4\n[x](!)\ncontact = y\n"
    assert "contact = sip:127.0.0.1:5070" in set_option(text, "carrier", "contact",
                                                      "sip:127.0.0.1:5070")
    with pytest.raises(KeyError):
        set_option(text, "carrier", "bind", "x")


@pytest.mark.parametrize("args", [["route", "8601\n", "", ""], ["route", "desk", "21\n", ""],
                                  ["route", "desk", "", "1001\n"]])
def test_a_trailing_newline_never_passes_as_plain_text(args):
    # "$" in a regular expression matches before a final newline.
    target, topic, transferer = parse_args(args)
    assert "\n" not in target + topic + transferer


@pytest.mark.parametrize("field", ["note", "agent"])
def test_a_callback_request_with_a_trailing_newline_is_refused(field):
    service = CallbacksService(None, ServiceCalendar.build(), NumberPolicy(), TopicCatalogue(),
                               timedelta(minutes=60))
    with pytest.raises(RequestError) as refused:
        service.check("13800138000", **{field: "1001\n"})
    assert refused.value.field == field


async def test_the_service_refuses_ids_of_no_valid_shape_before_the_store():
    from ari_app.desk.callback import Cancel
    service = CallbacksService(None, ServiceCalendar.build(), NumberPolicy(), TopicCatalogue(),
                               timedelta(minutes=60))   # no store: it must not be reached
    for bad in ("cb", "x1", "cb1:*", "cb" + "1" * 13, 7, None):
        assert await service.get(bad) is None
        assert (await service.cancel(bad)).result is Cancel.MISSING
