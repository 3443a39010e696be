"""Staffing arithmetic: Erlang C for the desk's seats.

Erlang C models a queue with ``seats`` servers, Poisson arrivals, exponential
handle times and callers who wait as long as it takes (no abandonment, no
callbacks). The desk departs from it (a caller who finds no seat ready is
offered a callback instead of waiting), so these figures are a sizing guide
to compare with the simulation in ``bench/sla.py``, not a promise.

Loads are in Erlangs (seat-seconds of work per second); times in seconds;
probabilities in [0, 1]. Pure functions, no I/O.
"""

from __future__ import annotations

import math


def offered_load(calls: float, period: float, handle_time: float) -> float:
    """Erlangs offered by ``calls`` arriving in ``period`` seconds, each
    keeping a seat ``handle_time`` seconds (talk plus wrap-up)."""
    if period <= 0:
        raise ValueError("the period must be positive")
    if calls < 0 or handle_time < 0:
        raise ValueError("calls and handle time must not be negative")
    return calls * handle_time / period


def _check(seats: int, load: float) -> None:
    if seats < 1 or int(seats) != seats:
        raise ValueError(f"seats must be a positive whole number, got {seats!r}")
    if load < 0 or math.isnan(load):
        raise ValueError(f"the load must not be negative, got {load!r}")


def erlang_b(seats: int, load: float) -> float:
    """Blocking probability of ``seats`` servers offered ``load`` Erlangs.

    Computed by the recursion B(0) = 1, B(n) = A B(n-1) / (n + A B(n-1)),
    which stays within [0, 1] at every step: no factorials, no overflow.
    """
    _check(seats, load)
    b = 1.0
    for n in range(1, int(seats) + 1):
        b = load * b / (n + load * b)
    return b


def erlang_c(seats: int, load: float) -> float:
    """Probability that a caller has to wait (all ``seats`` busy on arrival).

    From Erlang B: C = N B / (N - A (1 - B)). A load of ``seats`` Erlangs
    or more never clears, so every caller waits: 1.0.
    """
    _check(seats, load)
    if load >= seats:
        return 1.0
    b = erlang_b(seats, load)
    return seats * b / (seats - load * (1 - b))


def service_level(seats: int, load: float, handle_time: float, answer_within: float) -> float:
    """Share of callers answered within ``answer_within`` seconds.

    SL = 1 - C exp(-(N - A) t / h), with ``handle_time`` h in seconds.
    0.0 when the load reaches the seat count.
    """
    if handle_time <= 0:
        raise ValueError("the handle time must be positive")
    if answer_within < 0:
        raise ValueError("the answer time must not be negative")
    c = erlang_c(seats, load)
    if load >= seats:
        return 0.0
    return 1.0 - c * math.exp(-(seats - load) * answer_within / handle_time)


def average_wait(seats: int, load: float, handle_time: float) -> float:
    """Mean wait in seconds over all callers (ASA): C h / (N - A); inf if N <= A."""
    _check(seats, load)
    if load >= seats:
        return math.inf
    return erlang_c(seats, load) * handle_time / (seats - load)


def seats_needed(load: float, handle_time: float, answer_within: float = 20.0,
                 level: float = 0.8, max_seats: int = 10_000) -> int:
    """The fewest seats that answer ``level`` of callers within ``answer_within``
    seconds (default 80/20). Raises ``ValueError`` if ``max_seats`` do not."""
    if not 0 < level < 1:
        raise ValueError("the level must be between 0 and 1 (exclusive)")
    if load < 0:
        raise ValueError("the load must not be negative")
    seats = max(1, math.floor(load) + 1)
    while seats <= max_seats:
        if service_level(seats, load, handle_time, answer_within) >= level:
            return seats
        seats += 1
    raise ValueError(f"{max_seats} seats do not reach the level")
