"""Free loopback ports for lab instances."""

from __future__ import annotations

import random
import socket


def _free(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port() -> int:
    """A port free on 127.0.0.1 for both TCP and UDP (SIP uses UDP, AMI TCP)."""
    for _ in range(200):
        port = random.randint(20000, 40000)
        if _free(port):
            return port
    raise RuntimeError("no free loopback port found")


def free_range(size: int = 1000) -> tuple[int, int]:
    """A block of UDP ports for RTP, even-aligned (two a call leg: 500 legs)."""
    for _ in range(50):
        start = random.randrange(40000, 60000 - size, 2)
        if all(_free(p) for p in (start, start + size // 2, start + size - 1)):
            return start, start + size - 1
    raise RuntimeError("no free RTP range found")
