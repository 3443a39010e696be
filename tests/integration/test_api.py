"""The HTTP face against the running controller: auth, OpenAPI, metrics."""

from __future__ import annotations

import re

import pytest

from tests.expected_roles import ROUTE_ROLES


@pytest.mark.parametrize("path", ["/api/seats", "/api/callbacks", "/api/callbacks/cb1",
                                  "/metrics", "/api/openapi.json"])
@pytest.mark.parametrize("token", ["", "wrong-token-of-enough-length"])
async def test_everything_but_healthz_needs_the_token(lab, path, token):
    status, body = await lab.controller.request("GET", path, token=token)
    assert status == 401 and "bearer" in body["error"]


async def test_each_role_is_refused_outside_its_role_with_a_403(lab):
    import aiohttp
    tokens = {"admin": lab.keys.api_token, **lab.keys.role_tokens}
    _, doc = await lab.controller.request("GET", "/api/openapi.json")
    documented = {(m.upper(), path): set(op["x-roles"]) for path, ops in doc["paths"].items()
                  for m, op in ops.items() if isinstance(op, dict) and "x-roles" in op}
    # A route narrowed by a query parameter says its roles as x-roles-<parameter>.
    documented |= {(m.upper(), f"{path}?{key[len('x-roles-'):]}="): set(roles)
                   for path, ops in doc["paths"].items() for m, op in ops.items()
                   if isinstance(op, dict) for key, roles in op.items()
                   if key.startswith("x-roles-")}
    assert documented == ROUTE_ROLES
    seen = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        for (method, path), may in ROUTE_ROLES.items():
            for role, token in tokens.items():
                url = lab.controller.url + path.replace("{id}", "cb-none").replace(
                    "{name}", "desk-100000000009")
                body = {"number": "13800138499"} if method == "POST" else None
                async with http.request(method, url, json=body,
                                        headers={"Authorization": f"Bearer {token}"}) as resp:
                    if role in may:
                        assert resp.status not in (401, 403), (role, method, path)
                        continue
                    assert resp.status == 403, (role, method, path, resp.status)
                    answer = await resp.json()
                    assert f"({role})" in answer["error"] and token not in answer["error"]
                    seen += 1
    assert seen == sum(len(tokens) - len(may) for may in ROUTE_ROLES.values())
    # The refused POSTs stored nothing; the permitted ones (relay, admin) one callback.
    _, listing = await lab.controller.request("GET", "/api/callbacks")
    assert [cb["number"] for cb in listing["callbacks"]].count("13800138499") == 1


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/healthz"])
async def test_the_probes_need_no_token_and_are_documented(lab, path):
    status, body = await lab.controller.request("GET", path, token="")
    assert status == 200 and body["ok"] is True
    if path != "/livez":
        assert body["role"] == "leader" and body["status"].startswith("leading")
    _, doc = await lab.controller.request("GET", "/api/openapi.json")
    assert doc["paths"][path]["get"]["security"] == []


async def test_post_without_a_token_stores_nothing(lab):
    status, _ = await lab.controller.request("POST", "/api/callbacks",
                                             {"number": "13800138401"}, token="")
    assert status == 401
    _, listing = await lab.controller.request("GET", "/api/callbacks")
    assert all(cb["number"] != "13800138401" for cb in listing["callbacks"])


