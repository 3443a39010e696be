"""The SLA benchmark's simulated desk (bench/simdesk.py) drives the real
dialer and the real board on a virtual clock: a small day must see live
callers answered and every callback dialled, or the benchmark's figures
(and `datadesk sizing --simulate`) measure a broken harness, not the desk."""

from __future__ import annotations

from bench.sla import simulate_run, summarise


def test_a_simulated_day_answers_live_callers_and_dials_every_callback():
    run = simulate_run(2, 60, 1, 1, None)
    summary = summarise(run)
    assert run.routes["queue"] > 0, run.routes
    assert summary.created > 0 and summary.never_dialled == 0, summary
    assert summary.ended["done"] >= summary.created - 1, summary.ended
    assert summary.sla_met > 0
