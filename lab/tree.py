"""The Debian-unstable tree that carries Asterisk 22.

This Debian has no Asterisk package; Debian unstable has the current LTS. The
tree is built once with debootstrap and kept in a cache directory outside the
repository (``DATADESK_TREE``, default ``/var/cache/datadesk/asterisk-sid``).
A tree is used only when its ready-stamp names the packages we need, so a half
built tree (interrupted run) is rebuilt, never used.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

from .progress import step

PACKAGES = ("asterisk", "asterisk-modules", "asterisk-config",
            "asterisk-core-sounds-en-gsm", "asterisk-moh-opsound-gsm")
STAMP = ".datadesk-tree-ready"
DEFAULT_TREE = Path("/var/cache/datadesk/asterisk-sid")


class TreeError(RuntimeError):
    """The tree cannot be built or used (not root, no debootstrap, no network)."""


def tree_path() -> Path:
    return Path(os.environ.get("DATADESK_TREE", str(DEFAULT_TREE)))


def _run(cmd: list[str], log: Path) -> None:
    with log.open("ab") as out:
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise TreeError(f"{' '.join(cmd)} failed ({done.returncode}); see {log}:\n"
                        + "\n".join(tail))


def _ready(root: Path) -> bool:
    stamp = root / STAMP
    return stamp.is_file() and stamp.read_text().split() == list(PACKAGES)


def _is_mountpoint(path: Path) -> bool:
    target = str(path.resolve())
    with open("/proc/self/mountinfo") as info:
        return any(line.split()[4] == target for line in info)


def ensure_tree() -> Path:
    """Return a ready tree, building it first if needed (needs root).

    Build takes about half a minute with a warm package mirror.
    """
    root = tree_path()
    if _ready(root):
        _name_this_host(root)
        return root
    if os.geteuid() != 0:
        raise TreeError("building the Asterisk tree needs root (debootstrap, chroot)")
    if shutil.which("debootstrap") is None:
        raise TreeError("debootstrap is missing: apt-get install -y debootstrap")
    building = root.with_name(root.name + ".building")
    log = root.with_name(root.name + ".build.log")
    building.parent.mkdir(parents=True, exist_ok=True)
    proc = building / "proc"
    if building.exists():
        if _is_mountpoint(proc):
            subprocess.run(["umount", "-l", str(proc)], check=False)
        shutil.rmtree(building)
    log.write_text("")
    with step(f"building the Asterisk tree in {root} (debootstrap sid)"):
        _run(["debootstrap", "--variant=minbase", "sid", str(building)], log)
        subprocess.run(["mount", "-t", "proc", "proc", str(proc)], check=True)
        try:
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            with log.open("ab") as out:
                done = subprocess.run(
                    ["chroot", str(building), "apt-get", "install", "-y",
                     "--no-install-recommends", *PACKAGES],
                    stdout=out, stderr=subprocess.STDOUT, env=env)
            if done.returncode != 0:
                raise TreeError(f"apt-get install in the tree failed; see {log}")
        finally:
            subprocess.run(["umount", str(proc)], check=False)
        (building / STAMP).write_text(" ".join(PACKAGES) + "\n")
    if root.exists():
        shutil.rmtree(root)
    building.rename(root)
    _name_this_host(root)
    return root


def _name_this_host(root: Path) -> None:
    """Give the tree an /etc/hosts that names this host.

    debootstrap leaves none. Asterisk resolves the host's own name to guess
    its address for every new RTP session; without an entry each lookup goes
    to DNS, and where DNS drops concurrent queries a burst of calls stalls
    five seconds at a time (the resolver's timeout).
    """
    hosts = root / "etc" / "hosts"
    name = socket.gethostname()
    wanted = f"127.0.0.1\tlocalhost\n127.0.1.1\t{name}\n::1\tlocalhost ip6-localhost\n"
    try:
        if not hosts.is_file() or hosts.read_text() != wanted:
            # Whole or not at all: an Asterisk of another lab starting now
            # must never read a half-written file.
            partial = hosts.with_name(f"hosts.{os.getpid()}")
            partial.write_text(wanted)
            partial.replace(hosts)
    except OSError:  # a read-only tree: lookups just take the slow way
        pass


def main() -> None:
    """``python -m lab.tree``: build the tree now (or say it is ready)."""
    root = ensure_tree()
    print(f"[lab] Asterisk tree ready in {root}")


if __name__ == "__main__":
    main()
