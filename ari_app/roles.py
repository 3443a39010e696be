"""Who may do what through the HTTP API: every token carries a role, and a
role is a set of permissions (one small table: a new role is one row).

Tokens are configured as ``ROLE:TOKEN`` entries (``[http] tokens`` or
``DATADESK_API_TOKENS``, comma-separated), or ``ROLE/NAME:TOKEN`` to give
the token a name (who holds it, written in the recordings' audit log); a
``specialist`` token names its seat, ``specialist/8601:TOKEN``. Two older forms still load, each
with exactly the rights it had, and ``check-config`` and the start say they
are deprecated (``deprecations``):

* a token without a role: every route, customers' numbers masked on the
  board (``UNSCOPED``);
* ``[http] supervisor_tokens`` / ``DATADESK_SUPERVISOR_TOKENS``: every route
  with full numbers on the board, which is ``admin``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import Enum


class Permission(str, Enum):
    """What a route needs (``web/access.py`` maps routes to these)."""
    SEATS = "seats"            # the live board of seats (no customer data)
    BOARD = "board"            # the wallboard: its page, snapshot and stream
    NUMBERS = "numbers"        # customers' full numbers on the board (else the last four)
    REPORTS = "reports"        # the history: page, CSV, JSON
    REGISTER = "register"      # register a callback (the frontline's relay form)
    CALLBACKS = "callbacks"    # list, show and cancel callbacks (full numbers)
    LOOKUP = "lookup"          # one number's open callback, its number masked (the relay's check)
    METRICS = "metrics"        # Prometheus metrics
    RECORDINGS = "recordings"  # list recordings, play and download them (audited)
    SCORE = "score"            # score a recording (the QA officer)
    APPEAL = "appeal"          # appeal a score of one's own call, once (the seat's specialist)
    PAUSE = "pause"            # pause and resume the recording of one's own call
    DECIDE = "decide"          # uphold or change an appealed score (a supervisor)


_ALL = frozenset(Permission)
# The roles, widest last. A role added later (quality review, a seat's own
# appeal) is a row here and, for a new kind of route, a permission above.
ROLES: dict[str, frozenset[Permission]] = {
    "wallboard": frozenset({Permission.SEATS, Permission.BOARD}),
    "relay": frozenset({Permission.SEATS, Permission.REGISTER, Permission.LOOKUP}),
    "metrics": frozenset({Permission.METRICS}),
    "supervisor": frozenset({Permission.SEATS, Permission.BOARD, Permission.NUMBERS,
                             Permission.REPORTS, Permission.CALLBACKS, Permission.LOOKUP,
                             Permission.RECORDINGS,
                             Permission.DECIDE}),
    "qa": frozenset({Permission.RECORDINGS, Permission.SCORE}),
    # One specialist's token (``specialist/<agent ID>:TOKEN``): its own calls only.
    "specialist": frozenset({Permission.APPEAL, Permission.PAUSE}),
    "admin": _ALL,
}
# A token configured without a role (the form before roles): what it could
# do then, every route with numbers masked on the board. Deprecated. It
# never had the quality routes, which came after it.
UNSCOPED = "unscoped"
_QUALITY = frozenset({Permission.RECORDINGS, Permission.SCORE, Permission.APPEAL,
                      Permission.PAUSE, Permission.DECIDE})
_RIGHTS = {**ROLES, UNSCOPED: _ALL - {Permission.NUMBERS} - _QUALITY}
# Roles whose tokens name the seat they belong to (``ROLE/<agent ID>:TOKEN``).
SEAT_ROLES = frozenset({"specialist"})
# The role that deprecated supervisor_tokens had in effect.
FORMER_SUPERVISOR = "admin"
MIN_LENGTH = 16
# What a role name looks like: a prefix of this shape is a role, never part
# of a token, so a misspelt role is refused rather than read as a token.
_ROLE_WORD = re.compile(r"[a-z][a-z0-9-]{0,31}")
# ``ROLE/NAME``: a token's name (who it is given to; a specialist's agent ID),
# written in the recordings' audit log.
_NAMED_ROLE = re.compile(r"(?P<role>[a-z][a-z0-9-]{0,31})/(?P<name>[0-9A-Za-z._-]{1,32})")


class TokenError(ValueError):
    """A token entry that cannot be used; the message names the problem."""


@dataclass(frozen=True)
class Grant:
    """One configured token, the role it carries and, if given, its name
    (for a specialist, the agent ID of the seat whose calls it may appeal)."""
    token: str
    role: str
    name: str = ""

    @property
    def label(self) -> str:
        """Who used the token, for the audit log: ``role/name``, or the role
        and the first 8 hex digits of the token's SHA-256 when it has no name."""
        if self.name:
            return f"{self.role}/{self.name}"
        return f"{self.role}#{hashlib.sha256(self.token.encode()).hexdigest()[:8]}"

    @property
    def seat(self) -> str:
        """The seat a specialist's token belongs to ("" for other roles)."""
        return self.name if self.role in SEAT_ROLES else ""


