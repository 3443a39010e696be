"""One spool entry, as the dialplan writes it (pure; no I/O).

AstDB ``desk-spool/<key>`` = ``<number>,<epoch asked>,<topic code>[,<language>]``
(the caller's language, zh or en, since the spool speaks it; entries
written before carry none and take the desk's); the key
is the caller's channel unique id, digits only. An entry is data from
outside the controller: everything is checked before it can become a
callback (the number again by the service's number policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..desk.callback import LANGUAGES

FAMILY = "desk-spool"
KEY_LENGTH = 32
# A request stamped this far ahead of the controller's clock is refused: the
# spool is written by the same host's Asterisk, so only a broken clock or a
# forged entry gets there.
FUTURE_SLACK = timedelta(minutes=5)


class BadEntry(ValueError):
    """The entry cannot be imported; the message says why (for the log)."""


@dataclass(frozen=True)
class SpoolEntry:
    key: str
    number: str          # as spooled; the service's number policy checks it
    asked_at: datetime   # when the caller confirmed the number (UTC)
    topic_code: str      # digits, possibly empty
    language: str = ""   # the caller's (zh, en), empty: the desk's


def parse(key: str, value: str, now: datetime) -> SpoolEntry:
    """Parse one entry; raise ``BadEntry`` naming the problem."""
    if not (key.isascii() and key.isdigit()) or len(key) > KEY_LENGTH:
        raise BadEntry(f"key {key!r} is not 1-{KEY_LENGTH} digits")
    parts = value.split(",")
    if len(parts) not in (3, 4):
        raise BadEntry(f"value {value!r} is not number,epoch,topic[,language]")
    number, epoch, topic = parts[:3]
    language = parts[3] if len(parts) == 4 else ""
    if language not in ("", *LANGUAGES):
        raise BadEntry(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    if not (epoch.isascii() and epoch.isdigit()) or len(epoch) > 12:
        raise BadEntry(f"request time {epoch!r} is not a Unix time")
    if topic and not (topic.isascii() and topic.isdigit() and len(topic) <= 8):
        raise BadEntry(f"topic code {topic!r} is not up to 8 digits")
    # Compared as a number first: a time past the year 9999 is no datetime.
    if int(epoch) > (now + FUTURE_SLACK).timestamp():
        raise BadEntry(f"request time {epoch} lies in the future")
    asked_at = datetime.fromtimestamp(int(epoch), timezone.utc)
    return SpoolEntry(key, number, asked_at, topic, language)


def key_of(tree_key: str) -> str:
    """``/desk-spool/123`` (as DBGetTree names it) -> ``123``."""
    return tree_key.removeprefix("/").removeprefix(FAMILY + "/")
