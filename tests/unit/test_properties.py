"""Property tests: whatever a caller, an agent or a channel variable sends,
nothing but a policy-approved string of digits reaches a dial string, and
nothing breaks AMI framing or the Stasis arguments."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ari_app.asterisk.ami_framing import check_header_value
from ari_app.asterisk.stasis import parse_args
from ari_app.desk.numbers import DEFAULT_ALLOW, InvalidNumber, NumberPolicy

POLICY = NumberPolicy()
DANGEROUS = "&,()/|;:\r\n\t\0@*#<>\"'`$\\ {}[]"
text = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
numberish = st.text(alphabet="0123456789 -+" + DANGEROUS, max_size=30)
# Numbers the default policy allows (ASCII digits: a regex's \d would draw
# other scripts' digits too), laid out with the spaces and dashes an agent
# may type: random text almost never is one, so they are drawn on purpose.
allowed = st.one_of(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
                    st.from_regex(r"0[1-9][0-9]{8,10}", fullmatch=True))


@st.composite
def laid_out(draw, digits=allowed):
    number = draw(digits)
    gaps = draw(st.lists(st.sampled_from(["", "", " ", "-"]), min_size=len(number),
                         max_size=len(number)))
    return "".join(d + gap for d, gap in zip(number, gaps, strict=True))


def checked(raw) -> str | None:
    """The policy's answer for ``raw``: the digits it accepts, held to the
    contract, or None after a refusal that says why."""
    try:
        number = POLICY.check(raw)
    except InvalidNumber as exc:
        assert str(exc)  # always says why
        return None
    assert number.isascii() and number.isdigit()
    assert any(re.fullmatch(p, number) for p in DEFAULT_ALLOW)
    # what was accepted had nothing but digits, spaces and dashes
    assert set(raw) <= set("0123456789 -")
    return number


@settings(max_examples=3000)
@given(st.one_of(text, numberish, laid_out(), st.integers(), st.none()))
def test_a_checked_number_is_digits_matching_the_allow_list_or_a_clear_refusal(raw):
    checked(raw)


@settings(max_examples=500)
@given(laid_out())
def test_an_allowed_number_typed_with_spaces_and_dashes_is_accepted_as_its_digits(raw):
    assert checked(raw) == raw.replace(" ", "").replace("-", "")


# Which character and where is a finite set (every dangerous character at
# every position): each drawn number is tried with all of it, rather than a
# random sample of it per example.
@settings(max_examples=100)
@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
def test_one_dangerous_character_anywhere_refuses_the_number(number):
    for bad in DANGEROUS.replace(" ", ""):   # spaces are layout, dropped
        for where in range(len(number) + 1):
            try:
                POLICY.check(number[:where] + bad + number[where:])
            except InvalidNumber:
                continue
            raise AssertionError(f"{number[:where] + bad + number[where:]!r} was accepted")


@settings(max_examples=2000)
@given(st.text(max_size=40), st.text(max_size=200))
def test_ami_header_values_never_carry_a_line_break(key, value):
    try:
        out = check_header_value(key, value)
    except ValueError:
        assert any(c in key + value for c in "\r\n") or ":" in key
        return
    assert "\r" not in out and "\n" not in out


@settings(max_examples=2000)
@given(st.lists(st.one_of(st.text(max_size=40), st.integers(), st.none()), max_size=6))
def test_stasis_arguments_become_a_plain_target_topic_and_transferer(args):
    target, topic, transferer = parse_args(["route", *args])
    assert target == "desk" or re.fullmatch(r"[0-9A-Za-z]{1,32}", target)
    assert topic == "" or re.fullmatch(r"[0-9]{2}", topic)
    assert transferer == "" or re.fullmatch(r"[0-9A-Za-z]{1,32}", transferer)
