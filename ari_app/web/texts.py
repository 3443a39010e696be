"""What the wallboard and the reports page say, in each language they speak.

One table of phrases, each in both languages. API field
names stay English; only what people read is here. ``choose`` picks the
language of a page: the browser's ``Accept-Language`` first, then the
setting ``[desk] screen_language``.
"""

from __future__ import annotations

LANGUAGES = ("zh", "en")

# key: (Simplified Chinese, English); the same key for both by construction.
PHRASES: dict[str, tuple[str, str]] = {
    'title': ('数据业务专席', 'Data desk'),
    'lamp.free': ('空闲', 'free'),
    'lamp.busy': ('忙', 'busy'),
    'lamp.closed': ('已下班', 'closed'),
    'stale': ('座席状态未同步', 'board out of sync'),
    'lost': ('连接中断：数据可能已过时', 'Connection lost: figures may be out of date'),
    'waiting': ('排队来电', 'Callers waiting'),
    'longest': ('最长等待', 'Longest wait'),
    'open': ('待回电', 'Open callbacks'),
    'seats': ('座席', 'Seats'),
    'callbacks': ('回电（按时限）', 'Callbacks by deadline'),
    'today': ('今日', 'Today'),
    'col.number': ('号码', 'Number'),
    'col.topic': ('业务', 'Topic'),
    'col.status': ('状态', 'Status'),
    'col.attempts': ('尝试次数', 'Attempts'),
    'col.left': ('剩余时限', 'SLA left'),
    'col.promised': ('承诺时间', 'Promised'),
    'promise.by': ('{t} 前', 'by {t}'),
    'promise.after': ('{t} 以后', 'after {t}'),
    'promise.booked': ('预约', 'booked'),
    'late': ('已超时', 'late'),
    'state.ready': ('就绪', 'ready'),
    'state.ringing': ('振铃', 'ringing'),
    'state.in-call': ('通话中', 'talking'),
    'state.on-hold': ('保持', 'on hold'),
    'state.wrap-up': ('话后整理', 'wrap-up'),
    'state.paused': ('暂停', 'paused'),
    'state.logged-out': ('未签入', 'logged out'),
    'state.unregistered': ('未注册', 'unregistered'),
    'for': ('持续', 'for'),
    'transfers': ('转入专席', 'Transfers to the desk'),
    'answered': ('人工接听', 'Answered live'),
    'callbacks_made': ('已回拨', 'Callbacks made'),
    'sla': ('时限达成率', 'SLA met'),
    'talk': ('平均通话时长', 'Average talk time'),
    'target': ('目标', 'target'),
    'repeat': ('重复来电率', 'Repeat calls'),
    'unavailable': ('数据暂不可用（回拨存储中断）', 'figures unavailable (callback store down)'),
    'none': ('无', 'none'),
    'reports': ('专席历史', 'Desk history'),
    'days': ('最近 {n} 天', 'last {n} days'),
    'per_day': ('按日', 'Per day'),
    'per_hour': ('按小时（全部日期）', 'Per hour of day (all days)'),
    'per_seat': ('按座席（全部日期）', 'Per seat (all days)'),
    'day': ('日期', 'Day'),
    'hour': ('小时', 'Hour'),
    'callbacks_requested': ('回拨请求', 'Callbacks requested'),
    'callbacks_dialled': ('已拨回拨', 'Callbacks dialled'),
    'sla_met': ('时限内', 'SLA met'),
    'sla_breached': ('超时', 'SLA breached'),
    'callbacks_failed': ('回拨失败', 'Callbacks failed'),
    'sla_percent': ('时限达成率 %', 'SLA met %'),
    'talk_average': ('平均通话（秒，目标 148）', 'Average talk (s, target 148)'),
    'repeat_percent': ('重复来电 %', 'Repeat %'),
    'occupancy': ('座席占用率 %', 'Seat occupancy %'),
    'seats_ready': ('就绪座席（平均）', 'Seats ready (avg)'),
    'plot.sla': ('每日回电时限达成率 %', 'Callbacks within the SLA, % per day'),
    'plot.load': ('每小时转入量与就绪座席', 'Transfers per hour against seats ready'),
    'csv': ('下载 CSV', 'Download CSV'),
    'total': ('合计', 'Total'),
    'sizing': ('按实测话务测算座席', 'Sizing from measured traffic'),
    'sizing.window': ('今日之前 {n} 个完整日：日均转入 {calls} 次，平均通话 {talk} 秒，'
                      '话后整理 {wrapup} 秒',
                      'the {n} whole days before today: {calls} transfers a day, '
                      'talk {talk} s, wrap-up {wrapup} s'),
    'sizing.empty': ('尚无实测话务：所选时段内今日之前的完整日没有转入专席的来电。',
                     'No traffic measured yet: no transfer to the desk in the whole days '
                     'of this window before today.'),
    'sizing.unsized': ('按这些话务量需要超过 {n} 个座席，无法测算：请检查 Redis 中的每日统计。',
                       'This traffic would need over {n} seats and is not sized: check the '
                       'daily figures in Redis.'),
    'sizing.arrivals': ('日均转入', 'Arrivals a day'),
    'sizing.erlangs': ('话务量（爱尔兰）', 'Offered load (Erlangs)'),
    'sizing.seats_80_20': ('所需座席（80/20，Erlang C）', 'Seats for 80/20 (Erlang C)'),
    'sizing.desk': ('专席 {n} 个座席', "the desk's {n} seats"),
    'sizing.note': ('模拟的时限达成率 %：', 'simulated SLA %: '),   # + the command
    # The figures (desk/figures.py FIGURES): reports' columns, the board's rows.
    'fig.transfers': ('转入专席', 'Transfers'),
    'fig.offered': ('转座席', 'Offered to seats'),
    'fig.answered': ('人工接听', 'Answered'),
    'fig.answered_in_sl': ('{n}秒内接听', 'Answered in {n} s'),
    'fig.completed': ('已结束通话', 'Calls ended'),
    'fig.service_level_percent': ('{n}秒接通率 %', 'Answered in {n} s %'),
    'fig.abandoned': ('放弃', 'Abandoned'),
    'fig.abandoned_percent': ('放弃率 %', 'Abandoned %'),
    'fig.abandoned_queue': ('排队中放弃', 'Left the queue'),
    'fig.abandoned_capture': ('登记回电时放弃', 'Left the callback capture'),
    'fig.abandoned_routing': ('转接前放弃', 'Left before routing'),
    'fig.abandoned_wait_seconds': ('放弃前平均等待', 'Waited before leaving'),
    'fig.average_speed_of_answer_seconds': ('平均应答时间', 'Average speed of answer'),
    'fig.average_talk_seconds': ('平均通话时长', 'Average talk time'),
    'fig.average_handle_seconds': ('平均处理时长', 'Average handle time'),
    'unit.seconds': ('（秒）', ' (s)'),
    'fig.callbacks_requested': ('回电登记', 'Callbacks requested'),
    'fig.callbacks_dialled': ('已回电', 'Callbacks made'),
    'fig.sla_met': ('回电时限内', 'Callback SLA met'),
    'fig.sla_breached': ('回电超时', 'Callback SLA breached'),
    'fig.callbacks_failed': ('回电失败', 'Callbacks failed'),
    'fig.sla_met_percent': ('回电时限达成率 %', 'Callback SLA met %'),
    'fig.booked_sla_met_percent': ('预约回电守约率 %', 'Booked callbacks kept %'),
    'fig.unbooked_sla_met_percent': ('未预约回电守约率 %', 'Unbooked callbacks kept %'),
    'fig.repeat_rate_percent': ('重复来电率 %', 'Repeat calls %'),
    'fig.occupancy_percent': ('座席占用率 %', 'Seat occupancy %'),
    'fig.seats_ready': ('就绪座席（平均）', 'Seats ready (avg)'),
    # Short headings of the terminal's table (datadesk report).
    'short.day': ('日期', 'DAY'), 'short.total': ('合计', 'TOTAL'), 'short.seat': ('座席', 'SEAT'),
    'short.transfers': ('转入', 'IN'), 'short.answered': ('接听', 'ANSWERED'),
    'short.service_level_percent': ('{n}秒接通%', 'SL{n}s%'),
    'short.abandoned': ('放弃', 'ABANDONED'), 'short.abandoned_percent': ('放弃率%', 'ABAND%'),
    'short.average_speed_of_answer_seconds': ('平均应答秒', 'ASA_S'),
    'short.average_handle_seconds': ('平均处理秒', 'AHT_S'),
    'short.callbacks_dialled': ('已回电', 'CALLBACKS'),
    'short.sla_met_percent': ('回电达成%', 'CB_SLA%'),
    'short.seat.live': ('接听', 'LIVE'), 'short.seat.callbacks': ('回电', 'CB'),
    'short.seat.talk_seconds': ('通话秒', 'TALK_S'),
    'short.seat.average_talk_seconds': ('平均通话秒', 'AVG_TALK'),
    'seatcol.live': ('接听来电', 'Live calls'), 'seatcol.callbacks': ('回电', 'Callbacks'),
    'seatcol.talk_seconds': ('通话（秒）', 'Talk (s)'),
    'seatcol.average_talk_seconds': ('平均通话（秒）', 'Average talk (s)'),
    # The board's panels and words.
    'kpi.asa': ('平均应答', 'Avg. answer'),
    'kpi.aht': ('平均处理', 'Avg. handle'),
    'date': ('日期', 'Date'),
    'updated': ('更新于', 'Updated'),
    'states': ('座席状态', 'Seats by state'),
    'state.talking': ('通话中', 'talking'),
    'cb.open': ('待回电', 'open'),
    'cb.at_risk': ('即将超时', 'at risk'),
    'cb.overdue': ('已超时', 'overdue'),
    'cb.next': ('最近时限', 'Next deadline'),
    'cbstatus.open': ('待回电', 'open'),
    'cbstatus.dialling': ('呼叫中', 'dialling'),
    'seat.handled': ('接听 {live} · 回电 {callbacks}', 'live {live} · callbacks {callbacks}'),
    'seat.talk': ('通话', 'talk'),
    'seat.pause': ('暂停', 'paused'),
    'tile.paused': ('暂停 · {reason}', 'paused: {reason}'),
    'pause.unknown': ('其他', 'other'),
    'by_place': ('放弃：排队 {queue} · 登记 {capture} · 转接前 {routing}',
                 'left: queue {queue} · capture {capture} · routing {routing}'),
    'no_figures': ('尚无数据', 'nothing measured yet'),
    # The quality figures (reports' satisfaction section, the board's tile).
    'q.title': ('满意度（按日）', 'Satisfaction per day'),
    'q.per_seat': ('满意度与质检分（按座席）', 'Satisfaction and QA score per seat'),
    'q.per_topic': ('满意度（按业务）', 'Satisfaction per topic'),
    'q.per_hour': ('满意度（按小时）', 'Satisfaction per hour of day'),
    'q.seat': ('座席', 'Seat'),
    'q.surveyed': ('调查数', 'Surveyed'),
    'q.rated': ('参评数', 'Rated'),
    'q.satisfied': ('满意数', 'Satisfied'),
    'q.satisfaction_percent': ('满意率 %', 'Satisfied %'),
    'q.rated_percent': ('参评率 %', 'Rated %'),
    'q.scored': ('已质检', 'Scored'),
    'q.average_score': ('平均质检分', 'Average QA score'),
    # datadesk report's satisfaction lines (templates: quality/figures.text_lines).
    'qline.title': ('满意度（满意率 = 满意 ÷ 参评；参评率 = 参评 ÷ 调查）',
                    'SATISFACTION (satisfied ÷ rated; rated ÷ surveyed)'),
    'qline.total': ('合计', 'total'),
    'qline.day': ('{day:<10}  满意率 {satisfied:>8}  参评率 {rated:>8}  调查 {surveyed} 次',
                  '{day:<10}  satisfied {satisfied:>8}  rated {rated:>8}  of {surveyed} surveyed'),
    'qline.seat': ('座席 {seat:<5}  满意率 {satisfied:>8}  平均质检分 {score}',
                   'seat {seat:<5}  satisfied {satisfied:>8}  average QA score {score}'),
    'fig.satisfaction_percent': ('满意率 %', 'Satisfied %'),
    'fig.rated_percent': ('参评率 %', 'Rated %'),
    # The board's stall banners (wallboard/banners.py).
    'stall.board': ('座席状态可能已过时', 'Board may be stale'),
    'stall.since': ('座席状态可能已过时（自 {since} 起）', 'Board may be stale since {since}'),
    'stall.why.silent': ('交换机无响应', 'the PBX does not answer'),
    'stall.why.down': ('与交换机的连接中断', 'no link to the PBX'),
    'stall.why.resync': ('正在与交换机重新同步', 'resyncing with the PBX'),
    'stall.store': ('回电存储无法访问：暂时无法显示或登记回电',
                    'Callback store unreachable: callbacks cannot be shown or stored now'),
    'stall.store.since': ('回电存储自 {since} 起无法访问：暂时无法显示或登记回电',
                          'Callback store unreachable since {since}: callbacks cannot be '
                          'shown or stored now'),
}
ZH = {key: pair[0] for key, pair in PHRASES.items()}
EN = {key: pair[1] for key, pair in PHRASES.items()}

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
