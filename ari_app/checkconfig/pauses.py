"""check-config: the pause reasons the dialplan sets are the desk's codes.

A seat pauses with ``*863N``; the dialplan sets the member's reason to the
``DESK_PAUSE_REASON_<N>`` global (extensions.conf ``[globals]``). The
controller counts pauses and names them on the screens by the codes of
``[desk] pause_reasons``: a global whose value is not a code would show
and count as "other".
"""

from __future__ import annotations

import re

from ..asterisk.conffile import ConfigFile
from ..settings import Settings

_REASON = re.compile(r"DESK_PAUSE_REASON_\d+")


def pause_reason_problems(extensions: ConfigFile, settings: Settings) -> list[str]:
    """One line per pause reason global whose value is not a configured code."""
    codes = settings.desk.pause_reasons
    return [f"{section.where(key)}: {key} = {value!r} is not a code of [desk] pause_reasons "
            f"({', '.join(codes)}): such a pause would count and show as \"other\""
            for section in extensions.named("globals") for key, value, _ in section.options
            if _REASON.fullmatch(key) and value not in codes]
