"""The lab's ports: labs in different slots (one per pytest-xdist worker)
draw from bands that never overlap; within one process no port is handed
out twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab import ports


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_the_slots_split_each_range_into_bands_that_never_overlap(monkeypatch, count):
    bands = []
    for index in range(count):
        monkeypatch.setenv(ports.SLOT_VARIABLE, f"{index}/{count}")
        bands.append((ports.band(ports.SERVICE_PORTS), ports.band(ports.RTP_PORTS)))
    for kind, bounds in ((0, ports.SERVICE_PORTS), (1, ports.RTP_PORTS)):
        spans = sorted(b[kind] for b in bands)
        assert spans[0][0] >= bounds[0] and spans[-1][1] <= bounds[1]
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_without_a_slot_the_whole_range_is_used(monkeypatch):
    monkeypatch.delenv(ports.SLOT_VARIABLE, raising=False)
    assert ports.band(ports.SERVICE_PORTS) == ports.SERVICE_PORTS


def test_ports_and_rtp_blocks_come_from_the_slots_band(monkeypatch):
    monkeypatch.setenv(ports.SLOT_VARIABLE, "1/3")
    low, high = ports.band(ports.SERVICE_PORTS)
    drawn = [ports.free_port() for _ in range(50)]
    assert all(low <= p < high for p in drawn) and len(set(drawn)) == len(drawn)
    rtp_low, rtp_high = ports.band(ports.RTP_PORTS)
    for _ in range(10):
        first, last = ports.free_range()
        assert rtp_low <= first < last < rtp_high and first % 2 == 0
        # Ten blocks fit in the band: a worker's stack and a cluster beside it.
        assert 10 * (last - first + 1) <= rtp_high - rtp_low


@pytest.mark.parametrize("text", ["2", "2/2", "-1/2", "a/b"])
def test_a_bad_slot_is_refused_with_the_variable_named(monkeypatch, text):
    monkeypatch.setenv(ports.SLOT_VARIABLE, text)
    with pytest.raises(ValueError, match=ports.SLOT_VARIABLE):
        ports.band(ports.SERVICE_PORTS)


def test_server_ports_are_outside_the_kernels_ephemeral_range():
    """A controller restarted on its port must find it free: a port in the
    ephemeral range can meanwhile be any outgoing connection's local port."""
    table = Path("/proc/sys/net/ipv4/ip_local_port_range")
    if not table.exists():
        pytest.skip("no /proc ephemeral port range here")
    first, last = (int(p) for p in table.read_text().split())
    low, high = ports.SERVICE_PORTS
    assert high <= first or low > last, (ports.SERVICE_PORTS, first, last)
