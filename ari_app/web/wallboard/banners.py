"""The wallboard's stall banners: what the page says when its sources stall.

Beside the lamp: "board may be stale since 19:02:03" (desk time) with why
(the PBX does not answer, no link to it, resyncing), from the snapshot's
``stalls.board`` (``ari_app/web/stalls.py``). Where the callbacks table
stands: "callback store unreachable since ...", from ``stalls.store``, so an
empty table is never mistaken for no callbacks. Self-contained: its phrases,
style and script are added to the page by ``page.render_page``.
"""

from __future__ import annotations

# key: (Simplified Chinese, English)
PHRASES: dict[str, tuple[str, str]] = {
    "stall.board": ("座席状态可能已过时", "Board may be stale"),
    "stall.since": ("座席状态可能已过时（自 {since} 起）", "Board may be stale since {since}"),
    "stall.why.silent": ("交换机无响应", "the PBX does not answer"),
    "stall.why.down": ("与交换机的连接中断", "no link to the PBX"),
    "stall.why.resync": ("正在与交换机重新同步", "resyncing with the PBX"),
    "stall.store": ("回电存储无法访问：暂时无法显示或登记回电",
                    "Callback store unreachable: callbacks cannot be shown or stored now"),
    "stall.store.since": ("回电存储自 {since} 起无法访问：暂时无法显示或登记回电",
                          "Callback store unreachable since {since}: callbacks cannot be "
                          "shown or stored now"),
}

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


def texts(language: str) -> dict[str, str]:
    """The banners' phrases in ``language`` (``zh`` or ``en``)."""
    index = 0 if language == "zh" else 1
    return {key: pair[index] for key, pair in PHRASES.items()}
