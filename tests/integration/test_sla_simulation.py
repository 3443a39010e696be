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


def test_booked_callbacks_are_never_dialled_before_their_slot_and_the_told_time_is_measured():
    """With booking (the desk's defaults: slots offered, a morning slot for a
    night request) and 60% of callers choosing one: some callbacks keep a
    slot, chosen or given, and none is first dialled before its slot starts;
    the unbooked ones were each told a time the run measures against."""
    from ari_app.desk.promise import Booking
    from ari_app.settings import Settings
    from bench.sla import no_booking

    run = simulate_run(2, 120, 1, 1, Settings(), choosing=0.6)
    kinds = {c.promised.booking for c in run.callbacks.values()}
    assert {Booking.CHOSEN, Booking.ASSIGNED} <= kinds, kinds
    for cb in run.callbacks.values():
        if cb.booked and cb.result.first_dialled is not None:
            assert cb.result.first_dialled >= cb.promised.start, cb    # the slot's start
    summary = summarise(run)
    assert summary.told_error and summary.sla_by_booking["booked"] is not None
    plain = simulate_run(2, 120, 1, 1, no_booking(Settings()), choosing=0.6)
    assert not any(c.booked for c in plain.callbacks.values())
