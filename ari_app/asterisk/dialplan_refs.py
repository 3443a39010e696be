"""What a dialplan refers to: queues and context/extension targets.

Reads the applications whose first argument names a queue (``Queue``,
``AddQueueMember``, ``RemoveQueueMember``, ``PauseQueueMember``,
``UnpauseQueueMember``, the ``QUEUE_MEMBER`` function) and the jumps
(``Goto``, ``GotoIf``, ``Gosub``, ``GosubIf``), and tells which of them
point at a queue, context or extension that does not exist. A name built
from a variable (``${...}``) cannot be checked statically and is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .conffile import ConfigFile

QUEUE_APPS = ("queue", "addqueuemember", "removequeuemember", "pausequeuemember",
              "unpausequeuemember", "queue_member")
JUMP_APPS = ("goto", "gotoif", "gosub", "gosubif")
_CALL = re.compile(r"\b(" + "|".join(QUEUE_APPS + JUMP_APPS) + r")\(", re.IGNORECASE)


@dataclass(frozen=True)
class Ref:
    kind: str            # "queue" or "jump"
    where: str           # file:line
    context: str         # the context the reference is written in
    args: tuple[str, ...]


def arguments(text: str, start: int) -> str:
    """The text inside the parenthesis opened just before ``start``."""
    depth = 1
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start:i]
    return text[start:]


def split_outside(args: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses, brackets and braces."""
    out, depth, current = [], 0, ""
    for ch in args:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == sep and depth == 0:
            out.append(current)
            current = ""
        else:
            current += ch
    return out + [current]


def references(plan: ConfigFile) -> Iterator[Ref]:
    """Every queue and jump reference in the dialplan, with file:line."""
    for section in plan.sections:
        for key, value, line in section.options:
            if key not in ("exten", "same"):
                continue
            for match in _CALL.finditer(value):
                app = match.group(1).lower()
                args = arguments(value, match.end())
                where = f"{section.file}:{line}"
                if app in QUEUE_APPS:
                    yield Ref("queue", where, section.name,
                              (split_outside(args, ",")[0].strip(),))
                    continue
                if app.endswith("if"):
                    _cond, _, labels = args.rpartition("?")
                    targets = split_outside(labels, ":")
                else:
                    targets = [args]
                for target in targets:
                    # Gosub's own arguments follow the priority in parentheses.
                    parts = [p.strip() for p in split_outside(target.split("(")[0], ",")]
                    if parts != [""]:
                        yield Ref("jump", where, section.name, tuple(parts))


def _pattern(ext: str) -> re.Pattern[str] | None:
    """An extension pattern (``_8600XX``) as a regular expression."""
    if not ext.startswith("_"):
        return None
    out = ""
    classes = {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": ".+", "!": ".*"}
    body, i = ext[1:], 0
    while i < len(body):
        ch = body[i]
        if ch == "[":
            end = body.find("]", i)
            out += "[" + body[i + 1:end] + "]"
            i = end + 1
            continue
        out += classes.get(ch.upper(), re.escape(ch))
        i += 1
    return re.compile(out + r"\Z")


class Dialplan:
    """The contexts, their extensions and includes, for lookups."""

    def __init__(self, plan: ConfigFile) -> None:
        self.extensions: dict[str, set[str]] = {}
        self.includes: dict[str, list[str]] = {}
        for section in plan.sections:
            exts = self.extensions.setdefault(section.name, set())
            for key, value, _line in section.options:
                if key == "exten":
                    exts.add(value.split(",")[0].strip())
                elif key == "include":
                    self.includes.setdefault(section.name, []).append(value.strip())

    def has(self, context: str, ext: str, seen: frozenset[str] = frozenset()) -> bool:
        """Would Asterisk find ``ext`` in ``context`` (patterns, includes)?"""
        if context in seen:
            return False
        for candidate in self.extensions.get(context, ()):
            pattern = _pattern(candidate)
            if candidate == ext or (pattern is not None and pattern.match(ext)):
                return True
        return any(self.has(inc, ext, seen | {context}) for inc in self.includes.get(context, ()))


def _static(name: str) -> bool:
    return bool(name) and "${" not in name and "$[" not in name


def broken_references(plan: ConfigFile, queues: set[str]) -> list[str]:
    """One problem line per reference to a missing queue, context or extension."""
    problems: list[str] = []
    dialplan = Dialplan(plan)
    for ref in references(plan):
        if ref.kind == "queue":
            name = ref.args[0]
            if _static(name) and name not in queues:
                problems.append(f"{ref.where}: queue {name!r} is not defined in queues.conf")
            continue
        if len(ref.args) < 2:
            continue  # a priority or label in the same extension
        context, ext = (ref.context, ref.args[0]) if len(ref.args) == 2 else ref.args[:2]
        if not _static(context):
            continue
        if context not in dialplan.extensions:
            problems.append(f"{ref.where}: jump to context [{context}], which the dialplan "
                            "does not define")
        elif _static(ext) and not dialplan.has(context, ext):
            problems.append(f"{ref.where}: jump to extension {ext} of [{context}], which "
                            "does not exist")
    return problems
