"""What the HTTP API and capture accept: bodies, charsets, parameters and
text fields are refused with a 4xx naming the problem, never a crash."""

from __future__ import annotations

import json
import sys
import unicodedata
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ari_app.service import (REFUSED_CATEGORIES, CallbacksService, RequestError,
                               invisible_character)
from ari_app.desk.calendar import ServiceCalendar
from ari_app.desk.numbers import NumberPolicy
from ari_app.desk.topics import TopicCatalogue
from ari_app.web.intake import MAX_DEPTH, BadRequest, check_charset, nesting, parse_json

SERVICE = CallbacksService(None, ServiceCalendar.build(), NumberPolicy(), TopicCatalogue(),
                           timedelta(minutes=60))


@pytest.mark.parametrize("raw", [b"[" * 60000, b'{"a":' * 12000, b"[" * (MAX_DEPTH + 1),
                                 b'{"a": ' * (sys.getrecursionlimit() + 10) + b"1"])
def test_deep_nesting_is_refused_before_the_parser_recurses(raw):
    with pytest.raises(BadRequest) as refused:
        parse_json(raw)
    assert refused.value.status == 400 and "nested deeper" in str(refused.value)


@pytest.mark.parametrize("raw, status, words", [
    (b"\xff\xfe{}", 400, "UTF-8"), (b"{not json", 400, "not valid JSON"),
    (b"1" * 60000, 400, "not valid JSON"), (b"", 400, "not valid JSON"),
])
def test_broken_bodies_are_a_400_naming_the_problem(raw, status, words):
    with pytest.raises(BadRequest) as refused:
        parse_json(raw)
    assert refused.value.status == status and words in str(refused.value)


@given(st.recursive(st.one_of(st.none(), st.integers(), st.text(alphabet="[]{}\"\\ab,:")),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(st.text(max_size=4), inner,
                                                            max_size=3)), max_leaves=30))
@settings(max_examples=500)
def test_the_depth_scan_agrees_with_the_parser(value):
    raw = json.dumps(value).encode()

    def depth(v) -> int:
        children = v.values() if isinstance(v, dict) else v if isinstance(v, list) else None
        return 0 if children is None else 1 + max(map(depth, children), default=0)
    assert nesting(raw) == depth(value)
    if depth(value) <= MAX_DEPTH:
        assert parse_json(raw) == value


@pytest.mark.parametrize("charset", ["foo", "latin-1", "utf-16", "x" * 300, "utf-8\0"])
def test_a_charset_other_than_utf8_is_a_415_naming_it(charset):
    with pytest.raises(BadRequest) as refused:
        check_charset(charset)
    assert refused.value.status == 415 and repr(charset) in str(refused.value)


@pytest.mark.parametrize("charset", [None, "utf-8", "UTF-8", "utf8"])
def test_utf8_or_no_charset_is_accepted(charset):
    check_charset(charset)


@pytest.mark.parametrize("char", ["\u009b", "\u202e", "\u2028", "\u2029", "\u200b", "\ufeff",
                                  "\u0000", "\u007f", "\u001b", "\ud800", "\U000e0001"])
@pytest.mark.parametrize("field", ["note", "agent", "topic"])
def test_invisible_characters_are_refused_naming_the_field(field, char):
    with pytest.raises(RequestError) as refused:
        SERVICE.check("13800138000", **{field: f"ab{char}c"})
    assert refused.value.field == field
    assert f"U+{ord(char):04X} at position 2" in str(refused.value)


@given(st.text(max_size=40), st.characters())
@settings(max_examples=2000)
def test_a_note_is_accepted_exactly_when_every_character_is_visible(text, char):
    note = text + char
    visible = all(unicodedata.category(c) not in REFUSED_CATEGORIES for c in note)
    try:
        _, _, stored, _ = SERVICE.check("13800138000", note=note)
    except RequestError as exc:
        assert exc.field == "note" and not visible
        assert invisible_character(note) is not None
        return
    assert visible and stored == note


def test_plain_text_in_any_script_passes():
    note = "Kunde möchte WLAN-Hilfe — 客户需要帮助 ✓ 👍"
    assert SERVICE.check("13800138000", note=note, agent="王芳")[2:] == (note, "王芳")