def may(role: str, permission: Permission) -> bool:
    """Does ``role`` (a name from ``ROLES`` or ``UNSCOPED``) hold ``permission``?"""
    return permission in _RIGHTS.get(role, frozenset())


def admitting(wanted: frozenset[Permission]) -> list[str]:
    """The roles holding every permission of ``wanted``, in table order."""
    return [name for name in ROLES if all(may(name, p) for p in wanted)]


def parse_entry(entry: str) -> Grant:
    """``ROLE:TOKEN`` (or a bare token: ``UNSCOPED``); ``TokenError`` for an
    unknown role or a token shorter than ``MIN_LENGTH``."""
    entry = entry.strip()
    prefix, colon, rest = entry.partition(":")
    named = _NAMED_ROLE.fullmatch(prefix) if colon else None
    role, name = (named["role"], named["name"]) if named else (prefix, "")
    if colon and (named or _ROLE_WORD.fullmatch(prefix)):
        if role not in ROLES:
            raise TokenError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
        grant = Grant(rest.strip(), role, name)
    else:
        grant = Grant(entry, UNSCOPED)
    if grant.role in SEAT_ROLES and not grant.name:
        raise TokenError(f"a {grant.role} token names its seat: {grant.role}/<agent ID>:TOKEN")
    if len(grant.token) < MIN_LENGTH:
        raise TokenError(f"each token needs at least {MIN_LENGTH} characters")
    return grant


def grants(tokens: tuple[str, ...], supervisor_tokens: tuple[str, ...] = ()) -> list[Grant]:
    """Every configured token with its role. A former supervisor token is
    ``admin`` (it wins over the same token listed without a role); one token
    given two roles is a ``TokenError``."""
    found: dict[str, Grant] = {}
    entries = [parse_entry(t) for t in tokens]
    entries += [Grant(parse_entry(t).token, FORMER_SUPERVISOR) for t in supervisor_tokens]
    for grant in entries:
        held = found.get(grant.token)
        if held is not None and held.role != grant.role and held.role != UNSCOPED:
            raise TokenError(f"one token is given two roles ({held.role}, {grant.role})")
        found[grant.token] = grant
    return list(found.values())


def deprecations(tokens: tuple[str, ...], supervisor_tokens: tuple[str, ...]) -> list[str]:
    """What the settings still say in a deprecated form, each with its
    replacement (for ``check-config`` and the start)."""
    out = []
    bare = sum(parse_entry(t).role == UNSCOPED for t in tokens)
    if bare:
        out.append(f"[http] tokens (DATADESK_API_TOKENS): {bare} token(s) without a role "
                   "keep every route with numbers masked on the board; deprecated: write "
                   f"ROLE:TOKEN (roles: {', '.join(ROLES)}), e.g. wallboard:TOKEN for a wall "
                   "screen")
    if supervisor_tokens:
        out.append(f"[http] supervisor_tokens (DATADESK_SUPERVISOR_TOKENS): "
                   f"{len(supervisor_tokens)} token(s) act as admin; deprecated: write "
                   "supervisor:TOKEN (the board with full numbers, reports, callbacks) or "
                   "admin:TOKEN in [http] tokens")
    return out


def bare_token(entry: str) -> str:
    """The token of an entry, its role left off (``DATADESK_API_TOKEN`` and
    the lab accept either form)."""
    try:
        return parse_entry(entry).token
    except TokenError:
        return entry.strip()
