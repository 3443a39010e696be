"""check-config: the dialplan lets through the numbers the settings allow.

The controller checks a callback's number against ``[callbacks] allow``;
the dialplan checks it again, whatever the controller or its store says,
with a REGEX of the same shapes (``DESK_NUMBER_SHAPES`` in
extensions.conf's ``[globals]``). Widened on one side only, numbers the
settings allow fail as ``dialplan-refused`` at dial time, or the spool takes
numbers the controller then refuses. Compared here as sets of alternatives,
``\\d`` spelled ``[0-9]``; a pattern of any other form is reported as one
this check cannot compare.
"""

from __future__ import annotations

import re

from ..asterisk.conffile import ConfigFile
from ..settings import Settings

# Set(X_SHAPE=${REGEX("<pattern>" ${X_NUMBER})}): the dialplan's number checks.
SHAPE_CHECK = re.compile(r'Set\(\w*SHAPE=\$\{REGEX\("([^"]*)"')
# ${NAME} or ${GLOBAL(NAME)}: the pattern is a global's value.
VARIABLE = re.compile(r"^\$\{(?:GLOBAL\((\w+)\)|(\w+))\}$")


def alternatives(pattern: str) -> frozenset[str]:
    """The top-level alternatives of a whole-string pattern (``^(a|b)$`` or
    ``a|b``), ``\\d`` spelled ``[0-9]``."""
    body = pattern.replace(r"\d", "[0-9]")
    whole = re.fullmatch(r"\^\((.*)\)\$", body)
    if whole and _balanced(whole.group(1)):
        body = whole.group(1)
    parts, depth, start = [], 0, 0
    for i, char in enumerate(body):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return frozenset(p for p in parts if p)


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def number_shape_problems(extensions: ConfigFile, settings: Settings) -> list[str]:
    """One line per dialplan number check whose shapes differ from the settings'."""
    allowed = frozenset().union(*(alternatives(p) for p in settings.callbacks.allow))
    names = {k: (v, s.where(k)) for s in extensions.named("globals") for k, v, _ in s.options}
    problems, told = [], set()
    for section in extensions.sections:
        for _key, value, line in section.options:
            found = SHAPE_CHECK.search(value)
            if not found:
                continue
            pattern, where = found.group(1), f"{section.file}:{line}"
            ref = VARIABLE.match(pattern)
            if ref:
                name = ref.group(1) or ref.group(2)
                if name not in names:
                    problems.append(f"{where}: the number check uses {pattern}, "
                                    "which [globals] in extensions.conf does not set")
                    continue
                pattern, where = names[name]
            if where in told or alternatives(pattern) == allowed:
                continue
            told.add(where)
            problems.append(
                f"{where}: the dialplan lets through numbers of the shapes {pattern!r}, but "
                f"[callbacks] allow is {list(settings.callbacks.allow)}: numbers allowed on "
                "one side only are refused on the other (keep both the same)")
    return problems
