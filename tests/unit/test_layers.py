"""The package's boundaries, read from its source: what an installed
controller runs never reaches into the checkout's benchmarks or tests, and
nothing above the store reads a stored hash."""

from __future__ import annotations

import ast
import inspect
import re
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
# ``agent``, an endpoint's ``language``).
ELSEWHERE = {"id", "number", "topic", "note", "agent", "language"}
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


WEB = PACKAGE / "web"
# The one place an error body is written, and the probes whose 503 is a
# readiness report, not a refusal.
ERROR_WRITERS = {"errors.py", "health.py"}


def _error_status(expr: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, int) and n.value >= 400
               for n in ast.walk(expr))


def status_responses(tree: ast.AST) -> list[int]:
    """Lines of every response built with an error status (4xx, 5xx) in ``tree``."""
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("json_response", "Response", "StreamResponse")
            and any(k.arg == "status" and _error_status(k.value) for k in node.keywords)]


def broad_catches(tree: ast.AST) -> list[int]:
    """Lines of ``except Exception`` / ``except RedisError`` / ``except OSError``
    handlers: "the store is away" is ``STORE_ERRORS``, said in one place."""
    names = {"Exception", "BaseException", "RedisError", "OSError"}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            if any(isinstance(c, ast.Name) and c.id in names for c in caught):
                out.append(node.lineno)
    return out


def test_web_handlers_raise_typed_errors_and_one_middleware_writes_the_body():
    found = [f"{p.relative_to(PACKAGE.parent)}:{line} builds a response with a status"
             for p in sorted(WEB.rglob("*.py")) if p.name not in ERROR_WRITERS
             for line in status_responses(ast.parse(p.read_text()))]
    found += [f"{p.relative_to(PACKAGE.parent)}:{line} decides for itself what an error is"
              for p in sorted(WEB.rglob("*.py"))
              for line in broad_catches(ast.parse(p.read_text()))]
    assert not found, "; ".join(found)


def test_the_error_style_check_sees_a_built_error_and_a_broad_catch():
    tree = ast.parse("try:\n    x()\nexcept (OSError, KeyError):\n"
                     "    return web.json_response({}, status=503)\n"
                     "web.json_response({}, status=201 if new else 200)\n")
    assert status_responses(tree) == [4] and broad_catches(tree) == [3]


def exposition_literals(tree: ast.AST) -> list[int]:
    """Lines of string literals that write Prometheus's text format by hand
    (a ``# HELP``/``# TYPE`` line, a histogram's ``le`` label)."""
    mark = re.compile(r'# HELP |# TYPE |_bucket\{|[{,]le="')
    return sorted({node.lineno for node in ast.walk(tree)
                   if isinstance(node, ast.Constant) and isinstance(node.value, str)
                   and mark.search(node.value)})


def test_no_module_writes_the_metrics_exposition_by_hand():
    found = [f"{p.relative_to(PACKAGE.parent)}:{line}"
             for p in sorted(PACKAGE.rglob("*.py"))
             for line in exposition_literals(ast.parse(p.read_text()))]
    assert not found, "written by hand, not by prometheus-client: " + "; ".join(found)


def test_the_exposition_check_sees_a_hand_written_line():
    tree = ast.parse('lines.append(f"# TYPE {name} gauge")\nx = "datadesk_route_seconds_bucket{"\n')
    assert exposition_literals(tree) == [1, 2]
