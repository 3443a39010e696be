"""The leader's own clock on its lease: it keeps the role while Redis is
away only as long as the last confirmed renewal covers it."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.exceptions import ConnectionError

from ari_app.leadership import LeaseClock


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def run(coro):
    return asyncio.run(coro)


def test_a_leader_keeps_its_role_while_the_confirmed_lease_covers_it_then_steps_down():
    clock, answers = Clock(), [True]

    async def take(key, owner, ttl):
        if isinstance(answers[0], Exception):
            raise answers[0]
        return answers[0]

    lease = LeaseClock(take, margin=0.2, clock=clock)
    assert run(lease("k", "me", 5.0)) is True
    assert lease.valid_until == pytest.approx(104.0)   # 5 s less the 20 % margin
    answers[0] = ConnectionError("master gone")
    clock.now = 103.9
    with pytest.raises(ConnectionError):   # still covered: Leadership keeps the role
        run(lease("k", "me", 5.0))
    clock.now = 104.0
    assert run(lease("k", "me", 5.0)) is False   # past the lease: never a leader now


def test_a_refused_renewal_ends_the_lease_at_once():
    clock, answers = Clock(), [True, False]

    async def take(key, owner, ttl):
        return answers.pop(0)

    lease = LeaseClock(take, clock=clock)
    assert run(lease("k", "me", 5.0)) is True
    assert run(lease("k", "me", 5.0)) is False and lease.valid_until == 0.0


def test_a_renewal_still_hanging_when_the_lease_ends_is_not_leading():
    async def hang(key, owner, ttl):
        await asyncio.sleep(10)
        return True

    async def scenario():
        lease = LeaseClock(hang)
        lease.valid_until = time.monotonic() + 0.05   # a confirmed lease about to end
        return await lease("k", "me", 5.0)

    assert run(scenario()) is False


def test_only_a_controller_on_sentinel_counts_its_lease_itself():
    async def take(key, owner, ttl):
        return True

    class Redis:
        sentinels: tuple[str, ...] = ()

    assert LeaseClock.around(take, Redis()) is take   # one Redis: the role survives an outage
    Redis.sentinels = ("127.0.0.1:26379",)
    assert isinstance(LeaseClock.around(take, Redis()), LeaseClock)
