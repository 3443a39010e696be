"""The measured figures promises are made from, kept fresh: live transfers
per local hour and the handle time (talk + wrap-up) of the last weeks, read
from the desk's daily figures (``sizing_report.profile_of_days``, the one
measurement of offered traffic) every ``every`` seconds by every replica
(each one captures). Until a read succeeds, and for figures with nothing
answered yet, the specification's talk time with no live calls
(``promises.unmeasured``); a failed read keeps the last figures, with one
WARNING (``tasks.periodic``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from .desk.promise import Measured
from .promises import unmeasured
from .settings import Settings
from .sizing_report import profile_of_days, whole_days
from .store.stats import DeskStats
from .tasks import Worker, periodic

log = logging.getLogger(__name__)
DAYS = 28            # "the last weeks": four of them
EVERY = 600.0        # seconds between reads


class MeasuredFigures:
    def __init__(self, stats: DeskStats, settings: Settings, *, every: float = EVERY) -> None:
        self.stats, self.settings, self.every = stats, settings, every
        self.figures: Measured = unmeasured(settings.desk.wrapup)
        self.worker = Worker(self._run, "measured figures")

    def current(self) -> Measured:
        return self.figures

    async def refresh(self) -> None:
        """Read the last ``DAYS`` whole days (quietly: a desk with nothing
        answered yet is no fault)."""
        zone = self.stats.zone
        first, last = whole_days(DAYS, datetime.now(zone), zone)
        days = await self.stats.days(first, last)
        profile = profile_of_days(list(days.values()), self.settings.desk.wrapup)
        self.figures = Measured(profile.hourly, profile.talk_mean + profile.wrapup)

    async def _run(self) -> None:
        await periodic(self.refresh, self.every, name="measured figures", log=log)
