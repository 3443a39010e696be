"""Capture without the controller or without Redis: the dialplan spools the
request in AstDB (dialplan/35-spool.conf) and the controller imports it
later; an entry it cannot import is kept aside without stopping the others. The spool is read from Asterisk (DBGetTree as the lab's admin), the
calls from AMI events, the callbacks from the API."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from lab.scrape import samples
from lab.scenarios import customer_transferred
from lab.stack import SEATS

from tests.integration.test_callbacks import log_entries, open_callback, wait_status

SLA = 3600  # the lab's [calendar] sla_minutes (the default), open round the clock


def dials_to(lab, number: str, since: int = 0) -> list:
    """The PBX's dials of ``number`` through the carrier trunk."""
    return [e for e in lab.probe.log.since(since) if e.get("Event") == "DialBegin"
            and e.get("DialString") == f"{number}@carrier"]


async def spool(lab) -> dict[str, str]:
    """AstDB family desk-spool on the PBX, key -> value."""
    rows = await lab.probe.ami.rows({"Action": "DBGetTree", "Family": "desk-spool"})
    return {r["Key"].rsplit("/", 1)[-1]: r["Val"] for r in rows
            if r.get("Event") == "DBGetTreeResponse"}


async def spooled(lab, number: str, timeout: float = 20) -> tuple[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        found = [(k, v) for k, v in (await spool(lab)).items() if v.startswith(number + ",")]
        if found:
            assert len(found) == 1, found
            return found[0]
        assert time.monotonic() < deadline, f"nothing spooled for {number}"
        await asyncio.sleep(0.2)


async def spool_emptied_of(lab, key: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while key in await spool(lab):
        assert time.monotonic() < deadline, f"spool entry {key} still there"
        await asyncio.sleep(0.2)


async def reading(lab, channel: str, since: int) -> int:
    """Wait until the dialplan spool reads digits on ``channel`` (Read
    stops its prompt at the first digit; Playback would drop them)."""
    mark = lab.probe.log.mark()
    await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "Newexten" and m.get("Channel") == channel
        and m.get("Context") == "desk-spool" and m.get("Application") == "Read",
        since=since, timeout=30)
    return mark


def epoch_of(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def test_controller_stopped_a_keyed_number_is_spooled_imported_and_dialled(report, lab):
    await lab.probe.pause(SEATS)
    await lab.controller.stop()
    transfer = await customer_transferred(lab, customer="13800138401")
    assert transfer.route == "fallback"
    # Another number: 2, the digits and #, then 1 to confirm the read-back.
    mark = await reading(lab, transfer.customer_channel, 0)
    await lab.phones.dtmf(transfer.phone_channel, "2")
    mark = await reading(lab, transfer.customer_channel, mark)
    await lab.phones.dtmf(transfer.phone_channel, "13912345401#")
    await reading(lab, transfer.customer_channel, mark)
    await lab.phones.dtmf(transfer.phone_channel, "1")
    key, value = await spooled(lab, "13912345401")
    asked = int(value.split(",")[1])
    await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "Hangup" and m.get("Channel") == transfer.customer_channel,
        since=transfer.mark, timeout=20)   # "number added, goodbye", then the dialplan hangs up

    started = time.monotonic()
    await lab.start_controller()
    cb = await open_callback(lab, "13912345401", timeout=30)
    report(f"spooled callback imported {time.monotonic() - started:.1f} s after the "
           f"controller was started")
    assert cb["source"] == "spool" and cb["status"] == "open"
    assert epoch_of(cb["created"]) == asked and epoch_of(cb["deadline"]) == asked + SLA
    await spool_emptied_of(lab, key)

    mark = lab.probe.log.mark()
    await lab.probe.pause(["8605"], paused=False)
    body = await wait_status(lab, cb["id"], {"done", "failed"})
    assert body["callback"]["status"] == "done" and body["callback"]["attempts"] == 1
    assert len(dials_to(lab, "13912345401", mark)) == 1


async def redis_down_seen(lab, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while (await lab.controller.request("GET", "/readyz"))[0] != 503:
        assert time.monotonic() < deadline, "the controller never saw Redis down"
        await asyncio.sleep(0.2)


async def test_redis_stopped_the_caller_id_is_spooled_and_imported_when_redis_is_back(
        report, lab):
    await lab.probe.pause(SEATS)
    await lab.redis.stop()
    try:
        await redis_down_seen(lab)
        transfer = await customer_transferred(lab, customer="13800138402")
        assert transfer.route == "callback"   # decided by the controller, on the board
        await reading(lab, transfer.customer_channel, 0)
        await lab.phones.dtmf(transfer.phone_channel, "1")   # "your number is ... press 1"
        key, value = await spooled(lab, "13800138402")
        asked = int(value.split(",")[1])
    finally:
        await lab.redis.start()
    back = time.monotonic()
    cb = await open_callback(lab, "13800138402", timeout=40)
    report(f"spooled callback imported {time.monotonic() - back:.1f} s after Redis was back")
    assert cb["source"] == "spool"
    assert epoch_of(cb["created"]) == asked and epoch_of(cb["deadline"]) == asked + SLA
    await spool_emptied_of(lab, key)

    mark = lab.probe.log.mark()
    await lab.probe.pause(["8605"], paused=False)
    body = await wait_status(lab, cb["id"], {"done", "failed"})
    assert body["callback"]["status"] == "done" and body["callback"]["attempts"] == 1
    assert len(dials_to(lab, "13800138402", mark)) == 1


async def test_a_spool_entry_with_a_hostile_number_is_refused_at_import(report, lab):
    since = lab.controller.log.stat().st_size
    await lab.probe.pause(SEATS)
    now = int(time.time())
    hostile = {"900001": f"0044123456789,{now},",      # international: not allowed
               "900002": f"95555,{now},",              # service number
               "900003": f"13800138403;Dial(x),{now},",  # not digits
               "900004": f"13800138404,{now + 86400},"}  # asked tomorrow
    good = {"900005": f"13800138405,{now},"}
    for key, value in {**hostile, **good}.items():
        reply = await lab.probe.ami.send({"Action": "DBPut", "Family": "desk-spool",
                                          "Key": key, "Val": value})
        assert reply.get("Response") == "Success", reply
    try:
        cb = await open_callback(lab, "13800138405", timeout=30)  # the next round
        await spool_emptied_of(lab, "900005")
        assert epoch_of(cb["created"]) == now
        _, body = await lab.controller.request("GET", "/api/callbacks?limit=1000")
        numbers = {c["number"] for c in body["callbacks"]}
        assert not numbers & {"0044123456789", "95555", "13800138403", "13800138404"}, numbers
        left = await spool(lab)
        assert {k: left.get(k) for k in hostile} == hostile   # kept for the operator
        errors = [e for e in log_entries(lab.controller.log, since)
                  if e.get("level") == "error" and "refused" in e.get("msg", "")]
        named = {k for k in hostile for e in errors if f"spool entry {k}=" in e["msg"]}
        report(f"{len(named)} of {len(hostile)} hostile spool entries refused, each named "
               f"once in an ERROR line; the good one imported")
        assert named == set(hostile)
        assert len(errors) == len(hostile)   # once each, not every round
    finally:
        for key in hostile:
            await lab.probe.ami.send({"Action": "DBDel", "Family": "desk-spool", "Key": key})


async def put(lab, entries: dict[str, str]) -> None:
    """Spool entries written as an Asterisk admin would (the lab's AMI user)."""
    for key, value in entries.items():
        reply = await lab.probe.ami.send({"Action": "DBPut", "Family": "desk-spool",
                                          "Key": key, "Val": value})
        assert reply.get("Response") == "Success", reply


async def test_a_spool_entry_the_import_cannot_read_is_kept_aside_and_the_others_go_on(
        report, lab):
    """desk-spool/900006 asks for a call in the year 33658, beside a valid
    900007: the valid one is imported in the same round and dialled; the bad
    one stays in AstDB, named by one ERROR line, and no round fails. A later
    round (it imports 900008) names it no more."""
    since = lab.controller.log.stat().st_size
    await lab.probe.pause(SEATS)
    now = int(time.time())
    bad = {"900006": "13800138314,999999999999,,"}
    await put(lab, {**bad, "900007": f"13800138315,{now},"})
    try:
        cb = await open_callback(lab, "13800138315", timeout=30)
        await spool_emptied_of(lab, "900007")
        await put(lab, {"900008": f"13800138316,{now},"})
        await open_callback(lab, "13800138316", timeout=30)      # a later round
        await spool_emptied_of(lab, "900008")
        assert (await spool(lab)).get("900006") == bad["900006"]  # kept for the operator
        entries = log_entries(lab.controller.log, since)
        named = [e for e in entries if "spool entry 900006=" in e.get("msg", "")]
        assert len(named) == 1 and named[0]["level"] == "error", named
        assert "lies in the future" in named[0]["msg"]
        assert "database del desk-spool 900006" in named[0]["msg"]
        assert not [e for e in entries if "spool import round failed" in e.get("msg", "")]
        _, body = await lab.controller.request("GET", "/api/callbacks?limit=1000")
        assert "13800138314" not in {c["number"] for c in body["callbacks"]}
        figures = samples(await lab.controller.text("/metrics"))
        assert figures["datadesk_spool_entries_kept_aside"] == 1
        mark = lab.probe.log.mark()
        await lab.probe.pause(["8605"], paused=False)
        done = await wait_status(lab, cb["id"], {"done", "failed"})
        assert done["callback"]["status"] == "done"
        assert len(dials_to(lab, "13800138315", mark)) == 1
        report("a spool entry dated 33658 kept aside with one ERROR line; the entries "
               "beside it imported and dialled")
    finally:
        for key in ("900006", "900007", "900008"):
            await lab.probe.ami.send({"Action": "DBDel", "Family": "desk-spool", "Key": key})


async def test_redis_lost_during_a_controller_capture_the_confirmed_number_is_spooled(lab):
    since = lab.controller.log.stat().st_size
    await lab.probe.pause(SEATS)
    transfer = await customer_transferred(lab, customer="13800138406")
    assert transfer.route == "callback"
    await lab.probe.log.wait_for(
        lambda m: m.get("Event") == "Newexten" and m.get("Channel") == transfer.customer_channel
        and m.get("Context") == "desk-callback" and m.get("Application") == "Stasis",
        since=transfer.mark, timeout=10)
    await asyncio.sleep(1.0)   # in the controller's capture, hearing the busy message
    await lab.redis.stop()     # after the capture began: its store request fails
    try:
        await lab.phones.dtmf(transfer.phone_channel, "1")   # "your number is ... press 1"
        key, value = await spooled(lab, "13800138406", timeout=40)
        asked = int(value.split(",")[1])
    finally:
        await lab.redis.start()
    handed = [e for e in log_entries(lab.controller.log, since)
              if "handed to the dialplan spool" in e.get("msg", "")]
    assert len(handed) == 1 and handed[0]["level"] == "error"
    cb = await open_callback(lab, "13800138406", timeout=40)
    assert cb["source"] == "spool" and epoch_of(cb["created"]) == asked
    await spool_emptied_of(lab, key)


async def test_the_controllers_ami_user_cannot_write_astdb_and_the_ack_removes_one_entry(lab):
    """Least privilege: no DBPut/DBDel (write class system) for the controller;
    it removes an imported entry only through [desk-spool-ack], one digits-only key."""
    from ari_app.asterisk.ami import AmiClient
    from ari_app.spool.astdb import AstDbSpool
    ami = AmiClient("127.0.0.1", lab.ports.pbx_ami, "datadesk", lab.keys.ami, name="spool-priv")
    ami.start()
    try:
        await ami.wait_ready(10)
        for key in ("910001", "910002"):
            await lab.probe.ami.send({"Action": "DBPut", "Family": "desk-spool", "Key": key,
                                      "Val": "95555,1,"})  # refused: the importer leaves it
        for action in ({"Action": "DBDel", "Family": "desk-spool", "Key": "910001"},
                       {"Action": "DBPut", "Family": "desk-spool", "Key": "910001", "Val": "x"},
                       {"Action": "DBDelTree", "Family": "desk-spool"}):
            reply = await ami.send(action)
            assert reply.get("Response") == "Error" and "Permission denied" in reply.get("Message")
        # DB_DELETE is a dangerous function: not through Getvar either.
        await ami.send({"Action": "Getvar", "Variable": "DB_DELETE(desk-spool/910001)"})
        # A key that is not digits reaches no entry through the ack context.
        await ami.send({"Action": "Originate", "Async": "false", "Data": "0", "Timeout": "5000",
                        "Channel": "Local/9100*1@desk-spool-ack/n", "Application": "Wait"})
        assert {"910001", "910002"} <= set(await spool(lab))
        assert await AstDbSpool(ami).remove("910001") is True
        assert "910001" not in (left := await spool(lab)) and "910002" in left
    finally:
        await lab.probe.ami.send({"Action": "DBDel", "Family": "desk-spool", "Key": "910001"})
        await lab.probe.ami.send({"Action": "DBDel", "Family": "desk-spool", "Key": "910002"})
        await ami.stop()
