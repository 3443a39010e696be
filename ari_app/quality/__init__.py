"""Quality: every desk call recorded, rated by the customer, and reviewed.

The dialplan records (``dialplan/32-quality.conf``: MixMonitor after the
notice, the survey when the seat hangs up first) and tells the controller
with UserEvents; this package keeps the index of recordings tied to the
transfer or callback they served (``tracker``), reads and deletes the files
over ARI (``files``), pauses a recording for payment details (``pause``),
deletes what is past its keeping (``retention``) and holds the rules of the
review and its appeal (``review``).
"""

from __future__ import annotations

from ..settings.schema import QualitySettings


def quality_globals(settings: QualitySettings) -> dict[str, str]:
    """The dialplan globals the controller sets from ``[quality]`` at every ARI connect."""
    return {"DESK_RECORD_NOTICE": "yes" if settings.notice else "no",
            "DESK_SURVEY": "yes" if settings.survey else "no",
            "DESK_SURVEY_WAIT": str(settings.survey_wait)}
