"""The package's boundaries, read from its source: what an installed
controller runs never reaches into the checkout's benchmarks or tests."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "ari_app"
OUTSIDE = ("bench", "tests", "lab")   # beside the package, never installed with it


def imported(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, top-level module) of every absolute import in ``tree``."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module.split(".")[0]))
    return out


def test_the_package_imports_nothing_from_the_benchmarks_the_tests_or_the_lab():
    found = [f"{p.relative_to(PACKAGE.parent)}:{line} imports {name}"
             for p in sorted(PACKAGE.rglob("*.py"))
             for line, name in imported(ast.parse(p.read_text()))
             if name in OUTSIDE]
    assert not found, "; ".join(found)


def test_the_import_check_sees_an_import_inside_a_function():
    tree = ast.parse("def f():\n    from bench.sla import simulate_run\n    import tests.fakes\n")
    assert [name for _, name in imported(tree)] == ["bench", "tests"]
