"""One Asterisk instance running inside the Debian-unstable tree.

Each instance gets its own directory in the tree (``srv/datadesk/<name>-*``)
holding etc/, run/, log/, spool/ and lib/, and its own asterisk.conf, so two
instances run side by side. It runs in the foreground as our child process
(``chroot TREE asterisk -f``) and is stopped by its pid.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

from .progress import step

log = logging.getLogger(__name__)

_ASTERISK_CONF = """\
[directories]
astetcdir => {home}/etc
astmoddir => {moddir}
astvarlibdir => {home}/lib
astdbdir => {home}/lib
astkeydir => {home}/lib
astdatadir => /usr/share/asterisk
astagidir => /usr/share/asterisk/agi-bin
astspooldir => {home}/spool
astrundir => {home}/run
astlogdir => {home}/log
astsbindir => /usr/sbin

[options]
live_dangerously = no
transmit_silence = yes
maxload = 0
"""


def write_private(path: Path, content: str) -> None:
    """Write ``content`` readable by its owner only (0600): the lab's config
    files carry AMI/ARI secrets and SIP passwords."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file was already there
    with os.fdopen(fd, "w") as out:
        out.write(content)


class AsteriskError(RuntimeError):
    """The instance failed to start or answer."""


class AsteriskInstance:
    """An Asterisk process with its own configs, started and stopped by us."""

    def __init__(self, tree: Path, name: str, files: dict[str, str]) -> None:
        self.tree = tree
        self.name = name
        self.files = files  # path under etc/ -> content
        self.home = tree / "srv" / "datadesk" / f"{name}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.process: asyncio.subprocess.Process | None = None
        # Nodes that exchange device states need distinct entity IDs (by
        # default every instance on a host takes the same one from its MAC,
        # and a node drops states carrying its own ID as its own echo).
        self.entity_id: str | None = None

    @property
    def inner_home(self) -> str:
        return "/" + str(self.home.relative_to(self.tree))

    @property
    def conf(self) -> str:
        return f"{self.inner_home}/etc/asterisk.conf"

    @property
    def keys_dir(self) -> Path:
        """Its TLS certificates and keys: <astkeydir>/keys, as in production."""
        return self.home / "lib" / "keys"

    @property
    def inner_keys_dir(self) -> str:
        return "/" + str(self.keys_dir.relative_to(self.tree))

    @property
    def log_file(self) -> Path:
        return self.home / "log" / "messages.log"

    def _moddir(self) -> str:
        found = sorted(self.tree.glob("usr/lib/*/asterisk/modules"))
        if not found:
            raise AsteriskError(f"no Asterisk modules in {self.tree}")
        return "/" + str(found[0].relative_to(self.tree))

    def write_files(self) -> None:
        for sub in ("etc", "run", "log", "spool", "lib"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        for rel, content in self.files.items():
            path = self.home / "etc" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            write_private(path, content)
        write_private(self.home / "etc" / "asterisk.conf",
            _ASTERISK_CONF.format(home=self.inner_home, moddir=self._moddir())
            + (f"entityid = {self.entity_id}\n" if self.entity_id else ""))

    async def start(self, timeout: float = 60) -> None:
        """Start the process and wait until Asterisk says it is fully booted."""
        with step(f"starting Asterisk '{self.name}'"):
            if not self.home.exists():
                self.write_files()
            console = (self.home / "log" / "console.log").open("ab")
            self.process = await asyncio.create_subprocess_exec(
                "chroot", str(self.tree), "asterisk", "-C", self.conf, "-f", "-n", "-q",
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                start_new_session=True)
            console.close()
            try:
                await asyncio.wait_for(self._wait_booted(), timeout)
            except (asyncio.TimeoutError, AsteriskError) as exc:
                tail = self.tail()
                await self.stop()
                raise AsteriskError(f"Asterisk '{self.name}' did not boot: {exc}\n{tail}") from exc

    async def _wait_booted(self) -> None:
        while True:
            if self.process is None or self.process.returncode is not None:
                raise AsteriskError("process exited")
            out = await self.rx("core waitfullybooted", timeout=10, check=False)
            if "fully booted" in out.lower():
                return
            await asyncio.sleep(0.1)

    async def rx(self, command: str, *, timeout: float = 10, check: bool = True) -> str:
        """Run one CLI command through the instance's control socket."""
        proc = await asyncio.create_subprocess_exec(
            "chroot", str(self.tree), "asterisk", "-C", self.conf, "-rx", command,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        text = out.decode(errors="replace")
        if check and proc.returncode != 0:
            raise AsteriskError(f"'{command}' on '{self.name}' failed: {text.strip()}")
        return text

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.returncode is None else None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.pid is not None:
            os.kill(self.pid, sig)

    async def stop(self, timeout: float = 10) -> None:
        """Stop the process we started (gracefully, then by signal)."""
        proc = self.process
        if proc is None or proc.returncode is not None:
            return
        try:
            await self.rx("core stop now", timeout=5, check=False)
            await asyncio.wait_for(proc.wait(), timeout)
        except (asyncio.TimeoutError, OSError):
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if proc.returncode is not None:
                    break
                proc.send_signal(sig)
                try:
                    await asyncio.wait_for(proc.wait(), 5)
                except asyncio.TimeoutError:
                    continue

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def tail(self, lines: int = 30) -> str:
        out = []
        for path in (self.home / "log" / "console.log", self.log_file):
            if path.exists():
                out.extend(path.read_text(errors="replace").splitlines()[-lines:])
        return "\n".join(out)

    def remove(self) -> None:
        if self.home.exists():
            shutil.rmtree(self.home, ignore_errors=True)
