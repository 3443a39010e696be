"""The shipped Prometheus alert rules load and fire when, and only when, they
should (promtool's own rule tests; `make deps` installs promtool)."""

import asyncio
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import yaml

from lab.scrape import lines_of

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


def promtool(*args: str) -> subprocess.CompletedProcess:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: `make deps` installs the Debian package prometheus"
    return subprocess.run([tool, *args], cwd=RULES, capture_output=True, text=True, timeout=60)


def test_rules_pass_their_firing_and_silent_cases():
    result = promtool("test", "rules", "datadesk.rules.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_case_that_fires_and_one_that_stays_silent():
    rules = yaml.safe_load((RULES / "datadesk.rules.yml").read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    cases = [c for t in yaml.safe_load((RULES / "datadesk.rules.test.yml").read_text())["tests"]
             for c in t["alert_rule_test"]]
    assert alerts == {"DatadeskNotReadyAnywhere", "DatadeskNoLeader", "DatadeskAmiOutOfSync",
                      "DatadeskRedisDown", "DatadeskCallbackPastDeadline", "DatadeskBoardStale",
                      "DatadeskLoopKeepsFailing", "DatadeskAriApplicationContested",
                      "DatadeskSpoolEntryKeptAside",
                      "DatadeskCallTakenOver"}
    for alert in alerts:
        assert any(c["alertname"] == alert and c["exp_alerts"] for c in cases), alert
        assert any(c["alertname"] == alert and not c["exp_alerts"] for c in cases), alert


class _NoAmi:
    def on_event(self, pattern, handler) -> None:
        pass


def stalled() -> SimpleNamespace:
    """A controller whose PBX is silent: every stall family is exported."""
    ami = SimpleNamespace(ready=asyncio.Event(), trouble="no answer from Asterisk",
                          stale_since=1_765_100_000.0, heartbeats_missed=1)
    return SimpleNamespace(board=SimpleNamespace(synced=False), ami=ami,
                           ari=SimpleNamespace(applications_lost=0),
                           spool=SimpleNamespace(kept_aside=0), store=SimpleNamespace(up=True, down_since=None))


def test_rules_name_only_metrics_the_controller_exports():
    from collections import Counter

    from ari_app.asterisk.foreign_replaces import ForeignReplaces
    from ari_app.web import metrics, stalls
    text = metrics.render(seats_by_activity=Counter(), waiting=0, open_callbacks=0, sla=Counter(),
                          connections={"ami": True, "redis": True}, routes=Counter(),
                          overdue_callbacks=0)
    text += "\n".join(lines_of(stalls.StallCollector(stalled())))
    text += "\n" + "\n".join(lines_of(ForeignReplaces(_NoAmi(), ["1001"])))
    exported = {line.split("{")[0].split(" ")[0] for line in text.splitlines()
                if line and not line.startswith("#")}
    rules = (RULES / "datadesk.rules.yml").read_text()
    used = set(re.findall(r"datadesk_[a-z_]+", rules))
    assert used <= exported, used - exported
