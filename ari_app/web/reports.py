"""The desk's history: ``/reports`` (a page with plots), ``/reports.csv``
and ``/api/reports`` (JSON), over the last ``?days=`` days (default 28,
today included) in the desk's time zone. Everything is read from the daily
aggregates: one Redis round trip, whatever happened in those days. The page
also sizes the desk from those aggregates (``reports_sizing``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from aiohttp import web

from ..settings import DeskSettings
from ..store.stats import DeskStats
from .intake import int_param
from .reports_data import DAY_COLUMNS, HOUR_COLUMNS, MAX_DAYS, report, to_csv
from .reports_sizing import section, sizing
from .reports_svg import READY, LOAD, load_per_hour, sla_per_day
from .texts import texts
from .wallboard import page_language


@dataclass(frozen=True)
class ReportSource:
    """Where the history is read, and what the sizing needs of the settings:
    the desk queue's wrap-up (seconds) and its number of seats."""
    stats: DeskStats
    zone: ZoneInfo
    wrapup: float = DeskSettings.wrapup
    seats: int = len(DeskSettings.seats)


SOURCE = web.AppKey("reports_source", ReportSource)
LABELS = {"callbacks_dialled": "callbacks_dialled", "sla_met_percent": "sla_percent",
          "average_talk_seconds": "talk_average", "repeat_rate_percent": "repeat_percent",
          "occupancy_percent": "occupancy", "seats_ready": "seats_ready"}


def days_asked(request: web.Request) -> int:
    """``?days=``: 1 to ``MAX_DAYS`` (default 28); ``BadRequest`` (400) otherwise."""
    return int_param(request, "days", 28, 1, MAX_DAYS)


async def _raw(source: ReportSource, days: int, today=None) -> dict:
    last = today or datetime.now(source.zone).date()
    return await source.stats.days(last - timedelta(days=days - 1), last)


async def gather(source: ReportSource, days: int, today=None) -> dict:
    """The report of the last ``days`` days up to ``today`` (the desk's)."""
    return report(await _raw(source, days, today))


async def gather_page(source: ReportSource, days: int, today=None) -> dict:
    """``gather``'s report plus ``sizing``: the sizing of its whole days
    (None when they hold no transfer), from the same single read."""
    last = today or datetime.now(source.zone).date()
    raw = await _raw(source, days, last)
    return report(raw) | {"sizing": sizing(raw, last, source.wrapup)}


async def report_json(request: web.Request) -> web.Response:
    return web.json_response(await gather(request.app[SOURCE], days_asked(request)))


async def report_csv(request: web.Request) -> web.Response:
    data = await gather(request.app[SOURCE], days_asked(request))
    name = f"datadesk-{data['first']}-{data['last']}.csv"
    return web.Response(text=to_csv(data), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _cell(value) -> str:
    return "–" if value is None else escape(str(value))


def _table(t: dict, first: str, columns: tuple[str, ...], rows: list[dict], key: str) -> str:
    head = "".join(f"<th>{escape(t[LABELS.get(c, c)])}</th>" for c in columns)
    body = "".join(f'<tr data-{key}="{escape(str(r[key]))}"><td>{escape(str(r[key]))}</td>'
                   + "".join(f'<td data-col="{c}">{_cell(r.get(c))}</td>' for c in columns)
                   + "</tr>" for r in rows)
    return f"<table><thead><tr><th>{escape(first)}</th>{head}</tr></thead><tbody>{body}</tbody>"


STYLE = """body{margin:0;padding:1.2em 1.6em;font:16px/1.35 "Noto Sans CJK SC","Noto Sans",
 system-ui,sans-serif;color:#1d232b;background:#f6f7f9} h1{margin:0 0 .2em} h2{margin:1.2em 0 .4em}
 svg{width:100%;max-width:1200px;background:#fff;border:1px solid #e3e6ea}
 table{border-collapse:collapse;background:#fff;font-variant-numeric:tabular-nums}
 td,th{border-bottom:1px solid #e3e6ea;padding:.25em .6em;text-align:right}
 td:first-child,th:first-child{text-align:left;white-space:nowrap} th{background:#eef0f3}
 tr.total td{font-weight:700;border-top:2px solid #1d232b} .key{display:inline-block;width:1em;
 height:.7em;margin:0 .3em 0 1em}"""


def render(data: dict, language: str, token: str, seats: int = 6) -> str:
    """The page: ``gather_page``'s data in ``language``, ``seats`` the desk's."""
    t = texts(language)
    csv_link = f"/reports.csv?days={data['days']}&access_token={escape(token)}"
    total = {"day": t["total"], **data["total"]}
    days = _table(t, t["day"], DAY_COLUMNS, data["per_day"] + [total], "day").replace(
        f'<tr data-day="{escape(t["total"])}">', '<tr class="total" data-day="total">')
    hours = _table(t, t["hour"], HOUR_COLUMNS, data["per_hour"], "hour")
    return (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
            f'<title>{escape(t["reports"])}</title><style>{STYLE}</style></head><body>'
            f'<h1>{escape(t["reports"])}</h1><div>{escape(t["days"].format(n=data["days"]))}: '
            f'{data["first"]} – {data["last"]} · <a id="csv" href="{csv_link}">'
            f'{escape(t["csv"])}</a></div>'
            f'<h2>{escape(t["plot.sla"])}</h2>{sla_per_day(data["per_day"])}'
            f'<h2>{escape(t["plot.load"])}<span class="key" style="background:{LOAD}"></span>'
            f'{escape(t["transfers"])}<span class="key" style="background:{READY}"></span>'
            f'{escape(t["seats_ready"])}</h2>{load_per_hour(data["per_hour"], data["days"])}'
            f'{section(t, data.get("sizing"), seats)}'
            f'<h2>{escape(t["per_day"])}</h2>{days}</table>'
            f'<h2>{escape(t["per_hour"])}</h2>{hours}</table></body></html>')


async def page(request: web.Request) -> web.Response:
    days = days_asked(request)
    source = request.app[SOURCE]
    data = await gather_page(source, days)
    language = page_language(request)
    token = request.query.get("access_token", "")
    return web.Response(text=render(data, language, token, source.seats),
                        content_type="text/html", charset="utf-8",
                        headers={"Content-Language": language, "Vary": "Accept-Language"})


def add_routes(app: web.Application, source: ReportSource) -> None:
    app[SOURCE] = source
    app.router.add_get("/reports", page)
    app.router.add_get("/reports.csv", report_csv)
    app.router.add_get("/api/reports", report_json)
