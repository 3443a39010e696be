"""The number shapes check-config compares: the dialplan's REGEX and the
settings' allow-list, as sets of alternatives."""

from ari_app.checkconfig.numbers import alternatives
from ari_app.desk.numbers import DEFAULT_ALLOW


def test_the_dialplan_form_and_the_settings_form_of_the_default_are_the_same():
    dialplan = alternatives("^(1[3-9][0-9]{9}|0[1-9][0-9]{8,10})$")
    settings = frozenset().union(*(alternatives(p) for p in DEFAULT_ALLOW))
    assert dialplan == settings == {"1[3-9][0-9]{9}", "0[1-9][0-9]{8,10}"}


def test_order_does_not_matter_and_a_missing_shape_does():
    assert alternatives("^(0[1-9][0-9]{8,10}|1[3-9][0-9]{9})$") == \
        alternatives("1[3-9]\\d{9}|0[1-9]\\d{8,10}")
    assert alternatives("^(1[3-9][0-9]{9})$") != alternatives("^(1[3-9][0-9]{9}|00[0-9]+)$")


def test_alternatives_inside_a_group_are_not_split():
    assert alternatives("^(1(3|5)[0-9]{9}|0[1-9][0-9]{9})$") == {"1(3|5)[0-9]{9}",
                                                                 "0[1-9][0-9]{9}"}
    # Two groups side by side are not one group around everything.
    assert alternatives("^(13)[0-9]|(15)[0-9]$") == {"^(13)[0-9]", "(15)[0-9]$"}
