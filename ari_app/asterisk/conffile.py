"""Read Asterisk config files as Asterisk does, enough to check them.

Sections with templates (``[seat](!,phone)``, ``[8601](seat-endpoint)``),
``key = value`` and ``key => value``, ``;`` comments and ``#include`` /
``#tryinclude`` with globs. Every option keeps its file and line, so a
problem can be reported where an admin fixes it. (pyst2's parser stops at
templates and includes, which every real pjsip.conf has.)
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

_HEAD = re.compile(r"^\[([^\]]+)\](?:\(([^)]*)\))?\s*$")
_OPTION = re.compile(r"^([A-Za-z0-9_.\-]+)\s*=>?\s*(.*)$")


@dataclass
class Section:
    name: str
    file: str
    line: int
    template: bool = False
    parents: tuple[str, ...] = ()
    options: list[tuple[str, str, int]] = field(default_factory=list)  # key, value, line

    def get(self, key: str) -> str | None:
        for k, v, _ in reversed(self.options):
            if k == key:
                return v
        return None

    def all(self, key: str) -> list[tuple[str, int]]:
        return [(v, n) for k, v, n in self.options if k == key]

    def where(self, key: str | None = None) -> str:
        if key is not None:
            for k, _v, n in reversed(self.options):
                if k == key:
                    return f"{self.file}:{n}"
        return f"{self.file}:{self.line}"


class ConfigFile:
    def __init__(self, path: Path, base: Path) -> None:
        self.path, self.base = path, base
        self.sections: list[Section] = []
        self.missing_includes: list[str] = []
        if path.exists():
            self._read(path)

    def _read(self, path: Path) -> None:
        current: Section | None = None
        rel = os.path.relpath(path, self.base.parent)
        for number, raw in enumerate(path.read_text(errors="replace").splitlines(), 1):
            line = raw.split(";", 1)[0].strip()
            if not line:
                continue
            if line.startswith(("#include", "#tryinclude")):
                target = line.split(None, 1)[1].strip().strip('"')
                matches = sorted(glob.glob(str(self.base / target)))
                if not matches and line.startswith("#include"):
                    self.missing_includes.append(f"{rel}:{number}: #include {target} matches no file")
                for match in matches:
                    self._read(Path(match))
                continue
            head = _HEAD.match(line)
            if head:
                marks = tuple(p.strip() for p in (head.group(2) or "").split(",") if p.strip())
                current = Section(head.group(1).strip(), rel, number, "!" in marks,
                                  tuple(m for m in marks if m != "!"))
                self.sections.append(current)
                continue
            option = _OPTION.match(line)
            if option and current is not None:
                current.options.append((option.group(1), option.group(2).strip(), number))

    def named(self, name: str) -> list[Section]:
        return [s for s in self.sections if s.name == name]

    def resolved(self, section: Section) -> Section:
        """The section with its templates' options first (Asterisk's inheritance)."""
        merged = Section(section.name, section.file, section.line, section.template,
                         section.parents)
        for parent in section.parents:
            for candidate in self.named(parent):
                if candidate.template or candidate.parents:
                    merged.options.extend(self.resolved(candidate).options)
        merged.options.extend(section.options)
        return merged

    def objects(self, kind: str) -> dict[str, Section]:
        """pjsip.conf objects of ``type = kind`` (templates excluded), resolved."""
        out = {}
        for section in self.sections:
            if section.template:
                continue
            resolved = self.resolved(section)
            if resolved.get("type") == kind:
                out[section.name] = resolved
        return out
