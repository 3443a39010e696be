"""The wallboard page: HTML, style and script, in the viewer's language.

Made for a wall: full width, type that scales with the screen, one tile a
seat coloured by its state. Times are written in the desk's time zone (the
snapshot's ``zone``), never the browser's. With no snapshot for 3 s (one
comes every second) the page says the connection is lost.
"""

from __future__ import annotations

import html
import json

from . import banners

STYLE = """
 *{box-sizing:border-box} body{margin:0;padding:1.2vw 1.6vw;background:#10151c;color:#eef2f6;
  font:clamp(16px,1.45vw,30px)/1.3 "Noto Sans CJK SC","Noto Sans",system-ui,sans-serif}
 header{display:flex;align-items:center;gap:1.2em;flex-wrap:wrap}
 h1{font-size:1.7em;margin:0} h2{font-size:1.15em;margin:.9em 0 .35em;color:#9fb0c3}
 .lamp{padding:.1em .8em;border-radius:1em;font-weight:700;font-size:1.2em}
 .lamp.free{background:#1e8e3e}.lamp.busy{background:#d93025}.lamp.closed{background:#5f6368}
 #clock{margin-left:auto;font-size:1.7em;font-variant-numeric:tabular-nums;font-weight:700}
 .kpis{display:flex;gap:2em;font-size:1.15em;margin-top:.4em} .kpis b{font-size:1.5em}
 #seats{display:grid;grid-template-columns:repeat(auto-fill,minmax(15em,1fr));gap:.6em}
 .tile{border-radius:.5em;padding:.5em .8em;color:#fff;min-height:5.2em}
 .tile .name{font-size:1.35em;font-weight:700} .tile .for{font-variant-numeric:tabular-nums}
 .s-ready{background:#1e8e3e}.s-ringing{background:#f29900;color:#111}
 .s-in-call,.s-on-hold{background:#1a73e8}.s-wrap-up{background:#8e44ad}
 .s-paused{background:#c5221f}.s-logged-out{background:#3c4043}.s-unregistered{background:#202124;
  border:2px dashed #9aa0a6}
 table{border-collapse:collapse;width:100%} td,th{padding:.25em .6em;text-align:left;
  border-bottom:1px solid #2a3440} th{color:#9fb0c3;font-weight:600}
 tr.risk td{background:#7a5200} tr.late td{background:#8c1d18;font-weight:700}
 td.left{font-variant-numeric:tabular-nums}
 .cols{display:grid;grid-template-columns:3fr 2fr;gap:1.6vw}
 #stale,#lost{display:none;background:#d93025;color:#fff;padding:.2em .8em;border-radius:.3em;
  font-weight:700}
 #lost{position:fixed;top:0;left:0;right:0;text-align:center;font-size:1.4em;border-radius:0}
"""

