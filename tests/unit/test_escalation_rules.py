"""SLA risk: which callbacks are at risk (the domain rule), and the
planner's precedence for them over live callers."""

from __future__ import annotations

import pytest

from ari_app.desk.board import DeviceState
from ari_app.desk.callback import Callback, Request, Result, Status, Times, at_risk
from ari_app.settings import CallbackSettings, Settings, SettingsError, validate

NOW = 1_800_000_000.0


def cb(deadline_in: float, *, status: Status = Status.OPEN,
       first_dialled: float | None = None) -> Callback:
    return Callback("cb1", status, Request("13800138000"),
                    Times(deadline=NOW + deadline_in, due=NOW),
                    result=Result(first_dialled=first_dialled))


@pytest.mark.parametrize("deadline_in, risky", [
    (15 * 60, True), (15 * 60 + 1, False), (60, True), (-600, True), (3600, False)])
def test_a_never_dialled_callback_is_at_risk_within_the_window(deadline_in, risky):
    assert at_risk(cb(deadline_in), NOW, 15) is risky


@pytest.mark.parametrize("status", [Status.DONE, Status.FAILED, Status.CANCELLED,
                                    Status.SERVED])
def test_a_finished_callback_is_never_at_risk(status):
    assert not at_risk(cb(60, status=status), NOW, 15)


def test_a_callback_already_dialled_is_not_at_risk_its_sla_is_decided():
    assert not at_risk(cb(60, first_dialled=NOW - 30), NOW, 15)
    assert at_risk(cb(60, status=Status.DIALLING), NOW, 15)


def test_a_window_of_zero_turns_the_rule_off():
    assert not at_risk(cb(-600), NOW, 0)


def test_the_defaults_and_bad_alert_settings_are_refused():
    cbs = CallbackSettings()
    assert (cbs.at_risk, cbs.escalate, cbs.reserve, cbs.alert_url) == (15, False, 0, "")
    for bad in (dict(at_risk=-1), dict(alert_timeout=0), dict(alert_retries=-1),
                dict(alert_url="ftp://example.org/hook"), dict(reserve=-1)):
        with pytest.raises(SettingsError, match=r"\[callbacks\] (at_risk|alert)"):
            validate(Settings(callbacks=CallbackSettings(**bad)))


def view(**kw):
    from ari_app.dialer.planner import DeskView
    base = dict(open=True, synced=True, ami_ready=True, callers_waiting=0, ready_seats=0)
    return DeskView(**{**base, **kw})


def test_an_at_risk_callback_is_claimed_while_live_callers_wait():
    from ari_app.dialer.planner import Hold, plan
    assert plan(view(callers_waiting=3), in_flight=0, seated=0).hold is Hold.CALLERS_WAITING
    got = plan(view(callers_waiting=3, at_risk=True), in_flight=0, seated=0, escalate=True)
    assert (got.claims, got.escalated, got.hold) == (1, True, None)
    off = plan(view(callers_waiting=3, at_risk=True), in_flight=0, seated=0)
    assert (off.claims, off.hold) == (0, Hold.CALLERS_WAITING)


def test_an_at_risk_callback_waits_for_the_next_seat_when_none_is_ready():
    from ari_app.dialer.planner import plan
    got = plan(view(ready_seats=0, at_risk=True), in_flight=2, seated=2, escalate=True)
    assert (got.claims, got.escalated) == (1, True)


def test_one_escalated_attempt_seeks_a_seat_at_a_time():
    from ari_app.dialer.planner import Hold, plan
    got = plan(view(callers_waiting=2, at_risk=True), in_flight=1, seated=0, escalating=1,
               escalate=True)
    assert (got.claims, got.hold) == (0, Hold.CALLERS_WAITING)


@pytest.mark.parametrize("kw", [dict(open=False), dict(synced=False), dict(ami_ready=False)])
def test_escalation_never_dials_a_closed_or_blind_desk(kw):
    from ari_app.dialer.planner import plan
    got = plan(view(callers_waiting=1, at_risk=True, **kw), in_flight=0, seated=0,
               escalate=True)
    assert got.claims == 0 and not got.escalated


def test_with_ready_seats_and_no_one_waiting_the_usual_claims_are_made():
    from ari_app.dialer.planner import plan
    got = plan(view(ready_seats=3, at_risk=True), in_flight=0, seated=0, escalate=True)
    assert (got.claims, got.escalated) == (3, False)


