"""Podman on this host, for the compose test (``make test-compose``).

No image registry is reachable from here, so the images' bases are made
locally: ``debootstrap --variant=minbase`` of a Debian suite, cached as a
tarball beside the Asterisk tree (``/var/cache/datadesk/podman-bases``,
``DATADESK_PODMAN_BASES``), imported with ``podman import``. The shipped
Dockerfiles stay pinned by digest; they are built with ``podman build
--from <local base>``, which replaces only their first ``FROM``.

Everything else podman needs from us lives in the test's own directory
(``work``): a ``containers.conf`` (named by ``CONTAINERS_CONF``) with runc
and the open-file and process limits this host allows (crun fails on hybrid
cgroups, and every runtime on podman's default limits without
CAP_SYS_RESOURCE), and podman's temporary files (``TMPDIR``). Images,
containers and volumes are in podman's own storage.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import subprocess
import time
from pathlib import Path

from .progress import step

BASES = Path(os.environ.get("DATADESK_PODMAN_BASES", "/var/cache/datadesk/podman-bases"))
BASE_REPO = "localhost/datadesk-base"
# What Debian's slim images leave out (their dpkg path-exclude, and no apt
# lists or downloaded packages): the local bases are then about their size.
_SLIM_DPKG = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
"""
_SLIM_EXCLUDE = ("./usr/share/doc/*/[!c]*", "./usr/share/man/*", "./usr/share/info/*",
                 "./usr/share/locale/*", "./var/cache/apt/*.bin", "./var/cache/apt/archives/*.deb",
                 "./var/lib/apt/lists/*")


HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class PodmanError(RuntimeError):
    """A podman command failed; the message ends with its output."""


def containers_conf() -> str:
    """runc, and limits no higher than this process's hard limits."""
    def limit(which: int) -> int:
        hard = resource.getrlimit(which)[1]
        return 20000 if hard == resource.RLIM_INFINITY else min(20000, hard)
    nofile, nproc = limit(resource.RLIMIT_NOFILE), limit(resource.RLIMIT_NPROC)
    return ("[containers]\n"
            f'default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]\n'
            "[engine]\n"
            'runtime = "runc"\n')


