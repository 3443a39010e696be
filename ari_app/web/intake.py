"""What the HTTP API accepts from a client, checked before anything is parsed.

Every refusal is a ``BadRequest`` carrying the status and a sentence naming
the problem, so that no body, header or parameter can reach a 5xx:

* a body larger than ``MAX_BODY`` bytes: 413;
* a charset other than UTF-8 (unknown, or known but not UTF-8): 415;
* bytes that are not UTF-8, JSON that does not parse, numbers too long to
  convert, nesting deeper than ``MAX_DEPTH``: 400 (the nesting is measured
  by a linear scan *before* ``json.loads``, whose parser recurses);
* a query parameter that is not a plain integer within its bounds: 400
  naming the parameter. ``int_param`` is the one parser of every numeric
  query parameter: ASCII digits only (``str.isdigit`` and ``int`` take any
  Unicode digit: ``²``, Arabic-Indic ``٣٦٦``), at most 12 of them, so no
  value is slow to convert or read as another number.
"""

from __future__ import annotations

import codecs
import json
import re
from itertools import accumulate

from aiohttp import web

from .errors import ApiError

# A callback request is a few hundred bytes.
MAX_BODY = 64 * 1024
# The deepest a valid request goes is 1 (an object of strings).
MAX_DEPTH = 16
_UTF8 = "utf-8"
# Strings (with their escapes) are dropped whole; the brackets left measure
# the depth. Both steps run in C: a 64 KiB body takes a few milliseconds.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_NOT_BRACKETS = bytes(range(256)).translate(None, b"[]{}")
_STEP = [0] * 256
for _c in b"[{":
    _STEP[_c] = 1
for _c in b"]}":
    _STEP[_c] = -1
_INTEGER = re.compile(r"[0-9]{1,12}")


class BadRequest(ApiError):
    """A request refused before it reaches the service."""


def nesting(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in ``raw`` (JSON text), without
    recursion; brackets inside strings do not count."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_charset(charset: str | None) -> None:
    """Accept no charset (JSON is UTF-8) or UTF-8; 415 naming anything else."""
    if charset is None:
        return
    try:
        name = codecs.lookup(charset).name
    except (LookupError, ValueError):
        raise BadRequest(415, f"unknown charset {charset!r}: send UTF-8") from None
    if name != _UTF8:
        raise BadRequest(415, f"charset {charset!r} is not accepted: send UTF-8")


def parse_json(raw: bytes) -> object:
    """Decode a UTF-8 JSON body; ``BadRequest`` (400) says what is wrong with it."""
    try:
        text = raw.decode(_UTF8)
    except UnicodeDecodeError as exc:
        raise BadRequest(400, f"the body is not valid UTF-8 (byte {exc.start})") from None
    if nesting(raw) > MAX_DEPTH:
        raise BadRequest(400, f"the body is nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text)
    except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
        raise BadRequest(400, f"the body is not valid JSON ({exc})") from None


async def json_body(request: web.Request) -> object:
    """The request's JSON body, checked as the module says."""
    check_charset(request.charset)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BadRequest(413, f"the body is larger than {MAX_BODY} bytes") from None
    return parse_json(raw)


def int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """Query parameter ``name`` as an integer in [low, high] (``default`` when
    absent); ``BadRequest`` (400) naming it for anything but 1-12 ASCII digits
    in range."""
    raw = request.query.get(name)
    if raw is None:
        return default
    if not _INTEGER.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadRequest(400, f"{name} must be an integer from {low} to {high}", name)
    return int(raw)
