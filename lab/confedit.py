"""Set options in Asterisk config files the way an admin would edit them.

The lab runs the shipped configs with a few values changed (ports, secrets,
the carrier's address). Rather than templating the shipped files, it rewrites
``key = value`` lines inside named sections, so the files stay plain Asterisk
configs an admin reads and edits.
"""

from __future__ import annotations

import re

_SECTION = re.compile(r"^\s*\[([^\]]+)\]")
_KEY = re.compile(r"^(\s*)([A-Za-z0-9_\-]+)(\s*=>?\s*)([^;]*?)(\s*(;.*)?)$")


def set_option(text: str, section: str, key: str, value: str) -> str:
    """Return ``text`` with ``key`` set to ``value`` in every ``[section]``.

    Raises ``KeyError`` when no such key exists in such a section, so a
    renamed option in the shipped configs fails loudly instead of silently
    leaving the default in place.
    """
    lines = text.splitlines(keepends=True)
    current = None
    hits = 0
    for i, line in enumerate(lines):
        head = _SECTION.match(line)
        if head:
            current = head.group(1).strip()
            continue
        if current != section:
            continue
        m = _KEY.match(line.rstrip("\n"))
        if m and m.group(2) == key:
            lines[i] = f"{m.group(1)}{key}{m.group(3)}{value}{m.group(5)}\n"
            hits += 1
    if not hits:
        raise KeyError(f"no '{key}' in [{section}]")
    return "".join(lines)