@pytest.mark.parametrize("ready, at_risk, reserve, claims", [
    (3, False, 1, 2),    # one ready seat kept for live transfers
    (1, False, 1, 0),    # the only ready seat is kept
    (3, True, 1, 3),     # a callback at risk: the reserve no longer holds
    (3, False, 5, 0),    # never more kept than there are
])
def test_a_seat_reserve_holds_while_no_callback_is_at_risk(ready, at_risk, reserve, claims):
    from ari_app.dialer.planner import Hold, plan
    got = plan(view(ready_seats=ready, at_risk=at_risk), in_flight=0, seated=0, reserve=reserve)
    assert got.claims == claims
    assert got.hold is (Hold.RESERVE if claims == 0 else None)


async def _desk_with(deadline_in: float, *, escalate: bool = True):
    from dataclasses import replace

    from tests.unit.test_dialer_steps import OPEN, Desk
    desk = Desk(ready=0)
    desk.dialer.rules = replace(desk.dialer.rules, escalate=escalate)
    desk.board.callers["PJSIP/customer-00000001"] = 0.0  # a live caller waits
    await desk.store.create(number="13800138001", topic="wlan", note="", agent="",
                            source="api", deadline=OPEN + deadline_in, due=OPEN, now=OPEN)
    await desk.dialer._step()
    await desk.settle()
    return desk


async def test_the_dialer_places_an_at_risk_callback_ahead_of_a_waiting_caller():
    desk = await _desk_with(10 * 60)
    assert len(desk.placed) == 1 and "QUEUE_PRIO=10" in desk.placed[0]["Variable"]
    assert desk.dialer.escalations == 1
    await desk.dialer.stop()


async def test_a_callback_far_from_its_deadline_still_yields_to_live_callers():
    desk = await _desk_with(40 * 60)
    assert desk.placed == [] and desk.dialer.escalations == 0
    await desk.dialer.stop()


async def test_with_escalation_off_even_an_at_risk_callback_yields():
    desk = await _desk_with(5 * 60, escalate=False)
    assert desk.placed == []
    await desk.dialer.stop()


def _render(risk):
    from collections import Counter

    from ari_app.web.metrics import render
    return render(seats_by_activity=Counter(), waiting=0, open_callbacks=0, sla=Counter(),
                  connections={}, routes=Counter(), risk=risk).splitlines()


def test_metrics_show_the_at_risk_gauge_escalations_and_alerts():
    from collections import Counter
    lines = _render({"at_risk": 2, "escalated": 3, "alerts": Counter(sent=4, dropped=1)})
    assert "datadesk_callbacks_at_risk 2.0" in lines
    assert "datadesk_callbacks_escalated_total 3.0" in lines
    assert 'datadesk_sla_risk_alerts_total{result="sent"} 4.0' in lines
    assert 'datadesk_sla_risk_alerts_total{result="failed"} 0.0' in lines
    assert 'datadesk_sla_risk_alerts_total{result="dropped"} 1.0' in lines


def test_an_unknown_at_risk_count_is_left_out_not_zeroed():
    lines = _render({"at_risk": None, "escalated": 0, "alerts": None})
    assert not [x for x in lines if x.startswith("datadesk_callbacks_at_risk")]
    assert "datadesk_callbacks_escalated_total 0.0" in lines


async def test_the_dialer_keeps_a_reserved_seat_until_a_callback_is_at_risk():
    from dataclasses import replace

    from tests.unit.test_dialer_steps import OPEN, Desk
    desk = Desk(ready=2)
    desk.dialer.rules = replace(desk.dialer.rules, reserve=1)
    for i, deadline_in in enumerate((40 * 60, 50 * 60)):
        await desk.store.create(number=f"1380013800{i}", topic="wlan", note="", agent="",
                                source="api", deadline=OPEN + deadline_in, due=OPEN, now=OPEN)
    await desk.dialer._step()
    assert len(desk.dialer.active) == 1          # one of the two ready seats is kept
    desk.clock[0] += 40 * 60                     # the second callback is now at risk
    desk.dialer.attempts.of("cb1").seated = True  # its seat answered: off the ready list
    desk.board.change("8601", desk.clock[0], state=DeviceState.INUSE)
    await desk.dialer._step()
    assert len(desk.dialer.active) == 2
    await desk.dialer.stop()
