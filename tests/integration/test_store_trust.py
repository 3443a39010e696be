"""Redis is an input: what an attacker who can write to it gets, and does not.

Against the lab's real Redis (with its ACL), the real PBX and the
controller: a callback written straight into the store with a number the
policy refuses is never dialled (no DialBegin on the PBX) and ends failed
with its reason, an ERROR log line and a metric; a callback whose ``id``
field (written with the controller's own login) differs from its key steers
no Originate, sets no channel variable and is never dialled, while a valid
one beside it is; the dialplan refuses a number the controller was
misconfigured to allow; the controller's Redis user can do only what the
controller does; a finished callback expires after the retention, an open
one never.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import redis.asyncio as redis
from redis.exceptions import AuthenticationError, NoPermissionError, ResponseError

from ari_app.desk.callback import REFUSED_BY_DIALPLAN
from lab.scrape import samples
from lab.stack import SEATS
from ari_app.store.acl import CONTROLLER_USER
from ari_app.store.connection import NO_SETINFO

RETENTION = 90 * 86400   # the default [callbacks] retention, in seconds


async def metrics(lab) -> dict[str, str]:
    import aiohttp
    async with aiohttp.ClientSession(headers=lab.controller.headers) as http:
        async with http.get(lab.controller.url + "/metrics") as resp:
            text = await resp.text()
    return samples(text)


def not_placed(lines: dict[str, float], why: str) -> int:
    return int(lines[f'datadesk_callbacks_not_placed_total{{reason="{why}"}}'])


async def wait_final(lab, cb_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, body = await lab.controller.request("GET", f"/api/callbacks/{cb_id}")
        assert status == 200, body
        if body["callback"]["status"] not in ("open", "dialling"):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"callback {cb_id} still {body['callback']['status']}")
        await asyncio.sleep(0.2)


def error_lines(lab, cb_id: str) -> list[dict]:
    out = []
    for line in lab.controller.log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("level") == "error" and entry.get("callback") == cb_id:
            out.append(entry)
    return out


async def inject(admin: redis.Redis, cb_id: str, number: str, topic: str = "wlan") -> None:
    """What anyone able to write to Redis could do: a due callback, as the
    store's own create script would have written it."""
    now = time.time()
    key = f"datadesk:cb:{cb_id}"
    await admin.hset(key, mapping={
        "id": cb_id, "number": number, "topic": topic, "note": "", "agent": "", "source": "api",
        "status": "open", "created": now, "updated": now, "deadline": now + 3600, "due": now,
        "attempts": 0, "tries": 0, "fence": 0, "reason": "waiting"})
    await admin.xadd(f"datadesk:cb:log:{cb_id}", {"event": "created", "at": now})
    await admin.zadd("datadesk:cb:open", {cb_id: now + 3600})
    await admin.zadd("datadesk:cb:ready", {cb_id: now + 3600})


