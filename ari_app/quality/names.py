"""A recording's name: the one shape the dialplan makes, checked wherever
a name is used (an ARI path, a Redis key, an HTTP route).

``desk-<digits>`` for a live call (the digits of the recorded channel's
Asterisk unique id), ``desk-cb<N>-<attempt>`` for a callback's attempt
(``dialplan/32-quality.conf`` checks the same pattern before MixMonitor).
Nothing else is a recording name: not ``../x``, not ``%2f``, not a NUL or a
comma, whatever decoded it.
"""

from __future__ import annotations

import re

NAME = re.compile(r"desk-(?:[0-9]{6,32}|cb[0-9]{1,12}-[0-9]{1,12})")
# What the dialplan writes: <astspooldir>/recording/<name>.wav.
FORMAT = "wav"
CONTENT_TYPE = "audio/wav"


class BadName(ValueError):
    """Not a recording name."""


def checked(name: object) -> str:
    """``name`` if it is a recording name, else ``BadName``."""
    if not isinstance(name, str) or NAME.fullmatch(name) is None:
        raise BadName(f"not a recording name: {str(name)[:60]!r}")
    return name
