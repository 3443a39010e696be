"""``/metrics`` read as a test or benchmark reads it: sample -> value."""

from __future__ import annotations


def samples(text: str) -> dict[str, float]:
    """Each sample line of the exposition text (``name{labels}`` as written)
    with its value; comments and blank lines left out."""
    return {key: float(value) for key, value in (
        line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))}
