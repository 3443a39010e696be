"""HTTP Range for a recording's bytes (RFC 9110 §14): one range, or the whole.

``bytes=a-b``, ``bytes=a-`` and ``bytes=-n`` are served as 206; a range that
starts past the end (or asks for nothing) is 416; a header of another unit,
a malformed one or several ranges at once are ignored (the whole file, 200),
as the RFC allows: a browser's audio element asks for one range at a time.
"""

from __future__ import annotations

import re

_ONE = re.compile(r"bytes=(?P<first>[0-9]{0,15})-(?P<last>[0-9]{0,15})")


class RangeNotSatisfiable(ValueError):
    """The range lies outside the file: 416 with ``Content-Range: bytes */<size>``."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) byte, both included, or None for the whole file."""
    if not header:
        return None
    found = _ONE.fullmatch(header.strip())
    if found is None:
        return None
    first, last = found["first"], found["last"]
    if not first and not last:
        return None
    if not first:   # the last n bytes
        count = int(last)
        if count == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - count), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(header)
    return start, end
