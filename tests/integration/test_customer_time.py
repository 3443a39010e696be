"""The customer's time over real SIP: the time told at capture (heard before
the caller confirms, the same one stored and returned by the API), a slot
chosen by DTMF and kept, a key that was not offered, a booked callback the
dialer does not dial before its time, a caller transferred again who keeps
or cancels the open callback, and the relay's masked look-up. What is heard
is read from the PBX's own log; what is dialled from AMI."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ari_app.asterisk.sounds_played import number_files
from lab.ports import free_port
from lab.scenarios import customer_transferred, in_capture, played, wait_played
from lab.stack import SEATS
from tests.integration.test_callbacks import customer_dials, open_callback, register, wait_status

SH = ZoneInfo("Asia/Shanghai")


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def names(lab, transfer) -> list[str]:
    return [f.rsplit(".", 1)[0] for f, _ in played(lab.pbx.log_file, transfer.log_offset,
                                                   transfer.customer_channel)]


async def stored_until(lab, cb_id: str, check, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, body = await lab.controller.request("GET", f"/api/callbacks/{cb_id}")
        assert status == 200, body
        if check(body["callback"]):
            return body
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("language", [
    "zh", pytest.param("en", marks=pytest.mark.controller({"callbacks": {"language": "en"}}))])
async def test_the_time_told_before_confirming_is_the_one_stored_and_returned(lab, language):
    number = {"zh": "13800138601", "en": "13800138602"}[language]
    await lab.probe.pause(SEATS)   # no seat works: the SLA's own hour is all there is to say
    transfer = await customer_transferred(lab, customer=number)
    await in_capture(lab, transfer, prompt="your", timeout=60)
    heard = names(lab, transfer)
    told = heard[1:heard.index("your")]
    assert heard[0] == "tt-allbusy" and told == ["desk-time-expect",
                                                 *number_files(60, language),
                                                 "desk-time-minutes"], heard
    await lab.phones.dtmf(transfer.phone_channel, "1")
    cb = await open_callback(lab, number)
    assert cb["promise"] == {**cb["promise"], "told": "within", "minutes": 60, "late": False,
                             "booking": ""}, cb
    assert when(cb["promise"]["by"]) == when(cb["deadline"]), cb
    await wait_played(lab.pbx.log_file, transfer.log_offset, transfer.customer_channel,
                      "goodbye", timeout=60)
    after = names(lab, transfer)
    assert after[after.index("added") + 1:] == told + ["goodbye"], after   # said again once stored
    status, _ = await lab.controller.request("DELETE", f"/api/callbacks/{cb['id']}")
    assert status == 200


async def test_an_idle_desk_promises_five_minutes_and_keeps_it(lab):
    number = "13800138603"
    status, body = await lab.controller.request("POST", "/api/callbacks", {"number": number})
    assert status == 201, body
    promise = body["callback"]["promise"]
    assert (promise["told"], promise["minutes"], promise["late"]) == ("within", 5, False)
    done = await wait_status(lab, body["callback"]["id"], {"done", "failed"}, timeout=60)
    first = when(done["callback"]["first_dialled"])
    assert first <= when(promise["by"]), (done["callback"], promise)


async def offered(lab, number: str):
    """Every seat paused, ``number`` is captured (the caller ID confirmed) and
    hears the slot offer: (the transfer, the callback as stored)."""
    await lab.probe.pause(SEATS)
    transfer = await customer_transferred(lab, customer=number)
    await in_capture(lab, transfer)
    await lab.phones.dtmf(transfer.phone_channel, "1")           # the number: confirmed
    cb = await open_callback(lab, number)
    await wait_played(lab.pbx.log_file, transfer.log_offset, transfer.customer_channel,
                      "desk-time-keep", timeout=60)
    return transfer, cb


@pytest.mark.controller({"callbacks": {"slots_offered": 2}})
async def test_a_slot_chosen_by_dtmf_is_stored_and_not_dialled_meanwhile(lab):
    number = "13800138604"
    transfer, cb = await offered(lab, number)
    await lab.phones.dtmf(transfer.phone_channel, "3")           # the second slot offered
    body = await stored_until(lab, cb["id"], lambda c: c["promise"]["booking"] == "chosen")
    booked = body["callback"]
    # The slots offered start after the time told, on the hour grid of a desk open round
    # the clock: the second is the hour after the first.
    told_by = when(cb["promise"]["by"]).astimezone(SH)
    first = told_by.replace(minute=0, second=0, microsecond=0)
    first += timedelta(hours=1) if first < told_by else timedelta(0)
    assert when(booked["due"]) == first + timedelta(hours=1), (cb, booked)
    assert when(booked["deadline"]) == first + timedelta(hours=2), booked
    assert (when(booked["promise"]["from"]), when(booked["promise"]["by"])) == \
        (when(booked["due"]), when(booked["deadline"]))
    assert [h["event"] for h in body["history"]] == ["created", "updated", "booked"]
    mark = lab.probe.log.mark()
    await lab.probe.pause(SEATS, paused=False)                   # seats ready: still not dialled
    await asyncio.sleep(4)
    again = await stored_until(lab, cb["id"], lambda c: True)
    assert again["callback"]["status"] == "open" and again["callback"]["attempts"] == 0
    assert not customer_dials(lab, number, mark)
    assert (await lab.controller.request("DELETE", f"/api/callbacks/{cb['id']}"))[0] == 200


@pytest.mark.controller({"callbacks": {"slots_offered": 2}})
async def test_a_key_not_offered_is_asked_again_then_the_time_told_stands(lab):
    transfer, cb = await offered(lab, "13800138605")
    log, chan = lab.pbx.log_file, transfer.customer_channel
    await lab.phones.dtmf(transfer.phone_channel, "9")
    await wait_played(log, transfer.log_offset, chan, "desk-time-not-offered")
    await lab.phones.dtmf(transfer.phone_channel, "9")
    await wait_played(log, transfer.log_offset, chan, "goodbye", timeout=60)
    heard = names(lab, transfer)
    assert heard.count("desk-time-keep") == 2 and heard.count("desk-time-not-offered") == 2
    _, body = await lab.controller.request("GET", f"/api/callbacks/{cb['id']}")
    assert body["callback"]["promise"] == cb["promise"] and body["callback"]["due"] == cb["due"]
    assert [h["event"] for h in body["history"]] == ["created"]
    assert (await lab.controller.request("DELETE", f"/api/callbacks/{cb['id']}"))[0] == 200


async def test_a_booked_callback_is_not_dialled_before_its_time(lab):
    """Booked through the API 25 s ahead with every seat ready: the claim and
    the customer's first ring (AMI's own timestamps) come at or after it."""
    number = "13800138606"
    start = (datetime.now(SH) + timedelta(seconds=25)).replace(microsecond=0)
    mark = lab.probe.log.mark()
    status, body = await lab.controller.request(
        "POST", "/api/callbacks", {"number": number,
                                   "not_before": start.replace(tzinfo=None).isoformat()})
    assert status == 201, body
    cb = body["callback"]
    assert when(cb["due"]) == start and cb["promise"]["booking"] == "chosen", cb
    midnight = (start + timedelta(days=1)).replace(hour=0, minute=0, second=0)
    assert when(cb["deadline"]) == min(start + timedelta(hours=1), midnight), cb
    await asyncio.sleep(10)
    assert not customer_dials(lab, number, mark)                 # seats ready, still waiting
    done = await wait_status(lab, cb["id"], {"done", "failed"}, timeout=90)
    claimed = [h for h in done["history"] if h["event"] == "claimed"]
    assert claimed and when(claimed[0]["at"]) >= start, done["history"]
    rings = customer_dials(lab, number, mark)
    assert rings and float(rings[0]["Timestamp"]) >= start.timestamp(), rings
    assert done["callback"]["sla"] == "met"                      # first dial inside the slot


async def repeats_since(lab, first) -> int:
    """Repeat calls counted in the daily figures from the desk-time day ``first`` to today."""
    import redis.asyncio as redis

    from ari_app.store.stats import DeskStats
    client = redis.Redis.from_url(lab.redis.url, decode_responses=True)
    try:
        days = await DeskStats(client, SH).days(first, datetime.now(SH).date())
    finally:
        await client.aclose()
    return sum(day.get("repeat", 0) for day in days.values())


async def test_a_repeat_transfer_hears_its_time_and_keeps_then_cancels(lab):
    """Transferred twice while its callback is open: each time the promised
    time and keep or cancel, never a second capture; the second transfer
    within 24 hours of the first is counted as a repeat call."""
    number = "13800138607"
    await lab.probe.pause(SEATS)
    today = datetime.now(SH).date()
    repeats = await repeats_since(lab, today)
    cb = await register(lab, number, topic="wlan")
    relay = lab.keys.role_tokens["relay"]
    status, seen = await lab.controller.request("GET", f"/api/callbacks?number={number}",
                                                token=relay)
    assert status == 200 and seen["open"] == 1, seen
    assert seen["callbacks"][0]["number"] == "•••••••8607", seen
    assert seen["callbacks"][0]["promise"] == cb["promise"]
    for key, status_after in (("1", "open"), ("2", "cancelled")):
        transfer = await customer_transferred(lab, customer=number)
        await in_capture(lab, transfer, prompt="desk-time-keep-or-cancel", timeout=60)
        await lab.phones.dtmf(transfer.phone_channel, key)
        await wait_played(lab.pbx.log_file, transfer.log_offset, transfer.customer_channel,
                          "goodbye", timeout=30)
        heard = names(lab, transfer)
        assert heard[1] == "desk-time-already" and "your" not in heard, heard
        assert heard[-2] == ("desk-time-kept" if key == "1" else "desk-time-cancelled")
        body = await stored_until(lab, cb["id"], lambda c: c["status"] == status_after)
        assert [h["event"] for h in body["history"]].count("created") == 1
    deadline = time.monotonic() + 15            # the transfer is counted in the background
    while await repeats_since(lab, today) != repeats + 1:
        assert time.monotonic() < deadline, (repeats, await repeats_since(lab, today))
        await asyncio.sleep(0.2)
    _, listing = await lab.controller.request("GET", "/api/callbacks")
    assert not [c for c in listing["callbacks"] if c["number"] == number]
    status, seen = await lab.controller.request("GET", f"/api/callbacks?number={number}",
                                                token=relay)
    assert status == 200 and seen == {"open": 0, "callbacks": []}


async def test_the_relay_may_look_up_one_number_but_not_list_every_callback(lab):
    relay = lab.keys.role_tokens["relay"]
    status, body = await lab.controller.request("GET", "/api/callbacks", token=relay)
    assert status == 403 and "relay" in body["error"]
    status, body = await lab.controller.request("GET", "/api/callbacks?number=12", token=relay)
    assert status == 422 and body["field"] == "number"


async def test_a_transfer_within_24_hours_of_the_last_is_a_repeat_call(lab):
    """The daily figures' repeat calls (the seed's 1.81%) on the lab's Redis:
    again within 24 hours of the last transfer counts, across midnight;
    after that it does not."""
    import redis.asyncio as redis

    from ari_app.store.stats import DeskStats
    client = redis.Redis.from_url(lab.redis.url, decode_responses=True)
    stats = DeskStats(client, SH)
    first, second = datetime(2026, 3, 2, 0, tzinfo=SH), datetime(2026, 3, 3, 0, tzinfo=SH)
    for number, at in (("13900000871", first.replace(hour=9)),
                       ("13900000872", first.replace(hour=9, minute=30)),
                       ("13900000871", first.replace(hour=20)),            # 11 h later
                       ("13900000871", second.replace(hour=19, minute=59)),  # 23 h 59 min
                       ("13900000872", second.replace(hour=10))):          # 24 h 30 min
        await stats.transfer(number, at)
    days = await stats.days(first.date(), second.date())
    await client.aclose()
    assert (days[first.date()]["transfers"], days[first.date()].get("repeat", 0)) == (3, 1)
    assert (days[second.date()]["transfers"], days[second.date()].get("repeat", 0)) == (2, 1)
    assert days[second.date()].get("repeat@19") == 1


class Gateway:
    """The operator's message gateway, played by an HTTP server on a loopback
    port of this process: it keeps what it receives, and can be stopped and
    started again on the same port."""

    def __init__(self) -> None:
        self.got: list[tuple[bytes, dict]] = []
        self.runner = None
        self.port = free_port()     # from this stack's own band (lab/ports.py)

    async def _handle(self, request):
        from aiohttp import web
        self.got.append((await request.read(), dict(request.headers)))
        return web.json_response({"queued": True})

    async def start(self) -> None:
        from aiohttp import web
        app = web.Application()
        app.router.add_post("/sms", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def received(self, event: str, callback: str, timeout: float = 30) -> tuple[dict, bytes, dict]:
        import json
        deadline = time.monotonic() + timeout
        while True:
            for raw, headers in self.got:
                body = json.loads(raw)
                if body["event"] == event and body["callback_id"] == callback:
                    return body, raw, headers
            assert time.monotonic() < deadline, self.got
            await asyncio.sleep(0.2)


def signed(raw: bytes, headers: dict, secret: str) -> bool:
    import hashlib
    import hmac
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers.get("X-Datadesk-Signature", ""), expected)


async def test_confirmations_reach_the_gateway_signed_and_wait_for_it_when_down(lab):
    """Registered: the gateway receives it signed. Gateway down: a cancel
    answers at once, the confirmation waits in Redis across a controller
    restart, and arrives signed when the gateway is back."""
    import redis.asyncio as redis
    secret = "lab-notify-secret-0123456789"
    gateway = Gateway()
    await gateway.start()
    settings = {"notify": {"url": f"http://127.0.0.1:{gateway.port}/sms", "secret": secret,
                           "backoff": 1, "backoff_max": 2}}
    try:
        await lab.use_controller(settings)
        await lab.probe.pause(SEATS)
        cb = await register(lab, "13800138608", topic="wlan")
        body, raw, headers = await gateway.received("callback-registered", cb["id"])
        assert signed(raw, headers, secret) and not signed(raw, headers, secret + "x")
        assert body["number"] == "13800138608" and body["language"] == "zh"
        by = when(cb["promise"]["by"]).astimezone(SH)
        assert body["promised"]["by"] == by.isoformat() and f"{by:%H:%M}" in body["text"]

        await gateway.stop()
        started = time.monotonic()
        status, _ = await lab.controller.request("DELETE", f"/api/callbacks/{cb['id']}")
        assert status == 200 and time.monotonic() - started < 5     # nothing waits on it
        client = redis.Redis.from_url(lab.redis.url, decode_responses=True)
        try:
            deadline = time.monotonic() + 20
            while not await client.zcard("datadesk:notify:due"):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.2)
            await lab.start_controller(settings)                      # the wait survives it
            assert await client.zcard("datadesk:notify:due") >= 1
        finally:
            await client.aclose()
        await gateway.start()
        body, raw, headers = await gateway.received("callback-cancelled", cb["id"], timeout=60)
        assert signed(raw, headers, secret) and body["text"] == "您的数据专席回电请求已取消。"
        assert secret not in lab.controller.log.read_text()
    finally:
        await gateway.stop()
        await lab.start_controller()


PROMISED = ("Object.fromEntries([...document.querySelectorAll('#callbacks tr')]"
            ".map(r => [r.dataset.callback, r.querySelector('.promised').textContent]))")


async def test_the_wallboard_shows_each_callbacks_time_in_desk_time(lab):
    """In Chromium, each callback's row says what its customer was told, in
    the desk's zone: "by HH:MM" for the estimate, the window and "booked" for
    a slot; the Chinese board in Chinese."""
    from lab.browser import Browser
    await lab.probe.pause(SEATS)
    told = await register(lab, "13800138609", topic="wlan")
    start = (datetime.now(SH) + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    status, body = await lab.controller.request(
        "POST", "/api/callbacks", {"number": "13800138610",
                                   "not_before": start.replace(tzinfo=None).isoformat()})
    assert status == 201, body
    booked = body["callback"]
    by = when(told["promise"]["by"]).astimezone(SH)
    end = when(booked["promise"]["by"]).astimezone(SH)
    token = lab.keys.role_tokens["wallboard"]
    expected = {"en": {told["id"]: f"by {by:%H:%M}",
                       booked["id"]: f"{start:%H:%M}–{end:%H:%M} (booked)"},
                "zh": {told["id"]: f"{by:%H:%M} 前",
                       booked["id"]: f"{start:%H:%M}–{end:%H:%M} (预约)"}}
    try:
        async with Browser() as browser:
            for language, rows in expected.items():
                await browser.goto(f"{lab.controller.url}/wallboard?access_token={token}"
                                   f"&lang={language}")
                deadline = time.monotonic() + 15
                while (shown := await browser.evaluate(PROMISED)) != rows:
                    assert time.monotonic() < deadline, (language, shown, rows)
                    await asyncio.sleep(0.2)
    finally:
        for cb in (told, booked):
            await lab.controller.request("DELETE", f"/api/callbacks/{cb['id']}")
