"""The QA officer's page: a day's recordings, filtered, played, scored.

``/quality`` (roles ``qa``, ``supervisor``, ``admin``; also ``?access_token=``
as the other screens). Its language follows the screens' rule
(``wallboard.page_language``: ``?lang=``, the browser's ``Accept-Language``,
then ``[desk] screen_language``). The page calls the recordings API with the same token;
the player asks for the file with HTTP Range as browsers do, and every play
is in the audit log.
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from .wallboard import CONFIG, page_language

# key: (Simplified Chinese, English)
PHRASES: dict[str, tuple[str, str]] = {
    "title": ("录音质检", "Call quality review"),
    "day": ("日期", "Day"), "seat": ("座席", "Seat"), "topic": ("业务", "Topic"),
    "digits": ("号码尾号", "Last digits"), "rating": ("满意度", "Rating"),
    "any": ("全部", "any"), "show": ("查询", "Show"),
    "time": ("时间", "Time"), "number": ("号码", "Number"), "length": ("时长", "Length"),
    "score": ("质检分", "Score"), "play": ("播放", "Play"), "kind": ("类型", "Kind"),
    "live": ("转入", "transfer"), "callback": ("回拨", "callback"),
    "satisfied": ("满意", "satisfied"), "acceptable": ("一般", "acceptable"),
    "dissatisfied": ("不满意", "dissatisfied"), "not-rated": ("未评价", "not rated"),
    "none": ("未调查", "no survey"), "comment": ("评语", "Comment"),
    "save": ("保存评分", "Save score"), "saved": ("已保存", "saved"),
    "appealed": ("申诉中", "under appeal"), "paused": ("暂停录音", "paused"),
    "empty": ("当天没有录音。", "No recordings that day."),
    "failed": ("操作失败", "failed"),
}


def texts(language: str) -> dict[str, str]:
    column = 0 if language == "zh" else 1
    return {key: pair[column] for key, pair in PHRASES.items()}


STYLE = """
 body{margin:0;padding:1em 1.5em;font:15px/1.4 "Noto Sans CJK SC","Noto Sans",system-ui,sans-serif;
  background:#f6f8fa;color:#1f2328} h1{font-size:1.5em;margin:.2em 0 .6em}
 form{display:flex;gap:.8em;flex-wrap:wrap;align-items:end;margin-bottom:1em}
 label{display:flex;flex-direction:column;font-size:.85em;color:#57606a}
 input,select,button{font:inherit;padding:.25em .4em}
 table{border-collapse:collapse;width:100%;background:#fff} th,td{padding:.35em .6em;
  border-bottom:1px solid #d0d7de;text-align:left} th{background:#eaeef2}
 td.num{font-variant-numeric:tabular-nums} tr.sel td{background:#ddf4ff}
 #player{margin:1em 0;display:flex;gap:1em;align-items:center;flex-wrap:wrap}
 #msg{color:#1a7f37} .tag{font-size:.8em;padding:0 .4em;border-radius:.6em;background:#fff1e5}
"""

SCRIPT = """
const T = JSON.parse(document.getElementById("texts").textContent);
const token = new URLSearchParams(location.search).get("access_token") || "";
const auth = {"Authorization": "Bearer " + token};
const $ = id => document.getElementById(id);
let rows = [], current = null;
function esc(t){ return String(t??"").replace(/[&<>"]/g,c=>({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c])); }
const ZONE = document.body.dataset.zone;   // the desk's time zone, never the browser's
function when(ts){ return ts ? new Date(ts*1000).toLocaleTimeString(document.documentElement.lang==="zh"?"zh-CN":"en-GB",{hour12:false,timeZone:ZONE}) : ""; }
async function load(ev){
  if(ev) ev.preventDefault();
  const q = new URLSearchParams();
  for(const k of ["day","seat","topic","digits","rating"]){ const v=$(k).value.trim(); if(v) q.set(k,v); }
  const r = await fetch("/api/recordings?"+q, {headers: auth});
  const body = await r.json(); rows = body.recordings || [];
  $("rows").innerHTML = rows.length ? rows.map((x,i) => `<tr data-name="${esc(x.name)}">`+
    `<td class="num">${when(x.answered||x.started)}</td><td>${esc(T[x.kind]||x.kind)}</td><td>${esc(x.seat)}</td>`+
    `<td>${esc((x.topic_names||{})[document.documentElement.lang] || x.topic)}</td><td class="num">${esc(x.number)}</td><td class="num">${x.seconds.toFixed(0)} s</td>`+
    `<td>${esc(T[x.rating||"none"])}</td><td class="num">${x.score??""}`+
    `${x.under_review?` <span class="tag">${esc(T.appealed)}</span>`:""}${x.pauses.length?` <span class="tag">${esc(T.paused)}</span>`:""}</td>`+
    `<td><button data-play="${i}">${esc(T.play)}</button></td></tr>`).join("")
    : `<tr><td colspan="9">${esc(T.empty)}</td></tr>`;
}
function play(i){
  current = rows[i];
  document.querySelectorAll("tr.sel").forEach(r => r.classList.remove("sel"));
  document.querySelector(`tr[data-name="${current.name}"]`).classList.add("sel");
  $("player").style.display = "flex"; $("playing").textContent = current.name;
  $("audio").src = "/api/recordings/"+encodeURIComponent(current.name)+"/file?access_token="+encodeURIComponent(token);
  $("audio").play().catch(()=>{});
  $("score").value = current.review.score ?? ""; $("comment").value = current.review.comment ?? "";
}
async function save(){
  const r = await fetch("/api/recordings/"+encodeURIComponent(current.name)+"/score", {method:"POST",
    headers: {...auth, "Content-Type":"application/json"},
    body: JSON.stringify({score: Number($("score").value), comment: $("comment").value})});
  $("msg").textContent = r.ok ? T.saved : T.failed+" ("+r.status+")"; if(r.ok) load();
}
$("filters").addEventListener("submit", load);
$("rows").addEventListener("click", e => { const b = e.target.closest("button[data-play]"); if(b) play(+b.dataset.play); });
$("save").addEventListener("click", save);
load();
"""


def render_page(t: dict[str, str], language: str, day: str, zone: str) -> str:
    """The page in ``language``; ``day`` (YYYY-MM-DD) is the desk's today in
    its time ``zone``, in which the page writes every time."""
    e = {k: html.escape(v) for k, v in t.items()}
    ratings = "".join(f'<option value="{r}">{e[r]}</option>' for r in
                      ("satisfied", "acceptable", "dissatisfied", "not-rated", "none"))
    body = (f'<h1>{e["title"]}</h1><form id="filters">'
            f'<label>{e["day"]}<input id="day" type="date" value="{day}"></label>'
            f'<label>{e["seat"]}<input id="seat" size="6"></label>'
            f'<label>{e["topic"]}<input id="topic" size="10"></label>'
            f'<label>{e["digits"]}<input id="digits" size="6" inputmode="numeric"></label>'
            f'<label>{e["rating"]}<select id="rating"><option value="">{e["any"]}</option>'
            f'{ratings}</select></label><button>{e["show"]}</button></form>'
            f'<div id="player" style="display:none"><b id="playing"></b>'
            f'<audio id="audio" controls preload="metadata"></audio>'
            f'<label>{e["score"]}<input id="score" type="number" min="0" max="100"></label>'
            f'<label>{e["comment"]}<input id="comment" size="30" maxlength="500"></label>'
            f'<button id="save" type="button">{e["save"]}</button><span id="msg"></span></div>'
            f'<table><thead><tr><th>{e["time"]}</th><th>{e["kind"]}</th><th>{e["seat"]}</th>'
            f'<th>{e["topic"]}</th><th>{e["number"]}</th><th>{e["length"]}</th>'
            f'<th>{e["rating"]}</th><th>{e["score"]}</th><th></th></tr></thead>'
            f'<tbody id="rows"></tbody></table>')
    data = json.dumps(t, ensure_ascii=False).replace("</", "<\\/")
    return (f'<!doctype html>\n<html lang="{language}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width"><title>{e["title"]}</title>'
            f'<style>{STYLE}</style></head><body data-zone="{html.escape(zone)}">{body}'
            f'<script type="application/json" id="texts">{data}</script>'
            f'<script>{SCRIPT}</script></body></html>')


async def page(request: web.Request) -> web.Response:
    language = page_language(request)
    zone = request.app[CONFIG].zone
    today = datetime.now(ZoneInfo(zone)).date().isoformat()
    return web.Response(text=render_page(texts(language), language, today, zone),
                        content_type="text/html", charset="utf-8",
                        headers={"Content-Language": language, "Vary": "Accept-Language",
                                 "Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/quality", page)
