"""The wallboard's style: made for a wall read from 3 m.

The type scales with the screen's smaller side (about 26 px on a 1366×768
screen, 37 px on 1920×1080), and the page is a grid exactly one screen
high: the header, the banners' place, the figures strip, the seats, then
the callbacks and today's figures filling what is left, to the bottom
(a column of parts; the last grows).
"""

STYLE = """
 *{box-sizing:border-box} html,body{height:100%} body{margin:0;padding:.5em .8em;
  background:#10151c;color:#eef2f6;overflow:hidden;
  font:min(1.9vw,3.4vh)/1.25 "Noto Sans CJK SC","Noto Sans",system-ui,sans-serif;
  display:flex;flex-direction:column;gap:.35em}
 header{display:flex;align-items:center;gap:.8em;flex-wrap:nowrap;white-space:nowrap}
 h1{font-size:1.3em;margin:0} h2{font-size:.9em;margin:0 0 .2em;color:#9fb0c3;font-weight:600}
 .lamp{padding:.05em .7em;border-radius:1em;font-weight:700;font-size:1.05em}
 .lamp.free{background:#1e8e3e}.lamp.busy{background:#d93025}.lamp.closed{background:#5f6368}
 #when{margin-left:auto;text-align:right;line-height:1.1} #date{font-size:.75em;color:#9fb0c3}
 #clock{font-size:1.3em;font-variant-numeric:tabular-nums;font-weight:700}
 #updated{font-size:.6em;color:#9fb0c3}
 #banners:empty{display:none} #banners>*{background:#d93025;color:#fff;padding:.15em .7em;
  border-radius:.3em;font-weight:700;margin:.1em 0}
 .kpis{display:grid;grid-template-columns:repeat(8,1fr);gap:.35em}
 .kpi{background:#1b2430;border-radius:.35em;padding:.15em .45em;min-width:0}
 .kpi .label{font-size:.62em;color:#9fb0c3;white-space:nowrap;overflow:hidden;
  text-overflow:ellipsis;display:block} .kpi b{font-size:1.35em;font-variant-numeric:tabular-nums;
  white-space:nowrap} .kpi small{display:block;font-size:.55em;color:#9fb0c3;white-space:nowrap;
  overflow:hidden;text-overflow:ellipsis}
 .kpi.green b{color:#5bd17f} .kpi.amber b{color:#f9b233} .kpi.red b{color:#ff6b5e}
 .kpi.warn b{color:#f9b233} .kpi.alarm b{color:#ff6b5e}
 #states{font-size:.75em;color:#c9d3de} #states b{color:#fff;font-size:1.15em}
 #seats{display:grid;grid-template-columns:repeat(auto-fit,minmax(7.5em,1fr));gap:.35em}
 .tile{border-radius:.4em;padding:.25em .5em;color:#fff;min-width:0;overflow:hidden}
 .tile .name{font-size:1.2em;font-weight:700;white-space:nowrap}
 .tile .state{font-size:.85em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
 .tile .for{font-size:.85em;font-variant-numeric:tabular-nums} .tile .day{font-size:.6em;opacity:.92;
  white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
 .s-ready{background:#1e8e3e}.s-ringing{background:#f29900;color:#111}
 .s-in-call,.s-on-hold{background:#1a73e8}.s-wrap-up{background:#8e44ad}
 .s-paused{background:#c5221f}.s-logged-out{background:#3c4043}.s-unregistered{background:#202124;
  border:2px dashed #9aa0a6}
 .cols{flex:1;display:grid;grid-template-columns:3fr 2fr;gap:.8em;min-height:0}
 .cols>section{background:#161d26;border-radius:.4em;padding:.3em .5em;overflow:hidden;min-height:0}
 #cbcounts{font-size:.7em;color:#c9d3de;margin-bottom:.2em} #cbcounts b{color:#fff}
 table{border-collapse:collapse;width:100%} td,th{padding:.12em .45em;text-align:left;
  border-bottom:1px solid #2a3440;white-space:nowrap} th{color:#9fb0c3;font-weight:600;font-size:.75em}
 #callbacks td{font-size:.85em} #today td{font-size:.8em} #today td:last-child{text-align:right}
 tr.risk td{background:#7a5200} tr.late td{background:#8c1d18;font-weight:700}
 td.left{font-variant-numeric:tabular-nums}
 #stale{display:none;background:#d93025;color:#fff;padding:.1em .6em;border-radius:.3em;
  font-weight:700}
 #lost{display:none;position:fixed;top:0;left:0;right:0;text-align:center;font-size:1.2em;
  background:#d93025;color:#fff;font-weight:700}
"""