async def test_healthz_is_open_and_the_documented_shapes_are_served(lab):
    status, health = await lab.controller.health()
    assert status == 200 and health["ok"] is True
    status, doc = await lab.controller.request("GET", "/api/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    for path in ("/api/seats", "/api/callbacks", "/api/callbacks/{id}", "/metrics"):
        assert path in doc["paths"]
    status, board = await lab.controller.request("GET", "/api/seats")
    seat_props = set(doc["components"]["schemas"]["Seat"]["properties"])
    assert status == 200 and board["seats"] and set(board["seats"][0]) <= seat_props
    cb_props = set(doc["components"]["schemas"]["Callback"]["properties"])
    status, created = await lab.controller.request(
        "POST", "/api/callbacks", {"number": "13800138402", "topic": "wlan"})
    assert status in (200, 201) and set(created["callback"]) <= cb_props
    await lab.controller.request("DELETE", f"/api/callbacks/{created['callback']['id']}")


async def test_metrics_report_seats_links_and_decisions(lab):
    import aiohttp
    from lab.scenarios import seat_ready
    from lab.stack import SEATS
    for seat in SEATS:  # a seat that took the previous test's call may be in its wrap-up
        await seat_ready(lab, seat)
    async with aiohttp.ClientSession(headers=lab.controller.headers) as http:
        async with http.get(lab.controller.url + "/metrics") as resp:
            assert resp.status == 200
            text = await resp.text()
    from lab.scrape import samples
    lines = samples(text)
    assert lines['datadesk_seats{activity="ready"}'] == 6
    assert lines['datadesk_connection_up{link="ami"}'] == 1
    assert lines['datadesk_connection_up{link="ari"}'] == 1
    assert lines['datadesk_connection_up{link="redis"}'] == 1
    assert "datadesk_decision_seconds_count" in lines


async def _cli(lab, *args: str) -> tuple[int, str]:
    import asyncio
    import sys
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ari_app", "--config", str(lab.controller.config), *args,
        *(("--lang", "en") if args[0] in ("seats", "callbacks") and "--lang" not in args else ()),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def test_operator_cli_tables_and_json(lab):
    import json
    code, out = await _cli(lab, "seats")
    assert code == 0 and "desk free (open)" in out and out.count("\n") >= 7
    code, out = await _cli(lab, "seats", "--json")
    assert code == 0 and len(json.loads(out)["seats"]) == 6
    status, created = await lab.controller.request("POST", "/api/callbacks",
                                                   {"number": "13800138403"})
    cb_id = created["callback"]["id"]
    code, out = await _cli(lab, "callbacks", "show", cb_id)
    assert code == 0 and "13800138403" in out and "created" in out
    # Times for people: the desk's zone (the default, Asia/Shanghai), ISO 8601
    # to the second; never Unix seconds, never microseconds.
    created_row = next(line for line in out.splitlines() if line.startswith("created "))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", created_row.split()[1])
    deadline = re.findall(r"\S+T\S+", out.splitlines()[1])
    assert len(deadline) == 1 and deadline[0].endswith("+08:00"), out
    # ...and for programs, UTC with Z under the same field names.
    _, shown = await lab.controller.request("GET", f"/api/callbacks/{cb_id}")
    assert shown["callback"]["deadline"].endswith("Z")
    assert all(h["at"].endswith("Z") for h in shown["history"])
    code, out = await _cli(lab, "callbacks", "cancel", cb_id)
    assert code == 0 and f"{cb_id} cancelled" in out
    code, out = await _cli(lab, "callbacks", "cancel", cb_id)
    assert code == 1 and "already ended" in out


async def test_oversize_body_is_refused_and_nothing_stored(lab):
    big = b'{"number": "13800138404", "note": "' + b"x" * 70_000 + b'"}'
    status, _ = await lab.controller.request("POST", "/api/callbacks", raw=big)
    assert status == 413
    _, listing = await lab.controller.request("GET", "/api/callbacks")
    assert all(cb["number"] != "13800138404" for cb in listing["callbacks"])


async def _send(lab, method: str, path: str, raw: bytes = b"",
                content_type: str = "application/json") -> tuple[int, dict, dict]:
    import aiohttp
    async with aiohttp.ClientSession(headers=lab.controller.headers) as http:
        async with http.request(method, lab.controller.url + path, data=raw or None,
                                headers={"Content-Type": content_type}) as resp:
            return resp.status, await resp.json(content_type=None), dict(resp.headers)


@pytest.mark.parametrize("method, path, raw, content_type, status, words", [
    ("POST", "/api/callbacks", b"[" * 60000, "application/json", 400, "nested deeper"),
    ("POST", "/api/callbacks", b'{"a":' * 12000, "application/json", 400, "nested deeper"),
    ("POST", "/api/callbacks", b'{"number": "13800138405"}', "application/json; charset=foo",
     415, "'foo'"),
    ("POST", "/api/callbacks", b'{"number": "13800138405"}',
     "application/json; charset=latin-1", 415, "'latin-1'"),
    ("POST", "/api/callbacks", b'{"number": "13800138405", "note": "\xe9"}', "application/json",
     400, "UTF-8"),
    ("POST", "/api/callbacks", b'{"number": ' + b"1" * 50000 + b"}", "application/json",
     400, "not valid JSON"),
    ("GET", "/api/callbacks?offset=9223372036854775807", b"", "", 400, "offset"),
    ("GET", "/api/callbacks?offset=-1", b"", "", 400, "offset"),
    ("GET", "/api/callbacks?limit=0", b"", "", 400, "limit"),
    ("GET", "/api/callbacks?limit=1e3", b"", "", 400, "limit"),
    ("GET", "/api/no-such-thing", b"", "", 404, "no such"),
    ("PUT", "/api/callbacks", b"{}", "application/json", 405, "not allowed"),
    ("PATCH", "/api/callbacks/cb1", b"{}", "application/json", 405, "not allowed"),
    ("POST", "/healthz", b"", "", 405, "not allowed"),
])
async def test_hostile_bodies_parameters_and_routes_get_a_json_4xx_naming_the_problem(
        lab, method, path, raw, content_type, status, words):
    got, body, headers = await _send(lab, method, path, raw, content_type)
    assert got == status and words in body["error"], body
    if status == 405:
        allowed = {"/api/callbacks": {"GET", "POST"}, "/api/callbacks/cb1": {"GET", "DELETE"},
                   "/healthz": {"GET"}}[path]
        assert set(headers["Allow"].split(",")) >= allowed
        assert all(m in body["error"] for m in allowed)
    if "limit" in words or "offset" in words:
        assert body["field"] == words
    status, health = await lab.controller.health()
    assert status == 200 and health["ok"] is True
    _, listing = await lab.controller.request("GET", "/api/callbacks")
    assert all(cb["number"] != "13800138405" for cb in listing["callbacks"])


@pytest.mark.parametrize("field", ["note", "agent", "topic"])
@pytest.mark.parametrize("char", ["\u009b", "\u202e", "\u2028", "\u2029", "\u200b", "\x1b",
                                  "\ud800"])
async def test_invisible_characters_in_any_text_field_are_refused_and_nothing_stored(
        lab, field, char):
    number = f"1380013{ord(char) % 10000:04d}"
    import json
    raw = json.dumps({"number": number, field: f"wlan{char}"}).encode()  # \\u escapes
    status, body = await lab.controller.request("POST", "/api/callbacks", raw=raw)
    assert status == 422 and body["field"] == field, body
    assert f"U+{ord(char):04X}" in body["error"]
    _, listing = await lab.controller.request("GET", "/api/callbacks?limit=1000")
    assert all(cb["number"] != number for cb in listing["callbacks"])


async def test_the_openapi_document_lists_every_error_the_api_answers(lab):
    _, doc = await lab.controller.request("GET", "/api/openapi.json")
    post = doc["paths"]["/api/callbacks"]["post"]["responses"]
    assert {"400", "401", "413", "415", "422", "429", "503"} <= set(post)
    assert {"400", "401", "503"} <= set(doc["paths"]["/api/callbacks"]["get"]["responses"])
