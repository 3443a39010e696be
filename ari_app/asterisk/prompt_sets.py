"""The desk's prompt sets: every sound name each language's set holds.

Asterisk plays ``<sounds>/<language>/<name>.<format>`` and, when a language
lacks a name, quietly plays the English file instead: a Mandarin caller then
hears English. So every name the dialplan or the controller plays must be in
every set (``sounds_played`` lists what is played; ``check-config`` and a
unit test compare).

* ``zh`` (Mandarin, the desk's default): generated at build time
  (``lab/prompts.py``: espeak-ng and sox) from ``PHRASES``' Mandarin wording,
  the ``TONES`` synthesised; recordings of the same names win.
* ``en``: Asterisk's core sounds (``asterisk-core-sounds-en``) under the same
  names, but for what they lack (``EN_GENERATED``, generated alike), and for
  ``ZH_ONLY`` phrases, which only Mandarin word order says.

Plain data, standard library only: the PBX image's build runs the
generator with this file and nothing else of the package.
"""

from __future__ import annotations

# name (Asterisk's sound name), Mandarin wording, English wording (the core
# sound's, or the generated one's).
PHRASES: tuple[tuple[str, str, str], ...] = (
    # The capture (ari_app/asterisk/capture.py) and the spool (dialplan/35-spool.conf).
    ("tt-allbusy", "您好，数据专席的坐席现在全忙。", "All representatives are busy"),
    ("im-sorry", "很抱歉，", "I'm sorry"),
    ("vm-nobodyavail", "数据专席现在不在服务时间。", "Nobody is available to take your call"),
    ("your", "您的", "your"),
    ("telephone-number", "电话号码", "telephone number"),
    ("is", "是", "is"),
    ("you-entered", "您输入的号码是", "you entered"),
    ("if-correct-press", "如果正确，请按", "if this is correct, press"),
    ("vm-press", "，按", "press"),
    ("vm-toenternumber", "重新输入号码。", "to enter a number"),
    ("vm-enter-num-to-call", "请输入回电号码，以井号键结束。",
     "please enter the number you wish to call"),
    ("invalid", "号码无效，", "that is not valid"),
    ("please-try-again", "请重新输入。", "please try again"),
    ("num-was-successfully", "您的回电号码已经", "number was successfully"),
    ("added", "登记成功。", "added"),
    ("please-try-call-later", "很抱歉，请稍后再拨。", "please try your call later"),
    ("goodbye", "再见。", "goodbye"),
    # The seat's whisper before a callback (dialplan/30-desk.conf).
    ("calling", "正在回拨", "calling"),
    # What a customer called back hears on answering; no core sound says it,
    # so English is generated too (EN_GENERATED).
    ("desk-greeting", "您好，这里是数据业务专席，为您回电。",
     "Hello, this is the data service desk returning your call."),
    # Quality (dialplan/32-quality.conf): the notice before a desk call is
    # recorded, the satisfaction survey when the seat hangs up first, and its
    # thanks. No core sound says them, so English is generated too.
    ("desk-recording-notice", "为了提高服务质量，您的通话可能会被录音。",
     "To improve our service, this call may be recorded."),
    ("desk-survey", "请对本次服务进行评价：满意请按1，一般请按2，不满意请按3。",
     "Please rate this call: press 1 if satisfied, 2 if acceptable, 3 if dissatisfied."),
    ("desk-survey-thanks", "感谢您的评价，再见。", "Thank you for your rating. Goodbye."),
    # A customer the desk does not serve, on the way back to the frontline
    # queue (dialplan/20-frontline.conf [frontline-return]).
    ("one-moment-please", "请稍候。", "One moment please."),
    # A seat's own feature codes (dialplan/40-seat-phones.conf), in the seat
    # phone's language.
    ("agent-loginok", "签入成功。", "Agent logged in."),
    ("agent-alreadyon", "您已经签入。", "That agent is already logged on."),
    ("agent-loggedoff", "签出成功。", "Agent logged off."),
    # Days and times in what the caller is told (ari_app/asterisk/told.py):
    # "明天 九点 三十分" in Mandarin; English says "tomorrow, nine thirty a.m."
    # with the core sounds.
    ("digits/today", "今天", "today"), ("digits/tomorrow", "明天", "tomorrow"),
    ("digits/oclock", "点", "o'clock"), ("minutes", "分", "minutes"),
    *((f"digits/day-{n}", "星期" + "日一二三四五六"[n], "Sunday Monday Tuesday Wednesday "
       "Thursday Friday Saturday".split()[n]) for n in range(7)),
    # The customer's time (ari_app/asterisk/told.py): the time told at capture,
    # the slots offered, a caller whose callback is open. Generated in both
    # languages (EN_GENERATED): no core sound says them.
    ("desk-time-expect", "我们预计在大约", "We expect to call you back within about"),
    ("desk-time-minutes", "分钟内给您回电。", "minutes."),
    ("desk-time-window", "我们将在", "We will call you back"),
    ("desk-time-from", "从", "between"),
    ("desk-time-to", "到", "and"),
    ("desk-time-end", "之间给您回电。", "in that time."),
    ("desk-time-after", "以后给您回电。", "after"),
    ("desk-time-late", "这比我们通常承诺的时间晚，非常抱歉。",
     "That is later than we usually promise. We are sorry."),
    ("desk-time-keep", "按这个时间回电，请按一。", "To be called at that time, press one."),
    ("desk-time-later", "如需预约更晚的时间，", "For a later time,"),
    ("desk-time-slot", "预约", "for"),
    ("desk-time-not-offered", "没有这个选项。", "That is not one of the choices."),
    ("desk-time-already", "您已经登记了回电。", "You already have a callback with us."),
    ("desk-time-keep-or-cancel", "保留请按一，取消请按二。",
     "To keep it, press one. To cancel it, press two."),
    ("desk-time-kept", "好的，我们会按时给您回电。", "Thank you. We will call you as promised."),
    ("desk-time-cancelled", "您的回电已经取消。", "Your callback is cancelled."),
    ("digits/0", "零", "zero"), ("digits/1", "一", "one"), ("digits/2", "二", "two"),
    ("digits/3", "三", "three"), ("digits/4", "四", "four"), ("digits/5", "五", "five"),
    ("digits/6", "六", "six"), ("digits/7", "七", "seven"), ("digits/8", "八", "eight"),
    ("digits/9", "九", "nine"), ("digits/10", "十", "ten"),
    # Numbers Asterisk says (SayNumber, ARI "number:"): 11-19, the tens,
    # hundred, thousand. Without them a zh call falls back to English files
    # silently (checked on the lab PBX: digits/60 came from en).
    *((f"digits/{n}", "十" + "一二三四五六七八九"[n - 11], str(n)) for n in range(11, 20)),
    *((f"digits/{n}", "二三四五六七八九"[n // 10 - 2] + "十", str(n)) for n in range(20, 100, 10)),
    ("digits/hundred", "百", "hundred"), ("digits/thousand", "千", "thousand"),
)
# Tones the seat phones hear (feature codes): no words, so the Mandarin set
# synthesises them (sox ``synth`` arguments); English has core sounds.
TONES: dict[str, tuple[str, ...]] = {
    "beep": ("synth", "0.25", "sine", "1000", "vol", "0.3"),
    "beeperr": ("synth", "0.15", "sine", "480", "vol", "0.3", "pad", "0", "0.1", "repeat", "1"),
}
# English phrases no core sound says: generated like the Mandarin set.
EN_GENERATED = frozenset({"desk-greeting", "desk-recording-notice", "desk-survey",
                          "desk-survey-thanks"}) | frozenset(
    name for name, _, _ in PHRASES if name.startswith("desk-time-"))
# Phrases only Mandarin word order needs: English has none of the name (none now:
# every sentence of the customer's time is generated in both languages).
ZH_ONLY: frozenset[str] = frozenset()
# Core sounds only English plays ("nine oh five a.m.": ari_app/asterisk/told.py).
EN_ONLY = frozenset({"digits/a-m", "digits/p-m", "digits/oh"})

_NAMES = frozenset(name for name, _, _ in PHRASES) | frozenset(TONES)
SETS: dict[str, frozenset[str]] = {
    "zh": _NAMES,
    "en": (_NAMES - ZH_ONLY) | EN_ONLY,
}


def names() -> list[str]:
    """Every phrase name of the table, in its order (tones aside)."""
    return [name for name, _, _ in PHRASES]
