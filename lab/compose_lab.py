"""The lab's phones around the compose deployment.

The PBX, Redis and the controller are the containers (``lab/compose.py``);
from the host, the phone simulator (a second Asterisk from the lab's tree)
registers its phones to the PBX container, and the lab reads Asterisk's own
state from the container's AMI with a test-only user, as ``Stack`` does for
the PBX it runs itself. The operator's own files are written first, where
the compose file reads them (``DATADESK_ETC``), owned by the images' users.
"""

from __future__ import annotations

import asyncio
import os
import time
import tomllib

from .asterisk import AsteriskInstance
from .compose import (ASTERISK_UID, CONTROLLER_UID, DOCKER, PORTS, Deployment,
                      write_owned)
from .configs import PBX_CERT, SIM_CERT, Ports, Secrets, pbx_files, phonesim_files
from .controller import ControllerHttp, to_toml
from .pki import Issued, install, lab_pki
from .ports import free_port, free_range
from .prompts import ensure_prompts
from .stack import Stack
from .tree import ensure_tree

# The PBX container's Asterisk reads its keys here (docker/compose.yaml).
PBX_KEYS = "/var/lib/asterisk/keys"
# queues.conf in the image: the controller's wrap-up must equal it.
IMAGE_WRAPUP = 15


class Controller(ControllerHttp):
    """The controller container's API on its published loopback port."""

    def __init__(self, port: int, token: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.headers = {"Authorization": f"Bearer {token}"}

    async def wait_leading(self, timeout: float = 60) -> float:
        """Seconds until ``/readyz`` says: the leader, holding the ARI application."""
        started = time.monotonic()
        while True:
            try:
                status, body = await self.health()
                if status == 200 and body.get("role") == "leader" \
                        and body.get("ari") == "connected":
                    return time.monotonic() - started
            except (OSError, asyncio.TimeoutError, ValueError):
                pass
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"the controller is not leading after {timeout} s")
            await asyncio.sleep(0.2)


def controller_settings(sentinel: bool) -> str:
    """The operator's datadesk.toml: no secret in it (they come from the
    environment), the desk open round the clock (tests run at any hour) and
    short waits between callback attempts."""
    redis: dict[str, object] = {"username": "datadesk"}
    if sentinel:
        redis.update(tomllib.loads((DOCKER / "datadesk.sentinel.toml").read_text())["redis"])
    return to_toml({
        "ami": {"host": "127.0.0.1", "port": PORTS["ami"], "username": "datadesk"},
        "ari": {"url": f"http://127.0.0.1:{PORTS['ari']}", "username": "datadesk",
                "app": "datadesk"},
        "redis": redis,
        "http": {"host": "127.0.0.1", "port": PORTS["api"]},
        "desk": {"wrapup": IMAGE_WRAPUP, "queue_wait": 30},
        "calendar": {"hours": "00:00-24:00"},
        "callbacks": {"backoff": [2, 2, 2], "seat_retry": 2, "seat_wait": 10,
                      "customer_ring": 8, "lease": 20},
    })


class ComposeLab(Stack):
    """``async with ComposeLab(deployment) as lab``: the deployment up and
    healthy, the phones registered and the seats logged in; on the way out
    (also on failure) the phones stop and the deployment goes down."""

    def __init__(self, deployment: Deployment) -> None:
        super().__init__(controller=False, relays=False)
        self.deployment = deployment
        self.ports = Ports(pbx_sip=PORTS["sip"], pbx_tls=PORTS["sip-tls"], pbx_ami=PORTS["ami"],
                           pbx_http=PORTS["ari"], pbx_rtp=(10000, 10999),
                           sim_sip=free_port(), sim_tls=free_port(), sim_ami=free_port(),
                           sim_rtp=free_range())
        dk = deployment.keys
        self.keys = Secrets(ami=dk.ami, ari=dk.ari, api_token=dk.api_token)
        self.api = Controller(PORTS["api"], dk.api_token)
        self.healthy_after = 0.0

    async def start(self) -> None:
        tree = await asyncio.to_thread(ensure_tree)
        await asyncio.to_thread(ensure_prompts, tree)
        issued = await asyncio.to_thread(lab_pki, (PBX_CERT, SIM_CERT))
        self.write_site(issued[PBX_CERT])
        self._exit.push_async_callback(self.deployment.down)
        await self.deployment.up()
        self.healthy_after = await self.deployment.wait_healthy()

        self.sim = AsteriskInstance(tree, "phonesim", {})
        self._exit.push_async_callback(self._stop_asterisk, self.sim)
        self.sim.files = phonesim_files(self.ports, self.keys, self.sim.inner_keys_dir)
        self.sim.write_files()
        install(issued[SIM_CERT], self.sim.keys_dir, SIM_CERT)
        await self.sim.start()

        await self.open_probes("lab-pbx-container-ami")
        await self.register_phones()
        await self.log_in_seats()
        self.controller = self.api   # what lab.scenarios reads the board from

    def write_site(self, pbx_cert: Issued) -> None:
        """The operator's own files, as docs/operations.md says: the phones,
        AMI and ARI users (with the secrets compose passes the controller),
        the certificate and key, and datadesk.toml."""
        etc = self.deployment.etc
        etc.mkdir(parents=True, exist_ok=True)
        etc.chmod(0o755)
        pbx = pbx_files(self.ports, self.keys, PBX_KEYS)
        for name in ("pjsip.conf", "manager.conf", "ari.conf"):
            write_owned(etc / "asterisk" / name, pbx[name], ASTERISK_UID)
        keys = etc / "asterisk" / "keys"
        keys.mkdir(mode=0o750, exist_ok=True)
        keys.chmod(0o750)
        (etc / "asterisk").chmod(0o755)
        os.chown(keys, ASTERISK_UID, ASTERISK_UID)
        write_owned(keys / f"{PBX_CERT}.key", pbx_cert.key, ASTERISK_UID)
        write_owned(keys / f"{PBX_CERT}.crt", pbx_cert.cert, ASTERISK_UID, 0o644)
        write_owned(keys / "ca.crt", pbx_cert.ca, ASTERISK_UID, 0o644)
        write_owned(etc / "datadesk.toml", controller_settings(self.deployment.sentinel),
                    CONTROLLER_UID)
