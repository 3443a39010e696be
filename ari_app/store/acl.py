"""The controller's Redis ACL: exactly the keys and commands it uses.

Redis is an input the controller trusts (it dials what the store holds), so
no one but the controller and an admin may write it. The controller logs in
as its own user, ``datadesk``: keys ``datadesk:*`` only, no Pub/Sub
channels, and only the commands below: those it sends itself and those its
Lua scripts call (Redis checks a script's commands and keys against the
user who runs it). redis-py's ``CLIENT SETINFO`` on connect is turned off
(``store/connection.py``) rather than allowed. ``FLUSHALL``, ``CONFIG``, ``KEYS``,
``SCRIPT FLUSH``, ``DEBUG``... belong to the admin only.

The admin is the ``default`` user, protected by a password: an
unauthenticated client can do nothing. It is not turned off, because Redis
replays the AOF as the default user and, until the fix of redis/redis
#14541 (Debian's 7.0.15 has the bug), re-checks that user's ACL at each EXEC:
with ``default off`` every transaction in the AOF, which is every Lua
script's writes, is silently dropped at a restart (checked here: the
callbacks were gone).

The same rules are written in ``docker/compose.yaml`` and, for Sentinel, in
``docker/redis-sentinel.sh`` (unit tests check that they match).
"""

from __future__ import annotations

import hashlib

CONTROLLER_USER = "datadesk"
KEY_PATTERN = "datadesk:*"

# Sent by the controller itself (redis-py: health PING, scripts by EVALSHA,
# SCRIPT LOAD when Redis does not know a script yet; WAIT after a write it
# acknowledges, store/durable.py) ...
CLIENT_COMMANDS = ("ping", "evalsha", "script|load", "get", "hgetall", "hincrby", "expire",
                   "sadd", "wait", "xadd", "xrange", "zcard", "zrange", "zrangebyscore")
# ... and called by its Lua scripts (ari_app/store/*.py).
SCRIPT_COMMANDS = ("del", "exists", "expire", "get", "hget", "hgetall", "hincrby", "hset",
                   "incr", "pexpire", "set", "xadd", "zadd", "zcount", "zmscore", "zpopmin",
                   "zrangebyscore", "zrem")
COMMANDS = tuple(sorted(set(CLIENT_COMMANDS) | set(SCRIPT_COMMANDS)))
# On a Sentinel, the controller only asks where the master is (redis-py's
# discovery reads SENTINEL MASTERS); it may not reset, reconfigure or fail
# over anything.
SENTINEL_COMMANDS = ("ping", "sentinel|get-master-addr-by-name", "sentinel|masters")


def controller_rules(password: str) -> str:
    """The ACL rules of the controller's user, its password given as a hash
    (the file never holds the secret itself)."""
    digest = hashlib.sha256(password.encode()).hexdigest()
    return (f"on #{digest} resetkeys ~{KEY_PATTERN} resetchannels -@all "
            + " ".join(f"+{c}" for c in COMMANDS))


def sentinel_rules(password: str) -> str:
    """The controller's user on a Sentinel (``user`` line of sentinel.conf):
    discovery only."""
    digest = hashlib.sha256(password.encode()).hexdigest()
    return f"on #{digest} -@all " + " ".join(f"+{c}" for c in SENTINEL_COMMANDS)


def acl_file(controller_password: str, admin_password: str) -> str:
    """An ACL file (``aclfile``): the controller's user, and the ``default``
    user as the admin, behind ``admin_password``."""
    for secret in (controller_password, admin_password):
        if not secret or any(c.isspace() for c in secret):
            raise ValueError("Redis passwords must be non-empty and without spaces")
    admin = hashlib.sha256(admin_password.encode()).hexdigest()
    return (f"user default on #{admin} ~* &* +@all\n"
            f"user {CONTROLLER_USER} {controller_rules(controller_password)}\n")
