"""The controller as a separate process (``python -m ari_app run``), so the
lab can stop it, kill it with SIGKILL and start it again like production."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp

from ari_app.roles import bare_token

from .configs import LAB_SERVICE_LEVEL
from .paths import REPO
from .asterisk import write_private
from .ports import free_port
from .process import OwnProcess
from .progress import step

# The lab's specialist token belongs to seat 8601 (a specialist's token names its seat).
TOKEN_NAMES = {"specialist": "/8601"}


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # TOML basic strings accept JSON string escapes
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def to_toml(sections: dict[str, dict[str, object]]) -> str:
    return "\n".join(f"[{name}]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in body.items())
                     for name, body in sections.items())


def lab_settings(*, ami_port: int, ami_secret: str, ari_port: int, ari_password: str,
                 redis_url: str, wrapup: int, api_token: str,
                 redis_user: str = "", redis_password: str = "",
                 role_tokens: dict[str, str] | None = None,
                 overrides: dict[str, dict[str, object]] | None = None) -> dict:
    """Controller settings for the lab, as sections. The desk is open round
    the clock (tests run at any hour); ``api_token`` is the admin's (the
    first: the lab's own requests use it), ``role_tokens`` one per other
    role; ``overrides`` replace single keys."""
    sections: dict[str, dict[str, object]] = {
        "ami": {"host": "127.0.0.1", "port": ami_port, "username": "datadesk",
                "secret": ami_secret},
        "ari": {"url": f"http://127.0.0.1:{ari_port}", "username": "datadesk",
                "password": ari_password, "app": "datadesk"},
        "redis": {"url": redis_url, "username": redis_user, "password": redis_password},
        "http": {"host": "127.0.0.1", "port": 0, "tokens": [f"admin:{api_token}"] + [
            f"{role}{TOKEN_NAMES.get(role, '')}:{token}"
            for role, token in (role_tokens or {}).items()]},
        "desk": {"wrapup": wrapup, "queue_wait": 30, "service_level": LAB_SERVICE_LEVEL},
        "calendar": {"hours": "00:00-24:00"},
        # Short waits so retries and recoveries fit in a test run. No slot is
        # offered at capture unless a test asks (slots_offered): a caller
        # still choosing one would be busy to the callback the test awaits.
        "callbacks": {"backoff": [2, 2, 2], "seat_retry": 2, "seat_wait": 10,
                      "customer_ring": 8, "lease": 20, "slots_offered": 0},
    }
    for name, body in (overrides or {}).items():
        sections.setdefault(name, {}).update(body)
    return sections


class ControllerHttp:
    """A running controller's HTTP API at ``url``, with the lab's token."""

    url: str
    headers: dict[str, str]

    async def health(self) -> tuple[int, dict]:
        """``/readyz``: 200 when ready in its role (the body says which)."""
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            async with http.get(self.url + "/readyz") as resp:
                return resp.status, await resp.json()

    async def get(self, path: str) -> dict:
        return json.loads(await self.text(path))

    async def text(self, path: str) -> str:
        """A page or a CSV, as text (a refusal raises)."""
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5),
                                         headers=self.headers) as http:
            async with http.get(self.url + path) as resp:
                resp.raise_for_status()
                return await resp.text()

    async def request(self, method: str, path: str, body: object = None,
                      raw: bytes | None = None, *, token: str | None = None) -> tuple[int, dict]:
        """One API call with the lab's token (``token=""`` sends none)."""
        headers = self.headers if token is None else (
            {"Authorization": f"Bearer {token}"} if token else {})
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5),
                                         headers=headers) as http:
            async with http.request(method, self.url + path, json=body if raw is None else None,
                                    data=raw) as resp:
                return resp.status, await resp.json(content_type=None)


class ControllerProcess(OwnProcess, ControllerHttp):
    def __init__(self, sections: dict[str, dict[str, object]],
                 http_port: int | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="datadesk-controller-"))
        self.http_port = http_port or free_port()
        self.config = self.dir / "datadesk.toml"
        self.configure(sections)
        self.log = self.dir / "controller.log"
        self.process: asyncio.subprocess.Process | None = None

    def configure(self, sections: dict[str, dict[str, object]]) -> None:
        """Write the settings the next start uses (the HTTP port is ours)."""
        sections = {**sections, "http": {**sections.get("http", {}), "port": self.http_port}}
        tokens = sections["http"].get("tokens") or [""]
        self.headers = {"Authorization": f"Bearer {bare_token(tokens[0])}"}
        write_private(self.config, to_toml(sections))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    async def start(self, *, wait_healthy: bool = True, timeout: float = 30,
                    role: str = "leader") -> None:
        with step("starting the controller"):
            out = self.log.open("ab")
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "ari_app", "--config", str(self.config), "run",
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=str(REPO))
            out.close()
            if wait_healthy:
                await asyncio.wait_for(self.wait_healthy(role), timeout)

    async def wait_healthy(self, role: str = "leader") -> dict:
        """Wait until ready in ``role``: a leader holds the ARI application, a
        standby has AMI in sync and Redis reachable while another replica leads."""
        while True:
            if self.process is None or self.process.returncode is not None:
                raise RuntimeError(f"controller exited; log:\n{self.tail()}")
            try:
                status, body = await self.health()
                if status == 200 and body.get("role") == role and (
                        role == "standby" or body.get("ari") == "connected"):
                    return body
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.1)

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
