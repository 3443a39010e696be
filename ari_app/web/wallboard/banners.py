"""The wallboard's stall banners: what the page says when its sources stall.

Beside the lamp: "board may be stale since 19:02:03" (desk time) with why
(the PBX does not answer, no link to it, resyncing), from the snapshot's
``stalls.board`` (``ari_app/web/stalls.py``). Where the callbacks table
stands: "callback store unreachable since ...", from ``stalls.store``, so an
empty table is never mistaken for no callbacks. Its phrases (``stall.*``) are
in ``ari_app/web/texts.py`` with the page's others; its style and script
are added to the page by ``page.render_page``.
"""

from __future__ import annotations

STYLE = """
 #store-down{display:none;background:#d93025;color:#fff;padding:.4em .8em;border-radius:.3em;
  font-weight:700;margin-bottom:.4em}
"""

# Uses the page's $, T, LANG; showStalls(snapshot) runs on every render.
SCRIPT = """
function deskTime(iso, zone){ return new Intl.DateTimeFormat(LANG==="zh"?"zh-CN":"en-GB",
  {timeZone:zone,hour:"2-digit",minute:"2-digit",second:"2-digit",hour12:false}).format(new Date(iso)); }
function showStalls(s){
  const st = s.stalls || {}, b = st.board || {}, r = st.store || {};
  const stale = $("stale"), down = $("store-down");
  if (b.stale || !s.synced) {
    const head = b.since ? T["stall.since"].replace("{since}", deskTime(b.since, s.zone)) : T["stall.board"];
    stale.textContent = head + (b.why ? " \\u00b7 " + (T["stall.why." + b.why] || b.why) : "");
    stale.dataset.since = b.since || ""; stale.style.display = "inline";
  } else { stale.style.display = "none"; }
  if (r.reachable === false) {
    down.textContent = r.since ? T["stall.store.since"].replace("{since}", deskTime(r.since, s.zone)) : T["stall.store"];
    down.style.display = "block";
  } else { down.style.display = "none"; }
}
"""

# Placed where the callbacks table stands, above it.
STORE_NOTICE = '<div id="store-down" role="alert"></div>'

