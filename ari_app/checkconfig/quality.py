"""check-config: the desk's calls are recorded (``[globals] DESK_RECORD``).

The capacity benchmark turns recording off to compare (``DESK_RECORD =
no``); a PBX shipped that way would record nothing while every screen
expects recordings, so a ``no`` there is a problem to report.
"""

from __future__ import annotations

from ..asterisk.conffile import ConfigFile


def recording_problems(extensions: ConfigFile) -> list[str]:
    """A line for ``DESK_RECORD`` set to anything but ``yes`` (unset is yes)."""
    out = []
    for section in extensions.named("globals"):
        value = section.get("DESK_RECORD")
        if value is not None and value.strip().lower() != "yes":
            out.append(f"{section.where('DESK_RECORD')}: DESK_RECORD = {value}: desk calls "
                       "are not recorded (set it to yes)")
    return out
