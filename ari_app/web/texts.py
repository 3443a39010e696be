"""What the wallboard and the reports page say, in each language they speak.

One table a language, the same keys in each (a unit test checks). API field
names stay English; only what people read is here. ``choose`` picks the
language of a page: the browser's ``Accept-Language`` first, then the
setting ``[http] language``.
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")

EN = {
    "title": "Data desk", "lamp.free": "free", "lamp.busy": "busy", "lamp.closed": "closed",
    "stale": "board out of sync", "lost": "Connection lost: figures may be out of date",
    "waiting": "Callers waiting", "longest": "longest wait", "open": "Open callbacks",
    "seats": "Seats", "callbacks": "Callbacks by deadline", "today": "Today",
    "col.number": "Number", "col.topic": "Topic", "col.status": "Status",
    "col.attempts": "Attempts", "col.left": "SLA left", "late": "late",
    "state.ready": "ready", "state.ringing": "ringing", "state.in-call": "talking",
    "state.on-hold": "on hold", "state.wrap-up": "wrap-up", "state.paused": "paused",
    "state.logged-out": "logged out", "state.unregistered": "unregistered",
    "for": "for", "transfers": "Transfers to the desk", "answered": "Answered live",
    "callbacks_made": "Callbacks made", "sla": "SLA met", "talk": "Average talk time",
    "target": "target", "repeat": "Repeat calls", "unavailable":
    "figures unavailable (callback store down)", "none": "none",
    "reports": "Desk history", "days": "last {n} days", "per_day": "Per day",
    "per_hour": "Per hour of day (all days)", "day": "Day", "hour": "Hour",
    "callbacks_requested": "Callbacks requested", "callbacks_dialled": "Callbacks dialled",
    "sla_met": "SLA met", "sla_breached": "SLA breached", "callbacks_failed": "Callbacks failed",
    "sla_percent": "SLA met %", "talk_average": "Average talk (s, target 148)", "repeat_percent":
    "Repeat %", "occupancy": "Seat occupancy %", "seats_ready": "Seats ready (avg)",
    "plot.sla": "SLA met % per day", "plot.load": "Transfers per hour against seats ready",
    "csv": "Download CSV", "total": "Total",
}

ZH = {
    "title": "数据业务专席", "lamp.free": "空闲", "lamp.busy": "忙", "lamp.closed": "已下班",
    "stale": "座席状态未同步", "lost": "连接中断：数据可能已过时",
    "waiting": "排队来电", "longest": "最长等待", "open": "待回拨",
    "seats": "座席", "callbacks": "回拨（按截止时间）", "today": "今日",
    "col.number": "号码", "col.topic": "业务", "col.status": "状态",
    "col.attempts": "尝试次数", "col.left": "剩余时限", "late": "已超时",
    "state.ready": "就绪", "state.ringing": "振铃", "state.in-call": "通话中",
    "state.on-hold": "保持", "state.wrap-up": "话后整理", "state.paused": "暂停",
    "state.logged-out": "未签入", "state.unregistered": "未注册",
    "for": "持续", "transfers": "转入专席", "answered": "人工接听",
    "callbacks_made": "已回拨", "sla": "时限达成率", "talk": "平均通话时长",
    "target": "目标", "repeat": "重复来电率", "unavailable": "数据暂不可用（回拨存储中断）",
    "none": "无",
    "reports": "专席历史", "days": "最近 {n} 天", "per_day": "按日",
    "per_hour": "按小时（全部日期）", "day": "日期", "hour": "小时",
    "callbacks_requested": "回拨请求", "callbacks_dialled": "已拨回拨",
    "sla_met": "时限内", "sla_breached": "超时", "callbacks_failed": "回拨失败",
    "sla_percent": "时限达成率 %", "talk_average": "平均通话（秒，目标 148）", "repeat_percent":
    "重复来电 %", "occupancy": "座席占用率 %", "seats_ready": "就绪座席（平均）",
    "plot.sla": "每日时限达成率 %", "plot.load": "每小时转入量与就绪座席",
    "csv": "下载 CSV", "total": "合计",
}

TABLES = {"en": EN, "zh": ZH}


def choose(accept_language: str | None, default: str) -> str:
    """The page's language: the first of the browser's languages we speak
    (by quality), else ``default``."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower().split("-")[0]))
    for quality, _pos, lang in sorted(ranked):
        if quality < 0 and lang in TABLES:
            return lang
    return default if default in TABLES else "zh"


def texts(language: str) -> dict[str, str]:
    return TABLES.get(language, ZH)
