"""The compose deployment (``docker/compose.yaml``, and with
``docker/compose.sentinel.yaml``) under podman, as an operator runs it.

``build_images`` builds the three images from the local bases
(``lab/podman.py``): the shipped Dockerfiles with ``--from`` the local base,
and a stand-in for the pinned Redis image (``tests/compose/bases/``).
``Deployment`` writes the operator's own files into a ``DATADESK_ETC`` of
the test's directory, brings the compose files up with ``podman-compose``
(from a virtual environment of the test's own) and an override that names
only the local images, waits for every health check itself, and takes it all
down again. The compose project is ``datadesk-test``: what it leaves is
found by that label, and never an operator's ``datadesk``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .paths import REPO
from .podman import Podman, PodmanError, base_image
from .progress import step

PROJECT = "datadesk-test"
LABEL = f"io.podman.compose.project={PROJECT}"
DOCKER = REPO / "docker"
STAND_INS = REPO / "tests" / "compose" / "bases"
PODMAN_COMPOSE = "podman-compose==1.6.0"
IMAGES = {"asterisk": "localhost/datadesk-test/asterisk:latest",
          "controller": "localhost/datadesk-test/controller:latest",
          "redis": "localhost/datadesk-base/redis:bookworm"}
PYTHON_BASE = "localhost/datadesk-base/python:bookworm"
# The images' users (docker/Dockerfile.*): the operator's files are theirs.
ASTERISK_UID, CONTROLLER_UID = 5060, 8680
# Every port the deployment binds on loopback (compose files and settings).
PORTS = {"sip": 5060, "sip-tls": 5061, "ami": 5038, "ari": 8088, "api": 8680, "redis": 6379}
SENTINEL_PORTS = {"redis-replica": 6380, "sentinel-1": 26379, "sentinel-2": 26380,
                  "sentinel-3": 26381}


@dataclass
class Built:
    """Seconds each image took to build, and the images' sizes in MB."""
    seconds: dict[str, float] = field(default_factory=dict)
    size_mb: dict[str, float] = field(default_factory=dict)


async def build_images(podman: Podman, logs: Path) -> Built:
    """The asterisk and controller images from the shipped Dockerfiles on
    local bases, and the Redis stand-in; layers are cached between runs.
    Each build's output goes to ``logs/build-<image>.log``."""
    built = Built()
    logs.mkdir(parents=True, exist_ok=True)

    def log(name: str) -> Path:
        path = logs / f"build-{name}.log"
        path.write_text("")
        return path

    started = time.monotonic()
    sid = await base_image(podman, "sid")
    await base_image(podman, "bookworm")
    built.seconds["bases"] = time.monotonic() - started
    built.seconds["redis"] = await podman.build(
        IMAGES["redis"], STAND_INS / "Dockerfile.redis", STAND_INS, log=log("redis"))
    python = await podman.build(PYTHON_BASE, STAND_INS / "Dockerfile.python", STAND_INS,
                                log=log("python"))
    built.seconds["controller"] = python + await podman.build(
        IMAGES["controller"], DOCKER / "Dockerfile.controller", REPO, base=PYTHON_BASE,
        host_ca=True, log=log("controller"))
    built.seconds["asterisk"] = await podman.build(
        IMAGES["asterisk"], DOCKER / "Dockerfile.asterisk", REPO, base=sid, log=log("asterisk"))
    for name, image in IMAGES.items():
        built.size_mb[name] = await podman.size_mb(image)
    return built


@dataclass
class Secrets:
    """The five the compose files require, new for each run."""
    ami: str = field(default_factory=lambda: secrets.token_hex(12))
    ari: str = field(default_factory=lambda: secrets.token_hex(12))
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    redis: str = field(default_factory=lambda: secrets.token_hex(16))
    redis_admin: str = field(default_factory=lambda: secrets.token_hex(16))

    def env(self) -> dict[str, str]:
        return {"DATADESK_AMI_SECRET": self.ami, "DATADESK_ARI_PASSWORD": self.ari,
                "DATADESK_API_TOKENS": f"admin:{self.api_token}",
                "DATADESK_REDIS_PASSWORD": self.redis,
                "DATADESK_REDIS_ADMIN_PASSWORD": self.redis_admin}


