"""The compose Sentinel set (docker/compose.sentinel.yaml) failing over: the
very script compose runs in each container (docker/redis-sentinel.sh)
starts Debian's redis-server as the two servers and three sentinels, on free
loopback ports in place of the compose file's."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis

from ari_app.store import acl
from tests.unit.test_compose_sentinel import SCRIPT, SECRETS, Rendered, mode, override

# Its tests share one expensive fixture: they run on one pytest-xdist worker.
pytestmark = pytest.mark.xdist_group("compose-sentinel")


# --- the set the script starts, failing over -------------------------------

class RunningSet:
    """The compose file's two servers and three sentinels as our children."""

    def __init__(self, root: Path) -> None:
        self.rendered = Rendered(root)
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> None:
        log = open(self.rendered.root / f"{name}.out", "ab")
        with log:
            self.procs[name] = subprocess.Popen(
                self.rendered.argv(name), env=self.rendered.env(name), stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def healthy(self, name: str) -> bool:
        check = ["sh", str(SCRIPT), f"health-{mode(override()[name])}"]
        return subprocess.run(check, env=self.rendered.env(name), capture_output=True,
                              timeout=15).returncode == 0

    def wait_healthy(self, names: list[str], timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while not all(self.healthy(n) for n in names):
            for n in names:
                assert self.procs[n].poll() is None, \
                    f"{n} exited: {(self.rendered.root / f'{n}.out').read_text()[-2000:]}"
            assert time.monotonic() < end, f"not healthy in {timeout} s: {names}"
            time.sleep(0.5)

    def client(self, port: int, user: str = "default") -> redis.Redis:
        password = SECRETS["DATADESK_REDIS_ADMIN_PASSWORD" if user == "default"
                           else "DATADESK_REDIS_PASSWORD"]
        return redis.Redis(port=port, username=user, password=password, socket_timeout=2,
                           decode_responses=True)

    def master_port(self) -> int | None:
        """The master's port as a majority of the sentinels name it."""
        seen: dict[int, int] = {}
        for compose_port in (26379, 26380, 26381):
            try:
                addr = self.client(self.rendered.port(compose_port)).execute_command(
                    "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "datadesk")
                if addr:
                    seen[int(addr[1])] = seen.get(int(addr[1]), 0) + 1
            except redis.RedisError:
                pass
        best = max(seen.items(), key=lambda kv: kv[1], default=(None, 0))
        return best[0] if best[1] >= 2 else None

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """One set for the module (its start takes seconds): each test reads where
    the master is now rather than assume the first."""
    tmp_path = tmp_path_factory.mktemp("sentinel-set")
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        pytest.skip("needs Debian's redis-server and redis-cli (apt-get install redis-server)")
    the_set = RunningSet(tmp_path)
    try:
        for name in ("redis", "redis-replica"):
            the_set.start(name)
        the_set.wait_healthy(["redis", "redis-replica"])
        for name in ("sentinel-1", "sentinel-2", "sentinel-3"):
            the_set.start(name)
        the_set.wait_healthy(["sentinel-1", "sentinel-2", "sentinel-3"])
        yield the_set
    finally:
        the_set.stop()


def test_the_controllers_user_may_write_and_wait_and_only_discover_on_a_sentinel(running):
    master = running.master_port()
    ctrl = running.client(master, acl.CONTROLLER_USER)
    assert ctrl.set("datadesk:probe", "1") and ctrl.execute_command("WAIT", 1, 2000) == 1
    with pytest.raises(redis.exceptions.NoPermissionError):
        ctrl.flushall()
    sentinel = running.client(running.rendered.port(26380), acl.CONTROLLER_USER)
    assert sentinel.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "datadesk") == \
        ["127.0.0.1", str(master)]
    with pytest.raises(redis.exceptions.NoPermissionError):
        sentinel.execute_command("SENTINEL", "FAILOVER", "datadesk")


def test_the_master_killed_the_sentinels_promote_the_replica_and_it_rejoins_as_replica(
        running, report):
    first, second = running.rendered.port(6379), running.rendered.port(6380)
    assert running.master_port() == first
    ctrl = running.client(first, acl.CONTROLLER_USER)
    ctrl.set("datadesk:acknowledged", "before the failover")
    assert ctrl.execute_command("WAIT", 1, 2000) == 1   # on the replica: acknowledged
    running.procs["redis"].send_signal(signal.SIGKILL)
    running.procs["redis"].wait()
    killed = time.monotonic()
    while running.master_port() != second:
        assert time.monotonic() < killed + 60, "no failover within 60 s"
        time.sleep(0.2)
    report(f"master SIGKILLed -> a majority of sentinels name the replica: "
           f"{time.monotonic() - killed:.1f} s (down-after-milliseconds "
           f"{override()['sentinel-1']['environment']['DATADESK_SENTINEL_DOWN_AFTER_MS']})")
    assert running.client(second).execute_command("ROLE")[0] == "master"
    assert running.client(second).get("datadesk:acknowledged") == "before the failover"
    # Restarted as compose restarts it, the old master asks the sentinels
    # and comes back as the new master's replica, not as a second master.
    running.start("redis")
    running.wait_healthy(["redis"])
    info = running.client(first).info("replication")
    assert info["role"] == "slave" and info["master_port"] == second
    assert info["master_link_status"] == "up"
    assert running.client(first).get("datadesk:acknowledged") == "before the failover"
