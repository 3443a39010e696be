"""Every sound name the desk plays: from the dialplan, from queues.conf and
from the controller's own code, each with where it comes from.

* Dialplan: ``Playback``, ``Background``, ``ControlPlayback`` (their files,
  ``&``-separated), ``Read``'s prompts, ``SayDigits`` (``digits/0``-``9``),
  ``SayNumber``, ``Queue``'s announcement override; a name chosen by
  ``${IF(cond?a:b)}`` counts both ways. A name built from any other
  variable cannot be known statically and is returned as such
  (``Played.unknown``), so a check can say so rather than pass it.
* queues.conf: the announcements a queue's settings turn on (position and
  hold time with ``announce-frequency``, ``periodic-announce`` with its
  frequency, ``announce``, ``queue-callerannounce``, ``reportholdtime``).
* The controller: every prompt of the capture (``Prompts``) and every
  sentence of the customer's time it can say (``told``: promises, windows
  and slot offers over nine days at every minute), with
  ``number:N`` and ``digits:N`` spelt out into the files Asterisk plays for
  that language (``main/say.c``).

``prompt_sets.SETS`` says what each language has; ``missing`` compares.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .conffile import ConfigFile
from .dialplan_refs import arguments, split_outside
from .prompt_sets import SETS
from ..desk.promise import Promise, Slot, Told
from . import told
from .prompts import Prompts

_APPS = ("playback", "background", "controlplayback", "read", "saydigits", "saynumber",
         "queue")
_CALL = re.compile(r"\b(" + "|".join(_APPS) + r")\(", re.IGNORECASE)
_IF = re.compile(r"^\$\{IF\(.*\?(?P<yes>[^:]*):(?P<no>[^)]*)\)\}$")
_DIGITS = tuple(f"digits/{d}" for d in range(10))


@dataclass(frozen=True)
class Played:
    """A sound ``name`` played from ``where`` (file:line, or a code path), in
    ``languages`` (None: whatever the call's language is)."""
    name: str
    where: str
    languages: frozenset[str] | None = None

    @property
    def unknown(self) -> bool:
        """A name built from a variable: it cannot be checked statically."""
        return "${" in self.name or "$[" in self.name


def _files(arg: str) -> list[str]:
    """The sound names one file argument names (``a&b``, ``${IF(c?a:b)}``)."""
    out = []
    for part in split_outside(arg.strip(), "&"):
        part = part.strip()
        chosen = _IF.match(part)
        out += [chosen["yes"], chosen["no"]] if chosen else [part]
    return [p.strip() for p in out if p.strip()]


def _app_sounds(app: str, args: list[str]) -> list[str]:
    if app in ("playback", "background", "controlplayback"):
        return _files(args[0])
    if app == "read":
        return _files(args[1]) if len(args) > 1 else []
    if app == "saydigits":
        literal = args[0].strip()
        return [f"digits/{d}" for d in literal] if literal.isdigit() else list(_DIGITS)
    if app == "saynumber":
        return sorted(set().union(*(number_files(n, lang) for n in range(100)
                                    for lang in SETS)))
    return _files(args[3]) if len(args) > 3 else []   # Queue's announceoverride


def dialplan_sounds(plan: ConfigFile) -> list[Played]:
    """Every sound the dialplan names, with file:line."""
    out = []
    for section in plan.sections:
        for key, value, line in section.options:
            if key not in ("exten", "same"):
                continue
            for match in _CALL.finditer(value):
                args = split_outside(arguments(value, match.end()), ",")
                out += [Played(name, f"{section.file}:{line}")
                        for name in _app_sounds(match.group(1).lower(), args)]
    return out


_POSITION = ("queue-youarenext", "queue-thereare", "queue-callswaiting", "queue-holdtime",
             "queue-minutes", "queue-minute", "queue-seconds", "queue-thankyou")


def queue_sounds(queues: ConfigFile) -> list[Played]:
    """The announcements each queue's settings turn on, with file:line."""
    out = []
    for section in queues.sections:
        if section.name == "general":
            continue
        q = queues.resolved(section)

        def on(key: str) -> bool:
            value = (q.get(key) or "0").strip()
            return bool(re.fullmatch(r"[0-9]{1,9}", value)) and int(value) > 0

        def sound(key: str, default: str = "") -> list[Played]:
            names = re.split(r"[,|&]", q.get(key) or default)  # periodic-announce: a list
            return [Played(n.strip(), q.where(key if q.get(key) else None)) for n in names]
        if on("announce-frequency"):
            for key in _POSITION:
                out += sound(key, key)
        if on("periodic-announce-frequency"):
            out += sound("periodic-announce", "queue-periodic-announce")
        if (q.get("reportholdtime") or "no").lower() in ("yes", "true", "1", "on"):
            out += sound("queue-reporthold", "queue-reporthold") + sound(
                "queue-minutes", "queue-minutes") + sound("queue-seconds", "queue-seconds")
        out += sound("announce") + sound("queue-callerannounce")
    return [p for p in out if p.name]


def number_files(n: int, language: str) -> list[str]:
    """The files Asterisk plays to say ``n`` (0-99) in ``language`` (``say.c``:
    English says 11-19 by name, Mandarin tens then units)."""
    if n < (20 if language == "en" else 10) or n % 10 == 0:
        return [f"digits/{n}"]
    return [f"digits/{n // 10 * 10}", f"digits/{n % 10}"]


def _media(media: str, language: str) -> list[str]:
    kind, _, value = media.partition(":")
    if not _:
        return [media]
    if kind == "number":
        return number_files(int(value), language)
    return list(_DIGITS)  # digits:<any number>


def told_sounds(language: str) -> set[str]:
    """Every media the customer's-time sentences (``told.py``) can say in
    ``language``: each form of promise (minutes 1-60, late or not), windows
    and times at every minute of a day over nine days, an offer of up to
    eight slots, a caller's open callback."""
    now = datetime(2026, 11, 30, 0, 0, tzinfo=timezone.utc)
    minute = timedelta(minutes=1)
    out: set[str] = set()
    for n in range(1, 61):
        for late in (False, True):
            out.update(told.said(Promise(Told.WITHIN, now, now + n * minute, n, late),
                                 now, timezone.utc, language))
    for m in range(0, 9 * 24 * 60, 7):   # every minute of the day falls on some step
        at = now + m * minute
        for form, end in ((Told.BETWEEN, at + 60 * minute), (Told.AFTER, None)):
            out.update(told.said(Promise(form, at, end), now, timezone.utc, language))
    slots = [Slot(now + h * 60 * minute, now + (h + 1) * 60 * minute) for h in range(8)]
    out.update(told.offer(slots, now, timezone.utc, language))
    out.update(("desk-time-already", "desk-time-keep-or-cancel", "desk-time-kept",
                "desk-time-cancelled", "desk-time-not-offered", "desk-time-late"))
    return out


def code_sounds() -> list[Played]:
    """Every sound the controller plays, per language it plays it in."""
    out = []
    prompts = Prompts(language="zh")
    for field in dataclasses.fields(prompts):
        if field.name != "language":
            out += [Played(m, f"ari_app/asterisk/prompts.py Prompts.{field.name}")
                    for m in getattr(prompts, field.name)]
    out += [Played(d, "ari_app/asterisk/capture.py (the number, digit by digit)")
            for d in _DIGITS]
    for language in SETS:
        names = {f for media in told_sounds(language) for f in _media(media, language)}
        out += [Played(n, "ari_app/asterisk/told.py", frozenset({language}))
                for n in sorted(names)]
    return out


def missing(played: Iterable[Played], sets: dict[str, frozenset[str]] = SETS
            ) -> Iterator[tuple[Played, str]]:
    """(what is played, the language whose set lacks it), once per name,
    place and language; names built from variables are left to the caller."""
    seen = set()
    for p in played:
        if p.unknown:
            continue
        for language in sorted(p.languages or sets):
            if p.name not in sets.get(language, frozenset()) and (p, language) not in seen:
                seen.add((p, language))
                yield p, language
