"""When something stalls: the AMI heartbeat on a clock the test controls and
on a socket that goes quiet, a loop's outage told once with back-off, causes
named even when an exception says nothing, and what readiness, the
wallboard's snapshot and page, and ``/metrics`` say of it."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest

from ari_app.asterisk.ami import AmiClient, AmiTuning
from ari_app.asterisk.ari_ import AriClient
from ari_app.asterisk.heartbeat import HeartbeatTiming, Liveness, beat
from ari_app.logs import NamedCauses, PlainFormatter, cause
from ari_app.outage import FAILED_STEPS, FAILING_SINCE, Outage
from ari_app.spool.importer import _ami_trouble
from ari_app.web import stalls
from ari_app.web.health import readiness
from ari_app.web.wallboard.page import render_page
from ari_app.web.texts import texts
from lab.scrape import lines_of, samples

TIMING = HeartbeatTiming(interval=2.0, timeout=4.0)


# -- the heartbeat's rule, on a clock the test holds ---------------------------
def test_a_busy_link_is_never_pinged_and_a_quiet_one_is_after_the_interval():
    live = Liveness(TIMING, now=100.0)
    for t in (100.5, 101.0, 101.9):
        live.heard(t)
        assert not live.ping_due(t + 0.05)
    assert not live.ping_due(103.8) and live.ping_due(103.9)
    assert live.next_check(103.0) == pytest.approx(0.9)


def test_a_ping_answered_keeps_the_link_and_an_unanswered_one_gives_it_up_after_the_timeout():
    live = Liveness(TIMING, now=0.0)
    live.pinged(2.0)
    assert not live.ping_due(3.0)                 # one ping at a time
    live.heard(2.01)                              # Pong (or anything) came back
    assert live.silent_for(10.0) is None and live.ping_due(4.01)
    live.pinged(4.01)
    assert live.silent_for(8.0) is None           # 3.99 s: not yet
    assert live.silent_for(8.01) == pytest.approx(6.0)
    assert live.why_silent(6.0) == ("no answer from Asterisk for 6 s (a Ping unanswered after "
                                    "4 s): the PBX is frozen or overloaded")


def test_an_action_that_timed_out_asks_for_a_ping_at_once():
    live = Liveness(TIMING, now=0.0)
    assert not live.ping_due(0.5)
    live.suspect()
    assert live.ping_due(0.5)
    live.pinged(0.5)
    assert not live.ping_due(0.6)


def test_no_heartbeat_when_its_interval_is_zero():
    live = Liveness(HeartbeatTiming(interval=0), now=0.0)
    assert not live.ping_due(1e6)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_beat_pings_a_quiet_link_and_gives_up_when_nothing_comes_back():
    clock, pings, gave_up = Clock(), [], asyncio.get_running_loop().create_future()
    live = Liveness(HeartbeatTiming(interval=2, timeout=4), clock())
    wake = asyncio.Event()
    task = asyncio.create_task(beat(live, lambda: pings.append(clock.now), gave_up.set_result,
                                    wake, clock))
    await asyncio.sleep(0.01)                     # it starts: heard at 0
    for now in (1.0, 2.0, 3.0, 5.9):
        clock.now = now
        wake.set()
        await asyncio.sleep(0.01)
    assert pings == [2.0] and not gave_up.done()
    clock.now = 6.0
    wake.set()
    assert (await asyncio.wait_for(gave_up, 2)).startswith("no answer from Asterisk for 6 s")
    await task


# -- the client on a socket that answers, then goes quiet ----------------------
class QuietAmi:
    """A TCP peer that logs the client in and answers Pings while ``answering``;
    then it reads nothing and answers nothing, as a stopped process's socket."""

    def __init__(self) -> None:
        self.answering = True
        self.pings = 0
        self.server: asyncio.base_events.Server | None = None

    async def __aenter__(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        try:
            while self.answering:
                block = (await reader.readuntil(b"\r\n\r\n")).decode()
                if not self.answering:
                    break
                headers = dict(line.split(": ", 1) for line in block.strip().split("\r\n"))
                if headers.get("Action") == "Ping":
                    self.pings += 1
                writer.write(f"Response: Success\r\nActionID: {headers.get('ActionID', '')}\r\n"
                             "Message: ok\r\n\r\n".encode())
            await asyncio.sleep(3600)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


async def test_a_client_gives_up_a_silent_link_says_why_and_dates_the_stale_board(caplog):
    quiet = QuietAmi()
    async with quiet as port:
        ami = AmiClient("127.0.0.1", port, "datadesk", "s", name="ami", tuning=AmiTuning(
            heartbeat=HeartbeatTiming(interval=0.2, timeout=0.4), max_backoff=0.5))
        ami.start()
        try:
            await ami.wait_ready(5)
            assert ami.trouble is None and ami.stale_since is None
            started = time.monotonic()
            while quiet.pings < 2:          # pinged while quiet, and answered
                await asyncio.sleep(0.05)
                assert time.monotonic() - started < 5
            assert ami.ready.is_set()
            quiet.answering = False
            froze = time.time()
            with caplog.at_level(logging.WARNING, logger="ari_app.asterisk.ami"):
                while ami.ready.is_set():
                    await asyncio.sleep(0.05)
                    assert time.monotonic() - started < 10
                await asyncio.sleep(0.05)
            assert ami.heartbeats_missed == 1
            assert ami.stale_since is not None and froze - 1 < ami.stale_since <= froze + 0.1
            lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
            assert lines[0].startswith("ami: no answer from Asterisk for "), lines
            assert "the board may be stale since 20" in lines[0], lines
            # Reconnecting to the quiet peer: the login gets no answer, and says so.
            while not (ami.trouble or "").startswith("no answer to the AMI login"):
                await asyncio.sleep(0.1)
                assert time.monotonic() - started < 20, ami.trouble
        finally:
            await ami.stop()


# -- a loop's outage -------------------------------------------------------------
def test_a_26_s_redis_outage_of_a_1_s_loop_is_two_lines_with_back_off_and_counted(caplog):
    clock, log = Clock(), logging.getLogger("test.outage")
    outage = Outage("dialer-test", log, every=1.0, cap=10.0, clock=clock)
    before = FAILED_STEPS["dialer-test"]
    waits = []
    with caplog.at_level(logging.INFO, logger="test.outage"):
        while clock.now < 26:
            waits.append(outage.failed(ConnectionError("Error 111 connecting to 127.0.0.1:6390")))
            assert "dialer-test" in FAILING_SINCE
            clock.now += waits[-1]
        outage.succeeded()
        outage.succeeded()
    assert waits == [1, 2, 4, 8, 10, 10]
    assert FAILED_STEPS["dialer-test"] - before == 6 and "dialer-test" not in FAILING_SINCE
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines == [
        ("WARNING", "dialer-test: ConnectionError: Error 111 connecting to 127.0.0.1:6390; "
                    "retrying with back-off (up to every 10 s), one line when it works again"),
        ("INFO", "dialer-test: working again after 35 s (6 failed steps)")]


def test_a_long_outage_is_reminded_rarely_and_a_new_cause_at_once(caplog):
    clock = Clock()
    outage = Outage("watch-test", logging.getLogger("test.outage"), every=1.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger="test.outage"):
        while clock.now < 600:
            clock.now += outage.failed(ConnectionError("down"))
        outage.failed(TimeoutError())
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3, lines
    assert lines[1].startswith("watch-test: still failing after 30")
    assert lines[2].startswith("watch-test: TimeoutError: TimeoutError: no answer in time")


# -- causes named ------------------------------------------------------------------
def test_an_exception_that_says_nothing_is_still_named():
    assert cause(asyncio.TimeoutError()) == "TimeoutError: no answer in time"
    assert cause(KeyError()) == "KeyError"
    assert cause(ConnectionError("refused")) == "refused"
    record = logging.LogRecord("x", logging.INFO, "", 0, "spool import postponed: (%s)",
                               (asyncio.TimeoutError(),), None)
    NamedCauses().filter(record)
    assert PlainFormatter("%(message)s").format(record) == \
        "spool import postponed: (TimeoutError: no answer in time)"


def test_ari_and_the_spool_name_a_timeout_with_its_remedy():
    ari = AriClient("http://127.0.0.1:8088", "datadesk", "pw", "datadesk")
    problem, remedy = ari.refusal(asyncio.TimeoutError())
    assert problem == "no answer from ARI at http://127.0.0.1:8088 within 5 s"
    assert "not hung" in remedy and "error above" not in remedy
    assert _ami_trouble(asyncio.TimeoutError()).startswith("AMI did not answer in time")


# -- what readiness, the wallboard and /metrics say ---------------------------
class Flag:
    def __init__(self, on: bool) -> None:
        self.on = on

    def is_set(self) -> bool:
        return self.on


class Part:
    def __init__(self, **fields) -> None:
        self.__dict__.update(fields)


def frozen_pbx() -> Part:
    ami = Part(ready=Flag(False), trouble="no answer from Asterisk for 6 s (a Ping unanswered "
               "after 4 s): the PBX is frozen or overloaded", stale_since=1_765_100_000.0,
               heartbeats_missed=1)
    return Part(board=Part(synced=False), ami=ami, ari=Part(applications_lost=2),
                spool=Part(kept_aside=1),
                store=Part(up=False, down_since=1_765_100_010.0))


def test_readiness_says_why_ami_is_not_ready_and_since_when_the_board_may_be_stale():
    health = {"role": "leader", "ami": "down", "ari": "connected", "redis": "up",
              "board": "stale", **stalls.health_fields(frozen_pbx())}
    body = readiness(health)
    assert body["board_stale_since"] == "2025-12-07T09:33:20Z"
    assert body["problems"][0] == (
        "AMI not in sync (no answer from Asterisk for 6 s (a Ping unanswered after 4 s): the "
        "PBX is frozen or overloaded): the board may be stale since 2025-12-07T09:33:20Z")
    assert body["redis_down_since"] == "2025-12-07T09:33:30Z"


def test_the_snapshot_and_the_metrics_say_the_same():
    source = frozen_pbx()
    part = stalls.wallboard_part(source, store_read=False)
    assert part == {"board": {"stale": True, "why": "silent", "since": "2025-12-07T09:33:20Z"},
                    "store": {"reachable": False, "since": "2025-12-07T09:33:30Z"}}
    text = "\n".join(lines_of(stalls.StallCollector(source)))
    values = samples(text)
    assert values["datadesk_board_stale"] == 1
    assert values["datadesk_board_stale_since_seconds"] == 1765100000.0
    assert values["datadesk_ami_heartbeats_missed_total"] == 1
    assert values["datadesk_ari_application_lost_total"] == 2
    assert values["datadesk_spool_entries_kept_aside"] == 1
    assert 'datadesk_loop_failed_steps_total{loop="dialer"}' in values
    source.ami.ready, source.board.synced = Flag(True), True
    assert stalls.wallboard_part(source, True)["board"] == {"stale": False, "why": None,
                                                            "since": None}
    assert samples("\n".join(lines_of(stalls.StallCollector(source))))["datadesk_board_stale"] == 0


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_page_carries_both_banners_in_its_language(language):
    page = render_page(texts(language), language)
    assert '<div id="store-down" role="alert"></div>' in page
    for key in ("stall.since", "stall.store.since", "stall.why.silent"):
        assert texts(language)[key] in page
    assert "showStalls(last)" in page


# -- ARI: the application held, not only the websocket -------------------------
def test_an_application_lost_now_and_then_is_registered_again_at_once_and_in_a_row_backs_off():
    ari = AriClient("http://127.0.0.1:8088", "datadesk", "pw", "datadesk", max_backoff=1.0)
    assert [ari._loss_backoff() for _ in range(5)] == [0.2, 0.4, 0.8, 1.0, 1.0]
    ari._lost_last -= 31    # the last loss half a minute ago
    assert ari._loss_backoff() == 0.2


class FakeAsteriskAri:
    """An HTTP server shaped as ARI's two routes the client's supervisor uses:
    the events websocket and ``GET /applications/{app}`` (404 while
    ``registered`` is false, as Asterisk answers once the application is
    unregistered). ``replace()`` sends ``ApplicationReplaced`` down the open
    websocket, as Asterisk does when another websocket registers the app."""

    def __init__(self) -> None:
        self.registered, self.connects = True, 0
        self.sockets: list = []

    async def events(self, request):
        from aiohttp import web
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connects += 1
        self.registered = True
        self.sockets.append(ws)
        async for _ in ws:
            pass
        return ws

    async def application(self, request):
        from aiohttp import web
        if not self.registered:
            return web.json_response({"message": "Application not found"}, status=404)
        return web.json_response({"name": request.match_info["app"]})

    async def replace(self) -> None:
        await self.sockets[-1].send_str(json.dumps({"type": "ApplicationReplaced",
                                                    "application": "datadesk"}))


async def test_the_client_registers_the_application_again_when_asterisk_loses_it(caplog):
    from aiohttp import web
    fake = FakeAsteriskAri()
    app = web.Application()
    app.router.add_get("/ari/events", fake.events)
    app.router.add_get("/ari/applications/{app}", fake.application)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    ari = AriClient(f"http://127.0.0.1:{port}", "datadesk", "pw", "datadesk")
    ari.app_check = 0.05
    ari.start()
    try:
        async def until(check) -> None:
            async with asyncio.timeout(5):
                while not check():
                    await asyncio.sleep(0.01)
        await until(lambda: ari.connected.is_set() and fake.connects == 1)
        fake.registered = False                  # another websocket's close unregistered it
        await until(lambda: fake.connects == 2 and ari.connected.is_set())
        assert ari.applications_lost == 1
        await fake.replace()                     # another websocket registered it
        await until(lambda: fake.connects == 3 and ari.connected.is_set())
        assert ari.applications_lost == 2
        lost = [r.getMessage() for r in caplog.records if "no longer routes" in r.getMessage()]
        assert len(lost) == 2 and "not registered any more" in lost[0] \
            and "ApplicationReplaced" in lost[1], lost
    finally:
        await ari.stop()
        await runner.cleanup()
