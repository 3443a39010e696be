"""Redis with Sentinel on loopback: a master, a replica and three sentinels.

The same ACL as the single lab Redis (``lab/redis_server.py``) on both data
servers, with the same passwords: the replica logs in to the master as the
admin (``masteruser``/``masterauth``), and so does the master once Sentinel
has turned it into a replica. The sentinels log in to the data servers and
to each other as the admin too, and the controller's user on a sentinel may
only ask where the master is (``ari_app/store/acl.py``). Failures are quick
on purpose: a master is down after 1 s without an answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis.asyncio as redis
from redis.asyncio.sentinel import Sentinel

from ari_app.store.acl import CONTROLLER_USER, acl_file, sentinel_rules
from .ports import free_port
from .progress import step
from .redis_server import RedisServer

MASTER_NAME = "datadesk"
DOWN_AFTER_MS = 1000


def _sentinel_conf(port: int, where: Path, master_port: int, admin: str, controller: str
                   ) -> str:
    digest = hashlib.sha256(admin.encode()).hexdigest()
    return "\n".join([
        f"port {port}", "bind 127.0.0.1", "daemonize no", f"dir {where}",
        f"logfile {where / 'sentinel.log'}",
        f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master_port} 2",
        f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}",
        f"sentinel failover-timeout {MASTER_NAME} 10000",
        f"sentinel auth-user {MASTER_NAME} default",
        f"sentinel auth-pass {MASTER_NAME} {admin}",
        "sentinel sentinel-user default", f"sentinel sentinel-pass {admin}",
        f"user default on #{digest} ~* &* +@all",
        f"user {CONTROLLER_USER} {sentinel_rules(controller)}", ""])


class SentinelRedis:
    """The five processes, our children; ``master`` and ``replica`` are the
    data servers as started (after a failover their roles are swapped)."""

    def __init__(self) -> None:
        self.master = RedisServer()
        self.replica = RedisServer()
        # One pair of passwords for both data servers and the sentinels.
        self.admin_password = self.replica.admin_password = self.master.admin_password
        self.controller_password = self.master.controller_password
        self.replica.controller_password = self.controller_password
        self.replica.acl.write_text(acl_file(self.controller_password, self.admin_password))
        # A master without a replica refuses writes (NOREPLICAS) instead of
        # running a claim or a create that no replica can confirm.
        self._auth = ("--masteruser", "default", "--masterauth", self.admin_password,
                      "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10")
        self.master.extra = self._auth
        self.replica.extra = self._auth + ("--replicaof", "127.0.0.1", str(self.master.port))
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.sentinels: list[asyncio.subprocess.Process] = []

    @property
    def sentinel_addresses(self) -> list[str]:
        return [f"127.0.0.1:{p}" for p in self.sentinel_ports]

    def servers(self) -> list[RedisServer]:
        return [self.master, self.replica]

    async def start(self, timeout: float = 30) -> None:
        await self.master.start()
        await self.replica.start()
        binary = shutil.which("redis-server")
        assert binary is not None
        for port in self.sentinel_ports:
            where = self.master.dir / f"sentinel-{port}"
            where.mkdir()
            conf = where / "sentinel.conf"  # Sentinel rewrites it: writable, ours
            conf.write_text(_sentinel_conf(port, where, self.master.port, self.admin_password,
                                           self.controller_password))
            os.chmod(conf, 0o600)
            with step(f"starting a Redis sentinel on 127.0.0.1:{port}"):
                self.sentinels.append(await asyncio.create_subprocess_exec(
                    binary, str(conf), "--sentinel", stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    start_new_session=True))
        await asyncio.wait_for(self._settled(), timeout)

    def admin_sentinel(self) -> Sentinel:
        """A Sentinel client logged in as the admin (the lab's own reads)."""
        return Sentinel([("127.0.0.1", p) for p in self.sentinel_ports],
                        sentinel_kwargs={"password": self.admin_password,
                                         "socket_timeout": 1},
                        password=self.admin_password, socket_timeout=1,
                        decode_responses=True)

    async def master_port(self) -> int | None:
        """The master's port as a majority of sentinels see it, or None."""
        seen: dict[int, int] = {}
        for sentinel in self.admin_sentinel().sentinels:
            try:
                addr = await sentinel.sentinel_get_master_addr_by_name(MASTER_NAME)
                if addr:
                    seen[int(addr[1])] = seen.get(int(addr[1]), 0) + 1
            except Exception:  # a sentinel down counts as no answer
                pass
            finally:
                await sentinel.aclose()
        best = max(seen.items(), key=lambda kv: kv[1], default=(None, 0))
        return best[0] if best[1] >= 2 else None

    async def _settled(self) -> None:
        """Every sentinel knows the others and the replica, and the replica is in sync."""
        while True:
            ok = 0
            for sentinel in self.admin_sentinel().sentinels:
                try:
                    state = (await sentinel.sentinel_masters()).get(MASTER_NAME) or {}
                    if state.get("num-other-sentinels") == 2 and \
                            state.get("num-slaves") == 1:
                        ok += 1
                except Exception:
                    pass
                finally:
                    await sentinel.aclose()
            if ok == 3 and await self._replica_in_sync():
                return
            await asyncio.sleep(0.2)

    async def _replica_in_sync(self) -> bool:
        client = redis.Redis.from_url(self.replica.url, decode_responses=True)
        try:
            info = await client.info("replication")
            return info.get("master_link_status") == "up"
        except Exception:
            return False
        finally:
            await client.aclose()

    async def roles(self) -> tuple[RedisServer, RedisServer]:
        """(master, replica) as they are now, the master as a majority of the
        sentinels names it (after a failover the two have swapped)."""
        port = await self.master_port()
        master = next((s for s in self.servers() if s.port == port), None)
        if master is None:
            raise RuntimeError(f"no majority of sentinels names a master (port {port})")
        return master, next(s for s in self.servers() if s is not master)

    async def steady(self, timeout: float = 60) -> None:
        """Until the set is as a test may expect it: one master a majority
        names, both data servers up and the replica in sync with it, every
        sentinel seeing the other two and that replica (a failover left
        behind is over); then the data emptied, on both servers."""
        async def settled() -> None:
            while not await self._steady():
                await asyncio.sleep(0.2)
        await asyncio.wait_for(settled(), timeout)
        master, _ = await self.roles()
        client = redis.Redis.from_url(master.url, decode_responses=True)
        try:
            await client.flushall()
            if await client.wait(1, 5000) < 1:
                raise RuntimeError("the replica did not confirm the flush")
        finally:
            await client.aclose()

    async def _steady(self) -> bool:
        try:
            master, replica = await self.roles()
        except RuntimeError:
            return False
        if any(s.process is None or s.process.returncode is not None for s in self.servers()):
            return False
        client = redis.Redis.from_url(replica.url, decode_responses=True)
        try:
            info = await client.info("replication")
        except Exception:
            return False
        finally:
            await client.aclose()
        if info.get("master_link_status") != "up" or info.get("master_port") != master.port:
            return False
        for sentinel in self.admin_sentinel().sentinels:
            try:
                state = (await sentinel.sentinel_masters()).get(MASTER_NAME) or {}
                replicas = await sentinel.sentinel_slaves(MASTER_NAME)
            except Exception:
                return False
            finally:
                await sentinel.aclose()
            if state.get("port") != master.port or state.get("num-other-sentinels") != 2:
                return False
            flags = set(str(state.get("flags", "")).split(","))
            if flags & {"s_down", "o_down", "failover_in_progress"}:
                return False
            good = [r for r in replicas if r.get("port") == replica.port
                    and r.get("master-port") == master.port
                    and r.get("master-link-status") == "ok"
                    and not (r.get("is_sdown") or r.get("is_disconnected"))]
            if not good:
                return False
        return True

    async def kill_master(self) -> tuple[RedisServer, float]:
        """SIGKILL whichever data server is master now; returns it and when."""
        port = await self.master_port()
        victim = next(s for s in self.servers() if s.port == port)
        victim.kill(signal.SIGKILL)
        return victim, time.monotonic()

    async def wait_failover(self, old_port: int, timeout: float = 60) -> float:
        """Seconds (monotonic) at which a majority named another master."""
        async def promoted() -> float:
            while (await self.master_port()) in (old_port, None):
                await asyncio.sleep(0.05)
            return time.monotonic()
        return await asyncio.wait_for(promoted(), timeout)

    async def restart_as_replica(self, server: RedisServer) -> None:
        """Start a killed server again as the current master's replica (as an
        operator would; left to itself, Sentinel converts a returning old
        master about 10 s after it answers)."""
        master = await self.master_port()
        server.extra = self._auth + ("--replicaof", "127.0.0.1", str(master))
        await server.start()

    async def stop(self) -> None:
        for proc in self.sentinels:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 10)
                except asyncio.TimeoutError:
                    proc.kill()
                    await proc.wait()
        for server in self.servers():
            await server.stop()
            server.remove()
