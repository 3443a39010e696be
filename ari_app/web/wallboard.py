"""The supervisor's wallboard: one page, live over Server-Sent Events.

``/wallboard`` serves the page; ``/api/wallboard`` the snapshot it shows
(JSON); ``/api/wallboard/events`` pushes a new snapshot every second and at
once on any board change. A browser cannot put a bearer token on an
EventSource, so these two routes also take it as ``?access_token=``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

from aiohttp import web

from ..desk.routing import desk_status
from ..timefmt import for_machines
from .callbacks_api import present

Snapshot = Callable[[], Awaitable[dict]]
SNAPSHOT = web.AppKey("wallboard_snapshot", object)
CHANGED = web.AppKey("wallboard_changed", asyncio.Event)


async def build_snapshot(controller) -> dict:
    now = datetime.now(timezone.utc)
    ts = now.timestamp()
    seats = [{"agent_id": s.agent_id, "activity": s.activity(ts), "reason": s.paused_reason,
              "since": for_machines(s.changed_at) if s.changed_at else None,
              "registered": s.registered, "ready": s.ready(ts)}
             for s in controller.board]
    try:
        callbacks = [present(c) for c in await controller.callbacks.open_callbacks(50)]
        open_count = await controller.callbacks.count_open()
        stats = await controller.stats.today()
    except Exception:  # Redis away: show the board, say the rest is unknown
        callbacks, open_count, stats = None, None, None
    return {"now": for_machines(now, milliseconds=True),
            "desk": desk_status(controller.board, controller.calendar, now).value,
            "synced": controller.board.synced, "waiting": controller.board.waiting,
            "seats": seats, "open_callbacks": open_count, "callbacks": callbacks,
            "today": stats}


async def snapshot_json(request: web.Request) -> web.Response:
    return web.json_response(await request.app[SNAPSHOT]())


async def events(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
    await response.prepare(request)
    changed = request.app[CHANGED]
    try:
        while True:
            data = json.dumps(await request.app[SNAPSHOT](), ensure_ascii=False)
            await response.write(f"data: {data}\n\n".encode())
            try:
                await asyncio.wait_for(changed.wait(), 1.0)
            except asyncio.TimeoutError:
                pass
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def page(_request: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html", charset="utf-8")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/wallboard", page)
    app.router.add_get("/api/wallboard", snapshot_json)
    app.router.add_get("/api/wallboard/events", events)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data desk</title>
<style>
 body{font:15px system-ui,sans-serif;margin:1.2em;background:#f6f7f9;color:#1d232b}
 h1{font-size:1.4em;margin:0 0 .6em} h2{font-size:1.05em;margin:1.2em 0 .4em}
 .lamp{display:inline-block;padding:.15em .7em;border-radius:1em;color:#fff;font-weight:600}
 .free{background:#1e8e3e}.busy{background:#d93025}.closed{background:#5f6368}
 table{border-collapse:collapse;background:#fff;min-width:40em}
 td,th{border-bottom:1px solid #e3e6ea;padding:.35em .8em;text-align:left}
 th{background:#eef0f3;font-weight:600}
 .ready{color:#1e8e3e;font-weight:600}.paused,.unregistered,.logged-out{color:#d93025}
 .in-call,.ringing,.on-hold,.wrap-up{color:#b06000}
 .late{color:#d93025;font-weight:600} .figures td{min-width:9em}
 #stale{display:none;color:#d93025;font-weight:600}
</style></head><body>
<h1>Data desk <span id="lamp" class="lamp">…</span> <span id="stale">board out of sync</span></h1>
<div>Callers waiting: <b id="waiting">–</b> · Open callbacks: <b id="open">–</b>
 · <span id="clock"></span></div>
<h2>Seats</h2>
<table id="seats"><thead><tr><th>Seat</th><th>State</th><th>Reason</th><th>For</th></tr></thead>
<tbody></tbody></table>
<h2>Callbacks by deadline</h2>
<table id="callbacks"><thead><tr><th>Number</th><th>Topic</th><th>Status</th><th>Attempts</th>
<th>SLA left</th></tr></thead><tbody></tbody></table>
<h2>Today</h2>
<table class="figures"><tbody id="today"></tbody></table>
<script>
const token = new URLSearchParams(location.search).get("access_token") || "";
let last = null;
function dur(s){ s=Math.max(0,Math.round(s)); const h=Math.floor(s/3600), m=Math.floor(s%3600/60);
  return (h? h+"h ":"") + (h||m? m+"m ":"") + (s%60)+"s"; }
function esc(t){ return String(t??"").replace(/[&<>"]/g,c=>({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c])); }
function render(){
  if(!last) return;
  const now = Date.now()/1000, skew = now - Date.parse(last.now)/1000;
  const lamp = document.getElementById("lamp");
  lamp.textContent = last.desk; lamp.className = "lamp " + last.desk;
  document.getElementById("stale").style.display = last.synced ? "none" : "inline";
  document.getElementById("waiting").textContent = last.waiting;
  document.getElementById("open").textContent = last.open_callbacks ?? "?";
  document.getElementById("clock").textContent = new Date().toLocaleTimeString();
  document.querySelector("#seats tbody").innerHTML = last.seats.map(s =>
    `<tr data-seat="${esc(s.agent_id)}"><td>${esc(s.agent_id)}</td>`+
    `<td class="${esc(s.activity)}">${esc(s.activity)}</td><td>${esc(s.reason)}</td>`+
    `<td>${s.since ? dur(now - skew - Date.parse(s.since)/1000) : "\u2013"}</td></tr>`).join("");
  document.querySelector("#callbacks tbody").innerHTML = (last.callbacks||[]).map(c => {
    const left = Date.parse(c.deadline)/1000 - now;
    return `<tr><td>${esc(c.number)}</td><td>${esc(c.topic)}</td><td>${esc(c.status)}</td>`+
      `<td>${c.attempts}</td><td class="${left<0?"late":""}">${left<0?"late "+dur(-left):dur(left)}</td></tr>`;
  }).join("");
  const t = last.today;
  document.getElementById("today").innerHTML = t ? [
    ["Transfers to the desk", t.transfers], ["Answered live", t.answered],
    ["Callbacks made", t.callbacks_made],
    ["SLA met", t.sla_met_percent==null? "–" : t.sla_met_percent+" %"],
    ["Average talk time", t.average_talk_seconds==null? "–" :
       t.average_talk_seconds+" s (target "+t.target_talk_seconds+" s)"],
    ["Repeat calls", t.repeat_rate_percent==null? "–" : t.repeat_rate_percent+" %"],
  ].map(([k,v]) => `<tr><td>${k}</td><td><b>${esc(v)}</b></td></tr>`).join("")
  : "<tr><td>figures unavailable (callback store down)</td></tr>";
}
const source = new EventSource("/api/wallboard/events?access_token=" + encodeURIComponent(token));
source.onmessage = e => { last = JSON.parse(e.data); render(); };
setInterval(render, 1000);
</script></body></html>
"""
