"""Erlang C, checked against the textbook closed forms and known worked examples."""

import math
from itertools import pairwise

import pytest

from ari_app.desk.staffing import (average_wait, erlang_b, erlang_c, offered_load,
                                   seats_needed, service_level)


def closed_form_b(n: int, a: float) -> float:
    """Erlang B straight from its definition: (A^N/N!) / sum_{k<=N} A^k/k!."""
    terms = [a ** k / math.factorial(k) for k in range(n + 1)]
    return terms[-1] / sum(terms)


def closed_form_c(n: int, a: float) -> float:
    """Erlang C straight from its definition (the factorial formula)."""
    top = a ** n / math.factorial(n) * n / (n - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(n)) + top)


@pytest.mark.parametrize("n", [1, 2, 3, 6, 10, 20])
@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.8, 0.95])
def test_the_recursion_agrees_with_the_factorial_formula(n, fraction):
    a = n * fraction
    assert erlang_b(n, a) == pytest.approx(closed_form_b(n, a), rel=1e-12)
    assert erlang_c(n, a) == pytest.approx(closed_form_c(n, a), rel=1e-12)


def test_one_seat_waits_with_the_utilisation_and_two_seats_match_m_m_2():
    # M/M/1: P(wait) = rho. M/M/2: P(wait) = 2 rho^2 / (1 + rho).
    for rho in (0.2, 0.5, 0.9):
        assert erlang_c(1, rho) == pytest.approx(rho)
        assert erlang_c(2, 2 * rho) == pytest.approx(2 * rho ** 2 / (1 + rho))


def test_the_erlang_b_table_value_for_ten_lines_and_five_erlangs():
    assert erlang_b(10, 5.0) == pytest.approx(0.018385, abs=1e-6)


def test_the_worked_example_of_100_calls_in_30_minutes_at_180_seconds():
    # The example call-centre texts use: 10 Erlangs, 80% answered within 20 s.
    load = offered_load(100, 30 * 60, 180)
    assert load == pytest.approx(10.0)
    assert erlang_c(11, load) == pytest.approx(0.6821, abs=1e-4)
    assert service_level(11, load, 180, 20) == pytest.approx(0.3896, abs=1e-4)
    assert service_level(13, load, 180, 20) == pytest.approx(0.7956, abs=1e-4)
    assert service_level(14, load, 180, 20) == pytest.approx(0.8884, abs=1e-4)
    assert seats_needed(load, 180, 20, 0.8) == 14


def test_average_wait_is_the_waiting_share_times_the_mean_queue_wait():
    # M/M/1 mean wait in queue: rho / (mu - lambda) = rho h / (1 - rho).
    assert average_wait(1, 0.5, 100) == pytest.approx(0.5 * 100 / 0.5)
    assert average_wait(3, 3.0, 100) == math.inf


def test_large_desks_need_no_factorials():
    # 1000! overflows a float; the recursion does not care.
    assert 0 < erlang_c(1000, 950.0) < 1
    assert 0 <= erlang_b(5000, 10.0) < 1e-300


def test_more_seats_never_wait_more_and_more_load_never_waits_less():
    load = 4.2
    waits = [erlang_c(n, load) for n in range(5, 15)]
    assert all(a > b for a, b in pairwise(waits))
    levels = [service_level(n, load, 163, 20) for n in range(5, 15)]
    assert all(a < b for a, b in pairwise(levels))
    by_load = [erlang_c(6, a / 10) for a in range(1, 60)]
    assert all(a < b for a, b in pairwise(by_load))


def test_an_overloaded_desk_always_waits_and_misses_every_target():
    assert erlang_c(6, 6.0) == 1.0 and erlang_c(6, 7.5) == 1.0
    assert service_level(6, 6.0, 148, 20) == 0.0
    assert seats_needed(6.0, 148) > 6


def test_no_load_means_no_wait_and_one_seat():
    assert erlang_c(3, 0.0) == 0.0
    assert service_level(3, 0.0, 148, 20) == 1.0
    assert seats_needed(0.0, 148) == 1


def test_seats_needed_is_the_smallest_count_that_reaches_the_level():
    for load in (0.5, 2.0, 4.7, 12.3):
        n = seats_needed(load, 163, 20, 0.8)
        assert service_level(n, load, 163, 20) >= 0.8
        assert n - 1 <= load or service_level(n - 1, load, 163, 20) < 0.8


@pytest.mark.parametrize("call", [
    lambda: erlang_c(0, 1.0), lambda: erlang_c(2.5, 1.0), lambda: erlang_b(3, -1.0),
    lambda: offered_load(10, 0, 100), lambda: service_level(3, 1.0, 0, 20),
    lambda: seats_needed(3.0, 148, 20, 1.0),
])
def test_nonsense_is_refused(call):
    with pytest.raises(ValueError):
        call()
