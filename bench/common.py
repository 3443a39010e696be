"""What every benchmark shares: percentiles, and one way of printing results.

A benchmark measures its subject and a baseline in the same run (the
machines here are shared and noisy: a ratio to a baseline taken minutes
apart on the same box means more than an absolute time) and prints one
line per figure, with the target and whether it was met::

    [bench decision] p99 latency          3.1 us   target < 50 us   met

``Results.write`` also keeps the figures as JSON (``--json PATH``) so the
README table can be refreshed from a run, not typed in.
"""

from __future__ import annotations

import json
import math
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile (nearest rank) of ``values``."""
    if not values:
        raise ValueError("percentile of nothing")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def spread(values: Sequence[float]) -> dict[str, float]:
    """p50, p90, p99, max and mean of ``values``."""
    return {"p50": percentile(values, 50), "p90": percentile(values, 90),
            "p99": percentile(values, 99), "max": max(values),
            "mean": sum(values) / len(values), "n": len(values)}


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""          # e.g. "<= 5", ">= 0.7" (against value)
    met: bool | None = None   # None: no target

    def line(self, bench: str) -> str:
        value = f"{self.value:,.3f}".rstrip("0").rstrip(".") if abs(self.value) < 100 \
            else f"{self.value:,.0f}"
        text = f"[bench {bench}] {self.name:<44} {value:>12} {self.unit:<8}"
        if self.target:
            text += f" target {self.target:<10} {'met' if self.met else 'MISSED'}"
        return text


@dataclass
class Results:
    bench: str
    started: float = field(default_factory=time.time)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, value: float, unit: str = "", *, at_most: float | None = None,
            at_least: float | None = None) -> Figure:
        target, met = "", None
        if at_most is not None:
            target, met = f"<= {at_most:g}", value <= at_most
        elif at_least is not None:
            target, met = f">= {at_least:g}", value >= at_least
        figure = Figure(name, value, unit, target, met)
        self.figures.append(figure)
        print(figure.line(self.bench), flush=True)
        return figure

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"[bench {self.bench}] {text}", flush=True)

    @property
    def missed(self) -> list[Figure]:
        return [f for f in self.figures if f.met is False]

    def write(self, path: str | Path | None) -> None:
        if path is None:
            return
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps({
            "bench": self.bench, "started": self.started,
            "python": sys.version.split()[0], "machine": platform.machine(),
            "figures": [asdict(f) for f in self.figures], "notes": self.notes,
        }, indent=2) + "\n")

    def finish(self, json_path: str | Path | None = None) -> int:
        """Write the JSON, print a verdict; the exit status says if a target was missed."""
        self.write(json_path)
        if self.missed:
            print(f"[bench {self.bench}] targets missed: "
                  + ", ".join(f.name for f in self.missed), flush=True)
            return 1
        print(f"[bench {self.bench}] every target met", flush=True)
        return 0
