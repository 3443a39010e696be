"""Mixed desk traffic through the real PBX: the load of the soak, of the AMI
recording and of the capacity benchmark.

Customers call the frontline (held at ``concurrent`` calls at once); every
frontline phone blind-transfers (SIP REFER) to the desk number; seats talk
for a while and hang up; a seat pauses or unpauses every ``pause_every``
seconds; a callback is asked through the API every ``callback_every``
seconds for one of a set of numbers that answer when called back.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

from .stack import FRONTLINE, SEATS, Stack


@dataclass
class LoadFigures:
    placed: int = 0                 # customer calls placed
    peak: int = 0                   # most customer calls up at once
    accepted: set[str] = field(default_factory=set)   # callback ids the API accepted
    statuses: dict[int, int] = field(default_factory=dict)  # API answers by HTTP status

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)


class MixedLoad:
    def __init__(self, lab: Stack, *, concurrent: int = 20, seed: int = 20261129,
                 seat_talk: int = 14, pause_every: float | None = 3,
                 callback_every: float | None = 2, transfer_to: str = "8600") -> None:
        self.lab = lab
        self.concurrent = concurrent
        self.rng = random.Random(seed)
        # Long enough to hear a callback's announcement ("calling" + 11 digits).
        self.seat_talk = seat_talk
        self.pause_every, self.callback_every = pause_every, callback_every
        self.transfer_to = transfer_to
        self.callback_numbers = [f"139001390{i:02d}" for i in range(40)]
        self.figures = LoadFigures()

    async def prepare(self) -> None:
        """Script the phones: frontline transfers, seats talk, callbacks answer."""
        phones = self.lab.phones
        for phone in FRONTLINE:
            await phones.on_ring(phone, f"transfer:{self.transfer_to}")
        for seat in SEATS:
            await phones.on_ring(seat, f"talk:{self.seat_talk}")
        for number in self.callback_numbers:
            await phones.on_ring(number, "talk:3")

    async def customer_calls_up(self) -> int:
        return sum(1 for c in await self.lab.phones.channels() if c.get("Context") == "customer")

    async def run(self, seconds: float, *, tick: float = 0.2) -> LoadFigures:
        """Keep the load up for ``seconds``."""
        figures, rng = self.figures, self.rng
        started = time.monotonic()
        next_pause = next_callback = started
        while time.monotonic() - started < seconds:
            active = await self.customer_calls_up()
            figures.peak = max(figures.peak, active)
            if active < self.concurrent:
                await self.lab.phones.customer_call(f"138001390{rng.randrange(100):02d}")
                figures.placed += 1
            now = time.monotonic()
            if self.pause_every is not None and now >= next_pause:
                seat = rng.choice(SEATS)
                await self.lab.probe.pause([seat], paused=rng.choice([True, False]),
                                           check=False)
                next_pause = now + self.pause_every
            if self.callback_every is not None and now >= next_callback:
                status, body = await self.lab.controller.request(
                    "POST", "/api/callbacks", {"number": rng.choice(self.callback_numbers)})
                figures.count(status)
                if status in (200, 201):
                    figures.accepted.add(body["callback"]["id"])
                next_callback = now + self.callback_every
            await asyncio.sleep(tick)
        return figures

    async def wind_down(self, *, drain: float = 90) -> int:
        """Live callers hang up (the dialer gives them way, by design), every
        seat comes back, and the dialer finishes what it has (up to ``drain``
        s). Returns how many callbacks are still open then (0: all ended)."""
        lab = self.lab
        for channel in await lab.phones.channels():
            if channel.get("Context") == "customer":
                await lab.phones.hangup(channel["Channel"])
        await lab.probe.pause(SEATS, paused=False, check=False)
        deadline = time.monotonic() + drain
        left = -1
        while lab.controller is not None:
            _, listing = await lab.controller.request("GET", "/api/callbacks?limit=1000")
            left = listing["open"]
            if left == 0 or time.monotonic() >= deadline:
                break
            await asyncio.sleep(1)
        await lab.phones.hangup_all()
        await lab.probe.hangup_all()
        await asyncio.sleep(2)
        return left
