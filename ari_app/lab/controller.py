"""The controller as a separate process (``python -m ari_app run``), so the
lab can stop it, kill it with SIGKILL and start it again like production."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp

from .ports import free_port
from .progress import step


def settings_toml(*, ami_port: int, ami_secret: str, ari_port: int, ari_password: str,
                  redis_url: str, http_port: int, wrapup: int) -> str:
    q = json.dumps  # TOML basic strings accept JSON string escapes
    return (f"[ami]\nhost = \"127.0.0.1\"\nport = {ami_port}\nusername = \"datadesk\"\n"
            f"secret = {q(ami_secret)}\n\n"
            f"[ari]\nurl = \"http://127.0.0.1:{ari_port}\"\nusername = \"datadesk\"\n"
            f"password = {q(ari_password)}\napp = \"datadesk\"\n\n"
            f"[redis]\nurl = {q(redis_url)}\n\n"
            f"[http]\nhost = \"127.0.0.1\"\nport = {http_port}\n\n"
            f"[desk]\nwrapup = {wrapup}\n")


class ControllerProcess:
    def __init__(self, settings_text: str, http_port: int | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="datadesk-controller-"))
        self.http_port = http_port or free_port()
        self.config = self.dir / "datadesk.toml"
        self.config.write_text(settings_text.replace("@HTTP_PORT@", str(self.http_port)))
        self.log = self.dir / "controller.log"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    async def start(self, *, wait_healthy: bool = True, timeout: float = 30) -> None:
        with step("starting the controller"):
            out = self.log.open("ab")
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "ari_app", "--config", str(self.config), "run",
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=str(Path(__file__).resolve().parents[2]))
            out.close()
            if wait_healthy:
                await asyncio.wait_for(self.wait_healthy(), timeout)

    async def health(self) -> tuple[int, dict]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            async with http.get(self.url + "/healthz") as resp:
                return resp.status, await resp.json()

    async def wait_healthy(self) -> dict:
        while True:
            if self.process is None or self.process.returncode is not None:
                raise RuntimeError(f"controller exited; log:\n{self.tail()}")
            try:
                status, body = await self.health()
                if status == 200:
                    return body
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.1)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(sig)

    async def stop(self) -> None:
        proc = self.process
        if proc is None or proc.returncode is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
