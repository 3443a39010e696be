"""The shapes an Originate's values may take, checked where the action is
built (``dialer.attempt.originate``) and again where any Originate is sent
(``AmiClient.send``), whoever built it.

Asterisk reads an Originate's headers as the parts of a call: ``Variable``
is split at commas into ``NAME=value`` pairs (a comma in a value sets
another variable of the writer's choosing: one that hides a dialplan
global, say), ``Channel`` is a dial string, ``Exten`` and ``Context`` a
place in the dialplan, ``CallerID`` what the seat's phone shows,
``ChannelId`` and ``OtherChannelId`` the names the attempt is found by.
None of these may carry ``,`` ``=`` ``;`` ``|`` or a control character
(line breaks and NUL included), beyond the one ``=`` of each
``NAME=value``; a variable's name is a plain one (no function, no
``FILE()``); and each is bounded in length. The quotes and angle brackets
of a caller ID (``"Callback wlan" <13800138000>``) are fine.

Other actions only name existing things (a Local channel's name ends in
``;1``), so they get the framing check alone (``ami_framing``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Characters that split or steer a value somewhere in Asterisk's reading.
_FORBIDDEN = re.compile(r"[,=;|\x00-\x1f\x7f]")
# Longest value per header: Asterisk's own limits for a dialplan place (80),
# far more than any value the desk builds for the rest.
LIMITS = {"channel": 128, "channelid": 128, "otherchannelid": 128, "exten": 80,
          "context": 80, "callerid": 128}
VARIABLE_NAME = re.compile(r"_{0,2}[A-Za-z][A-Za-z0-9_]{0,63}")
VARIABLE_VALUE = 256


class HeaderRefused(ValueError):
    """An Originate carries a value of the wrong shape: never sent."""


def _plain(header: str, value: str, limit: int) -> None:
    bad = _FORBIDDEN.search(value)
    if bad:
        raise HeaderRefused(f"Originate header {header} {value[:60]!r} carries "
                            f"{bad.group()!r}")
    if len(value) > limit:
        raise HeaderRefused(f"Originate header {header} is {len(value)} characters long "
                            f"(at most {limit})")


def check_originate(action: Mapping[str, Any]) -> None:
    """Refuse (``HeaderRefused``, naming the header) an Originate any of whose
    ``Channel``, ``ChannelId``, ``OtherChannelId``, ``Exten``, ``Context``,
    ``CallerID`` or ``Variable`` values is not of its shape; return None
    when all are. Header names are matched as AMI does, in any case."""
    for header, value in action.items():
        name = str(header).lower()
        if name in LIMITS:
            _plain(str(header), str(value), LIMITS[name])
        elif name == "variable":
            items = value if isinstance(value, (list, tuple)) else [value]
            for item in items:
                var, eq, val = str(item).partition("=")
                if not eq or not VARIABLE_NAME.fullmatch(var):
                    raise HeaderRefused(f"Originate header Variable {str(item)[:60]!r} is not "
                                        "NAME=value with a plain name")
                _plain(f"Variable {var}", val, VARIABLE_VALUE)
