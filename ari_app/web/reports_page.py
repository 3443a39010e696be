"""The reports page's HTML: one screen of overview at 1920×1080 (the
window's figures as cards, the four plots that matter, two a row), then
the tables (per day, per hour, per seat), the sizing and the satisfaction
below it, reached from the overview's links. Pure: the data is ``reports.gather_page``'s."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from ..desk.figures import ABANDON_PLACES, FIGURES, service_level_colour
from ..settings import DeskSettings
from . import reports_quality
from .reports_data import DAY_COLUMNS, HOUR_COLUMNS, SEAT_COLUMNS
from .reports_sizing import section
from .reports_svg import BAD, GOOD, LOAD, READY, abandoned_per_day, load_per_hour, \
    percent_per_day
from .texts import texts

PLACE_COLOURS = (BAD, READY, "#8e44ad")
UNITS = {"percent": ("%", "%"), "seconds": ("秒", "s"), "count": ("", "")}
CARDS = tuple(f.key for f in FIGURES if f.on_board)

STYLE = """*{box-sizing:border-box} body{margin:0;padding:18px 28px;font:17px/1.35 "Noto Sans CJK SC",
 "Noto Sans",system-ui,sans-serif;color:#1d232b;background:#f6f7f9}
 header{display:flex;align-items:baseline;gap:1.2em;flex-wrap:wrap} h1{margin:0;font-size:30px}
 header nav{margin-left:auto;display:flex;gap:1.2em;font-size:18px}
 h2{margin:.6em 0 .3em;font-size:21px} .cards{display:grid;gap:12px;margin:12px 0;
 grid-template-columns:repeat(auto-fit,minmax(150px,1fr))} .card{background:#fff;
 border:1px solid #e3e6ea;border-radius:8px;padding:8px 14px} .card .label{font-size:16px;
 color:#5f6368} .card b{display:block;font-size:31px;font-variant-numeric:tabular-nums;white-space:nowrap}
 .card small{color:#5f6368;font-size:15px} .card.green b{color:#1e8e3e} .card.amber b{color:#b06000} .card.red b{color:#d93025}
 .plots{display:grid;grid-template-columns:1fr 1fr;gap:10px 24px}
 @media (max-width:1500px){.plots{grid-template-columns:1fr}}
 .plot svg{width:100%;height:auto;background:#fff;border:1px solid #e3e6ea;display:block}
 .plot h2{font-size:19px} .plot.wide svg{max-width:1400px}
 table{border-collapse:collapse;background:#fff;font-variant-numeric:tabular-nums;margin-bottom:1em}
 td,th{border-bottom:1px solid #e3e6ea;padding:.25em .6em;text-align:right}
 td:first-child,th:first-child{text-align:left;white-space:nowrap} th{background:#eef0f3}
 tr.total td{font-weight:700;border-top:2px solid #1d232b} .key{display:inline-block;width:1em;
 height:.7em;margin:0 .3em 0 1em} #tables{margin-top:24px} .wide{overflow-x:auto;max-width:100%}
 .wide th{font-size:15px}"""


def _label(t: dict, key: str, n: int, unit: bool = False) -> str:
    """The figure's name; ``unit``: with "(s)" after a figure in seconds."""
    seconds = unit and next((f.unit for f in FIGURES if f.key == key), "") == "seconds"
    return t.get(f"fig.{key}", key).format(n=n) + (t["unit.seconds"] if seconds else "")


def _cell(value) -> str:
    return "–" if value is None else escape(str(value))


def _value(t: dict, key: str, value, lang: str) -> str:
    unit = next((f.unit for f in FIGURES if f.key == key), "count")
    if value is None:
        return "–"
    shown = UNITS[unit][0 if lang == "zh" else 1]
    return f"{value}{'' if unit == 'percent' or not shown else ' '}{shown}".strip()


def _table(t: dict, n: int, first: str, columns: tuple[str, ...], rows: list[dict],
           key: str) -> str:
    head = "".join(f"<th>{escape(_label(t, c, n, unit=True))}</th>" for c in columns)
    body = "".join(f'<tr data-{key}="{escape(str(r[key]))}"><td>{escape(str(r[key]))}</td>'
                   + "".join(f'<td data-col="{c}">{_cell(r.get(c))}</td>' for c in columns)
                   + "</tr>" for r in rows)
    return f"<table><thead><tr><th>{escape(first)}</th>{head}</tr></thead><tbody>{body}</tbody>"


def _seat_table(t: dict, data: dict, names: dict[str, tuple[str, ...]], lang: str) -> str:
    codes = data.get("pause_codes", [])
    index = 0 if lang == "zh" else 1
    head = "".join(f"<th>{escape(t['seatcol.' + c])}</th>" for c in SEAT_COLUMNS) + "".join(
        f"<th>{escape(t['seat.pause'])}: {escape(names.get(c, (c, c))[index])}</th>"
        for c in codes)
    body = "".join(
        f'<tr data-seat="{escape(r["seat"])}"><td>{escape(r["seat"])}</td>'
        + "".join(f'<td data-col="{c}">{_cell(r.get(c))}</td>' for c in SEAT_COLUMNS)
        + "".join(f'<td data-col="pause:{escape(c)}">{r["pause_seconds"].get(c, 0)}</td>'
                  for c in codes) + "</tr>" for r in data.get("per_seat", []))
    return (f'<table id="seat-table"><thead><tr><th>{escape(t["short.seat"])}</th>{head}</tr>'
            f"</thead><tbody>{body}</tbody></table>")


def _cards(t: dict, data: dict, lang: str, colour: str) -> str:
    n = data.get("service_level_seconds", 20)
    cards = []
    for key in CARDS:
        extra = f" {colour}" if key == "service_level_percent" else ""
        target = (f'<small>{escape(t["target"])} '
                  f'{escape(_value(t, key, data["total"].get("target_handle_seconds", 148), lang))}'
                  f'</small>' if key == "average_handle_seconds" else "")
        cards.append(f'<div class="card{extra}" data-figure="{key}"><span class="label">'
                     f'{escape(_label(t, key, n))}</span>'
                     f'<b>{escape(_value(t, key, data["total"].get(key), lang))}</b>{target}</div>')
    return f'<div class="cards">{"".join(cards)}</div>'


def _plot(title: str, svg: str, keys: str = "") -> str:
    return f'<div class="plot"><h2>{escape(title)}{keys}</h2>{svg}</div>'


def render(data: dict, language: str, token: str, *, seats: int = 6,
           pause_reasons: dict[str, tuple[str, ...]] | None = None,
           colours: dict[str, int] | None = None) -> str:
    """The page: ``gather_page``'s data in ``language``; the desk's number
    of ``seats``, its pause reasons' names and its service level's colours
    (the settings' defaults when not given)."""
    t = texts(language)
    n = data.get("service_level_seconds", DeskSettings.service_level)
    colour = service_level_colour(data["total"].get("service_level_percent"),
                                  colours or DeskSettings().service_level_colours)
    # The token is the operator's own string: URL-encoded, a "&", "#" or "+"
    # in it still downloads the CSV.
    csv_link = (f"/reports.csv?days={data['days']}"
                f"&access_token={escape(quote(token, safe=''))}")
    total = {"day": t["total"], **data["total"]}
    days = _table(t, n, t["day"], DAY_COLUMNS, data["per_day"] + [total], "day").replace(
        f'<tr data-day="{escape(t["total"])}">', '<tr class="total" data-day="total">')
    hours = _table(t, n, t["hour"], HOUR_COLUMNS, data["per_hour"], "hour")
    places = "".join(f'<span class="key" style="background:{c}"></span>'
                     f'{escape(t["fig.abandoned_" + p])}'
                     for p, c in zip(ABANDON_PLACES, PLACE_COLOURS))
    load_keys = (f'<span class="key" style="background:{LOAD}"></span>{escape(t["transfers"])}'
                 f'<span class="key" style="background:{READY}"></span>'
                 f'{escape(t["seats_ready"])}')
    plots = (_plot(_label(t, "service_level_percent", n) + " · " + t["per_day"],
                   percent_per_day(data["per_day"], "service_level_percent", LOAD))
             + _plot(t["fig.abandoned"] + " · " + t["per_day"],
                     abandoned_per_day(data["per_day"], ABANDON_PLACES, PLACE_COLOURS), places)
             + _plot(t["plot.sla"], percent_per_day(data["per_day"], "sla_met_percent", GOOD))
             + _plot(t["plot.load"], load_per_hour(data["per_hour"], data["days"]), load_keys))
    return (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
            f'<title>{escape(t["reports"])}</title><style>{STYLE}</style></head><body>'
            f'<header><h1>{escape(t["reports"])}</h1><div>'
            f'{escape(t["days"].format(n=data["days"]))}: {data["first"]} – {data["last"]}</div>'
            f'<nav><a href="#tables">{escape(t["per_day"])}</a><a href="#per-seat">'
            f'{escape(t["per_seat"])}</a><a href="#sizing">{escape(t["sizing"])}</a>'
            f'<a id="csv" href="{csv_link}">{escape(t["csv"])}</a></nav></header>'
            f'<section id="overview">{_cards(t, data, language, colour)}'
            f'<div class="plots">{plots}</div></section><section id="tables">'
            f'<h2>{escape(t["per_day"])}</h2><div class="wide">{days}</table></div>'
            f'<h2>{escape(t["per_hour"])}</h2><div class="wide">{hours}</table></div>'
            f'<h2 id="per-seat">{escape(t["per_seat"])}</h2><div class="wide">'
            f'{_seat_table(t, data, pause_reasons or {}, language)}</div>'
            f'{section(t, data.get("sizing"), seats)}'
            f'{reports_quality.section(t, data.get("quality"))}</section></body></html>')
