"""The spool's entry parsing and the importer's rules (pure: the AstDB side
and the store are stand-ins of the importer's own two interfaces; the real
Asterisk and Redis are in tests/integration/test_spool.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
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
    ("1", "13800138314,999999999999,,", "future"),          # the year 33658
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
    assert importer.kept_aside == 1              # what /metrics shows
    del spool.entries_["1"]                      # the operator removed it
    await importer.run_once()
    assert importer.kept_aside == 0


async def test_a_replica_that_stops_leading_counts_no_entry_kept_aside():
    """Only the leader's count is true: a former leader keeping its count
    would hold the alert on after the new leader's entry was removed."""
    spool = Spool({"1": f"0044123456789,{EPOCH},"})
    submit, _ = submitter({"0044123456789": RequestError("number", "not allowed")})
    importer = SpoolImporter(spool, submit, clock=lambda: NOW, every=3600)
    async with importer.leading():
        await importer.run_once()
        assert importer.kept_aside == 1
    assert importer.kept_aside == 0


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
    from ari_app.store.memory import MemoryCallbackStore

    store = MemoryCallbackStore(clock=time.time)
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


async def test_an_entry_the_import_cannot_read_is_kept_aside_and_the_round_goes_on(caplog):
    """Whatever breaks on one entry (here a bug's exception) sets that entry
    aside, named once in an ERROR line: it stays in AstDB, is not tried again
    while unchanged, and every other entry is imported in the same round."""
    spool = Spool({"1": f"13800138401,{EPOCH},", "2": f"13800138402,{EPOCH},",
                   "3": f"13800138403,{EPOCH},"})
    submit, seen = submitter({"13800138402": OverflowError("date value out of range")})
    importer = SpoolImporter(spool, submit, clock=lambda: NOW)
    first = await importer.run_once()
    second = await importer.run_once()
    assert first.imported == ["1", "3"] and first.refused == ["2"] and second.refused == ["2"]
    assert list(spool.entries_) == ["2"]
    assert [e.number for e in seen].count("13800138402") == 1      # not tried again
    told = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(told) == 1 and "spool entry 2=" in told[0].getMessage()
    assert "OverflowError" in told[0].getMessage()


async def test_a_replica_that_takes_the_lead_names_an_entry_kept_aside_once_again(caplog):
    spool = Spool({"1": "13800138401,soon,"})
    submit, _ = submitter()
    importer = SpoolImporter(spool, submit, clock=lambda: NOW)
    await importer.run_once()
    await importer.run_once()
    async with importer.leading():        # the lead taken (AMI not ready: no round of its own)
        assert (await importer.run_once()).refused == ["1"]
    told = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(told) == 2 and all("spool entry 1=" in r.getMessage() for r in told)
    assert not importer._worker.running   # the lead's end stops the import


async def test_an_entry_set_aside_is_read_again_once_its_value_changes():
    spool = Spool({"1": "13800138401,soon,"})
    submit, _ = submitter()
    importer = SpoolImporter(spool, submit, clock=lambda: NOW)
    assert (await importer.run_once()).refused == ["1"]
    spool.entries_["1"] = f"13800138401,{EPOCH},"      # the operator mended it in place
    assert (await importer.run_once()).imported == ["1"]


def service_and_store():
    """The real callback service on the in-memory store (the number policy, the
    topics and the calendar as a controller runs them)."""
    from ari_app.service import CallbacksService
    from ari_app.settings import Settings, build_calendar, build_numbers, build_topics
    from ari_app.store.memory import MemoryCallbackStore

    store = MemoryCallbackStore(clock=time.time)
    settings = Settings()
    return CallbacksService(store, build_calendar(settings.calendar),
                            build_numbers(settings.callbacks), build_topics(settings.topics),
                            timedelta(minutes=60)), store


# An entry's fields as AstDB can hold them: each one any text, or one of the
# shapes the import reads closely (times past the year 9999 or before 1970,
# Unicode digits, service numbers, unknown languages).
astdb_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


def part(*likely: str):
    """Mostly a shape the import reads closely, else any text."""
    return st.one_of(st.sampled_from(likely), st.sampled_from(likely), astdb_text)


entry_fields = st.tuples(
    part("13800138402", "95555", "0044123456789", "1380013840\u0662", ""),
    part(str(EPOCH), "0", "999999999999", "253402300800", "99999999999", "\u0663", "-1", ""),
    part("", "12", "99999999", "123456789"),
    st.one_of(st.none(), part("zh", "en", "", "fr")))
fields_joined = entry_fields.map(lambda f: ",".join(x for x in f if x is not None))
entry_value = st.one_of(fields_joined, fields_joined, astdb_text)
entry_key = st.one_of(st.from_regex(r"[0-9]{1,12}", fullmatch=True),
                      st.from_regex(r"[0-9]{1,40}", fullmatch=True), astdb_text)


@settings(max_examples=500, deadline=None)
@given(key=entry_key, value=entry_value)
def test_no_entry_ever_fails_a_round_and_the_others_are_imported(key, value):
    assume(key != "5")
    from ari_app.spool.importer import service_submit

    async def one_round():
        service, store = service_and_store()
        spool = Spool({key: value, "5": f"13800138405,{EPOCH},"})
        done = await SpoolImporter(spool, service_submit(service), clock=lambda: NOW).run_once()
        return done, spool, store

    done, spool, store = asyncio.run(one_round())
    assert "5" in done.imported and "5" not in spool.entries_
    assert "13800138405" in store.numbers
    # The other entry was imported, or kept in AstDB for the operator: never lost.
    assert (key in done.imported) != (key in spool.entries_)
    assert key in done.imported + done.refused + done.kept
