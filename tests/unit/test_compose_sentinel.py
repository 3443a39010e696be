"""docker/compose.sentinel.yaml: Redis with Sentinel under compose.

Read statically (the set's shape, the images, the order of start, the
settings file), then the very script compose runs in each container
(docker/redis-sentinel.sh) renders its files, which match the ACL module and
the lab's Sentinel configuration. The image's own entrypoint only drops root
and execs its arguments; a stub that execs them stands in for it. The set
the script starts, failing over, is tests/integration/test_compose_sentinel_set.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ari_app.settings import load_settings
from ari_app.store import acl
from lab.ports import free_port
from lab.sentinel import _sentinel_conf

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
SCRIPT = DOCKER / "redis-sentinel.sh"
PINNED = re.compile(r"[a-z0-9./-]+:[A-Za-z0-9._-]*\d[A-Za-z0-9._-]*@sha256:[0-9a-f]{64}")
SECRETS = {"DATADESK_REDIS_PASSWORD": "c0ffee" * 4, "DATADESK_REDIS_ADMIN_PASSWORD": "beef" * 6}


def override() -> dict:
    return yaml.safe_load((DOCKER / "compose.sentinel.yaml").read_text())["services"]


def base() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())["services"]


def mode(service: dict) -> str | None:
    entry = service.get("entrypoint") or []
    return entry[2] if entry[:2] == ["sh", "/opt/datadesk/redis-sentinel.sh"] else None


def of_mode(name: str) -> dict[str, dict]:
    return {k: s for k, s in override().items() if mode(s) == name}


def sentinel_addresses() -> list[str]:
    return [f"{s['environment']['DATADESK_REDIS_BIND']}:{s['environment']['DATADESK_SENTINEL_PORT']}"
            for s in of_mode("sentinel").values()]


# --- the compose file, read ------------------------------------------------

def test_three_sentinels_with_quorum_two_watch_one_master_and_one_replica():
    sentinels = of_mode("sentinel")
    assert sorted(sentinels) == ["sentinel-1", "sentinel-2", "sentinel-3"]
    assert {s["environment"]["DATADESK_SENTINEL_QUORUM"] for s in sentinels.values()} == {"2"}
    assert len(set(sentinel_addresses())) == 3
    nodes = of_mode("node")
    assert sorted(nodes) == ["redis", "redis-replica"]
    addresses = {k: f"{n['environment']['DATADESK_REDIS_BIND']}:"
                    f"{n['environment']['DATADESK_REDIS_PORT']}" for k, n in nodes.items()}
    firsts = {n["environment"]["DATADESK_REDIS_FIRST_MASTER"] for n in nodes.values()}
    # Both agree on the first master, which is the service "redis" of compose.yaml.
    assert firsts == {addresses["redis"]} and addresses["redis-replica"] != addresses["redis"]
    for s in sentinels.values():
        assert s["environment"]["DATADESK_REDIS_FIRST_MASTER"] == addresses["redis"]
        assert s["environment"]["DATADESK_SENTINELS"].split() == sentinel_addresses()
    for n in nodes.values():
        assert n["environment"]["DATADESK_SENTINELS"].split() == sentinel_addresses()


def test_each_data_server_keeps_an_aof_in_a_volume_of_its_own():
    compose = yaml.safe_load((DOCKER / "compose.sentinel.yaml").read_text())
    data = {}
    for name, node in of_mode("node").items():
        command = node["command"]
        assert command[command.index("--appendonly") + 1] == "yes", name
        assert command[command.index("--dir") + 1] == "/data", name
        data[name] = [v.split(":")[0] for v in node["volumes"]
                      if isinstance(v, str) and v.endswith(":/data")]
    assert data == {"redis": ["redis-data"], "redis-replica": ["redis-replica-data"]}
    # redis-data is compose.yaml's: the single Redis's data becomes the first master's.
    assert "redis-replica-data" in compose["volumes"]
    assert "redis-data" in yaml.safe_load((DOCKER / "compose.yaml").read_text())["volumes"]


def test_every_node_runs_todays_pinned_redis_image_with_a_healthcheck_on_host_network():
    today = base()["redis"]["image"]
    assert PINNED.fullmatch(today)
    for name, service in override().items():
        if name == "controller":
            continue
        assert service["image"] == today, name
        assert service["network_mode"] == "host", name
        assert service["restart"] == "unless-stopped", name
        test = service["healthcheck"]["test"]
        # A string is run by the shell (CMD-SHELL): the same words.
        words = test.split() if isinstance(test, str) else test[1:]
        assert words == ["sh", "/opt/datadesk/redis-sentinel.sh", f"health-{mode(service)}"], name
        if name == "redis":   # replaces compose.yaml's string: not a list (see the file)
            assert isinstance(test, str) and isinstance(base()["redis"]["healthcheck"]["test"], str)


def test_a_sentinel_keeps_no_anonymous_volume_behind():
    # The Redis image declares VOLUME /data: without a mount there, every
    # `up` makes an anonymous volume per sentinel and `down` leaves it.
    for name, sentinel in of_mode("sentinel").items():
        assert sentinel["tmpfs"] == ["/data"], name
    for name, node in of_mode("node").items():
        assert any(isinstance(v, str) and v.endswith(":/data") for v in node["volumes"]), name


def test_the_controller_starts_once_sentinels_and_servers_are_healthy():
    services = override()
    depends = services["controller"]["depends_on"]
    assert set(of_mode("sentinel")) | set(of_mode("node")) == set(depends)
    assert all(d == {"condition": "service_healthy"} for d in depends.values())
    for name, sentinel in of_mode("sentinel").items():
        assert set(sentinel["depends_on"]) == set(of_mode("node")), name
    # Its settings are checked before `datadesk run`, the image's own command.
    assert mode(services["controller"]) == "check-controller"
    assert services["controller"]["command"] == ["datadesk", "run"]


def test_the_script_is_mounted_read_only_from_the_checkout():
    for name, service in override().items():
        mounts = [v for v in service["volumes"] if isinstance(v, dict)]
        assert [(m["source"], m["target"], m["read_only"]) for m in mounts] == \
            [("./redis-sentinel.sh", "/opt/datadesk/redis-sentinel.sh", True)], name
        assert (DOCKER / mounts[0]["source"]).is_file()


def test_the_settings_file_names_exactly_the_sentinels_and_their_master():
    s = load_settings(DOCKER / "datadesk.sentinel.toml", env={}).redis
    assert list(s.sentinels) == sentinel_addresses()
    names = {n["environment"]["DATADESK_REDIS_MASTER_NAME"] for n in override().values()}
    assert names == {s.master_name}
    assert s.wait_replicas == 1 and s.wait_timeout == 500   # as the lab's stack
    assert s.username == acl.CONTROLLER_USER
    ctrl = override()["controller"]["environment"]
    assert ctrl["DATADESK_SENTINELS"].split() == sentinel_addresses()


def _compose_cli() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(
            ["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


def test_docker_compose_merges_the_override_as_intended():
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no docker compose here")
    env = {**os.environ, "DATADESK_AMI_SECRET": "a", "DATADESK_ARI_PASSWORD": "b",
           "DATADESK_API_TOKENS": "c", **SECRETS}
    out = subprocess.run([*cli, "-f", str(DOCKER / "compose.yaml"), "-f",
                          str(DOCKER / "compose.sentinel.yaml"), "config"],
                         env=env, capture_output=True, text=True, check=True).stdout
    services = yaml.safe_load(out)["services"]
    assert services["redis"]["entrypoint"][-1] == "node"
    assert {k for k, d in services["controller"]["depends_on"].items()
            if d["condition"] == "service_healthy"} == set(of_mode("sentinel")) | set(of_mode("node"))
    assert "asterisk" in services["controller"]["depends_on"]
    assert services["controller"]["environment"]["DATADESK_REDIS_PASSWORD"] == \
        SECRETS["DATADESK_REDIS_PASSWORD"]


# --- the script compose runs, here ----------------------------------------

def _stub_entrypoint(where: Path, body: str) -> Path:
    """A directory whose docker-entrypoint.sh runs ``body``."""
    where.mkdir(parents=True, exist_ok=True)
    stub = where / "docker-entrypoint.sh"
    stub.write_text(f"#!/bin/sh\n{body}\n")
    stub.chmod(0o755)
    return where


class Rendered:
    """The compose file's services with free loopback ports for its own."""

    def __init__(self, root: Path) -> None:
        self.root = root
        ports = [6379, 6380, 26379, 26380, 26381]
        self.ports = {p: free_port() for p in ports}
        self.bin = _stub_entrypoint(root / "bin", 'exec "$@"')

    def port(self, compose_port: int) -> int:
        return self.ports[compose_port]

    def _value(self, value: str) -> str:
        value = re.sub(r"\$\{(\w+):\?[^}]*\}", lambda m: SECRETS[m.group(1)], str(value))
        return re.sub(r"\b(6379|6380|26379|26380|26381)\b",
                      lambda m: str(self.ports[int(m.group(1))]), value)

    def env(self, name: str, bin_dir: Path | None = None) -> dict[str, str]:
        service = override()[name]
        tmp = self.root / name
        tmp.mkdir(exist_ok=True)
        path = f"{bin_dir or self.bin}:{Path(sys.executable).parent}:{os.environ['PATH']}"
        return {"PATH": path, "TMPDIR": str(tmp), "HOME": str(tmp),
                **{k: self._value(v) for k, v in service["environment"].items()}}

    def argv(self, name: str) -> list[str]:
        service = override()[name]
        command = [str(self.root / name) if c == "/data" else c
                   for c in service.get("command", [])]
        # Only the files are ours here: no RDB snapshots of the test's data.
        extra = ["--save", "", "--logfile", str(self.root / name / "redis.log")] \
            if mode(service) == "node" else []
        return ["sh", str(SCRIPT), mode(service), *command, *extra]


