"""One leadership: the role's change starts the leader-only parts in order
and stops them in the reverse one; Redis away keeps the role; a part that
fails to start keeps no other down; stopping leaves the parts and resigns."""

from __future__ import annotations

from contextlib import asynccontextmanager

from redis.exceptions import ConnectionError

from ari_app.leadership import Leadership


class Lease:
    def __init__(self) -> None:
        self.answer: bool | Exception = False
        self.resigned = 0

    async def take(self, key: str, owner: str, ttl: float) -> bool:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    async def resign(self, key: str, owner: str) -> None:
        self.resigned += 1


def parts(leadership: Leadership, names: list[str], journal: list[str],
          broken: str = "") -> None:
    for name in names:
        @asynccontextmanager
        async def part(name=name):
            if name == broken:
                raise RuntimeError("cannot start")
            journal.append(f"+{name}")
            try:
                yield
            finally:
                journal.append(f"-{name}")
        leadership.while_leading(name, part)


async def test_the_role_taken_starts_the_parts_in_order_and_lost_stops_them_in_reverse():
    lease, journal = Lease(), []
    leadership = Leadership(lease.take, lease.resign)
    parts(leadership, ["ari", "dialer", "spool"], journal)
    await leadership.renew()
    assert journal == [] and not leadership.is_leader
    lease.answer = True
    await leadership.renew()
    await leadership.renew()                       # renewed: nothing starts twice
    assert journal == ["+ari", "+dialer", "+spool"] and leadership.is_leader
    lease.answer = False
    await leadership.renew()
    assert journal[3:] == ["-spool", "-dialer", "-ari"] and not leadership.is_leader


async def test_redis_away_keeps_the_role_and_its_parts():
    lease, journal = Lease(), []
    leadership = Leadership(lease.take, lease.resign)
    parts(leadership, ["dialer"], journal)
    lease.answer = True
    await leadership.renew()
    lease.answer = ConnectionError("Redis away")
    await leadership.renew()
    assert leadership.is_leader and journal == ["+dialer"]
    standby = Leadership(lease.take, lease.resign)
    await standby.renew()
    assert not standby.is_leader                   # a standby does not start a second holder


async def test_a_part_that_cannot_start_keeps_no_other_down(caplog):
    lease, journal = Lease(), []
    leadership = Leadership(lease.take, lease.resign)
    parts(leadership, ["ari", "dialer", "spool"], journal, broken="dialer")
    lease.answer = True
    await leadership.renew()
    assert journal == ["+ari", "+spool"]
    assert "leadership: dialer did not start" in caplog.text


async def test_stopping_a_leader_leaves_its_parts_then_resigns():
    lease, journal = Lease(), []
    leadership = Leadership(lease.take, lease.resign)
    parts(leadership, ["ari", "dialer"], journal)
    lease.answer = True
    await leadership.renew()
    await leadership.stop()
    assert journal == ["+ari", "+dialer", "-dialer", "-ari"]
    assert lease.resigned == 1 and not leadership.is_leader
