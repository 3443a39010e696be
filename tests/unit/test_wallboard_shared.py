"""The wallboard's one snapshot for every viewer (``web/wallboard/shared.py``):
built once for viewers asking together, never older than the last change."""

from __future__ import annotations

import asyncio

import pytest

from ari_app.web.wallboard.shared import SharedSnapshot


class Desk:
    """A build that counts itself and takes a moment, like the store's reads."""

    def __init__(self) -> None:
        self.generation, self.builds, self.now = 0, 0, 100.0

    async def build(self) -> dict:
        self.builds += 1
        seen = self.generation
        await asyncio.sleep(0.01)
        return {"generation": seen, "build": self.builds}


def shared(desk: Desk) -> SharedSnapshot:
    return SharedSnapshot(desk.build, lambda: desk.generation, clock=lambda: desk.now)


async def test_thirty_viewers_woken_by_one_change_cost_one_build():
    desk = Desk()
    snapshot = shared(desk)
    desk.generation += 1
    seen = await asyncio.gather(*(snapshot() for _ in range(30)))
    assert desk.builds == 1 and all(s == seen[0] for s in seen)
    desk.now += 0.2                       # a viewer's tick soon after: the same picture
    assert await snapshot() == seen[0] and desk.builds == 1


async def test_a_change_during_a_build_is_never_hidden_behind_it():
    desk = Desk()
    snapshot = shared(desk)
    first = asyncio.ensure_future(snapshot())
    while desk.builds == 0:              # until the build has started and read the board
        await asyncio.sleep(0)
    desk.generation += 1                 # then the board changes
    after = await snapshot()             # a viewer woken by the change
    assert after["generation"] == 1 and (await first)["generation"] == 0
    assert desk.builds == 2
    assert (await snapshot())["generation"] == 1 and desk.builds == 2


async def test_an_old_picture_is_built_again_after_the_fresh_time():
    desk = Desk()
    snapshot = shared(desk)
    await snapshot()
    desk.now += 0.6
    assert (await snapshot())["build"] == 2


async def test_a_viewer_leaving_does_not_cancel_the_others_build_and_a_failure_is_not_kept():
    desk = Desk()
    snapshot = shared(desk)
    leaving = asyncio.ensure_future(snapshot())
    staying = asyncio.ensure_future(snapshot())
    await asyncio.sleep(0)
    leaving.cancel()
    assert (await staying)["build"] == 1

    async def broken() -> dict:
        raise ConnectionError("Redis away")
    failing = SharedSnapshot(broken, lambda: 0)
    with pytest.raises(ConnectionError):
        await failing()
    with pytest.raises(ConnectionError):  # tried again, not the old failure handed out
        await failing()
