"""Sounds the desk plays that a language's prompt set lacks.

Asterisk plays the English file of a name the call's language lacks, with
no warning: a Mandarin caller hears English. Every sound the dialplan, the
queues and the controller play (``asterisk/sounds_played.py``) is looked up
in every set the desk speaks (``asterisk/prompt_sets.py``: what ``make
sounds`` generates, and Asterisk's English core sounds). A name built from a
variable cannot be checked and is left out.
"""

from __future__ import annotations

from ..asterisk.conffile import ConfigFile
from ..asterisk.sounds_played import code_sounds, dialplan_sounds, missing, queue_sounds


def prompt_problems(extensions: ConfigFile, queues: ConfigFile) -> list[str]:
    """One line per sound played and the language whose set lacks it."""
    played = dialplan_sounds(extensions) + queue_sounds(queues) + code_sounds()
    return [f"{p.where}: plays {p.name!r}, which the {language} prompt set lacks: a "
            f"{language} call would hear another language (add it to the set, "
            "docs/prompts.md, or record it)"
            for p, language in missing(played)]