SCRIPT = """
const T = JSON.parse(document.getElementById("texts").textContent), LANG = document.documentElement.lang;
const token = new URLSearchParams(location.search).get("access_token") || "";
let last = null, seenAt = 0;
const $ = id => document.getElementById(id);
function dur(s){ s=Math.max(0,Math.round(s)); const h=Math.floor(s/3600), m=Math.floor(s%3600/60),
  p=n=>String(n).padStart(2,"0"); return (h? h+":"+p(m) : m)+":"+p(s%60); }
function esc(t){ return String(t??"").replace(/[&<>"]/g,c=>({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c])); }
function clock(zone){ return new Intl.DateTimeFormat(LANG==="zh"?"zh-CN":"en-GB",
  {timeZone:zone,hour:"2-digit",minute:"2-digit",second:"2-digit",hour12:false}).format(new Date()); }
function seatTile(s, now){
  const state = T["state."+s.activity] || s.activity, why = s.activity==="paused" && s.reason ? " · "+s.reason : "";
  const since = s.since ? dur(now - Date.parse(s.since)/1000) : "\\u2013";
  return `<div class="tile s-${esc(s.activity)}" data-seat="${esc(s.agent_id)}" data-state="${esc(s.activity)}" data-reason="${esc(s.reason)}">`+
    `<div class="name">${esc(s.name)}</div><div class="state">${esc(state+why)}</div>`+
    `<div class="for">${esc(T.for)} <span class="since">${since}</span></div></div>`;
}
function hm(t){ return new Intl.DateTimeFormat("en-GB",{timeZone:last.zone,hour:"2-digit",minute:"2-digit",hour12:false}).format(new Date(t)); }
function promised(p){
  if(!p) return "\\u2013";
  if(p.told==="after") return T["promise.after"].replace("{t}", hm(p.from));
  const said = p.booking ? hm(p.from)+"\\u2013"+hm(p.by)+" ("+T["promise.booked"]+")" : T["promise.by"].replace("{t}", hm(p.by));
  return p.late ? said+" !" : said;
}
function callbackRow(c, now){
  const left = Date.parse(c.deadline)/1000 - now, cls = left<0 ? "late" : (c.at_risk ? "risk" : "");
  const topic = (c.topic_names||{})[LANG] || c.topic;
  return `<tr class="${cls}" data-callback="${esc(c.id)}"><td class="number">${esc(c.number)}</td><td>${esc(topic)}</td>`+
    `<td>${esc(c.status)}</td><td>${c.attempts}</td><td class="promised">${esc(promised(c.promise))}</td>`+
    `<td class="left">${left<0 ? T.late+" "+dur(-left) : dur(left)}</td></tr>`;
}
function figures(t){
  if(!t) return `<tr><td>${esc(T.unavailable)}</td></tr>`;
  const talk = !t.answered || t.average_talk_seconds==null ? "\\u2013" :
    t.average_talk_seconds+" s ("+T.target+" "+t.target_talk_seconds+" s)";
  return [["transfers", t.transfers], ["answered", t.answered], ["callbacks_made", t.callbacks_made],
    ["sla", t.sla_met_percent==null ? "\\u2013" : t.sla_met_percent+" %"], ["talk", talk],
    ["repeat", t.repeat_rate_percent==null ? "\\u2013" : t.repeat_rate_percent+" %"]]
    .map(([k,v]) => `<tr data-figure="${k}"><td>${esc(T[k])}</td><td><b>${esc(v)}</b></td></tr>`).join("");
}
function render(){
  $("lost").style.display = Date.now() - seenAt > 3000 ? "block" : "none";
  if(!last) return;
  const now = Date.now()/1000 - skew;
  $("clock").textContent = clock(last.zone);
  $("lamp").textContent = T["lamp."+last.desk] || last.desk; $("lamp").className = "lamp " + last.desk;
  showStalls(last);
  $("waiting").textContent = last.waiting;
  $("longest").textContent = last.longest_wait_since ? dur(now - Date.parse(last.longest_wait_since)/1000) : "\\u2013";
  $("open").textContent = last.open_callbacks ?? "?";
  $("seats").innerHTML = last.seats.map(s => seatTile(s, now)).join("");
  $("callbacks").innerHTML = (last.callbacks||[]).map(c => callbackRow(c, now)).join("");
  $("today").innerHTML = figures(last.today);
}
let skew = 0;
function connect(){
  const source = new EventSource("/api/wallboard/events?access_token=" + encodeURIComponent(token));
  source.onmessage = e => { last = JSON.parse(e.data); seenAt = Date.now();
    skew = Date.now()/1000 - Date.parse(last.now)/1000; render(); };
}
connect(); seenAt = Date.now(); setInterval(render, 500);
"""

BODY = """<header><h1>{title}</h1><span id="lamp" class="lamp">…</span><span id="stale">{stale}</span>
<span id="clock"></span></header><div id="lost">{lost}</div>
<div class="kpis"><span>{waiting}: <b id="waiting">–</b></span><span>{longest}: <b id="longest">–</b></span>
<span>{open}: <b id="open">–</b></span></div>
<h2>{seats}</h2><div id="seats"></div>
<div class="cols"><section><h2>{callbacks}</h2>{store_notice}<table><thead><tr><th>{number}</th><th>{topic}</th>
<th>{status}</th><th>{attempts}</th><th>{promised}</th><th>{left}</th></tr></thead><tbody id="callbacks"></tbody></table>
</section><section><h2>{today}</h2><table><tbody id="today"></tbody></table></section></div>"""


def render_page(texts: dict[str, str], language: str) -> str:
    """The whole page for one language (``texts`` from ``ari_app.web.texts``)."""
    texts = {**texts, **banners.texts(language)}
    t = {k: html.escape(v) for k, v in texts.items()}
    body = BODY.format(title=t["title"], stale=t["stale"], lost=t["lost"], waiting=t["waiting"],
                       longest=t["longest"], open=t["open"], seats=t["seats"],
                       callbacks=t["callbacks"], number=t["col.number"], topic=t["col.topic"],
                       status=t["col.status"], attempts=t["col.attempts"], left=t["col.left"],
                       promised=t["col.promised"],
                       today=t["today"], store_notice=banners.STORE_NOTICE)
    data = json.dumps(texts, ensure_ascii=False).replace("</", "<\\/")
    return (f'<!doctype html>\n<html lang="{language}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width"><title>{t["title"]}</title>'
            f'<style>{STYLE}{banners.STYLE}</style></head><body>{body}'
            f'<script type="application/json" id="texts">{data}</script>'
            f'<script>{SCRIPT}{banners.SCRIPT}</script></body></html>')
