"""docker/compose.yaml built and run with podman: Redis, the PBX and the
controller in containers on the host's network, the operator's own files
mounted as docs/operations.md says, and real calls from the lab's phones."""

from __future__ import annotations

import time

import pytest_asyncio

from lab.compose import IMAGES, Built

from tests.compose.conftest import deployed
from tests.compose.flows import (callback_captured_stored_dialled, down_leaves_only_its_volumes,
                                 http_faces, transfer_bridged)


@pytest_asyncio.fixture(scope="module")
async def lab(podman, built):
    async for lab in deployed(podman, "plain", sentinel=False):
        yield lab


async def test_the_images_build_from_local_bases_and_every_service_turns_healthy(
        lab, built: Built, report):
    report("built in " + ", ".join(f"{k} {v:.1f} s" for k, v in built.seconds.items())
           + "; sizes " + ", ".join(f"{k} {v:.0f} MB" for k, v in built.size_mb.items()))
    report(f"every health check passed {lab.healthy_after:.1f} s after `up` returned")
    states = {s: await lab.deployment.health(s) for s in lab.deployment.services}
    assert states == {"asterisk": "healthy", "controller": "healthy", "redis": "healthy"}
    # The containers run the images just built, as their own users.
    for service, user in (("asterisk", "asterisk"), ("controller", "datadesk")):
        info = await lab.deployment.podman.inspect(lab.deployment.container(service))
        assert info["ImageName"] == IMAGES[service]
        top = await lab.deployment.podman.run("top", lab.deployment.container(service),
                                              "user", "comm")
        assert user in top.split(), top


async def test_a_referred_customer_is_bridged_to_a_seat(lab, report):
    transfer, pair = await transfer_bridged(lab, "13800138001")
    report(f"the PBX container's AMI: {transfer.customer_channel} REFERred to 8600, "
           f"DESK_ROUTE={transfer.route}, bridged {pair[0]} <-> {pair[1]}")


async def test_all_seats_paused_the_callback_is_captured_stored_and_dialled_once(lab, report):
    body = await callback_captured_stored_dialled(lab, "13800138002")
    report(f"callback {body['callback']['id']}: captured by the IVR, stored, "
           f"{body['callback']['status']} after {body['callback']['attempts']} attempt(s)")


async def test_readyz_metrics_and_the_wallboard_answer_on_the_loopback_port(lab, report):
    seen = await http_faces(lab)
    assert seen == {"/readyz": 200, "/metrics without a token": 401, "/metrics": 200,
                    "/wallboard": 200, "/api/wallboard": 200}
    report(f"{lab.api.url}: " + ", ".join(f"{k} {v}" for k, v in seen.items()))


async def test_the_controller_stops_on_sigterm_not_by_a_kill(lab, report):
    # `stop` and `down` send SIGTERM and kill only after their timeout; a
    # Python PID 1 would ignore the SIGTERM (hence `init: true`).
    name = lab.deployment.container("controller")
    started = time.monotonic()
    await lab.deployment.podman.run("stop", "--time", "30", name)
    took = time.monotonic() - started
    state = (await lab.deployment.podman.inspect(name))["State"]
    assert state["ExitCode"] == 0, state   # 137 had it been killed
    report(f"the controller stopped on SIGTERM in {took:.1f} s, exit 0")


async def test_down_leaves_no_container_network_or_pod_and_keeps_only_its_volumes(lab, report):
    kept = await down_leaves_only_its_volumes(lab)
    report(f"after down: kept {kept}, nothing else")