def _render_only(name: str, tmp_path: Path) -> tuple[Rendered, Path]:
    """Run one service's start with an entrypoint that starts nothing: its files."""
    rendered = Rendered(tmp_path)
    bin_dir = _stub_entrypoint(tmp_path / "nobin", "exit 0")
    subprocess.run(rendered.argv(name), env=rendered.env(name, bin_dir), check=True,
                   capture_output=True, timeout=30)
    return rendered, tmp_path / name


def test_a_data_servers_acl_is_the_acl_modules_file(tmp_path):
    _, files = _render_only("redis", tmp_path)
    acl_file = files / "users.acl"
    assert acl_file.read_text() == acl.acl_file(SECRETS["DATADESK_REDIS_PASSWORD"],
                                                SECRETS["DATADESK_REDIS_ADMIN_PASSWORD"])
    assert acl_file.stat().st_mode & 0o077 == 0


def test_with_no_sentinel_up_the_first_master_is_master_and_the_other_its_replica(tmp_path):
    rendered, files = _render_only("redis", tmp_path)
    conf = (files / "redis.conf").read_text().splitlines()
    assert not [line for line in conf if line.startswith("replicaof")]
    assert {"protected-mode yes", "masteruser default", f"masterauth {SECRETS['DATADESK_REDIS_ADMIN_PASSWORD']}",
            "min-replicas-to-write 1", "min-replicas-max-lag 10"} <= set(conf)
    subprocess.run(rendered.argv("redis-replica"),
                   env=rendered.env("redis-replica", _stub_entrypoint(tmp_path / "nb", "exit 0")),
                   check=True, capture_output=True, timeout=30)
    replica = (tmp_path / "redis-replica" / "redis.conf").read_text().splitlines()
    assert f"replicaof 127.0.0.1 {rendered.port(6379)}" in replica


