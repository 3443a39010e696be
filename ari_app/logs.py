"""Structured logs: one JSON object a line, easy to grep and to ship."""

from __future__ import annotations

import json
import logging
import sys

from .timefmt import for_machines


class PlainFormatter(logging.Formatter):
    """Human-readable lines, stamped like the JSON ones (UTC, ``Z``)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return for_machines(record.created, milliseconds=True) or ""


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": for_machines(record.created, milliseconds=True),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("call", "callback", "seat"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(level: str = "INFO", json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else
                         PlainFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # panoramisk logs every reconnect attempt at ERROR; ours say it better.
    logging.getLogger("panoramisk").setLevel(logging.CRITICAL)
