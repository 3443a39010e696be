"""Ordering for `make unit` (pytest-xdist on both cores): the tests that take
seconds start first, so the many short ones fill in around them instead of
one worker finishing a long test alone at the end of the run."""

from __future__ import annotations

import pytest

# A module whose tests share a fixture that takes seconds (the wheel build).
SLOW_MODULES = ("test_wheel.py",)


def _rank(item: pytest.Item) -> int:
    """0: the wheel build, a subprocess, starts at once; 1: the property
    tests (Hypothesis marks the tests it drives), hundreds of examples each;
    2: the rest."""
    if item.path.name in SLOW_MODULES:
        return 0
    return 1 if getattr(getattr(item, "obj", None), "is_hypothesis_test", False) else 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Stable: the order within each part is the collection's, the same on
    every xdist worker (the workers must agree on it)."""
    items.sort(key=_rank)
