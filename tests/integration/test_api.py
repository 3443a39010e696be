"""The HTTP face against the running controller: auth, OpenAPI, metrics."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("path", ["/api/seats", "/api/callbacks", "/api/callbacks/cb1",
                                  "/metrics", "/api/openapi.json"])
@pytest.mark.parametrize("token", ["", "wrong-token-of-enough-length"])
async def test_everything_but_healthz_needs_the_token(lab, path, token):
    status, body = await lab.controller.request("GET", path, token=token)
    assert status == 401 and "bearer" in body["error"]


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
    async with aiohttp.ClientSession(headers=lab.controller.headers) as http:
        async with http.get(lab.controller.url + "/metrics") as resp:
            assert resp.status == 200
            text = await resp.text()
    lines = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    assert lines['datadesk_seats{activity="ready"}'] == "6"
    assert lines['datadesk_connection_up{link="ami"}'] == "1"
    assert lines['datadesk_connection_up{link="ari"}'] == "1"
    assert lines['datadesk_connection_up{link="redis"}'] == "1"
    assert "datadesk_decision_seconds_count" in lines


async def _cli(lab, *args: str) -> tuple[int, str]:
    import asyncio
    import sys
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ari_app", "--config", str(lab.controller.config), *args,
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
