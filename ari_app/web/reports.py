"""The desk's history: ``/reports`` (a page with plots), ``/reports.csv``
and ``/api/reports`` (JSON), over the last ``?days=`` days (default 28,
today included) in the desk's time zone. Everything is read from the daily
aggregates: one Redis round trip, whatever happened in those days. The page
also sizes the desk from those aggregates (``reports_sizing``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from ..settings import DeskSettings
from ..store.stats import DeskStats
from .intake import int_param
from .reports_data import MAX_DAYS, report, to_csv
from .reports_page import render
from .reports_sizing import sizing
from .wallboard import page_language


@dataclass(frozen=True)
class ReportSource:
    """Where the history is read, and what the page needs of the settings:
    the desk queue's wrap-up (seconds), its seats (agent IDs), its pause
    reasons (code -> names) and its service level (seconds)."""
    stats: DeskStats
    zone: ZoneInfo
    wrapup: float = DeskSettings.wrapup
    agents: tuple[str, ...] = DeskSettings.seats
    pause_reasons: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DeskSettings().pause_reasons))
    service_level: int = DeskSettings.service_level
    service_level_colours: dict[str, int] = field(
        default_factory=lambda: dict(DeskSettings().service_level_colours))

    @property
    def seats(self) -> int:
        return len(self.agents)


SOURCE = web.AppKey("reports_source", ReportSource)


def days_asked(request: web.Request) -> int:
    """``?days=``: 1 to ``MAX_DAYS`` (default 28); ``BadRequest`` (400) otherwise."""
    return int_param(request, "days", 28, 1, MAX_DAYS)


async def _raw(source: ReportSource, days: int, today=None) -> dict:
    last = today or datetime.now(source.zone).date()
    return await source.stats.days(last - timedelta(days=days - 1), last)


def _report(source: ReportSource, raw: dict) -> dict:
    data = report(raw, source.agents, tuple(source.pause_reasons))
    return data | {"service_level_seconds": source.service_level}


async def gather(source: ReportSource, days: int, today=None) -> dict:
    """The report of the last ``days`` days up to ``today`` (the desk's)."""
    return _report(source, await _raw(source, days, today))


async def gather_page(source: ReportSource, days: int, today=None) -> dict:
    """``gather``'s report plus ``sizing``: the sizing of its whole days
    (None when they hold no transfer), from the same single read."""
    last = today or datetime.now(source.zone).date()
    raw = await _raw(source, days, last)
    return _report(source, raw) | {"sizing": sizing(raw, last, source.wrapup)}


async def report_json(request: web.Request) -> web.Response:
    return web.json_response(await gather(request.app[SOURCE], days_asked(request)))


async def report_csv(request: web.Request) -> web.Response:
    data = await gather(request.app[SOURCE], days_asked(request))
    name = f"datadesk-{data['first']}-{data['last']}.csv"
    return web.Response(text=to_csv(data), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def page(request: web.Request) -> web.Response:
    days = days_asked(request)
    source = request.app[SOURCE]
    data = await gather_page(source, days)
    language = page_language(request)
    token = request.query.get("access_token", "")
    return web.Response(text=render(data, language, token, seats=source.seats,
                                    pause_reasons=source.pause_reasons,
                                    colours=source.service_level_colours),
                        content_type="text/html", charset="utf-8",
                        headers={"Content-Language": language, "Vary": "Accept-Language"})


def add_routes(app: web.Application, source: ReportSource) -> None:
    app[SOURCE] = source
    app.router.add_get("/reports", page)
    app.router.add_get("/reports.csv", report_csv)
    app.router.add_get("/api/reports", report_json)
