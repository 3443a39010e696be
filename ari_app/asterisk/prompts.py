"""What the caller hears in capture, and in which language.

Each phrase is an Asterisk sound name; Asterisk plays it from
``<sounds>/<language>/<name>``: Asterisk's core sounds for English, the
generated (or recorded) Mandarin set for ``zh`` (``prompt_sets.py`` lists the
phrases and their wording). The language of a call is the desk's default
(``[callbacks] language``) unless the IVR set ``DESK_LANGUAGE`` on the
channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass


log = logging.getLogger(__name__)

from ..desk.callback import LANGUAGES


def call_language(asked: str, default: str) -> str:
    """The language of a call: ``asked`` (DESK_LANGUAGE) when the desk speaks
    it, else ``default``; an unknown value is logged, never played."""
    asked = (asked or "").strip().lower()
    if not asked:
        return default
    if asked in LANGUAGES:
        return asked
    log.warning("DESK_LANGUAGE %r is not one of %s: the caller hears %s",
                asked[:16], ", ".join(LANGUAGES), default)
    return default


@dataclass(frozen=True)
class Prompts:
    """Sound names and the desk's default language (``[callbacks] language``)."""
    language: str
    busy: tuple[str, ...] = ("tt-allbusy",)
    closed: tuple[str, ...] = ("im-sorry", "vm-nobodyavail")
    your_number_is: tuple[str, ...] = ("your", "telephone-number", "is")
    you_entered: tuple[str, ...] = ("you-entered",)
    confirm: tuple[str, ...] = ("if-correct-press", "digits/1", "vm-press", "digits/2",
                                "vm-toenternumber")
    enter_number: tuple[str, ...] = ("vm-enter-num-to-call",)
    invalid: tuple[str, ...] = ("invalid", "please-try-again")
    recorded: tuple[str, ...] = ("num-was-successfully", "added")
    failed: tuple[str, ...] = ("please-try-call-later",)
    goodbye: tuple[str, ...] = ("goodbye",)