def write_owned(path: Path, content: str | bytes, uid: int, mode: int = 0o600) -> None:
    """A file only ``uid`` (a user inside the images) may read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.fchmod(fd, mode)
    os.fchown(fd, uid, uid)
    with os.fdopen(fd, "wb") as out:
        out.write(content.encode() if isinstance(content, str) else content)


def _bindable(port: int) -> bool:
    """Could a server bind ``port`` on loopback, TCP (as servers do, with
    SO_REUSEADDR: a previous run's closed connections do not count) and UDP?"""
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            if kind == socket.SOCK_STREAM:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def ports_in_use(sentinel: bool) -> list[str]:
    """The deployment's fixed ports that something on this host holds."""
    wanted = {**PORTS, **(SENTINEL_PORTS if sentinel else {})}
    return [f"{name} {port}" for name, port in wanted.items() if not _bindable(port)]


class Deployment:
    """One compose project under podman, from ``up`` to nothing left."""

    def __init__(self, podman: Podman, work: Path, *, sentinel: bool) -> None:
        self.podman = podman
        self.work = work
        self.sentinel = sentinel
        self.etc = work / "etc"
        self.keys = Secrets()
        self.log = work / "compose.log"
        self.files = [DOCKER / "compose.yaml"]
        if sentinel:
            self.files.append(DOCKER / "compose.sentinel.yaml")
        self.files.append(work / "images.yaml")
        self.after_down: dict[str, list[str]] | None = None
        self.volumes_before: set[str] = set()

    @property
    def services(self) -> list[str]:
        merged: dict = {}
        for path in self.files[:-1]:
            merged.update(yaml.safe_load(path.read_text())["services"])
        return sorted(merged)

    def container(self, service: str) -> str:
        """The container podman-compose names for ``service``."""
        return f"{PROJECT}_{service}_1"

    async def tool(self) -> Path:
        """podman-compose, in a virtual environment of the test's own."""
        venv = self.podman.work / "venv"
        exe = venv / "bin" / "podman-compose"
        if not exe.exists():
            with step(f"installing {PODMAN_COMPOSE} into {venv}"):
                subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
                subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--no-cache-dir",
                                PODMAN_COMPOSE],
                               check=True)
        return exe

    def write_images_override(self) -> None:
        """Only the images change: the local builds in place of the pinned ones."""
        images = {name: {"image": IMAGES["redis"] if name.startswith(("redis", "sentinel"))
                         else IMAGES[name]} for name in self.services}
        (self.work / "images.yaml").write_text(yaml.safe_dump({"services": images}))

    def env(self) -> dict[str, str]:
        return {**self.podman.env, **self.keys.env(), "DATADESK_ETC": str(self.etc)}

    async def compose(self, *args: str, timeout: float = 300) -> None:
        """``podman-compose -p datadesk-test -f ... ARGS``, logged to compose.log."""
        files = [a for path in self.files for a in ("-f", str(path))]
        with self.log.open("ab") as out:
            out.write(f"\n$ podman-compose {' '.join(args)}\n".encode())
            out.flush()
            proc = await asyncio.create_subprocess_exec(
                str(await self.tool()), "-p", PROJECT, *files, *args, env=self.env(),
                cwd=str(REPO), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL)
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
                raise PodmanError(f"podman-compose {' '.join(args)}: over {timeout} s") from None
        if proc.returncode != 0:
            tail = self.log.read_text(errors="replace").splitlines()[-30:]
            raise PodmanError(f"podman-compose {' '.join(args)} failed ({proc.returncode}):\n"
                              + "\n".join(tail))

    async def up(self) -> None:
        busy = ports_in_use(self.sentinel)
        if busy:
            raise PodmanError(f"the deployment's ports are in use on this host: {busy}")
        # Anonymous volumes carry no project label: told apart by being new.
        self.volumes_before = set(await self.podman.volumes())
        self.write_images_override()
        with step(f"podman-compose up ({', '.join(self.services)})"):
            await self.compose("up", "-d")

    async def health(self, service: str) -> str:
        """``healthy``, ``unhealthy``, ``starting``, or the container's state.

        Runs the container's health check now: podman 4.3 runs them from
        systemd timers, and there is no systemd on such a host.
        """
        name = self.container(service)
        state = (await self.podman.run("inspect", "--format", "{{.State.Status}}", name,
                                       check=False)).strip()
        if state != "running":
            return state or "missing"
        status = await self.podman.rc("healthcheck", "run", name)
        return "healthy" if status == 0 else "unhealthy" if status == 1 else "starting"

    async def wait_healthy(self, timeout: float = 180) -> float:
        """Seconds until every service's health check passes."""
        started = time.monotonic()
        deadline = started + timeout
        while True:
            states = {s: await self.health(s) for s in self.services}
            if all(v == "healthy" for v in states.values()):
                return time.monotonic() - started
            dead = {s: v for s, v in states.items() if v in ("exited", "missing", "stopped")}
            if dead or time.monotonic() > deadline:
                logs = {s: await self.logs(s) for s in (dead or states)}
                raise PodmanError(f"not healthy: {states}\n" + "\n".join(
                    f"--- {s}\n{text}" for s, text in logs.items()))
            await asyncio.sleep(1)

    async def logs(self, service: str, lines: int = 20) -> str:
        return await self.podman.run("logs", "--tail", str(lines), self.container(service),
                                     check=False)

    async def down(self) -> None:
        """``down`` as an operator runs it (volumes kept); what it left is in
        ``after_down``. Then whatever of this project is still there is
        removed: containers, pods, networks, volumes. Once only."""
        if self.after_down is not None:
            return
        try:
            if (self.work / "images.yaml").exists():
                await self.compose("down", "-t", "5", timeout=180)
            self.after_down = await leftovers(self.podman)
            self.after_down["volume"] = await self.new_volumes()
        finally:
            await remove_project(self.podman)
            for name in await self.new_volumes():
                await self.podman.run("volume", "rm", "--force", name, check=False)

    async def new_volumes(self) -> list[str]:
        """Volumes made since ``up``: the project's named ones and any other."""
        return sorted(set(await self.podman.volumes()) - self.volumes_before)

    def declared_volumes(self) -> list[str]:
        """The named volumes of the compose files, as podman names them."""
        names: set[str] = set()
        for path in self.files[:-1]:
            names |= set(yaml.safe_load(path.read_text()).get("volumes") or {})
        return sorted(f"{PROJECT}_{name}" for name in names)


