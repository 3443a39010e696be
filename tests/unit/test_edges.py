"""Values that reach Asterisk: AMI framing, Stasis arguments, config edits."""

import pytest

from ari_app.asterisk.ami import check_header_value
from ari_app.asterisk.stasis import parse_args
from ari_app.lab.confedit import set_option


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
