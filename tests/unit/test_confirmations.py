"""Confirmations to customers: the text in their language with the promised
time in the desk's zone; delivery to a real HTTP receiver on a loopback port
(signed with HMAC-SHA256 of the body, the same bytes on every retry; a
gateway that is down or failing loses nothing and holds up nothing; a 4xx
refusal kept aside); each callback's late confirmation sent once; the
service confirming registrations, bookings and cancellations; the settings'
URL and secret rules, the secret never logged."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ari_app.desk.board import Board
from ari_app.desk.callback import Callback, Promised, Request, Status, Times
from ari_app.desk.calendar import ServiceCalendar
from ari_app.desk.numbers import NumberPolicy
from ari_app.desk.promise import Booking, Promise, Slot, Told
from ari_app.desk.topics import TopicCatalogue
from ari_app.notify.confirmations import (Confirmations, ConfirmationsCollector, NotifyRules,
                                          shown, signature)
from ari_app.notify.message import Event, body, text
from ari_app.promises import PromiseRules, Promises, unmeasured
from ari_app.service import CallbacksService
from ari_app.settings import SettingsError, load_settings
from ari_app.store.memory import MemoryCallbackStore
from ari_app.store.memory_outbox import MemoryOutbox

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 12, 8, 13, 50, tzinfo=SH).timestamp()
SECRET = "s3cret-0123456789-abcdef"


def callback(cb_id="cb7", *, language="zh", promised=None, deadline=T0 + 3600,
             status=Status.OPEN, first=None) -> Callback:
    from ari_app.desk.callback import Result
    return Callback(cb_id, status, Request("13800138000", language=language),
                    Times(deadline=deadline, due=T0, created=T0),
                    promised=promised or Promised(Told.WITHIN, T0, T0 + 35 * 60),
                    result=Result(first_dialled=first))


class Receiver:
    """A gateway on 127.0.0.1 answering from a script of statuses (the last repeats)."""

    def __init__(self, statuses=(200,)) -> None:
        self.statuses = list(statuses)
        self.got: list[tuple[bytes, dict]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.got.append((await request.read(), dict(request.headers)))
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return web.json_response({}, status=status)


@pytest.fixture
async def gateway(aiohttp_server):
    async def start(receiver: Receiver, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/sms", receiver.handle)
        server = await aiohttp_server(app, host="127.0.0.1", port=port)
        return str(server.make_url("/sms"))
    return start


def confirmations(url: str, clock: list[float], store=None) -> tuple[Confirmations, MemoryOutbox]:
    outbox = MemoryOutbox()
    rules = NotifyRules(url, SECRET, timeout=2, backoff=10, backoff_max=40)
    return Confirmations(outbox, rules, zone=SH, language="zh",
                         deadlines=store or MemoryCallbackStore(lambda: clock[0]),
                         clock=lambda: clock[0]), outbox


def test_the_text_says_the_promised_time_in_the_desks_zone_in_the_customers_language():
    within = Promise(Told.WITHIN, datetime.fromtimestamp(T0, timezone.utc),
                     datetime.fromtimestamp(T0 + 35 * 60, timezone.utc), 35)
    assert text(Event.REGISTERED, within, SH, "zh") == \
        "数据专席已登记您的回电请求，我们预计在12月8日 14:25前给您回电。"
    assert text(Event.REGISTERED, within, SH, "en") == \
        "The data desk has your callback request: we expect to call you by 8 Dec 14:25."
    slot = Promise(Told.BETWEEN, datetime(2026, 12, 9, 9, tzinfo=SH),
                   datetime(2026, 12, 9, 10, tzinfo=SH), booking=Booking.ASSIGNED)
    assert text(Event.BOOKED, slot, SH, "zh") == \
        "您已预约数据专席回电，我们将在12月9日 09:00至10:00之间给您回电。"
    assert "between 09:00 and 10:00 on 9 Dec" in text(Event.BOOKED, slot, SH, "en")
    assert text(Event.CANCELLED, None, SH, "fr") == "您的数据专席回电请求已取消。"   # the desk's
    assert "by 8 Dec 14:25 as promised" in text(Event.LATE, within, SH, "en")


def test_a_stored_language_the_desk_does_not_speak_is_sent_as_the_desks():
    now = datetime.fromtimestamp(T0, timezone.utc)
    for stored in ("<b>x</b>", "fr", ""):
        sent = body(Event.REGISTERED, callback(language=stored), None, SH, "en", now)
        assert sent["language"] == "en" and sent["text"].startswith("The data desk")
    assert body(Event.REGISTERED, callback(language="zh"), None, SH, "en", now)["language"] == "zh"


async def test_a_confirmation_is_signed_and_sent_once(gateway):
    rx = Receiver()
    clock = [T0]
    notes, outbox = confirmations(await gateway(rx), clock)
    await notes.confirm(Event.REGISTERED, callback())
    await notes.confirm(Event.REGISTERED, callback())        # said twice: queued once
    await notes.step()
    await notes.step()
    assert len(rx.got) == 1
    raw, headers = rx.got[0]
    expected = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    assert headers["X-Datadesk-Signature"] == f"sha256={expected}"
    assert headers["X-Datadesk-Event"] == "callback-registered"
    sent = json.loads(raw)
    assert sent["callback_id"] == "cb7" and sent["number"] == "13800138000"
    assert sent["language"] == "zh" and sent["zone"] == "Asia/Shanghai"
    assert sent["promised"]["by"] == "2026-12-08T14:25:00+08:00" and "14:25" in sent["text"]
    assert await outbox.waiting() == 0 and notes.counts["delivered"] == 1


async def test_a_gateway_that_fails_is_tried_again_with_a_growing_pause_same_bytes(gateway):
    rx = Receiver(statuses=(503, 500, 200))
    clock = [T0]
    notes, outbox = confirmations(await gateway(rx), clock)
    await notes.confirm(Event.BOOKED, callback())
    await notes.step()                         # 503: waits 10 s
    clock[0] += 9
    await notes.step()
    assert len(rx.got) == 1 and await outbox.waiting() == 1
    clock[0] += 1
    await notes.step()                         # 500: waits 20 s
    clock[0] += 19
    await notes.step()
    assert len(rx.got) == 2
    clock[0] += 1
    await notes.step()                         # accepted
    assert len(rx.got) == 3 and await outbox.waiting() == 0
    assert len({raw for raw, _ in rx.got}) == 1
    assert len({h["X-Datadesk-Signature"] for _, h in rx.got}) == 1


async def test_a_gateway_that_is_down_loses_nothing_and_gets_it_when_back(gateway,
                                                                        unused_tcp_port):
    clock = [T0]
    url = f"http://127.0.0.1:{unused_tcp_port}/sms"
    notes, outbox = confirmations(url, clock)
    await notes.confirm(Event.CANCELLED, callback(status=Status.CANCELLED))
    await notes.step()                         # nobody listens: it waits
    assert await outbox.waiting() == 1 and notes.counts["retried"] == 1
    rx = Receiver()
    await gateway(rx, port=unused_tcp_port)
    clock[0] += 10
    await notes.step()
    assert len(rx.got) == 1 and await outbox.waiting() == 0
    assert json.loads(rx.got[0][0])["event"] == "callback-cancelled"
    await notes.stop()


async def test_a_gateway_that_is_down_is_one_warning_and_one_try_per_step(gateway, caplog,
                                                                          unused_tcp_port):
    clock = [T0]
    url = f"http://127.0.0.1:{unused_tcp_port}/sms"
    notes, outbox = confirmations(url, clock)
    for cb_id in ("cb1", "cb2", "cb3"):
        await notes.confirm(Event.REGISTERED, callback(cb_id))
    with caplog.at_level(logging.INFO, logger="ari_app.notify.confirmations"):
        await notes.step()                     # the first try fails: the others wait
        assert notes.counts["retried"] == 1 and await outbox.waiting() == 3
        clock[0] += 1
        await notes.step()
        clock[0] += 1
        await notes.step()
        assert notes.counts["retried"] == 3
        rx = Receiver()
        await gateway(rx, port=unused_tcp_port)
        clock[0] += 10
        await notes.step()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "not delivered" in warnings[0].getMessage()
    assert "answers again" in caplog.text
    assert len(rx.got) == 3 and await outbox.waiting() == 0
    await notes.stop()


def scraped(source: object) -> dict[tuple[str, str], float]:
    """The confirmations' samples as a scrape writes them: (name, result) -> value."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ConfirmationsCollector(source))
    text = generate_latest(registry).decode()
    return {(s.name, s.labels.get("result", "")): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


class Controller:
    def __init__(self, confirmations: Confirmations | None) -> None:
        self.confirmations = confirmations


async def test_the_metrics_say_what_became_of_each_try_and_the_backlog(gateway,
                                                                       unused_tcp_port):
    clock = [T0]
    notes, _ = confirmations(f"http://127.0.0.1:{unused_tcp_port}/sms", clock)
    controller = Controller(notes)
    assert scraped(controller) == {**{("datadesk_confirmations_total", r): 0.0
                                      for r in ("queued", "delivered", "retried", "refused")}}
    await notes.confirm(Event.REGISTERED, callback())
    await notes.step()                         # nobody listens: it waits
    down = scraped(controller)
    assert down[("datadesk_confirmations_total", "queued")] == 1.0
    assert down[("datadesk_confirmations_total", "retried")] == 1.0
    assert down[("datadesk_confirmations_waiting", "")] == 1.0
    await gateway(Receiver(), port=unused_tcp_port)
    clock[0] += 10
    await notes.step()
    back = scraped(controller)
    assert back[("datadesk_confirmations_total", "delivered")] == 1.0
    assert back[("datadesk_confirmations_waiting", "")] == 0.0
    await notes.stop()
    assert scraped(Controller(None)) == {}     # no gateway set: no confirmation metrics


async def test_a_refusal_is_kept_aside_not_tried_again(gateway, caplog):
    rx = Receiver(statuses=(400,))
    clock = [T0]
    notes, outbox = confirmations(await gateway(rx), clock)
    await notes.confirm(Event.REGISTERED, callback())
    with caplog.at_level(logging.ERROR):
        await notes.step()
    clock[0] += 3600
    await notes.step()
    assert len(rx.got) == 1 and await outbox.waiting() == 0 and outbox.refused
    assert "refused" in caplog.text and "HTTP 400" in caplog.text


async def test_an_outbox_entry_the_controller_did_not_write_is_kept_aside_not_sent(
        gateway, caplog):
    rx = Receiver()
    clock = [T0]
    notes, outbox = confirmations(await gateway(rx), clock)
    outbox.entries["n1"] = {"body": "{}", "event": "callback-booked\r\nX-Evil: 1",
                            "callback": "cb1", "tries": "0"}
    outbox.due_at["n1"], outbox.seq = T0, 1
    await notes.confirm(Event.BOOKED, callback())
    with caplog.at_level(logging.ERROR):
        await notes.step()
    assert [json.loads(raw)["event"] for raw, _ in rx.got] == ["callback-booked"]
    assert "X-Evil" not in rx.got[0][1] and notes.counts["refused"] == 1
    assert "not a confirmation" in caplog.text and "\r\n" not in caplog.text
    assert await outbox.waiting() == 0
    await notes.stop()


async def test_a_late_callback_is_confirmed_once(gateway):
    rx = Receiver()
    clock = [T0 + 3601]
    store = MemoryCallbackStore(lambda: clock[0])
    await store.create(number="13800138000", topic="", note="", agent="", source="ivr",
                       deadline=T0 + 3600, due=T0, now=T0,
                       promised=Promised(Told.WITHIN, T0, T0 + 3600))
    await store.create(number="13800138001", topic="", note="", agent="", source="ivr",
                       deadline=T0 + 7200, due=T0, now=T0)          # not late yet
    notes, _ = confirmations(await gateway(rx), clock, store)
    await notes.step()
    clock[0] += 60
    await notes.step()
    assert [json.loads(raw)["event"] for raw, _ in rx.got] == ["callback-late"]
    assert json.loads(rx.got[0][0])["callback_id"] == "cb1"


async def test_a_store_that_fails_never_reaches_the_caller(caplog):
    class Broken(MemoryOutbox):
        async def enqueue(self, *args, **kwargs):
            raise ConnectionError("redis away")
    notes = Confirmations(Broken(), NotifyRules("https://gw.example/sms", SECRET), zone=SH,
                          language="zh", deadlines=MemoryCallbackStore(lambda: T0))
    with caplog.at_level(logging.ERROR):
        await notes.confirm(Event.REGISTERED, callback())
    assert "NOT queued" in caplog.text and "the callback stands" in caplog.text


async def test_the_service_confirms_registrations_bookings_and_cancellations():
    store = MemoryCallbackStore(lambda: T0)
    calendar = ServiceCalendar.build()
    service = CallbacksService(store, calendar, NumberPolicy(), TopicCatalogue(),
                               timedelta(minutes=60))
    service.promises = Promises(store, calendar, Board("desk", ["8601"]), PromiseRules(),
                                lambda: unmeasured(15))
    said: list[tuple[Event, str]] = []

    async def confirm(event: Event, cb: Callback) -> None:
        said.append((event, cb.id))
    service.confirm = confirm
    now = datetime.fromtimestamp(T0, timezone.utc)
    first = await service.request(number="13800138000", source="api", now=now)
    await service.request(number="13800138000", source="api", now=now)     # no news
    slot = Slot(datetime(2026, 12, 8, 16, tzinfo=SH), datetime(2026, 12, 8, 17, tzinfo=SH))
    await service.request(number="13800138000", source="api", now=now, slot=slot)
    await service.cancel(first.id)
    await service.cancel(first.id)                                          # ended: no news
    assert said == [(Event.REGISTERED, "cb1"), (Event.BOOKED, "cb1"), (Event.CANCELLED, "cb1")]


def test_the_signature_is_the_hmac_of_the_bytes_and_the_url_loses_its_secrets():
    assert signature("k" * 16, b"{}") == "sha256=" + hmac.new(b"k" * 16, b"{}",
                                                              hashlib.sha256).hexdigest()
    assert shown("https://user:pw@gw.example:8443/sms?key=abc") == "https://gw.example:8443/sms"


@pytest.mark.parametrize("url, ok", [
    ("https://gw.example/sms", True), ("http://127.0.0.1:9000/sms", True),
    ("http://localhost/sms", True), ("http://[::1]:9000/sms", True),
    ("http://gw.example/sms", False), ("http://10.0.0.5/sms", False),
    ("ftp://gw.example/sms", False), ("gw.example/sms", False),
])
def test_the_gateway_url_must_be_https_or_loopback(tmp_path, url, ok):
    path = tmp_path / "d.toml"
    path.write_text(f'[notify]\nurl = "{url}"\n')
    env = {"DATADESK_NOTIFY_SECRET": SECRET}
    if ok:
        assert load_settings(path, env).notify.url == url
    else:
        with pytest.raises(SettingsError, match=r"\[notify\] url"):
            load_settings(path, env)


def test_the_secret_is_needed_and_never_echoed(tmp_path):
    path = tmp_path / "d.toml"
    path.write_text('[notify]\nurl = "https://gw.example/sms"\nsecret = "short-secret"\n')
    with pytest.raises(SettingsError) as refused:
        load_settings(path, {})
    assert "[notify] secret" in str(refused.value) and "short-secret" not in str(refused.value)


async def test_the_secret_is_never_logged(gateway, caplog):
    rx = Receiver(statuses=(503, 200))
    clock = [T0]
    notes, _ = confirmations(await gateway(rx), clock)
    with caplog.at_level(logging.DEBUG):
        await notes.confirm(Event.REGISTERED, callback())
        await notes.step()
        clock[0] += 10
        await notes.step()
    assert len(rx.got) == 2 and SECRET not in caplog.text
    assert "not delivered" in caplog.text and "delivered to http://127.0.0.1" in caplog.text
