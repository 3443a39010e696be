"""Today's figures counted while Redis is away: the loss is told once and
counted, never a line per event (pure handling of the client's failure)."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from redis.exceptions import ConnectionError as RedisConnectionError

from ari_app.outage import FAILED_STEPS, FAILING_SINCE
from ari_app.store.stats import DeskStats


class _Pipe:
    def __init__(self, client: "_Client") -> None:
        self.client = client

    async def __aenter__(self) -> "_Pipe":
        return self

    async def __aexit__(self, *exc) -> None:
        return None

    def hincrby(self, key: str, field: str, amount: int) -> None:
        self.client.pending.append((key, field, amount))

    def expire(self, key: str, seconds: int) -> None:
        pass

    async def execute(self) -> None:
        if self.client.down:
            self.client.pending.clear()
            raise RedisConnectionError("Connection refused")
        self.client.counted += self.client.pending
        self.client.pending.clear()


class _Client:
    """A client whose pipelines fail while ``down`` (what redis-py raises)."""

    def __init__(self) -> None:
        self.down, self.pending, self.counted = True, [], []

    def pipeline(self, transaction: bool = True) -> _Pipe:
        return _Pipe(self)


async def test_figures_lost_while_redis_is_away_are_one_warning_one_info_and_counted(caplog):
    client = _Client()
    stats = DeskStats(client, ZoneInfo("Asia/Shanghai"))
    before = FAILED_STEPS["figures"]
    with caplog.at_level(logging.INFO, logger="ari_app.store.stats"):
        for _ in range(5):
            await stats.add("answered")
        assert "figures" in FAILING_SINCE
        client.down = False
        await stats.add("answered")
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert [level for level, _ in lines] == ["WARNING", "INFO"], lines
    assert "ConnectionError" in lines[0][1] and "working again" in lines[1][1]
    assert FAILED_STEPS["figures"] - before == 5
    assert "figures" not in FAILING_SINCE
    assert [field.split("@")[0] for _, field, _ in client.counted] == ["answered", "answered"]
