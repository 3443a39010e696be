"""The command line's tables in Simplified Chinese or English
(``[desk] screen_language``, or ``--lang``).

Only what people read is translated: column headings, the words of a
status, an activity or an outcome, topic names (``topics.display_name``).
The API's fields and values stay English, and ``--json`` prints them as they
are. A value without a translation is shown as it is, never dropped.
"""

from __future__ import annotations

import unicodedata
from zoneinfo import ZoneInfo

from .desk.topics import display_name
from .timefmt import for_people

# Columns of the tables that hold a time.
TIME_COLUMNS = {"deadline", "at", "created", "due", "first_dialled", "answered_at"}

# Column headings in Chinese; in English a heading is the column's name in
# capitals (AGENT_ID), as a command line's tables are.
HEADINGS_ZH: dict[str, str] = {
    "agent_id": "工号",
    "activity": "状态",
    "registered": "已注册",
    "in_queue": "已签入",
    "paused_reason": "暂停原因",
    "state": "话机状态",
    "id": "编号",
    "number": "回电号码",
    "topic": "业务",
    "status": "状态",
    "reason": "原因",
    "deadline": "回电时限",
    "attempts": "呼叫次数",
    "last_outcome": "上次结果",
    "sla": "时限达成",
    "event": "事件",
    "at": "时间",
    "outcome": "结果",
}

# Values people read, in Chinese (English shows the API's own word).
WORDS_ZH: dict[str, str] = {
    # callback status
    "open": "待回电", "dialling": "呼叫中", "done": "已完成", "failed": "失败",
    "cancelled": "已取消", "served": "已接通(来电)",
    # attempt outcome
    "answered": "已接通", "busy": "忙", "no-answer": "无人接听",
    "seat-no-answer": "无坐席接听", "seat-hung-up": "坐席挂断", "refused": "号码被拒",
    "not-placed": "未发起",
    # seat activity
    "unregistered": "未注册", "ringing": "振铃", "on-hold": "保持", "in-call": "通话中",
    "logged-out": "未签入", "paused": "暂停", "wrap-up": "整理", "ready": "空闲",
    # SLA, history events
    "met": "达成", "breached": "超时", "created": "登记", "updated": "更新",
    "claimed": "开始呼叫", "attempt": "呼叫", "recovered": "恢复",
    # yes/no
    "True": "是", "False": "否",
    # the phone's device state (Asterisk's, as /api/seats gives it)
    "not_inuse": "空闲", "inuse": "使用中", "ringinuse": "通话中振铃", "onhold": "保持",
    "unavailable": "不可用", "invalid": "无效", "unknown": "未知",
}

# The lines above the tables.
PHRASES: dict[str, dict[str, str]] = {
    "open": {"zh": "营业中", "en": "open"}, "closed": {"zh": "休息", "en": "closed"},
    "in sync": {"zh": "已同步", "en": "in sync"}, "STALE": {"zh": "未同步", "en": "STALE"},
    "desk": {"zh": "数据专席", "en": "desk"}, "board": {"zh": "坐席表", "en": "board"},
    "free": {"zh": "有空闲座席", "en": "free"}, "busy": {"zh": "全忙", "en": "busy"},
    "closed-desk": {"zh": "已下班", "en": "closed"},
    "open callbacks": {"zh": "条待回电", "en": "open"},
}


def desk_word(status: str) -> str:
    """The phrase key of the desk's status (free, busy, closed): "closed"
    names the opening hours' state too, so the desk's own has a key apart."""
    return "closed-desk" if status == "closed" else status


def phrase(key: str, lang: str) -> str:
    return PHRASES.get(key, {}).get(lang, key)


def _cell(column: str, value: object, zone: ZoneInfo, lang: str) -> str:
    if column in TIME_COLUMNS:
        return for_people(value, zone)  # type: ignore[arg-type]
    if value is None:
        return ""
    if column == "topic" and value:
        return display_name(str(value), lang)
    # A value someone else wrote (a pause reason typed over AMI, a callback's
    # reason) must not drive the terminal: control characters print as "?".
    text = "".join(c if c.isprintable() else "?" for c in str(value))
    return WORDS_ZH.get(text, text) if lang == "zh" else text


def terminal_width(text: str) -> int:
    """Terminal columns of ``text``: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - terminal_width(text))


def table(rows: list[dict], columns: list[str], zone: ZoneInfo, lang: str = "zh") -> str:
    """``rows`` (API objects) as an aligned text table in ``lang``."""
    heads = [HEADINGS_ZH.get(c, c.upper()) if lang == "zh" else c.upper() for c in columns]
    cells = [[_cell(c, r.get(c), zone, lang) for c in columns] for r in rows]
    widths = [max([terminal_width(h)] + [terminal_width(row[i]) for row in cells])
              for i, h in enumerate(heads)]
    lines = [heads] + cells
    return "\n".join("  ".join(_pad(t, w) for t, w in zip(line, widths)).rstrip()
                     for line in lines)
