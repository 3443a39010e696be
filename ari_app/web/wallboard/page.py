"""The wallboard page: HTML, in the viewer's language, with its style
(``style.py``) and script (``script.py``).

Made for a wall: one screen high, full width, type that scales with the
screen, one tile a seat coloured by its state. Times are written in the
desk's time zone (the snapshot's ``zone``), never the browser's. With no
snapshot for 3 s (one comes every second) the page says the connection is
lost. The page is built from named parts (``PARTS``), top to bottom; the
``banners`` part is the place for whole-board warnings (one child element
each; it takes no room while empty). The stall banners (``banners.py``):
"board may be stale since …" beside the lamp, the store unreachable where
the callbacks table stands.
"""

from __future__ import annotations

import html
import json

from . import banners
from .script import SCRIPT
from .style import STYLE

HEADER = """<header><h1>{title}</h1><span id="lamp" class="lamp">…</span><span id="stale">{stale}</span>
<div id="when"><div id="date"></div><div id="clock"></div><div id="updated"></div></div></header>"""
BANNERS = """<div id="banners"></div><div id="lost">{lost}</div>"""
FIGURES = """<div class="kpis" id="kpis"></div>"""
SEATS = """<section id="seat-panel"><div id="states"></div><div id="seats"></div></section>"""
PANELS = """<div class="cols"><section id="callback-panel"><h2>{callbacks}</h2>{store_notice}
<div id="cbcounts"></div><table><thead><tr><th>{number}</th><th>{topic}</th><th>{status}</th><th>{attempts}</th><th>{promised}</th>
<th>{left}</th></tr></thead><tbody id="callbacks"></tbody></table></section>
<section id="today-panel"><h2>{today}</h2><table><tbody id="today"></tbody></table></section></div>"""
PARTS = (HEADER, BANNERS, FIGURES, SEATS, PANELS)


def render_page(texts: dict[str, str], language: str) -> str:
    """The whole page for one language (``texts`` from ``ari_app.web.texts``)."""
    t = {k: html.escape(v) for k, v in texts.items()}
    names = dict(title=t["title"], stale=t["stale"], lost=t["lost"], callbacks=t["callbacks"],
                 number=t["col.number"], topic=t["col.topic"], status=t["col.status"],
                 attempts=t["col.attempts"], promised=t["col.promised"], left=t["col.left"],
                 today=t["today"], store_notice=banners.STORE_NOTICE)
    body = "\n".join(part.format(**names) for part in PARTS)
    data = json.dumps(texts, ensure_ascii=False).replace("</", "<\\/")
    return (f'<!doctype html>\n<html lang="{language}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width"><title>{t["title"]}</title>'
            f'<style>{STYLE}{banners.STYLE}</style></head><body>{body}'
            f'<script type="application/json" id="texts">{data}</script>'
            f'<script>{SCRIPT}{banners.SCRIPT}</script></body></html>')
