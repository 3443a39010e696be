"""What an operator reads: readiness, repeated complaints, the banner, /metrics."""

import socket
from collections import Counter
from pathlib import Path

import pytest

from ari_app.logs import Repeats
from ari_app.serve import listen, without_secret
from ari_app.web import metrics
from ari_app.web.health import readiness

DOCKER = Path(__file__).resolve().parents[2] / "docker"
GOOD = {"role": "leader", "ami": "ready", "ari": "connected", "redis": "up", "board": "in-sync"}


def test_a_leader_holding_everything_is_ready_and_says_it_leads():
    body = readiness(GOOD)
    assert body["ok"] and body["problems"] == [] and body["status"].startswith("leading")


def test_a_standby_with_redis_is_ready_and_says_it_stands_by():
    body = readiness({**GOOD, "role": "standby", "ari": "down"})
    assert body["ok"] and body["status"].startswith("standing by")


@pytest.mark.parametrize("change, named", [
    ({"role": "standby", "ari": "down", "redis": "down"}, "Redis unreachable"),
    ({"role": "standby", "ari": "down", "redis": "unknown"}, "Redis not checked yet"),
    ({"redis": "down"}, "Redis unreachable"),
    ({"ari": "down"}, "ARI application not held"),
    ({"ami": "down", "board": "stale"}, "AMI not in sync"),
    ({"board": "stale"}, "AMI not in sync"),
])
def test_not_ready_names_the_cause(change, named):
    body = readiness({**GOOD, **change})
    assert not body["ok"] and any(named in p for p in body["problems"])
    assert named in body["status"]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_repeated_cause_is_told_ever_more_rarely_up_to_every_30_s():
    clock = Clock()
    repeats = Repeats(clock=clock)
    told = []
    for _ in range(600):  # a complaint every second for 10 minutes
        if repeats.due("refused"):
            told.append(clock.now - 100)
            repeats.told()
        clock.now += 1
    assert told[:6] == [0, 1, 3, 7, 15, 31]
    gaps = [b - a for a, b in zip(told, told[1:])]
    assert max(gaps) == 30 and len(told) < 30


def test_a_new_cause_is_told_at_once_and_counts_what_was_skipped():
    clock = Clock()
    repeats = Repeats(clock=clock)
    assert repeats.due("refused") and not repeats.again and repeats.told() == ""
    assert not repeats.due("refused") and not repeats.due("refused")
    assert repeats.due("HTTP 401")
    clock.now += 0.5
    assert not repeats.due("HTTP 401")
    clock.now += 0.5
    assert repeats.due("HTTP 401") and repeats.again and repeats.told() == " (1 more since)"
    assert repeats.clear() and not repeats.clear()
    assert repeats.due("HTTP 401")


def test_urls_lose_their_secrets_and_keep_where_they_point():
    assert without_secret("redis://:s3cret@10.0.0.5:6380/2") == "redis://10.0.0.5:6380/2"
    assert without_secret("redis://user:s3cret@db/0") == "redis://db/0"
    assert without_secret("http://127.0.0.1:8088") == "http://127.0.0.1:8088"


def test_a_port_in_use_is_refused_before_anything_else():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        with pytest.raises(OSError):
            listen("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()


def test_metrics_say_version_role_readiness_and_every_route_from_the_start():
    text = metrics.render(seats_by_activity=Counter(), waiting=0, open_callbacks=None,
                          sla=Counter(), connections={"redis": False},
                          routes=Counter({"queue": 0, "callback": 2}), version="9.9",
                          leader=False, ready=False, overdue_callbacks=None)
    lines = {k: float(v) for k, v in (line.rsplit(" ", 1) for line in text.splitlines()
                                       if line and not line.startswith("#"))}
    assert lines['datadesk_build_info{version="9.9"}'] == 1
    assert lines['datadesk_role{role="leader"}'] == 0
    assert lines['datadesk_role{role="standby"}'] == 1
    assert lines["datadesk_ready"] == 0
    assert lines['datadesk_routes_total{route="queue"}'] == 0
    assert "datadesk_callbacks_overdue" not in lines  # Redis away: no wrong zero


def test_docker_checks_readiness_not_mere_liveness():
    import yaml
    dockerfile = (DOCKER / "Dockerfile.controller").read_text()
    check = next(line for line in dockerfile.splitlines() if line.startswith("HEALTHCHECK"))
    # wait-ready polls /readyz at the settings' address (test_cli.py proves
    # it); neither file writes a port of its own.
    assert '"datadesk", "wait-ready"' in check and "8680" not in check
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    test = compose["services"]["controller"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "datadesk", "wait-ready"] and "8680" not in " ".join(test)


def test_an_unusable_redis_url_stops_the_start_in_one_line(tmp_path):
    import subprocess
    import sys
    config = tmp_path / "datadesk.toml"
    config.write_text('[redis]\nurl = "http://127.0.0.1:6379"\n[http]\nport = 0\n')
    result = subprocess.run([sys.executable, "-m", "ari_app", "--config", str(config), "run"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in lines[0]
    assert "cannot use the settings" in lines[0] and "Redis URL" in lines[0]