async def leftovers(podman: Podman) -> dict[str, list[str]]:
    """What of the test's project podman still has, by kind."""
    found = {kind: await podman.by_label(kind, LABEL)
             for kind in ("container", "network", "volume")}
    found["pod"] = [name for name in (await podman.run(
        "pod", "ps", "--format", "{{.Name}}")).split() if PROJECT in name]
    return found


async def remove_project(podman: Podman) -> None:
    """Every container, pod, network and volume of the test's project, gone."""
    found = await leftovers(podman)
    for name in found["container"]:
        await podman.run("rm", "--force", "--time", "1", name, check=False)
    for name in found["pod"]:
        await podman.run("pod", "rm", "--force", name, check=False)
    for kind in ("network", "volume"):
        for name in found[kind]:
            await podman.run(kind, "rm", "--force", name, check=False)


def main() -> None:
    """``python -m lab.compose clean``: remove what a killed test run left."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m lab.compose")
    parser.add_argument("action", choices=["clean"])
    parser.parse_args()
    if shutil.which("podman") is None:
        return   # no podman: nothing of ours can be left
    podman = Podman(REPO / "artifacts" / "compose")

    async def clean() -> None:
        left = await leftovers(podman)
        await remove_project(podman)
        if any(left.values()):
            print(f"[lab] removed what a test run had left: {left}")

    asyncio.run(clean())


if __name__ == "__main__":
    main()