def test_a_sentinels_file_is_the_labs_with_the_controllers_discovery_user(tmp_path):
    rendered, files = _render_only("sentinel-1", tmp_path)
    conf = (files / "sentinel.conf").read_text().splitlines()
    admin, ctrl = SECRETS["DATADESK_REDIS_ADMIN_PASSWORD"], SECRETS["DATADESK_REDIS_PASSWORD"]
    lab = _sentinel_conf(rendered.port(26379), files, rendered.port(6379), admin, ctrl)
    # The same monitor, logins and users as the lab's tested set; only the
    # timings (and where it logs) are the compose file's own.
    timing = ("sentinel down-after-milliseconds", "logfile", "dir ", "daemonize no",
              "protected-mode yes")   # the lab's defaults, written out for the image
    ours = {line for line in conf if not line.startswith(timing)}
    assert ours == {line for line in lab.splitlines() if line and not line.startswith(timing)}
    assert f"sentinel monitor datadesk 127.0.0.1 {rendered.port(6379)} 2" in conf
    assert "protected-mode yes" in conf and "sentinel down-after-milliseconds datadesk 5000" in conf
    assert f"user {acl.CONTROLLER_USER} {acl.sentinel_rules(ctrl)}" in conf
    assert (files / "sentinel.conf").stat().st_mode & 0o077 == 0


def test_a_password_with_a_space_stops_the_start_with_a_clear_error(tmp_path):
    rendered = Rendered(tmp_path)
    env = {**rendered.env("redis"), "DATADESK_REDIS_PASSWORD": "two words"}
    done = subprocess.run(rendered.argv("redis"), env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode != 0 and "must not contain spaces" in done.stderr
    assert not (tmp_path / "redis" / "users.acl").exists()


@pytest.mark.parametrize("settings, ok", [("docker/datadesk.sentinel.toml", True),
                                          ("datadesk.example.toml", False)])
def test_the_controller_refuses_settings_without_these_sentinels(tmp_path, settings, ok):
    # The compose file's own addresses: the settings file names them.
    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "HOME": str(tmp_path),
           **override()["controller"]["environment"], "DATADESK_CONFIG": str(ROOT / settings),
           **SECRETS}
    done = subprocess.run(["sh", str(SCRIPT), "check-controller", "echo", "started"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode == 0) is ok, done.stderr
    assert ("started" in done.stdout) is ok
    if not ok:
        assert "[redis] needs sentinels" in done.stderr and "datadesk.sentinel.toml" in done.stderr
