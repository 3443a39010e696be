"""Calls through the compose deployment, shared by the plain and the
Sentinel test. Every claim about a call is read from the PBX container's
own AMI (events, bridges), never from what the controller says of itself."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from lab.compose_lab import ComposeLab
from lab.scrape import samples
from lab.scenarios import Transfer, customer_transferred, specialist_answers
from lab.stack import FRONTLINE, SEATS
from tests.integration.test_callbacks import customer_dials, open_callback, wait_status


async def settle(lab: ComposeLab, timeout: float = 30) -> None:
    """No call anywhere, every phone answering as usual, every seat unpaused
    and out of wrap-up, no open callback."""
    _, body = await lab.api.request("GET", "/api/callbacks?limit=1000")
    for cb in body["callbacks"]:
        await lab.api.request("DELETE", f"/api/callbacks/{cb['id']}")
    await lab.phones.hangup_all()
    await lab.probe.hangup_all()
    await lab.phones.reset(*FRONTLINE, *SEATS)
    await lab.probe.pause(SEATS, paused=False, check=False)
    deadline = time.monotonic() + timeout
    while await lab.probe.channels() or await lab.phones.channels() or not all(
            s["ready"] for s in (await lab.api.get("/api/seats"))["seats"]):
        assert time.monotonic() < deadline, "calls or wrap-up left from the previous test"
        await asyncio.sleep(0.2)


async def transfer_bridged(lab: ComposeLab, customer: str) -> tuple[Transfer, tuple[str, str]]:
    """A frontline phone REFERs a customer to 8600; Asterisk bridges them to a seat."""
    await settle(lab)
    transfer = await customer_transferred(lab, customer=customer)
    assert transfer.route == "queue", transfer.route
    pair = await specialist_answers(lab, transfer)
    assert transfer.customer_channel in pair
    assert any(c.startswith("PJSIP/86") for c in pair), pair
    await lab.phones.hangup(transfer.phone_channel)
    return transfer, pair


async def callback_captured_stored_dialled(lab: ComposeLab, customer: str) -> dict:
    """All seats paused: the referred caller confirms their number (1), the
    callback is stored and nothing is dialled; a seat unpauses: the seat is
    rung first, then the customer, once."""
    await settle(lab)
    await lab.probe.pause(SEATS)
    await lab.phones.on_ring(customer, "talk:2")
    mark = lab.probe.log.mark()
    transfer = await customer_transferred(lab, customer=customer)
    assert transfer.route == "callback", transfer.route
    await asyncio.sleep(1.0)
    await lab.phones.dtmf(transfer.phone_channel, "1")   # "your number is ... press 1"
    cb = await open_callback(lab, customer)
    assert cb["status"] == "open" and cb["source"] == "ivr" and cb["attempts"] == 0
    await lab.phones.hangup(transfer.phone_channel)
    assert not customer_dials(lab, customer, mark)

    await lab.probe.pause(["8603"], paused=False)
    body = await wait_status(lab, cb["id"], {"done", "failed"}, timeout=90)
    assert body["callback"]["status"] == "done", body
    assert body["callback"]["last_outcome"] == "answered"
    events = lab.probe.log.since(mark)
    seat_up = [i for i, e in enumerate(events) if e.get("Event") == "AgentConnect"
               and e.get("Queue") == "desk" and e.get("Interface") == "PJSIP/8603"]
    dialled = [i for i, e in enumerate(events) if e.get("Event") == "DialBegin"
               and e.get("DialString") == f"{customer}@carrier"]
    assert len(dialled) == 1 and seat_up and seat_up[0] < dialled[0], (seat_up, dialled)
    return body


async def http_faces(lab: ComposeLab) -> dict[str, int]:
    """/readyz, /metrics and the wallboard on the published loopback port:
    their statuses, and what they must say."""
    url, token = lab.api.url, lab.deployment.keys.api_token
    auth = {"Authorization": f"Bearer {token}"}
    seen: dict[str, int] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        async with http.get(f"{url}/readyz") as resp:
            seen["/readyz"] = resp.status
            ready = await resp.json()
            assert ready["role"] == "leader" and ready["redis"] == "up", ready
        async with http.get(f"{url}/metrics") as resp:
            seen["/metrics without a token"] = resp.status
        async with http.get(f"{url}/metrics", headers=auth) as resp:
            seen["/metrics"] = resp.status
            text = await resp.text()
            lines = samples(text)
            assert lines["datadesk_ready"] == 1, text
            for link in ("ami", "ari", "redis"):
                assert lines[f'datadesk_connection_up{{link="{link}"}}'] == 1, link
        async with http.get(f"{url}/wallboard", params={"access_token": token}) as resp:
            seen["/wallboard"] = resp.status
            assert "<html" in (await resp.text()).lower()
        async with http.get(f"{url}/api/wallboard", headers=auth) as resp:
            seen["/api/wallboard"] = resp.status
            board = await resp.json()
            assert board, board
    return seen


async def down_leaves_only_its_volumes(lab: ComposeLab) -> list[str]:
    """``down``: no container, pod or network left; the declared volumes
    kept (an operator's data), which the lab then removes itself so that the
    next run starts empty. Returns the volumes ``down`` kept."""
    await lab.stop()
    left = lab.deployment.after_down
    assert left is not None
    assert left["container"] == [] and left["network"] == [] and left["pod"] == [], left
    assert left["volume"] == lab.deployment.declared_volumes(), left
    return left["volume"]
