"""The containers.conf the compose test gives podman (lab/podman.py)."""

from __future__ import annotations

import resource
import tomllib

from lab import podman


def test_runc_and_limits_no_higher_than_this_process_may_set(monkeypatch):
    monkeypatch.setattr(resource, "getrlimit", lambda which: (1024, 4096))
    conf = tomllib.loads(podman.containers_conf())
    assert conf["engine"]["runtime"] == "runc"
    assert conf["containers"]["default_ulimits"] == ["nofile=4096:4096", "nproc=4096:4096"]


def test_limits_stop_at_20000_where_the_host_allows_more(monkeypatch):
    monkeypatch.setattr(resource, "getrlimit", lambda which: (1024, resource.RLIM_INFINITY))
    conf = tomllib.loads(podman.containers_conf())
    assert conf["containers"]["default_ulimits"] == ["nofile=20000:20000", "nproc=20000:20000"]