@pytest.fixture
async def admin(stack):
    client = redis.Redis.from_url(stack.redis.url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
async def as_controller(stack):
    """The controller's own Redis login: what anyone holding it can write."""
    client = redis.Redis.from_url(stack.redis.address, username=stack.redis.controller_user,
                                  password=stack.redis.controller_password,
                                  decode_responses=True, **NO_SETINFO)
    yield client
    await client.aclose()


@pytest.mark.parametrize("cb_id, number, reason", [
    ("cb900001", "0044201234567", "international"),
    ("cb900002", "13800138000\r\nAction: Originate", "digits only"),
    ("cb900003", "95555", "premium"),
])
async def test_a_callback_written_into_redis_with_a_refused_number_is_never_dialled(
        lab, admin, cb_id, number, reason):
    before = not_placed(await metrics(lab), "number-refused")
    mark = lab.probe.log.mark()
    await inject(admin, cb_id, number)
    body = await wait_final(lab, cb_id)
    record = body["callback"]
    assert record["status"] == "failed"
    assert "number refused at dial time" in record["reason"] and reason in record["reason"]
    # Ended once: claimed once, never requeued to fail again.
    events = [h["event"] for h in body["history"]]
    assert events.count("claimed") == 1 and "requeued" not in events, events
    assert events[-1] == "not-placed"
    # Nothing reached the PBX: no call, no dial to that number.
    await asyncio.sleep(1)
    assert not [e for e in lab.probe.log.since(mark)
                if e.get("Event") in ("DialBegin", "Newchannel", "OriginateResponse")]
    lines = error_lines(lab, cb_id)
    assert lines and "NOT dialled" in lines[-1]["msg"] and reason in lines[-1]["msg"]
    assert not_placed(await metrics(lab), "number-refused") == before + 1
    # Finished: kept for the retention, then gone.
    assert RETENTION - 60 < await admin.ttl(f"datadesk:cb:{cb_id}") <= RETENTION


async def test_a_topic_with_a_line_break_written_into_redis_does_not_reach_the_ami(lab, admin):
    """The number is fine; the topic (shown to the seat as caller ID) carries
    an AMI line break. The call is placed with a clean label and completes."""
    await lab.probe.pause([s for s in SEATS if s != "8601"])
    number = "13800138501"
    mark = lab.probe.log.mark()
    await inject(admin, "cb900004", number, topic="wlan\r\nAction: Hangup\r\nChannel: PJSIP/8601")
    body = await wait_final(lab, "cb900004", timeout=40)
    assert body["callback"]["status"] == "done", body["callback"]
    dials = [e for e in lab.probe.log.since(mark) if e.get("Event") == "DialBegin"
             and e.get("DialString") == f"{number}@carrier"]
    assert len(dials) == 1


# A lease short enough that a callback going back to the queue after each
# lapsed lease would be dialled again within the watch below, and one attempt
# only: a second dial of the same customer breaks the promise.
SHORT_LEASE = 5
ONE_ATTEMPT = {"callbacks": {"lease": SHORT_LEASE, "max_attempts": 1}}


MISMATCHES = 'datadesk_callbacks_not_placed_total{reason="record-mismatch"}'


async def ended_or_none(lab, cb_id: str, timeout: float) -> dict | None:
    """The callback once final, or None if it is not within ``timeout``."""
    try:
        return await wait_final(lab, cb_id, timeout=timeout)
    except AssertionError:
        return None


@pytest.mark.parametrize("tail", [",SECCHECK=from-redis,DESK_OUT_TRUNK=1001", ""],
                         ids=["with-variables", "plain"])
async def test_a_callback_whose_id_field_differs_from_its_key_is_failed_and_never_dialled(
        lab, as_controller, tail):
    """HSET datadesk:cb:<id> id "<id>x,SECCHECK=...,DESK_OUT_TRUNK=1001" (or
    just "<id>x") with the controller's own login, then a seat is freed: the
    PBX sets neither variable on any channel, nothing is dialled to 1001 or
    to that customer (not once over three lapsed leases, with one attempt
    allowed), the callback ends failed with the reason, one ERROR line and
    the metric; the valid callback beside it is dialled once."""
    hostile, valid = "13800138325", "13800138326"
    await lab.start_controller(ONE_ATTEMPT)
    try:
        await lab.probe.pause(SEATS)
        await lab.phones.on_ring(hostile, "busy")    # a dial ends at once: a loop would show
        before = await metrics(lab)
        ids = []
        for number in (hostile, valid):              # the hostile one's deadline is first
            status, body = await lab.controller.request("POST", "/api/callbacks",
                                                        {"number": number})
            assert status == 201, body
            ids.append(body["callback"]["id"])
        cb_id, other = ids
        await as_controller.hset(f"datadesk:cb:{cb_id}", "id", f"{cb_id}x{tail}")
        mark = lab.probe.log.mark()
        await lab.probe.pause(["8601"], paused=False)
        valid_end = await ended_or_none(lab, other, timeout=60)
        await asyncio.sleep(3 * SHORT_LEASE)         # a requeue loop would dial again by now
        events = lab.probe.log.since(mark)
        _, body = await lab.controller.request("GET", f"/api/callbacks/{cb_id}")
        after = await metrics(lab)
    finally:
        await lab.phones.reset(hostile)
        await lab.start_controller()
    assert not [e for e in events if e.get("Event") == "VarSet"
                and e.get("Variable") in ("SECCHECK", "DESK_OUT_TRUNK")]
    assert not [e for e in events if e.get("Event") == "Newchannel"
                and e.get("Uniqueid", "").startswith((f"{cb_id}-", f"{cb_id}x"))]
    dials = [e.get("DialString", "") for e in events if e.get("Event") == "DialBegin"]
    assert not [d for d in dials if d.endswith("@1001") or hostile in d], dials
    assert valid_end is not None and valid_end["callback"]["status"] == "done"
    assert dials.count(f"{valid}@carrier") == 1, dials
    record = body["callback"]
    assert record["id"] == cb_id and record["status"] == "failed"
    assert record["reason"] == ("stored record disagrees with its key: "
                                "its id field differs from its key")
    history = [h["event"] for h in body["history"]]
    assert "claimed" not in history and history[-1] == "not-placed", history
    (line,) = error_lines(lab, cb_id)
    assert "NOT dialled (record-mismatch)" in line["msg"] and cb_id in line["msg"]
    assert int(after[MISMATCHES]) == int(before.get(MISMATCHES, 0)) + 1


async def test_a_channel_variable_named_like_a_dialplan_global_steers_nothing(lab):
    """Attempts placed as the dialer places them (here by the lab's AMI user),
    carrying DESK_OUT_TRUNK=1001 and DESK_NUMBER_SHAPES that would allow
    0044...: the dialplan reads both globals with GLOBAL(), so the customer
    leg leaves by the carrier, never by the frontline phone 1001, and a
    number outside the configured shapes is refused (cause 21)."""
    number, foreign = "13800138327", "0044201234567"
    await lab.probe.pause([s for s in SEATS if s != "8601"])
    await lab.phones.on_ring(number, "busy")
    mark = lab.probe.log.mark()
    try:
        for cb_id, to in (("cb990001", number), ("cb990002", foreign)):
            await lab.probe.ami.command({
                "Action": "Originate", "Channel": "Local/s@desk-callback-seat/n",
                "Context": "desk-callback-customer", "Exten": to, "Priority": "1",
                "Timeout": "20000", "Async": "true", "ChannelId": f"{cb_id}-1",
                "Variable": [f"CB_ID={cb_id}", "CB_FENCE=1", "CB_RING=8", "CB_SEAT_WAIT=15",
                             "DESK_OUT_TRUNK=1001", "DESK_NUMBER_SHAPES=^(0044[0-9]+)$"]},
                timeout=25)
            # Its customer leg dials the number (by whatever trunk), or it is refused.
            await lab.probe.log.wait_for(
                lambda e, i=cb_id, n=to: (e.get("Event") == "DialBegin"
                                          and e.get("DialString", "").startswith(f"{n}@"))
                or (e.get("Event") == "Hangup" and e.get("Uniqueid") == f"{i}-1"),
                since=mark, timeout=40)
            await lab.probe.hangup_all()
    finally:
        await lab.phones.reset(number)
        for cb_id in ("cb990001", "cb990002"):
            await lab.probe.ami.send({"Action": "DBDel", "Family": "desk-cb", "Key": cb_id})
    events = lab.probe.log.since(mark)
    dials = [e.get("DialString", "") for e in events if e.get("Event") == "DialBegin"]
    assert not [d for d in dials if d.endswith("@1001") or foreign in d], dials
    assert f"{number}@carrier" in dials, dials
    refused = [e for e in events if e.get("Event") == "Hangup" and e.get("Uniqueid") == "cb990002-1"]
    assert refused and refused[0].get("Cause") == "21", refused


async def test_the_dialplan_refuses_a_number_the_controller_was_misconfigured_to_allow(lab):
    """An admin widened the controller's allow-list to international numbers;
    desk-callback-customer still refuses the number: never dialled, the
    callback failed from the dialplan's receipt."""
    number = "0044201234567"
    await lab.start_controller({"callbacks": {
        "allow": [r"00\d+", r"1[3-9]\d{9}", r"0[1-9]\d{8,10}"], "deny": {}}})
    try:
        await lab.probe.pause([s for s in SEATS if s != "8601"])
        before = not_placed(await metrics(lab), "dialplan-refused")
        mark = lab.probe.log.mark()
        status, created = await lab.controller.request("POST", "/api/callbacks",
                                                       {"number": number})
        assert status == 201, created
        cb_id = created["callback"]["id"]
        body = await wait_final(lab, cb_id, timeout=40)
        record = body["callback"]
        assert record["status"] == "failed" and record["reason"] == REFUSED_BY_DIALPLAN
        assert record["last_outcome"] == "refused" and record["attempts"] == 0
        events = lab.probe.log.since(mark)
        # The seat took the attempt; the customer leg was rejected (cause 21) and
        # nothing was dialled towards the carrier.
        assert any(e.get("Event") == "AgentConnect" and e.get("Interface") == "PJSIP/8601"
                   for e in events)
        assert not [e for e in events if e.get("Event") == "DialBegin"
                    and number in e.get("DialString", "")]
        hangups = [e for e in events if e.get("Event") == "Hangup"
                   and e.get("Uniqueid") == f"{cb_id}-1"]
        assert hangups and hangups[0].get("Cause") == "21", hangups
        assert error_lines(lab, cb_id)
        assert not_placed(await metrics(lab), "dialplan-refused") == before + 1
    finally:
        await lab.start_controller()


async def test_an_unauthenticated_client_is_refused(stack):
    anonymous = redis.Redis.from_url(stack.redis.address, decode_responses=True)
    wrong = redis.Redis.from_url(stack.redis.address, username=CONTROLLER_USER,
                                 password="not-the-password", decode_responses=True)
    try:
        with pytest.raises(AuthenticationError):
            await anonymous.get("datadesk:cb:seq")
        with pytest.raises(AuthenticationError):
            await wrong.ping()
    finally:
        await anonymous.aclose()
        await wrong.aclose()


@pytest.mark.parametrize("command", [
    ("FLUSHALL",), ("FLUSHDB",), ("CONFIG", "GET", "*"), ("CONFIG", "SET", "dir", "/tmp"),
    ("KEYS", "*"), ("SCAN", "0"), ("SCRIPT", "FLUSH"), ("EVAL", "return 1", "0"),
    ("ACL", "LIST"), ("SHUTDOWN",), ("MODULE", "LIST"), ("BGREWRITEAOF",),
    ("MIGRATE", "127.0.0.1", "1", "datadesk:cb:seq", "0", "1"),
    ("RENAME", "datadesk:cb:seq", "other"), ("SUBSCRIBE", "x"), ("HGETALL", "someone-else:key"),
    ("SET", "someone-else:key", "1"),
])
async def test_the_controllers_redis_user_is_refused_what_the_controller_does_not_do(
        stack, command):
    client = redis.Redis.from_url(stack.redis.address, username=stack.redis.controller_user,
                                  password=stack.redis.controller_password,
                                  decode_responses=True, **NO_SETINFO)
    try:
        assert await client.ping() is True       # logged in: the refusal is the ACL's
        with pytest.raises(NoPermissionError):
            await client.execute_command(*command)
    finally:
        await client.aclose()


async def test_a_script_of_the_controllers_user_cannot_reach_other_keys(stack, admin):
    client = redis.Redis.from_url(stack.redis.address, username=stack.redis.controller_user,
                                  password=stack.redis.controller_password,
                                  decode_responses=True, **NO_SETINFO)
    await admin.set("other:secret", "x")
    try:
        sha = await client.script_load("return redis.call('GET', 'other:secret')")
        with pytest.raises(ResponseError, match="can't access"):
            await client.evalsha(sha, 0)
    finally:
        await client.aclose()


async def test_a_finished_callback_expires_after_the_retention_and_an_open_one_never(
        lab, admin):
    await lab.probe.pause(SEATS)   # nothing dialled meanwhile
    ids = []
    for number in ("13800138511", "13800138512"):
        status, body = await lab.controller.request("POST", "/api/callbacks",
                                                    {"number": number})
        assert status == 201, body
        ids.append(body["callback"]["id"])
    kept, cancelled = ids
    status, _ = await lab.controller.request("DELETE", f"/api/callbacks/{cancelled}")
    assert status == 200
    for key in (f"datadesk:cb:{cancelled}", f"datadesk:cb:log:{cancelled}"):
        ttl = await admin.ttl(key)
        assert RETENTION - 60 < ttl <= RETENTION, (key, ttl)
    for key in (f"datadesk:cb:{kept}", f"datadesk:cb:log:{kept}"):
        assert await admin.ttl(key) == -1, key   # exists, no expiry


async def test_a_controller_with_a_wrong_redis_password_is_refused_and_says_so(lab):
    ctrl = lab.controller
    start = ctrl.log.stat().st_size
    await ctrl.stop()
    ctrl.configure(lab.controller_settings({"redis": {"password": "not-the-password"}}))
    try:
        await ctrl.start(wait_healthy=False)
        deadline = time.monotonic() + 20
        while True:
            with ctrl.log.open(errors="replace") as f:
                f.seek(start)
                refused = [json.loads(line) for line in f
                           if "refused the controller's login" in line]
            if refused:
                break
            assert time.monotonic() < deadline, "no log line about the refused login"
            await asyncio.sleep(0.2)
        assert refused[0]["level"] == "error" and "DATADESK_REDIS_PASSWORD" in refused[0]["msg"]
        assert "not-the-password" not in ctrl.log.read_text(errors="replace")
    finally:
        await lab.start_controller()
