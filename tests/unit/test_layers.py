"""The package's boundaries, read from its source: what an installed
controller runs never reaches into the checkout's benchmarks or tests, and
nothing above the store reads a stored hash."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from ari_app.store.callback_store import CALLBACK_FIELDS, CallbackStore
from ari_app.store.memory import MemoryCallbackStore

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


# The stored callback's fields (``CALLBACK_FIELDS``) read by a string key, a
# subscript or ``.get()``, anywhere but in store/, read a Redis hash: the
# store hands out typed values (``Callback``, ``Unreadable``). Left out:
# the words that name other things the code reads by key (an ARI channel's
# ``id`` and caller ``number``, a request body's ``topic``, ``note`` and
# ``agent``, an endpoint's ``language``, an appeal's ``reason``).
ELSEWHERE = {"id", "number", "topic", "note", "agent", "language", "reason"}
HASH_FIELDS = set(CALLBACK_FIELDS) - ELSEWHERE


def keyed_reads(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, key) of every ``x["key"]`` read and ``x.get("key", ...)`` in ``tree``."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) \
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            out.append((node.lineno, node.slice.value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "get" and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            out.append((node.lineno, node.args[0].value))
    return out


def test_no_stored_hash_field_is_read_outside_the_store():
    found = [f"{p.relative_to(PACKAGE.parent)}:{line} reads {key!r}"
             for p in sorted(PACKAGE.rglob("*.py")) if "store" not in p.relative_to(PACKAGE).parts
             for line, key in keyed_reads(ast.parse(p.read_text())) if key in HASH_FIELDS]
    assert not found, "; ".join(found)


def test_the_field_check_sees_a_subscript_and_a_get():
    tree = ast.parse('cb["fence"]\nfloat(cb.get("deadline", ""))\ncb["fence"] = "1"\n')
    assert keyed_reads(tree) == [(1, "fence"), (2, "deadline")]


def test_the_stores_hand_out_typed_values_not_hashes():
    """Every public coroutine of both callback stores: no ``dict[str, str]``
    comes back but the event log's entries (``history``)."""
    for store in (CallbackStore, MemoryCallbackStore):
        for name, fn in inspect.getmembers(store, inspect.iscoroutinefunction):
            if not name.startswith("_") and name != "history":
                assert "dict" not in str(inspect.signature(fn).return_annotation), (store, name)
