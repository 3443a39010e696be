"""The SLA simulation's desk (ari_app/simulation) drives the real dialer
and the real board on a virtual clock: a small day must see live callers
answered and every callback dialled, or `datadesk sizing --simulate` (and
the benchmark's figures) measure a broken harness, not the desk."""

from __future__ import annotations

from ari_app.simulation.day import simulate_run
from bench.sla import summarise


def test_a_simulated_day_answers_live_callers_and_dials_every_callback():
    run = simulate_run(2, 60, 1, 1, None)
    summary = summarise(run)
    assert run.routes["queue"] > 0, run.routes
    assert summary.created > 0 and summary.never_dialled == 0, summary
    assert summary.ended["done"] >= summary.created - 1, summary.ended
    assert summary.sla_met > 0
