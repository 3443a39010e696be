"""SLA risk: which callbacks are at risk (the domain rule), and the
planner's precedence for them over live callers."""

from __future__ import annotations

import pytest

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
    assert (cbs.at_risk, cbs.escalate, cbs.alert_url) == (15, True, "")
    for bad in (dict(at_risk=-1), dict(alert_timeout=0), dict(alert_retries=-1),
                dict(alert_url="ftp://example.org/hook")):
        with pytest.raises(SettingsError, match=r"\[callbacks\] (at_risk|alert)"):
            validate(Settings(callbacks=CallbackSettings(**bad)))
