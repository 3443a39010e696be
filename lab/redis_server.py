"""A Redis server of our own on a free loopback port (Debian's redis-server).

It runs with an ACL as production should (``ari_app/store/acl.py``): the
controller's user ``datadesk`` with only what the controller uses, and the
``default`` user, behind a password, as the admin for the lab's own reads
and faults. Both passwords are generated per run; the ACL file (0600) holds
only their SHA-256.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from ari_app.store.acl import CONTROLLER_USER, acl_file
from .ports import free_port
from .process import OwnProcess
from .progress import step


class RedisServer(OwnProcess):
    """``redis-server`` as our child process, with its own directory.

    ``appendonly`` turns the AOF on (``appendfsync everysec`` unless told),
    for tests about durability across a restart.
    """

    def __init__(self, *, appendonly: bool = True, fsync: str = "everysec",
                 extra: tuple[str, ...] = ()) -> None:
        """``extra``: more ``redis-server`` arguments (a replica's ``--replicaof``)."""
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="datadesk-redis-"))
        self.appendonly = appendonly
        self.fsync = fsync
        self.extra = extra
        self.process: asyncio.subprocess.Process | None = None
        self.admin_user = "default"
        self.admin_password = secrets.token_hex(16)
        self.controller_user = CONTROLLER_USER
        self.controller_password = secrets.token_hex(16)
        self.acl = self.dir / "users.acl"
        fd = os.open(self.acl, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(acl_file(self.controller_password, self.admin_password))

    @property
    def url(self) -> str:
        """The admin's URL: for the lab's own reads and the tests (all commands)."""
        return f"redis://{self.admin_user}:{self.admin_password}@127.0.0.1:{self.port}/0"

    @property
    def address(self) -> str:
        """No credentials: the controller logs in with its own user."""
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self, timeout: float = 15) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is missing: apt-get install -y redis-server")
        with step(f"starting Redis on 127.0.0.1:{self.port}"):
            self.process = await asyncio.create_subprocess_exec(
                binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.dir), "--save", "",
                "--appendonly", "yes" if self.appendonly else "no",
                "--appendfsync", self.fsync, "--daemonize", "no",
                # Each callback has a small stream of its events; Redis gives a
                # stream's first node this many bytes however little it holds.
                "--stream-node-max-bytes", "512",
                "--aclfile", str(self.acl),
                "--logfile", str(self.dir / "redis.log"), *self.extra,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True)
            await asyncio.wait_for(self._wait_up(), timeout)

    async def _wait_up(self) -> None:
        while True:
            if self.process is None or self.process.returncode is not None:
                raise RuntimeError(f"redis-server exited; see {self.dir / 'redis.log'}")
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.write(f"AUTH {self.admin_user} {self.admin_password}\r\n"
                             "PING\r\n".encode())
                await writer.drain()
                auth = await asyncio.wait_for(reader.readline(), 2)
                line = await asyncio.wait_for(reader.readline(), 2)
                writer.close()
                if auth.startswith(b"+OK") and line.startswith(b"+PONG"):
                    return
            except OSError:
                pass
            await asyncio.sleep(0.05)
