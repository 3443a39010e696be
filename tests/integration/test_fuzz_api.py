"""Fuzz the HTTP API from its own OpenAPI document: every operation, with
bodies, parameters and paths drawn by hypothesis; no answer may be a 5xx."""

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


def request_for(path: str, method: str, op: dict) -> st.SearchStrategy:
    path_values = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#"),
                          min_size=1, max_size=20)
    query = st.dictionaries(st.sampled_from(["limit", "offset", "x"]), st.text(max_size=10),
                            max_size=2)
    raw = st.one_of(body_for(op).map(lambda b: json.dumps(b).encode()),
                    st.binary(max_size=200))
    return st.tuples(st.just(path), st.just(method), path_values, query,
                     raw if method == "post" else st.just(b""))


async def send(lab, path, method, value, query, raw) -> int:
    url = lab.controller.url + path.replace("{id}", value)
    async with aiohttp.ClientSession(headers=lab.controller.headers) as http:
        async with http.request(method.upper(), url, params=query, data=raw or None,
                                headers={"Content-Type": "application/json"}) as resp:
            await resp.read()
            return resp.status


async def test_fuzz_every_documented_operation_without_a_5xx(report, lab):
    statuses: Counter = Counter()
    cases = []

    @settings(max_examples=400, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(*(request_for(p, m, op) for p, m, op in OPERATIONS)))
    def collect(case):
        cases.append(case)

    collect()
    for path, method, value, query, raw in cases:
        if path in ("/api/wallboard/events",):
            continue
        status = await send(lab, path, method, value, query, raw)
        statuses[status] += 1
        assert status < 500, (path, method, value, query, raw[:200])
    report(f"fuzzed {sum(statuses.values())} requests: {dict(sorted(statuses.items()))}, 5xx=0")
    _, listing = await lab.controller.request("GET", "/api/callbacks?limit=1000")
    for cb in listing["callbacks"]:
        assert cb["number"].isdigit()
