"""The application factory with its clients injected: the HTTP face (health,
seats, metrics, callbacks validation, wallboard), the parts' lifetimes and
the wiring of AMI/ARI events, on fakes (tests/fakes/), no server behind."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from types import SimpleNamespace

import pytest

from ari_app.app import CONTROLLER, Clients, init_app
from ari_app.service import CallbacksService
from ari_app.desk.board import Board
from ari_app.settings import HttpSettings, Settings
from ari_app.settings.schema import NotifySettings
from ari_app.web import callbacks_api
from tests.fakes.ami import FakeAmi
from tests.fakes.ari import FakeAri
from tests.fakes.redis_link import FakeRedisLink
from ari_app.store.memory import MemoryCallbackStore

TOKEN = "unit-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SEATS = ("8601", "8602", "8603", "8604", "8605", "8606")


def fakes(*, ami_ready: bool = True, redis_up: bool | None = True) -> Clients:
    board = Board("desk", list(SEATS))
    board.synced = True
    return Clients(board=board, ami=FakeAmi(ready=ami_ready), ari=FakeAri(),
                   store=FakeRedisLink(up=redis_up))


@pytest.fixture
def clients() -> Clients:
    return fakes()


@pytest.fixture
async def client(aiohttp_client, clients):
    return await aiohttp_client(init_app(Settings(http=HttpSettings(tokens=(TOKEN,))), clients))


async def test_livez_answers_without_a_token(client):
    resp = await client.get("/livez")
    assert resp.status == 200 and (await resp.json())["ok"] is True


async def test_a_standby_with_ami_in_sync_and_redis_up_is_ready(client):
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 200 and body["role"] == "standby" and body["problems"] == []


@pytest.mark.parametrize("path", ["/readyz", "/healthz"])
async def test_ami_not_ready_makes_the_replica_not_ready_and_says_why(aiohttp_client, path):
    app = init_app(Settings(http=HttpSettings(tokens=(TOKEN,))), fakes(ami_ready=False))
    client = await aiohttp_client(app)
    resp = await client.get(path)
    body = await resp.json()
    assert resp.status == 503 and body["ami"] == "down"
    assert any("AMI not in sync" in p for p in body["problems"])


@pytest.mark.parametrize("path", ["/api/seats", "/api/callbacks", "/api/openapi.json",
                                  "/metrics", "/api/wallboard"])
async def test_the_api_refuses_a_request_without_a_token(client, path):
    resp = await client.get(path)
    assert resp.status == 401 and "error" in await resp.json()


async def test_seats_lists_every_seat_and_the_desk_status(client):
    resp = await client.get("/api/seats", headers=AUTH)
    body = await resp.json()
    assert resp.status == 200 and body["queue"] == "desk" and body["synced"] is True
    assert [s["agent_id"] for s in body["seats"]] == list(SEATS)
    assert body["desk"] in ("free", "busy", "closed") and isinstance(body["open"], bool)
    assert {"state", "ready", "activity", "in_wrapup"} <= set(body["seats"][0])


async def test_seat_times_are_utc_iso_instants_never_unix_seconds(aiohttp_client):
    clients = fakes()
    seat = clients.board.get("8601")
    clients.board.update(replace(seat, changed_at=1_796_000_000.25, last_call=1_796_000_100.0))
    client = await aiohttp_client(init_app(Settings(http=HttpSettings(tokens=(TOKEN,))),
                                           clients))
    body = await (await client.get("/api/seats", headers=AUTH)).json()
    row = next(s for s in body["seats"] if s["agent_id"] == "8601")
    assert row["changed_at"] == "2026-11-30T00:53:20Z"
    assert row["last_call"] == "2026-11-30T00:55:00Z"
    never = next(s for s in body["seats"] if s["agent_id"] == "8602")
    assert never["last_call"] is None   # no call yet: no time, not 1970


async def test_the_openapi_document_is_served(client):
    resp = await client.get("/api/openapi.json", headers=AUTH)
    body = await resp.json()
    assert resp.status == 200 and "/api/callbacks" in body["paths"]


async def test_metrics_say_the_links_and_leave_out_what_redis_would_tell(client):
    resp = await client.get("/metrics", headers=AUTH)
    text = await resp.text()
    assert resp.status == 200 and resp.content_type == "text/plain"
    assert 'datadesk_connection_up{link="ami"} 1.0' in text
    assert 'datadesk_connection_up{link="redis"} 1.0' in text
    assert 'datadesk_routes_total{route="queue"} 0.0' in text
    assert 'datadesk_role{role="standby"} 1.0' in text and "datadesk_ready 1.0" in text
    assert "datadesk_open_callbacks " not in text  # Redis does not answer: no wrong zero
    assert 'datadesk_seats{activity="logged-out"} 6.0' in text
    # The routing histograms come from this application's registry.
    assert 'datadesk_decision_seconds_bucket{le="+Inf"} 0.0' in text
    # The recordings' figures too: the counters, not the store's totals.
    assert 'datadesk_recording_failures_total{stage="file"} 0.0' in text
    assert 'datadesk_recordings_retention_total{result="deleted"} 0.0' in text
    assert "datadesk_recordings_stored" not in text
    assert "_created" not in text


async def test_metrics_carry_the_confirmations_only_with_a_gateway(aiohttp_client, client):
    notify = NotifySettings(url="http://127.0.0.1:9/sms", secret="unit-secret-0123456789")
    app = init_app(Settings(http=HttpSettings(tokens=(TOKEN,)), notify=notify), fakes())
    text = await (await (await aiohttp_client(app)).get("/metrics", headers=AUTH)).text()
    assert 'datadesk_confirmations_total{result="queued"} 0.0' in text
    assert 'datadesk_confirmations_total{result="refused"} 0.0' in text
    assert "datadesk_confirmations" not in await (await client.get("/metrics",
                                                                   headers=AUTH)).text()


@pytest.mark.parametrize("body, status, field", [
    (b"not json", 400, None),
    (b"[1, 2]", 400, None),
    (b'{"number": "13800138000", "colour": "red"}', 400, None),
    (b'{"topic": "wlan"}', 422, "number"),
    (b'{"number": "0012025550100"}', 422, "number"),
    (b'{"number": "13800138000", "topic": "no-such-topic"}', 422, "topic"),
    (b'{"number": "13800138000", "note": "a\\u202eb"}', 422, "note"),
])
async def test_a_bad_callback_request_is_refused_before_the_store(client, body, status, field):
    resp = await client.post("/api/callbacks", data=body,
                             headers={**AUTH, "Content-Type": "application/json"})
    answer = await resp.json()
    assert resp.status == status, answer
    assert answer.get("field") == field and answer["error"]


async def test_a_good_request_with_redis_away_is_a_503_that_says_nothing_was_recorded(client):
    resp = await client.post("/api/callbacks", json={"number": "13800138000"}, headers=AUTH)
    answer = await resp.json()
    assert resp.status == 503 and "nothing was recorded" in answer["error"]


async def test_the_callback_list_with_redis_away_is_a_503(client):
    resp = await client.get("/api/callbacks", headers=AUTH)
    assert resp.status == 503


@pytest.fixture
async def served(aiohttp_client, clients):
    """The app with the real callbacks service on the in-memory store fake
    (ari_app/store/memory.py, held to the real store by test_store_contract.py)."""
    app = init_app(Settings(http=HttpSettings(tokens=(TOKEN,))), clients)
    real = app[callbacks_api.SERVICE]
    store = MemoryCallbackStore(clock=time.time)
    app[callbacks_api.SERVICE] = CallbacksService(store, real.calendar, real.numbers,
                                                  real.topics, real.sla)
    return await aiohttp_client(app), store


async def test_a_callback_is_created_then_updated_listed_shown_and_cancelled(served):
    client, store = served
    first = await client.post("/api/callbacks", json={"number": "13800138000"}, headers=AUTH)
    again = await client.post("/api/callbacks", json={"number": "13800138000", "topic": "wlan"},
                              headers=AUTH)
    assert first.status == 201 and (await first.json())["created"] is True
    assert again.status == 200 and "updated" in (await again.json())["message"]
    listing = await (await client.get("/api/callbacks?limit=5", headers=AUTH)).json()
    assert listing["open"] == 1 and listing["callbacks"][0]["number"] == "13800138000"
    shown = await client.get("/api/callbacks/cb1", headers=AUTH)
    body = await shown.json()
    assert shown.status == 200 and body["attempts"] == []   # never dialled yet
    assert [h["event"] for h in body["history"]] == ["created", "updated"]
    assert body["history"][0]["at"].endswith("Z")         # ISO UTC, not Unix seconds
    cancelled = await client.delete("/api/callbacks/cb1", headers=AUTH)
    assert cancelled.status == 200 and (await cancelled.json())["callback"]["status"] == \
        "cancelled"
    twice = await client.delete("/api/callbacks/cb1", headers=AUTH)
    assert twice.status == 409 and "already ended" in (await twice.json())["error"]


@pytest.mark.parametrize("method, path", [("GET", "/api/callbacks/nope"),
                                          ("GET", "/api/callbacks/x%20y"),
                                          ("DELETE", "/api/callbacks/nope"),
                                          ("DELETE", "/api/callbacks/x%20y")])
async def test_an_unknown_callback_is_a_404(served, method, path):
    client, _store = served
    resp = await client.request(method, path, headers=AUTH)
    assert resp.status == 404 and "no such callback" in (await resp.json())["error"]


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "offset=-1"])
async def test_a_bad_list_parameter_is_a_400(served, query):
    client, _store = served
    resp = await client.get(f"/api/callbacks?{query}", headers=AUTH)
    assert resp.status == 400


async def test_the_wallboard_shows_the_board_and_says_the_rest_is_unknown(client):
    resp = await client.get("/api/wallboard", headers=AUTH)
    body = await resp.json()
    assert resp.status == 200 and len(body["seats"]) == 6 and body["synced"] is True
    assert body["open_callbacks"] is None and body["today"] is None
    page = await client.get(f"/wallboard?access_token={TOKEN}",
                            headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert page.status == 200 and "<title>Data desk</title>" in await page.text()
    page = await client.get(f"/wallboard?access_token={TOKEN}")  # the default: Chinese
    assert page.status == 200 and "<title>数据业务专席</title>" in await page.text()


async def test_the_wallboard_stream_pushes_a_snapshot_at_once(client):
    resp = await client.get(f"/api/wallboard/events?access_token={TOKEN}")
    assert resp.status == 200 and resp.content_type == "text/event-stream"
    line = await asyncio.wait_for(resp.content.readline(), 10)
    assert line.startswith(b"data: {") and b'"seats"' in line
    resp.close()


async def test_every_part_starts_with_the_app_and_stops_with_it(aiohttp_client, clients):
    app = init_app(Settings(http=HttpSettings(tokens=(TOKEN,))), clients)
    client = await aiohttp_client(app)
    assert (clients.ami.started, clients.ari.started, clients.store.started) == (1, 1, 1)
    controller = app[CONTROLLER]
    assert controller.lamp._worker.running and controller.dialer is not None
    await client.close()
    assert (clients.ami.stopped, clients.ari.stopped, clients.store.stopped) == (1, 1, 1)
    assert not controller.lamp._worker.running


async def test_the_application_is_held_only_while_leading(clients):
    init_app(Settings(http=HttpSettings(tokens=(TOKEN,))), clients)
    assert not clients.ari.holding.is_set()


async def test_a_finished_desk_call_is_counted_by_the_leader_in_a_task_the_app_owns(
        aiohttp_client, clients):
    app = init_app(Settings(http=HttpSettings(tokens=(TOKEN,))), clients)
    client = await aiohttp_client(app)
    controller = app[CONTROLLER]
    call = {"Event": "AgentComplete", "Queue": "desk", "Channel": "PJSIP/8601-1",
            "Interface": "PJSIP/8601", "TalkTime": "42", "HoldTime": "3"}
    clients.ami.emit(call)
    assert len(controller.calls.tasks) == 0  # a standby counts nothing: the leader does
    controller.calls.counting = True
    clients.ami.emit(call)
    clients.ami.emit({"Event": "AgentComplete", "Queue": "other", "Channel": "PJSIP/8601-2"})
    # The call and the seat's own figures; the other queue's call is not the desk's.
    assert len(controller.calls.tasks) == 2
    await client.close()
    assert len(controller.calls.tasks) == 0


async def test_a_transferred_caller_is_sent_on_through_the_ari_port(aiohttp_client, clients):
    app = init_app(Settings(http=HttpSettings(tokens=(TOKEN,))), clients)
    client = await aiohttp_client(app)
    await clients.ari.emit({"type": "StasisStart", "args": ["route", "group", "07", "1001"],
                            "channel": {"id": "c-1", "name": "PJSIP/x-1",
                                        "caller": {"number": "13800138000"}}})
    continues = [r for r in clients.ari.requests if r[1] == "/channels/c-1/continue"]
    assert len(continues) == 1 and continues[0][0] == "POST"
    assert continues[0][2]["context"].startswith("desk-")
    await client.close()


async def test_an_unknown_path_and_a_wrong_method_answer_json(client):
    missing = await client.get("/api/nothing-here", headers=AUTH)
    assert missing.status == 404 and (await missing.json())["error"] == "no such resource"
    wrong = await client.put("/api/seats", headers=AUTH)
    body = await wrong.json()
    assert wrong.status == 405 and "GET" in wrong.headers["Allow"]
    assert body["error"].startswith("PUT is not allowed here")


async def test_the_lease_taken_starts_every_leader_only_part_and_lost_stops_them(clients):
    app = init_app(Settings(http=HttpSettings(tokens=(TOKEN,))), clients)
    controller = app[CONTROLLER]
    held = [True]

    async def take(key, owner, ttl):
        return held[0]

    controller.leadership._take = take
    await controller.leadership.renew()

    def running() -> list[bool]:
        return [clients.ari.holding.is_set(), controller.dialer._task is not None,
                controller.spool._worker.running, controller.risk.raising,
                controller.sampler._worker.running, controller.calls.counting]

    assert running() == [True] * 6
    held[0] = False
    await controller.leadership.renew()
    assert running() == [False] * 6
