"""The callback store in the lab's real Redis: claims go earliest deadline
first however many callbacks fall due at once (an overnight backlog)."""

from __future__ import annotations

import random
import uuid

import redis.asyncio as redis

from ari_app.store.callback_store import CallbackStore


async def test_an_overnight_backlog_is_claimed_earliest_deadline_first(stack):
    client = redis.Redis.from_url(stack.redis.url, decode_responses=True)
    store = CallbackStore(client, prefix=f"test-order-{uuid.uuid4().hex[:6]}:cb")
    rng = random.Random(7)
    night, opening = 1_000_000.0, 1_030_000.0
    deadlines = {}
    try:
        # 600 requests made overnight: all due at the opening, deadlines spread.
        for i in range(600):
            deadline = opening + 3600 + rng.randrange(0, 7200)
            cb_id, created = await store.create(number=f"1380000{i:04d}", topic="", note="",
                                                agent="", source="api", deadline=deadline,
                                                due=opening, now=night + i)
            assert created
            deadlines[cb_id] = deadline
        assert await store.claim(lease=30, owner="t", now=night + 700) is None  # not yet due
        # The opening: the dialer promotes until nothing due waits, then claims.
        calls = 0
        while await store.promote(opening, limit=250) > 0:
            calls += 1
        assert calls == 2  # 250 + 250, then the last 100 with nothing left over
        taken = [await store.claim(lease=30, owner="t", now=opening) for _ in range(20)]
        got = [cb.times.deadline for cb in taken]
        assert got == sorted(deadlines.values())[:20]
        # A callback that falls due while open is claimable without a promote.
        cb_id, _ = await store.create(number="13900000001", topic="", note="", agent="",
                                      source="api", deadline=opening, due=opening,
                                      now=opening)
        first = await store.claim(lease=30, owner="t", now=opening)
        assert first.id == cb_id
    finally:
        keys = [k async for k in client.scan_iter(match=f"{store.p}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
