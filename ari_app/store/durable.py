"""Acknowledged means on a replica: the Redis client that waits for one.

Redis replicates asynchronously: a write the master acknowledged and never
shipped is lost when Sentinel promotes a replica. Every write the controller
makes (each Lua script, each counter) is therefore followed by ``WAIT
<replicas> <timeout ms>`` on the same connection (``WAIT`` counts the
replicas that have this connection's writes so far). If fewer replicas
confirm in time, the call raises ``NotDurable``: the API answers 503, the
caller is told the request was not taken, a claim is not dialled, a lease
renewal does not count. The write itself may still reach the replica; every
such operation is safe to see twice (a create finds its callback, a claim's
lease runs out and recovery asks Asterisk).

A Lua script is replicated as its effects, so ``WAIT`` after the script
covers all of them. ``WAIT`` needs ``+wait`` in the controller's ACL
(``store/acl.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as redis
from redis.exceptions import RedisError

# Commands that change data (the controller's own and its scripts'); the
# reads go straight through.
WRITES = frozenset({"EVALSHA", "EVAL", "HINCRBY", "EXPIRE", "SADD", "XADD", "SET", "DEL",
                    "INCR", "HSET", "ZADD", "ZREM", "PEXPIRE"})


class NotDurable(RedisError):
    """The master took the write but too few replicas confirmed it in time."""


@dataclass(frozen=True)
class Replication:
    """How the controller finds the master and when a write counts.

    ``sentinels``: ``(host, port)`` pairs, empty for a plain URL;
    ``master_name``: the name the sentinels monitor; ``replicas``: how many
    must confirm each write (0: none, the master's word is enough);
    ``wait_ms``: how long to wait for them.
    """

    sentinels: tuple[tuple[str, int], ...] = ()
    master_name: str = ""
    replicas: int = 0
    wait_ms: int = 500


def parse_sentinels(entries: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """``"host:port"`` strings as pairs; ValueError naming the bad one."""
    pairs = []
    for entry in entries:
        host, sep, port = entry.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{entry!r} is not host:port")
        pairs.append((host.strip("[]"), int(port)))
    return tuple(pairs)


class DurableRedis(redis.Redis):
    """``redis.asyncio.Redis`` whose writes return once replicas have them.

    ``wait_replicas``/``wait_ms`` are set after construction (the client is
    built by ``from_url`` or by Sentinel's ``master_for``); 0 replicas: a
    plain client.
    """

    wait_replicas = 0
    wait_ms = 500

    async def execute_command(self, *args, **options):
        name = str(args[0]).upper() if args else ""
        if self.wait_replicas <= 0 or name not in WRITES or self.connection is not None:
            return await super().execute_command(*args, **options)
        # The write and its WAIT on one connection, taken from the pool for both.
        pool = self.connection_pool
        conn = await pool.get_connection()
        try:
            result = await self._send_command_parse_response(conn, args[0], *args, **options)
            confirmed = await self._send_command_parse_response(
                conn, "WAIT", "WAIT", self.wait_replicas, self.wait_ms)
        except BaseException:
            await conn.disconnect()  # a half-read reply must not serve the next command
            raise
        finally:
            await pool.release(conn)
        if int(confirmed) < self.wait_replicas:
            raise NotDurable(f"{name}: {confirmed} of {self.wait_replicas} replica(s) "
                             f"confirmed the write within {self.wait_ms} ms")
        return result
