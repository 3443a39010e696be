"""The spool's entry parsing and the importer's rules (pure: the AstDB side
and the store are stand-ins of the importer's own two interfaces; the real
Asterisk and Redis are in tests/integration/test_spool.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from ari_app.service import Accepted, RateLimited, RequestError
from ari_app.spool.entry import BadEntry, key_of, parse
from ari_app.spool.importer import SpoolImporter

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
EPOCH = int(NOW.timestamp())


def test_a_dialplan_entry_parses_with_the_time_the_caller_asked():
    entry = parse("17959927446", f"13800138402,{EPOCH - 600},12", NOW)
    assert entry.number == "13800138402" and entry.topic_code == "12"
    assert entry.asked_at == NOW - timedelta(minutes=10)
    assert parse("1", f"13800138402,{EPOCH},", NOW).topic_code == ""


def test_the_callers_language_comes_with_the_entry_and_older_entries_have_none():
    assert parse("1", f"13800138402,{EPOCH},12,en", NOW).language == "en"
    assert parse("1", f"13800138402,{EPOCH},,zh", NOW).language == "zh"
    assert parse("1", f"13800138402,{EPOCH},12", NOW).language == ""


@pytest.mark.parametrize("key, value, why", [
    ("12a", f"13800138402,{EPOCH},", "key"),
    ("1" * 33, f"13800138402,{EPOCH},", "key"),
    ("1", "13800138402", "number,epoch,topic"),
    ("1", f"13800138402,{EPOCH},,zh,x", "number,epoch,topic"),
    ("1", f"13800138402,{EPOCH},,x", "language"),
    ("1", "13800138402,soon,", "Unix time"),
    ("1", "13800138402,-5,", "Unix time"),
    ("1", f"13800138402,{EPOCH},1\n2", "topic"),
    ("1", f"13800138402,{EPOCH + 3600},", "future"),
])
def test_a_malformed_entry_is_refused_naming_the_part(key, value, why):
    with pytest.raises(BadEntry, match=why):
        parse(key, value, NOW)


def test_tree_keys_lose_the_family():
    assert key_of("/desk-spool/123") == "123"


class Spool:
    """The importer's view of AstDB: entries, and removal that may fail."""

    def __init__(self, entries: dict[str, str], removable: bool = True) -> None:
        self.entries_ = dict(entries)
        self.removable = removable
        self.ami = type("Ami", (), {"ready": asyncio.Event()})()

    async def entries(self) -> dict[str, str]:
        return dict(self.entries_)

    async def remove(self, key: str) -> bool:
        if self.removable:
            self.entries_.pop(key, None)
        return self.removable


def submitter(fail: dict[str, Exception] | None = None):
    seen = []

    async def submit(entry):
        seen.append(entry)
        if fail and entry.number in fail:
            raise fail[entry.number]
        return Accepted("cb1", True, entry.number, entry.asked_at + timedelta(hours=1),
                        entry.asked_at)
    return submit, seen


async def test_an_entry_is_removed_only_after_the_store_accepted_it():
    spool = Spool({"1": f"13800138401,{EPOCH},", "2": f"13800138402,{EPOCH},"})
    submit, seen = submitter({"13800138402": RedisConnectionError("down")})
    done = await SpoolImporter(spool, submit, clock=lambda: NOW).run_once()
    assert done.imported == ["1"] and done.kept == ["2"]
    assert list(spool.entries_) == ["2"]
    assert seen[0].asked_at == NOW


async def test_a_refused_entry_stays_and_does_not_stop_the_others(caplog):
    spool = Spool({"1": f"0044123456789,{EPOCH},", "2": f"13800138402,{EPOCH},"})
    submit, _ = submitter({"0044123456789": RequestError("number", "not allowed")})
    importer = SpoolImporter(spool, submit, clock=lambda: NOW)
    first = await importer.run_once()
    second = await importer.run_once()
    assert first.refused == ["1"] and first.imported == ["2"] and second.refused == ["1"]
    assert list(spool.entries_) == ["1"]
    told = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(told) == 1 and "database del desk-spool 1" in told[0].getMessage()


async def test_a_rate_limited_entry_is_kept_for_the_next_round():
    spool = Spool({"1": f"13800138401,{EPOCH},"})
    submit, _ = submitter({"13800138401": RateLimited("number", "too many", 60)})
    done = await SpoolImporter(spool, submit, clock=lambda: NOW).run_once()
    assert done.kept == ["1"] and not done.refused and "1" in spool.entries_


async def test_an_entry_stored_but_not_removed_is_not_submitted_twice():
    spool = Spool({"1": f"13800138401,{EPOCH},"}, removable=False)
    submit, seen = submitter()
    importer = SpoolImporter(spool, submit, clock=lambda: NOW)
    await importer.run_once()
    spool.removable = True
    done = await importer.run_once()
    assert len(seen) == 1 and done.imported == ["1"] and not spool.entries_


async def test_an_entry_a_dead_controller_stored_is_removed_not_stored_again():
    """The controller stored the request and died before removing the entry:
    the next controller (a fresh process: nothing in memory) finds the store's
    mark and only removes the entry, even though the first callback has
    since finished (a new one would call the customer again)."""
    import time

    from ari_app.service import CallbacksService
    from ari_app.settings import Settings, build_calendar, build_numbers, build_topics
    from ari_app.spool.importer import service_submit
    from tests.fakes.store import FakeCallbackStore

    store = FakeCallbackStore(clock=time.time)
    settings = Settings()
    service = CallbacksService(store, build_calendar(settings.calendar),
                               build_numbers(settings.callbacks), build_topics(settings.topics),
                               timedelta(minutes=60))
    spool = Spool({"7": f"13800138407,{EPOCH},"}, removable=False)
    first = SpoolImporter(spool, service_submit(service), clock=lambda: NOW)
    await first.run_once()                       # stored; the removal failed
    (cb,) = await store.open_callbacks()
    await store.cancel(cb.id, reason="done meanwhile")   # the callback has ended
    spool.removable = True
    again = SpoolImporter(spool, service_submit(service), clock=lambda: NOW)  # a new process
    done = await again.run_once()
    assert done.imported == ["7"] and not spool.entries_
    assert len(store.hashes) == 1 and await store.count_open() == 0   # never stored twice
