"""The compose deployment built and run with podman (``make test-compose``).

Everything is kept in the test's own directory, ``artifacts/compose``
(podman's settings and temporary files, podman-compose's virtual
environment, the operator's files, the logs), and in podman's storage. A
run starts by removing what a killed earlier run of this test left (its own
compose project only), and every container it starts is gone when it ends,
also on failure.
"""

from __future__ import annotations

import pytest
import pytest_asyncio

from lab.compose import Built, Deployment, build_images, remove_project
from lab.compose_lab import ComposeLab
from lab.paths import REPO
from lab.podman import Podman

WORK = REPO / "artifacts" / "compose"


@pytest_asyncio.fixture(scope="session")
async def podman():
    pm = Podman(WORK)
    await remove_project(pm)
    try:
        yield pm
    finally:
        await remove_project(pm)


@pytest_asyncio.fixture(scope="session")
async def built(podman: Podman) -> Built:
    """The three images, built once a run (podman's layer cache makes a
    rebuild of unchanged files take seconds)."""
    built = await build_images(podman, WORK)
    return built


async def deployed(podman: Podman, name: str, *, sentinel: bool):
    """The deployment up and healthy with the phones around it; down on exit."""
    deployment = Deployment(podman, WORK / name, sentinel=sentinel)
    (WORK / name).mkdir(parents=True, exist_ok=True)
    (WORK / name / "compose.log").write_text("")
    async with ComposeLab(deployment) as lab:
        yield lab


@pytest.fixture(scope="session")
def work():
    return WORK
