"""The wallboard's script: draws each snapshot the event stream pushes.

Every word comes from the page's phrases (``T``) or the snapshot's own
names (pause reasons, topics) in the page's language; durations are written
``m:ss`` and times in the desk's zone, so a Chinese board shows no English.
Today's figures are the snapshot's ``board_figures`` (key, unit), each
labelled ``fig.<key>``: a figure added there shows here with no change.
"""

SCRIPT = """
const T = JSON.parse(document.getElementById("texts").textContent), LANG = document.documentElement.lang;
const LOCALE = LANG==="zh" ? "zh-CN" : "en-GB";
const token = new URLSearchParams(location.search).get("access_token") || "";
let last = null, seenAt = 0, skew = 0;
const $ = id => document.getElementById(id);
const DASH = "\\u2013";
function dur(s){ if(s==null) return DASH; s=Math.max(0,Math.round(s)); const h=Math.floor(s/3600),
  m=Math.floor(s%3600/60), p=n=>String(n).padStart(2,"0"); return (h? h+":"+p(m) : m)+":"+p(s%60); }
function esc(t){ return String(t??"").replace(/[&<>"]/g,c=>({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c])); }
function at(zone, opts, when){ return new Intl.DateTimeFormat(LOCALE, {timeZone:zone, ...opts}).format(when||new Date()); }
function hms(zone, when){ return at(zone, {hour:"2-digit",minute:"2-digit",second:"2-digit",hour12:false}, when); }
function label(key){ return (T["fig."+key] || key).replace("{n}", last.service_level_seconds); }
function value(v, unit){ return v==null ? DASH : unit==="seconds" ? dur(v) : unit==="percent" ? v+"%" : String(v); }
function reason(code){ const names = (last.pause_reasons||{})[code]; return names ? names[LANG] : T["pause.unknown"]; }
function kpi(id, name, shown, cls, small){
  return `<div class="kpi ${cls||""}" id="${id}"><span class="label">${esc(name)}</span><b>${esc(shown)}</b>`+
    (small ? `<small>${esc(small)}</small>` : "") + `</div>`;
}
function kpis(now){
  const t = last.today, c = last.callback_counts;
  const longest = last.longest_wait_since ? dur(now - Date.parse(last.longest_wait_since)/1000) : DASH;
  const cards = [kpi("k-waiting", T.waiting, last.waiting), kpi("k-longest", T.longest, longest)];
  if(t){
    cards.push(kpi("k-sl", label("service_level_percent"), value(t.service_level_percent,"percent"),
                   t.service_level_colour),
      kpi("k-abandoned", T["fig.abandoned"], t.abandoned, t.abandoned ? "warn" : "",
          t.abandoned_percent==null ? "" : t.abandoned_percent+"%"),
      kpi("k-asa", T["kpi.asa"], value(t.average_speed_of_answer_seconds,"seconds")),
      kpi("k-aht", T["kpi.aht"], value(t.average_handle_seconds,"seconds"), "",
          T.target+" "+dur(t.target_handle_seconds)));
  } else cards.push(kpi("k-sl", label("service_level_percent"), "?"), kpi("k-abandoned", T["fig.abandoned"], "?"),
                    kpi("k-asa", T["kpi.asa"], "?"), kpi("k-aht", T["kpi.aht"], "?"));
  // The counts at risk and overdue stand in the callbacks' panel; here, their colour.
  cards.push(kpi("k-open", T.open, c ? c.open : "?", c && c.overdue ? "alarm" : (c && c.at_risk ? "warn" : "")));
  const next = c && c.next_deadline ? Date.parse(c.next_deadline)/1000 - now : null;
  cards.push(kpi("k-next", T["cb.next"], !c ? "?" : next==null ? DASH : (next<0 ? "-"+dur(-next) : dur(next)),
                 next!=null && next<0 ? "alarm" : ""));
  return cards.join("");
}
function states(){
  const s = last.seat_states, paused = Object.entries(s.paused_by_reason||{})
    .map(([code,n]) => esc(reason(code))+" "+n).join(" · ");
  return ["ready","talking","wrap-up","paused","logged-out"].map(k =>
    `<span data-state-count="${k}">${esc(T["state."+k])} <b>${s[k]}</b>`+
    (k==="paused" && paused ? (LANG==="zh" ? `（${paused}）` : ` (${paused})`) : "")+`</span>`).join(" · ");
}
function seatTile(s, now){
  // A paused seat says why (its colour says paused; in English the reason alone fits a tile).
  const state = s.activity==="paused" ? T["tile.paused"].replace("{reason}", reason(s.reason_code))
    : (T["state."+s.activity] || s.activity);
  const since = s.since ? dur(now - Date.parse(s.since)/1000) : DASH;
  const d = s.today, day = d ? esc(T["seat.handled"].replace("{live}", d.live).replace("{callbacks}", d.callbacks)) : "";
  const talk = d ? esc(T["seat.talk"])+" "+dur(d.talk_seconds) : "";
  const pauses = d ? Object.entries(d.pause_seconds).filter(([,v]) => v>0)
    .map(([code,v]) => esc(reason(code))+" "+dur(v)).join(" · ") : "";
  return `<div class="tile s-${esc(s.activity)}" data-seat="${esc(s.agent_id)}" data-state="${esc(s.activity)}" data-reason="${esc(s.reason)}">`+
    `<div class="name">${esc(s.name)}</div><div class="state">${esc(state)}</div>`+
    `<div class="for">${esc(T.for)} <span class="since">${since}</span></div>`+
    `<div class="day handled">${day}</div><div class="day talk">${talk}</div><div class="day paused">${pauses ? esc(T["seat.pause"])+" "+pauses : "&nbsp;"}</div></div>`;
}
function hm(t){ return at(last.zone, {hour:"2-digit",minute:"2-digit",hour12:false}, new Date(t)); }
function promised(p){
  // What the customer was told: by a time, after one (closed), or a booked slot; "!" once late.
  if(!p) return DASH;
  if(p.told==="after") return T["promise.after"].replace("{t}", hm(p.from));
  const said = p.booking ? hm(p.from)+DASH+hm(p.by)+" ("+T["promise.booked"]+")" : T["promise.by"].replace("{t}", hm(p.by));
  return p.late ? said+" !" : said;
}
function callbackRow(c, now){
  const left = Date.parse(c.deadline)/1000 - now, cls = left<0 ? "late" : (c.at_risk ? "risk" : "");
  const topic = (c.topic_names||{})[LANG] || c.topic;
  return `<tr class="${cls}" data-callback="${esc(c.id)}"><td class="number">${esc(c.number)}</td><td>${esc(topic)}</td>`+
    `<td data-status="${esc(c.status)}">${esc(T["cbstatus."+c.status] || c.status)}</td><td>${c.attempts}</td>`+
    `<td class="promised">${esc(promised(c.promise))}</td><td class="left">${left<0 ? T.late+" "+dur(-left) : dur(left)}</td></tr>`;
}
function figures(t){
  if(!t) return `<tr><td>${esc(T.unavailable)}</td></tr>`;
  // The strip above shows these; the panel lists the rest of today's figures.
  const strip = ["service_level_percent","abandoned","abandoned_percent",
                 "average_speed_of_answer_seconds","average_handle_seconds"];
  const rows = t.board_figures.filter(([k]) => k in t && !strip.includes(k)).map(([k,unit]) =>
    `<tr data-figure="${k}"><td>${esc(label(k))}</td><td><b>${esc(value(t[k], unit))}</b></td></tr>`);
  rows.push(`<tr data-figure="abandoned_by_place"><td colspan="2">${esc(T.by_place.replace("{queue}",
    t.abandoned_queue).replace("{capture}", t.abandoned_capture).replace("{routing}", t.abandoned_routing))}</td></tr>`);
  return rows.join("");
}
function render(){
  $("lost").style.display = Date.now() - seenAt > 3000 ? "block" : "none";
  if(!last) return;
  const now = Date.now()/1000 - skew;
  $("clock").textContent = hms(last.zone);
  $("date").textContent = at(last.zone, {year:"numeric",month:"long",day:"numeric",weekday:"long"});
  $("updated").textContent = T.updated+" "+hms(last.zone, new Date(Date.parse(last.now)));
  $("lamp").textContent = T["lamp."+last.desk] || last.desk; $("lamp").className = "lamp " + last.desk;
  showStalls(last);   // banners.py
  $("kpis").innerHTML = kpis(now);
  $("states").innerHTML = states();
  $("seats").innerHTML = last.seats.map(s => seatTile(s, now)).join("");
  const c = last.callback_counts;
  $("cbcounts").innerHTML = c ? `${esc(T["cb.open"])} <b>${c.open}</b> · ${esc(T["cb.at_risk"])} <b>${c.at_risk}</b> · `+
    `${esc(T["cb.overdue"])} <b>${c.overdue}</b>` : esc(T.unavailable);
  $("callbacks").innerHTML = (last.callbacks||[]).map(c => callbackRow(c, now)).join("");
  $("today").innerHTML = figures(last.today);
}
function connect(){
  const source = new EventSource("/api/wallboard/events?access_token=" + encodeURIComponent(token));
  source.onmessage = e => { last = JSON.parse(e.data); seenAt = Date.now();
    skew = Date.now()/1000 - Date.parse(last.now)/1000; render(); };
}
connect(); seenAt = Date.now(); setInterval(render, 500);
"""
