"""Fuzz the HTTP API from its own OpenAPI document: every operation, with
bodies, parameters and paths drawn by hypothesis, plus the hostile shapes
(deep nesting, odd charsets, huge or negative parameters, unknown routes,
wrong methods); no answer may be a 5xx, and every refusal is JSON."""

from __future__ import annotations

import json
from collections import Counter

import aiohttp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ari_app.web.openapi import DOCUMENT

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=80), st.text(alphabet="0123456789+-&,()/ \r\n", max_size=30))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=10)


def body_for(operation: dict) -> st.SearchStrategy:
    schema = (operation.get("requestBody", {}).get("content", {})
              .get("application/json", {}).get("schema", {}))
    props = schema.get("properties", {})
    documented = st.fixed_dictionaries({}, optional={k: st.one_of(json_values, st.just("13800138000"))
                                                    for k in props})
    return st.one_of(documented, json_values)


OPERATIONS = [(path, method, op) for path, item in DOCUMENT["paths"].items()
              for method, op in item.items() if method in ("get", "post", "delete")]


# Deep nesting: the parser recurses, so this once answered 500 (RecursionError).
nested = st.tuples(st.sampled_from([b"[", b'{"a":', b'[{"a":']), st.integers(1, 30000),
                   st.sampled_from([b"", b"1", b"]", b"}"])).map(lambda t: t[0] * t[1] + t[2])
charset_names = st.one_of(
    st.sampled_from(["utf-8", "UTF8", "latin-1", "utf-16", "foo", "", "ascii"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=300))
content_types = st.one_of(
    st.just("application/json"),
    st.sampled_from(["text/plain", "application/x-www-form-urlencoded"]),
    charset_names.map(lambda c: f"application/json; charset={c}"))
numbers = st.one_of(st.integers(-2**70, 2**70).map(str), st.text(max_size=10),
                    st.sampled_from(["9223372036854775807", "1e3", "0x10", " 1", "١"]))
query = st.dictionaries(st.sampled_from(["limit", "offset", "x"]), numbers, max_size=2)


def request_for(path: str, method: str, op: dict) -> st.SearchStrategy:
    path_values = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#"),
                          min_size=1, max_size=20)
    raw = st.one_of(body_for(op).map(lambda b: json.dumps(b).encode()),
                    st.binary(max_size=200), nested)
    return st.tuples(st.just(path), st.just(method), path_values, query,
                     raw if method == "post" else st.just(b""), content_types)


# Routes that do not exist, and methods a route does not take: a JSON 404/405.
unrouted = st.tuples(
    st.one_of(st.sampled_from(["/api/callbacks", "/api/callbacks/{id}", "/api/seats",
                               "/api/nothing", "/api/callbacks/{id}/x", "/{id}"])),
    st.sampled_from(["get", "post", "put", "patch", "delete"]),
    st.text(alphabet="abc0123456789", min_size=1, max_size=8), query,
    st.one_of(st.just(b""), nested), content_types)


# Hostile bodies and headers on the one operation that reads a body.
hostile_post = st.tuples(st.just("/api/callbacks"), st.just("post"), st.just(""), query,
                         st.one_of(nested, st.binary(min_size=1, max_size=200),
                                   st.integers(60_000, 70_000).map(lambda n: b" " * n)),
                         content_types)


async def send(lab, path, method, value, query, raw, content_type) -> tuple[int, bytes]:
    url = lab.controller.url + path.replace("{id}", value)
    async with aiohttp.ClientSession(headers=lab.controller.headers) as http:
        async with http.request(method.upper(), url, params=query, data=raw or None,
                                headers={"Content-Type": content_type}) as resp:
            return resp.status, await resp.read()


async def test_fuzz_every_documented_operation_without_a_5xx(report, lab):
    statuses: Counter = Counter()
    cases = []

    documented = st.one_of(*(request_for(p, m, op) for p, m, op in OPERATIONS))
    # Drawn apart, so that each kind gets its share of examples.
    for strategy, examples in ((st.one_of(documented, unrouted), 400), (hostile_post, 200)):
        @settings(max_examples=examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(strategy)
        def collect(case):
            cases.append(case)

        collect()
    for path, method, value, query, raw, content_type in cases:
        if path in ("/api/wallboard/events",):
            continue
        status, answer = await send(lab, path, method, value, query, raw, content_type)
        statuses[status] += 1
        case = (path, method, value, query, raw[:200], content_type)
        assert status < 500, case
        if status >= 400:
            assert json.loads(answer)["error"], case
    report(f"fuzzed {sum(statuses.values())} requests: {dict(sorted(statuses.items()))}, 5xx=0")
    _, listing = await lab.controller.request("GET", "/api/callbacks?limit=1000")
    for cb in listing["callbacks"]:
        assert cb["number"].isdigit()
