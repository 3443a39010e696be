"""The package stays in small pieces: no module over 300 lines, no function
over 60 lines, no constructor taking more than 6 parameters (``self`` not
counted: more says the arguments belong together in one object)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "ari_app"
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60
MAX_CONSTRUCTOR_PARAMETERS = 6


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    a = fn.args
    named = a.posonlyargs + a.args + a.kwonlyargs
    return len(named) - (1 if named and named[0].arg in ("self", "cls") else 0) \
        + (a.vararg is not None) + (a.kwarg is not None)


def where(path: Path, node: ast.AST | None = None) -> str:
    rel = path.relative_to(PACKAGE.parent)
    return f"{rel}:{node.lineno} {node.name}" if node is not None else str(rel)


def test_the_package_is_found():
    assert len(modules()) > 20


def test_no_module_is_over_300_lines():
    long = [f"{where(p)} ({n} lines)" for p in modules()
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES]
    assert not long, "modules over 300 lines: " + "; ".join(long)


def test_no_function_is_over_60_lines():
    long = [f"{where(p, fn)} ({fn.end_lineno - fn.lineno + 1} lines)"
            for p in modules() for fn in functions(ast.parse(p.read_text()))
            if fn.end_lineno - fn.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, "functions over 60 lines: " + "; ".join(long)


def test_no_constructor_takes_over_6_parameters():
    wide = [f"{where(p, fn)} ({parameters(fn)} parameters)"
            for p in modules() for fn in functions(ast.parse(p.read_text()))
            if fn.name == "__init__" and parameters(fn) > MAX_CONSTRUCTOR_PARAMETERS]
    assert not wide, "constructors over 6 parameters: " + "; ".join(wide)


def test_the_counting_sees_a_long_function_and_a_wide_constructor():
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    tree = ast.parse(f"class A:\n  def __init__(self, a, b, c, d, e, f, *, g):\n    pass\n"
                     f"def long():\n{body}\n")
    found = {fn.name: fn for fn in functions(tree)}
    assert parameters(found["__init__"]) == 7
    assert found["long"].end_lineno - found["long"].lineno + 1 == 62


def test_no_two_test_files_share_a_name():
    """pytest imports test files by their base name (no packages here): two
    of the same name stop the whole run at collection."""
    tests = Path(__file__).resolve().parents[1]
    names = [p.name for p in tests.rglob("test_*.py")]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