class Podman:
    """The ``podman`` command with this test's settings."""

    def __init__(self, work: Path) -> None:
        if shutil.which("podman") is None:
            raise PodmanError("podman is missing (make test-compose installs it)")
        self.work = work = work.resolve()
        (work / "tmp").mkdir(parents=True, exist_ok=True)
        self.conf = work / "containers.conf"
        self.conf.write_text(containers_conf())
        self.env = {**os.environ, "CONTAINERS_CONF": str(self.conf),
                    "TMPDIR": str(work / "tmp")}

    async def run(self, *args: str, timeout: float = 120, check: bool = True,
                  stdin: bytes | None = None, log: Path | None = None) -> str:
        """``podman ARGS``; its output (stdout and stderr together)."""
        out = log.open("ab") if log else subprocess.PIPE
        proc = await asyncio.create_subprocess_exec(
            "podman", *args, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL)
        try:
            text, _ = await asyncio.wait_for(proc.communicate(stdin), timeout)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            raise PodmanError(f"podman {' '.join(args)}: no answer in {timeout} s") from None
        finally:
            if log:
                out.close()
        output = (text or b"").decode(errors="replace") if not log else \
            "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        if check and proc.returncode != 0:
            raise PodmanError(f"podman {' '.join(args)} failed ({proc.returncode}):\n{output}")
        return output

    async def exists(self, image: str) -> bool:
        return await self.rc("image", "exists", image) == 0

    async def rc(self, *args: str) -> int:
        """``podman ARGS``' exit status alone (its output discarded)."""
        proc = await asyncio.create_subprocess_exec(
            "podman", *args, env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        return await proc.wait()

    async def size_mb(self, image: str) -> float:
        out = await self.run("image", "inspect", "--format", "{{.Size}}", image)
        return int(out.strip()) / 1e6

    async def build(self, tag: str, dockerfile: Path, context: Path, *,
                    base: str | None = None, host_ca: bool = False, log: Path) -> float:
        """Build ``tag``; ``base`` replaces the file's first FROM. Seconds taken.

        ``host_ca``: the build's RUN steps see this host's CA bundle at the
        system bundle's path, for a host whose way out re-signs TLS (then
        pip in the build trusts what pip on the host trusts); the image is
        unchanged by it.
        """
        started = time.monotonic()
        # The RUN steps on the host's network, as the deployment itself: the
        # way out of podman's own network (CNI or netavark, by what else is
        # installed) need not work on a test host, and here it once did not.
        args = ["build", "--layers", "--network", "host", "--tag", tag, "--file",
                str(dockerfile)]
        if base:
            args += ["--from", base]
        if host_ca and HOST_CA.is_file():
            args += ["--volume", f"{HOST_CA}:{HOST_CA}:ro"]
        with step(f"building {tag}"):
            await self.run(*args, str(context), timeout=1800, log=log)
        return time.monotonic() - started

    async def inspect(self, name: str) -> dict:
        return json.loads(await self.run("inspect", name))[0]

    async def by_label(self, kind: str, label: str) -> list[str]:
        """Names of containers, volumes or networks that carry ``label``."""
        fmt = {"container": "{{.Names}}", "volume": "{{.Name}}", "network": "{{.Name}}"}[kind]
        cmd = ["ps", "-a"] if kind == "container" else [kind, "ls"]
        out = await self.run(*cmd, "--filter", f"label={label}", "--format", fmt)
        return sorted(line for line in out.split() if line)


    async def volumes(self) -> list[str]:
        """Every volume podman has, named or anonymous."""
        return (await self.run("volume", "ls", "--quiet")).split()


def base_tarball(suite: str) -> Path:
    """A minbase Debian ``suite`` as a tarball, made once (needs root)."""
    tar = BASES / f"{suite}.tar"
    if tar.is_file():
        return tar
    if os.geteuid() != 0 or shutil.which("debootstrap") is None:
        raise PodmanError(f"{tar} is missing, and making it needs root and debootstrap")
    BASES.mkdir(parents=True, exist_ok=True)
    root, log = BASES / f"{suite}.building", BASES / f"{suite}.build.log"
    shutil.rmtree(root, ignore_errors=True)
    with step(f"making the {suite} base (debootstrap --variant=minbase) in {BASES}"):
        with log.open("wb") as out:
            done = subprocess.run(["debootstrap", "--variant=minbase", suite, str(root)],
                                  stdout=out, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise PodmanError(f"debootstrap {suite} failed; see {log}")
        (root / "etc/dpkg/dpkg.cfg.d/slim").write_text(_SLIM_DPKG)
        # The mirror reachable here can serve a sid Release past its
        # Valid-Until date; debootstrap does not check it, apt-get update does.
        (root / "etc/apt/apt.conf.d/99datadesk-mirror").write_text(
            'Acquire::Check-Valid-Until "false";\n')
        part = tar.with_suffix(".tar.part")
        excludes = [f"--exclude={pattern}" for pattern in _SLIM_EXCLUDE]
        subprocess.run(["tar", "-C", str(root), *excludes, "-cf", str(part), "."], check=True)
        part.rename(tar)
        shutil.rmtree(root)
    return tar


async def base_image(podman: Podman, suite: str) -> str:
    """``localhost/datadesk-base/debian:<suite>``, imported if podman lacks it."""
    image = f"{BASE_REPO}/debian:{suite}"
    if not await podman.exists(image):
        tar = await asyncio.to_thread(base_tarball, suite)
        with step(f"importing {image}"):
            await podman.run("import", "--change", f"ENV PATH={_PATH}", "--change",
                             'CMD ["bash"]', str(tar), image, timeout=600)
    return image
