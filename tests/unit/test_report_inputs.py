"""What the history's routes take from a client and from Redis: ``?days=``
read by the one numeric parser (ASCII digits only, bounded), counters that
are not whole counts counted as nothing with one warning, and Redis away a
503 with the documented body, never a 500."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from ari_app.app import init_app
from ari_app.settings import HttpSettings, Settings
from ari_app.store import stats as stats_module
from ari_app.store.stats import DeskStats, counters, day_key
from ari_app.web import reports
from tests.unit.test_app_factory import fakes

TOKEN = "unit-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ZONE = ZoneInfo("Asia/Shanghai")
ROUTES = ("/api/reports", "/reports", "/reports.csv")


class Hashes:
    """Enough of a decoded redis-py client for ``DeskStats`` reads: HGETALL,
    alone or in a pipeline."""

    def __init__(self, hashes: dict[str, dict[str, str]]) -> None:
        self.hashes = hashes

    async def hgetall(self, key: str) -> dict[str, str]:
        return dict(self.hashes.get(key, {}))

    def pipeline(self, transaction: bool = False) -> "Hashes._Pipe":
        return Hashes._Pipe(self)

    class _Pipe:
        def __init__(self, owner: "Hashes") -> None:
            self.owner, self.keys = owner, []

        async def __aenter__(self) -> "Hashes._Pipe":
            return self

        async def __aexit__(self, *exc) -> None:
            return None

        def hgetall(self, key: str) -> None:
            self.keys.append(key)

        async def execute(self) -> list[dict[str, str]]:
            return [dict(self.owner.hashes.get(k, {})) for k in self.keys]


@pytest.fixture(autouse=True)
def forget_told():
    stats_module._TOLD.clear()
    yield
    stats_module._TOLD.clear()


@pytest.fixture
async def away(aiohttp_client):
    """The app with Redis unreachable."""
    return await aiohttp_client(init_app(Settings(http=HttpSettings(tokens=(TOKEN,))),
                                         fakes()))


async def with_hashes(aiohttp_client, hashes: dict[str, dict[str, str]]):
    app = init_app(Settings(http=HttpSettings(tokens=(TOKEN,))), fakes())
    app[reports.SOURCE] = reports.ReportSource(DeskStats(Hashes(hashes), ZONE), ZONE)
    return await aiohttp_client(app)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("days", ["²", "٣٦٦", "3" * 5000, "0", "367", "-1", "1.5", " 7", "7 ",
                                  "+7", "1_0", "", "0x10", "７"])
async def test_a_days_that_is_not_plain_ascii_digits_in_range_is_a_400_naming_it(
        away, route, days):
    resp = await away.get(route, params={"days": days}, headers=AUTH)
    body = await resp.json()
    assert resp.status == 400, body
    assert body == {"error": "days must be an integer from 1 to 366", "field": "days"}


@pytest.mark.parametrize("route", ROUTES)
async def test_redis_away_is_a_503_with_the_documented_body_and_no_traceback(
        away, route, caplog):
    caplog.set_level(logging.WARNING)
    resp = await away.get(route, params={"days": "3"}, headers=AUTH)
    body = await resp.json()
    assert resp.status == 503, body
    assert set(body) == {"error"} and body["error"].startswith(
        "the callback store is unavailable (") and body["error"].endswith("try again shortly")
    said = [r for r in caplog.records if "answered 503" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING and said[0].exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_count_that_is_not_a_whole_number_counts_as_nothing_with_one_warning(caplog):
    caplog.set_level(logging.WARNING)
    key = day_key(date(2026, 12, 1))
    raw = {"transfers": "1.5", "answered": "3", "repeat": "-2", "talk_seconds": "٣",
           "sla_met": "9" * 30, "sla_breached": "", "callbacks_made": "²", "x\nAction": "1e3"}
    assert counters(key, raw) == {"answered": 3}
    told = [r.getMessage() for r in caplog.records]
    assert len(told) == 1 and key in told[0] and "'transfers'='1.5'" in told[0]
    assert "\n" not in told[0]                     # a hostile field name stays on one line
    counters(key, raw)                             # asked again (the wallboard, every second)
    assert len(caplog.records) == 1


async def test_the_history_and_today_read_a_malformed_counter_as_nothing(aiohttp_client):
    today = datetime.now(ZONE).date()
    client = await with_hashes(aiohttp_client, {day_key(today): {
        "transfers": "1.5", "transfers@09": "1.5", "answered": "2", "answered@09": "2",
        "talk_seconds": "300", "repeat": "-1"}})
    for route in ROUTES:
        resp = await client.get(route, params={"days": "2"}, headers=AUTH)
        assert resp.status == 200, await resp.text()
    body = await (await client.get("/api/reports?days=2", headers=AUTH)).json()
    row = body["per_day"][-1]
    assert row["transfers"] == 0 and row["answered"] == 2 and row["average_talk_seconds"] == 150
    assert row["repeat_rate_percent"] is None and body["total"]["transfers"] == 0
    figures = await DeskStats(Hashes({day_key(today): {"transfers": "1.5", "answered": "2"}}),
                              ZONE).today()
    assert figures["transfers"] == 0 and figures["answered"] == 2


async def test_the_wallboards_today_panel_survives_a_malformed_counter(aiohttp_client):
    from ari_app.app import CONTROLLER
    from ari_app.web import wallboard
    today = datetime.now(ZONE).date()
    app = init_app(Settings(http=HttpSettings(tokens=(TOKEN,))), fakes())
    controller = app[CONTROLLER]

    class Callbacks:
        async def open_callbacks(self, limit: int) -> list:
            return []

        async def count_open(self) -> int:
            return 0

        async def count_overdue(self, at: float) -> int:
            return 0
    controller.callbacks = Callbacks()
    controller.stats = DeskStats(Hashes({day_key(today): {"transfers": "1.5",
                                                          "answered": "4"}}), ZONE)
    snapshot = await wallboard.build_snapshot(controller, wallboard.BoardConfig())
    assert snapshot["today"] is not None and snapshot["today"]["answered"] == 4
    assert snapshot["today"]["transfers"] == 0 and snapshot["open_callbacks"] == 0
