"""Which numbers the desk may call back: a strict allow-list.

Every number that reaches a Dial string or an Originate passes here first.
Only digits survive; the default policy allows mainland China mobile
numbers (1[3-9] + 9 digits) and fixed lines with their area code (0 + 9 to 11
digits), and names why anything else is refused (international, premium
rate, service numbers) so that an agent or a caller gets a clear answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DEFAULT_ALLOW = (r"1[3-9]\d{9}", r"0[1-9]\d{8,10}")
DEFAULT_DENY = {
    r"(00|\+).*": "international numbers are not called back",
    r"(1[0-2]|9[5-9]|1259|106).*": "premium-rate and service numbers are not called back",
}
MAX_LENGTH = 20


def mask(number: str, hidden: str = "•") -> str:
    """All but the last four characters hidden (``13800138501`` ->
    ``•••••••8501``): enough to recognise a call, not to dial it. The
    wallboard, the logs and the SLA-risk alert show numbers so."""
    number = number or ""
    return hidden * max(0, len(number) - 4) + number[-4:]


class InvalidNumber(ValueError):
    """A number the desk must not dial; the message says why."""


@dataclass(frozen=True)
class NumberPolicy:
    allow: tuple[str, ...] = DEFAULT_ALLOW
    deny: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_DENY))

    def __post_init__(self) -> None:
        for pattern in (*self.allow, *self.deny):
            re.compile(pattern)  # raises re.error for an admin's typo

    def check(self, raw: object) -> str:
        """Return the number to dial (digits only) or raise ``InvalidNumber``.

        Spaces and dashes an agent may type are dropped; anything else that is
        not a digit (``&``, ``,``, ``(``, ``/``, a newline...) is refused, never
        filtered out: a number with such characters was not meant as a number.
        """
        if not isinstance(raw, str):
            raise InvalidNumber("the number must be a string of digits")
        if len(raw) > 2 * MAX_LENGTH:
            raise InvalidNumber(f"the number is too long (at most {MAX_LENGTH} digits)")
        text = raw.replace(" ", "").replace("-", "")
        if text.startswith("+"):
            raise InvalidNumber(DEFAULT_DENY[r"(00|\+).*"])
        if not text:
            raise InvalidNumber("the number is empty")
        if not text.isascii() or not text.isdigit():
            raise InvalidNumber("the number may contain digits only")
        if len(text) > MAX_LENGTH:
            raise InvalidNumber(f"the number is too long (at most {MAX_LENGTH} digits)")
        for pattern, reason in self.deny.items():
            if re.fullmatch(pattern, text):
                raise InvalidNumber(reason)
        if not any(re.fullmatch(p, text) for p in self.allow):
            raise InvalidNumber("not a mainland mobile or fixed-line number "
                                "(mobile: 11 digits starting 13-19; fixed: area code with 0)")
        return text

    def check_stored(self, raw: object) -> str:
        """A number read back from the store, about to be dialled: it must pass
        ``check`` unchanged (the controller stores digits only), else
        ``InvalidNumber``. The store is an input too: anyone who can write to
        Redis could have put the number there."""
        number = self.check(raw)
        if number != raw:
            raise InvalidNumber("the stored number is not digits only")
        return number
