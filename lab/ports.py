"""Free loopback ports for lab instances.

Several labs can run on one host at once: the integration tests run one
stack per pytest-xdist worker, and a test may start a demo or a cluster
beside its worker's stack. A port is only checked free here and bound later
by the instance, so two labs drawing from the same range could both take
it in between. ``DATADESK_LAB_SLOT=i/n`` (set per worker by the tests, and
inherited by the processes they start) gives this lab the i-th of n equal
bands of each range, so labs in different slots never draw the same port;
without it the whole range is used. Within one process a port is handed
out once, so two instances started together never get the same one.
"""

from __future__ import annotations

import os
import random
import socket

# Servers (SIP, AMI, HTTP, Redis, relays): below Linux's ephemeral range
# (32768-60999 by default), so that a port a server is restarted on cannot
# meanwhile have been handed to an outgoing connection; and below the compose
# lab's fixed Sentinel ports (26379-26381). RTP blocks (UDP, which outgoing
# TCP connections never take) above them.
SERVICE_PORTS = (10000, 26000)
RTP_PORTS = (40000, 60000)
SLOT_VARIABLE = "DATADESK_LAB_SLOT"
# A slot's RTP band holds at least this many blocks: a worker's stack (two
# blocks) and a three-node cluster beside it (six).
_BLOCKS_A_SLOT = 10

_given: set[int] = set()


def slot() -> tuple[int, int]:
    """(index, count) from ``DATADESK_LAB_SLOT`` ("i/n"); (0, 1) when unset."""
    text = os.environ.get(SLOT_VARIABLE, "").strip()
    if not text:
        return 0, 1
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"{SLOT_VARIABLE}={text!r}: expected i/n, e.g. 0/2") from None
    if not 0 <= index < count:
        raise ValueError(f"{SLOT_VARIABLE}={text!r}: i must be at least 0 and below n")
    return index, count


def band(bounds: tuple[int, int]) -> tuple[int, int]:
    """This lab's share [low, high) of ``bounds`` (all of it without a slot)."""
    index, count = slot()
    low, high = bounds
    width = (high - low) // count
    return low + index * width, low + (index + 1) * width


def _free(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port() -> int:
    """A port free on 127.0.0.1 for both TCP and UDP (SIP uses UDP, AMI TCP),
    in this lab's band, not handed out before by this process."""
    low, high = band(SERVICE_PORTS)
    for _ in range(200):
        port = random.randrange(low, high)
        if port not in _given and _free(port):
            _given.add(port)
            return port
    raise RuntimeError(f"no free loopback port found in {low}-{high - 1}")


def free_range(size: int = 1000) -> tuple[int, int]:
    """A block of UDP ports for RTP, even-aligned (two a call leg: 500 legs
    at the full size); in a slot's band the block is smaller when the band
    would hold fewer than ten (still hundreds of legs)."""
    low, high = band(RTP_PORTS)
    size = min(size, (high - low) // _BLOCKS_A_SLOT // 2 * 2)
    for _ in range(50):
        start = random.randrange(low, high - size, 2)
        if all(_free(p) for p in (start, start + size // 2, start + size - 1)):
            return start, start + size - 1
    raise RuntimeError(f"no free RTP range found in {low}-{high - 1}")
