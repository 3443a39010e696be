"""Shared fixtures. Tests under tests/integration run against the real stack
(Redis, the PBX from our configs, the phone simulator, the controller) that
the lab starts once per session and stops at the end, also on failure. With
pytest-xdist (``make test``) that is once per worker: each worker has a
stack of its own, on ports of its own."""

from __future__ import annotations

import asyncio
import os
import time
from collections import defaultdict

import pytest
import pytest_asyncio

from lab.ports import SLOT_VARIABLE
from lab.stack import SEATS, FRONTLINE, Stack

# Figures and time per file, gathered from the reports: with pytest-xdist
# the tests run in worker processes and only their reports reach the
# process that prints the summary.
FIGURE = "figure"
FIGURES: list[str] = []
FILE_SECONDS: dict[str, float] = defaultdict(float)


def pytest_configure(config):
    """Under pytest-xdist each worker runs its own lab stack: its ports come
    from a band of its own (``lab/ports.py``), also for the demos and
    clusters its tests start, which inherit the variable."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = os.environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    if worker.startswith("gw") and count and SLOT_VARIABLE not in os.environ:
        os.environ[SLOT_VARIABLE] = f"{int(worker[2:]) % int(count)}/{count}"


@pytest.fixture
def report(request):
    """``report("...")``: a measured figure, shown at the end of the run
    under "figures measured in this run" (also from xdist workers)."""
    def add(text: str) -> None:
        request.node.user_properties.append((FIGURE, f"{request.node.name}: {text}"))
        print(text)
    return add


def pytest_runtest_logreport(report):
    FILE_SECONDS[report.nodeid.split("::", 1)[0]] += report.duration
    if report.when == "teardown":   # the last report of a test carries all it added
        FIGURES.extend(text for key, text in report.user_properties if key == FIGURE)


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("figures measured in this run")
        for line in FIGURES:
            terminalreporter.write_line(line)
    integration = {path: s for path, s in FILE_SECONDS.items() if "/integration/" in path}
    if integration:
        terminalreporter.section("integration test files by time (setup, call, teardown)")
        for path, seconds in sorted(integration.items(), key=lambda kv: -kv[1]):
            terminalreporter.write_line(f"{seconds:8.1f} s  {path}")


# Integration files whose tests take tens of seconds each (real audio, a
# stack or a Sentinel set of their own, a soak): they start first, so that
# with several workers the short tests fill in around them instead of one
# worker running a long test alone at the end.
SLOW_FIRST = ("test_soak.py", "test_language_sip.py", "test_customer_time.py", "test_spool.py",
              "test_callbacks.py", "test_quality.py", "test_faults.py", "test_demo_signals.py",
              "test_demo.py")


def _rank(item: pytest.Item) -> int:
    name = item.path.name
    return SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)


def pytest_collection_modifyitems(items):
    """Stable within each rank, and the same on every xdist worker."""
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.stack)
    items.sort(key=lambda item: _rank(item) if "/integration/" in str(item.fspath)
               else -1)


@pytest_asyncio.fixture(scope="session")
async def stack():
    async with Stack() as lab:
        yield lab


async def _settle(lab: Stack) -> None:
    """Between tests: no calls anywhere, every phone answers normally, every
    seat in the queue unpaused, no callback left to dial."""
    if lab.controller is not None and lab.controller.process.returncode is None:
        await lab.controller.wait_healthy()
        _, body = await lab.controller.request("GET", "/api/callbacks?limit=1000")
        for cb in body["callbacks"]:
            await lab.controller.request("DELETE", f"/api/callbacks/{cb['id']}")
    await lab.phones.hangup_all()
    await lab.probe.hangup_all()
    await lab.phones.reset(*FRONTLINE, *SEATS)
    await lab.probe.pause(SEATS, paused=False, check=False)
    await _phones_reachable(lab)
    deadline = time.monotonic() + 15
    while await lab.probe.channels() or await lab.phones.channels():
        if time.monotonic() > deadline:
            left = [c["Channel"] for c in await lab.probe.channels()]
            left += [c["Channel"] for c in await lab.phones.channels()]
            raise TimeoutError(f"calls left over from the previous test: {left}")
        await asyncio.sleep(0.1)


async def _phones_reachable(lab: Stack, timeout: float = 20) -> None:
    """Every seat and frontline phone reachable in Asterisk's own device state:
    after a PBX restart a phone's old contact can lapse before it registers
    again, so such a phone is told to register now."""
    phones = (*FRONTLINE, *SEATS)
    deadline = time.monotonic() + timeout
    told = False
    while True:
        states = {p: await lab.probe.device_state(f"PJSIP/{p}") for p in phones}
        away = sorted(p for p, state in states.items() if state in ("UNAVAILABLE", "INVALID"))
        if not away:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"phones not reachable before the test: {away}")
        if not told:
            await lab.register_phones()
            told = True
        await asyncio.sleep(0.2)


@pytest_asyncio.fixture
async def controller_stopped(lab: Stack):
    """The stack with the controller stopped (the dialplan on its own); it is
    started again after the test."""
    await lab.controller.stop()
    yield lab
    await lab.start_controller()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest_asyncio.fixture
async def lab(stack: Stack, request):
    """The stack, settled, with the controller running: with the lab's
    settings, or with the overrides a ``controller`` mark on the test (or
    its module) names, e.g. ``@pytest.mark.controller({"desk": {"queue_wait":
    3}})``. The controller is started again only when the settings differ
    from those it runs with, so tests marked alike that run one after the
    other share one process, and a test that changed the settings without
    putting them back leaves the next test its own. When the test fails,
    the end of the controller's log is printed with the failure."""
    marked = request.node.get_closest_marker("controller")
    await stack.use_controller(marked.args[0] if marked else None)
    await _settle(stack)
    await stack.controller.wait_healthy()
    yield stack
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed and stack.controller is not None:
        lines = stack.controller.log.read_text(errors="replace").splitlines()
        print("--- the controller's log, last 40 lines ---", *lines[-40:], sep="\n")
