"""Shared fixtures. Tests under tests/integration run against the real stack
(Redis, the PBX from our configs, the phone simulator, the controller) that
the lab starts once per session and stops at the end, also on failure."""

from __future__ import annotations

import asyncio
import time

import pytest
import pytest_asyncio

from lab.stack import SEATS, FRONTLINE, Stack


FIGURES: list[str] = []


@pytest.fixture
def report(request):
    """``report("...")``: a measured figure, shown at the end of the run."""
    def add(text: str) -> None:
        FIGURES.append(f"{request.node.name}: {text}")
        print(text)
    return add


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("figures measured in this run")
        for line in FIGURES:
            terminalreporter.write_line(line)


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.stack)


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
    """The stack, settled, with the controller running. When the test fails,
    the end of the controller's log is printed with the failure."""
    if stack.controller is None or stack.controller.process.returncode is not None:
        await stack.start_controller()
    await _settle(stack)
    await stack.controller.wait_healthy()
    yield stack
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed and stack.controller is not None:
        lines = stack.controller.log.read_text(errors="replace").splitlines()
        print("--- the controller's log, last 40 lines ---", *lines[-40:], sep="\n")
