"""The whole lab stack: Redis, the PBX, the phone simulator, the controller.

Used as ``async with Stack() as stack:``; everything started is stopped on
the way out, in reverse order, also when the body fails.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from contextlib import AsyncExitStack

from ..asterisk.ami import AmiClient
from .asterisk import AsteriskInstance
from .configs import (ASTERISK_CONF, HARNESS_AMI_USER, LAB_WRAPUP, Ports, Secrets,
                      pbx_files, phone_passwords, phonesim_files)
from .controller import ControllerProcess, settings_toml
from .ports import free_port, free_range
from .probes import PbxProbe, Phones
from .progress import step
from .redis_server import RedisServer
from .tree import ensure_tree

log = logging.getLogger(__name__)

FRONTLINE = ("1001", "1002")
SEATS = ("8601", "8602", "8603", "8604", "8605", "8606")


class Stack:
    def __init__(self, *, controller: bool = True) -> None:
        self.with_controller = controller
        self.ports = Ports(pbx_sip=free_port(), pbx_ami=free_port(), pbx_http=free_port(),
                           pbx_rtp=free_range(), sim_sip=free_port(), sim_ami=free_port(),
                           sim_rtp=free_range())
        self.keys = Secrets()
        self.redis: RedisServer | None = None
        self.pbx: AsteriskInstance | None = None
        self.sim: AsteriskInstance | None = None
        self.controller: ControllerProcess | None = None
        self.probe: PbxProbe | None = None
        self.phones: Phones | None = None
        self._exit = AsyncExitStack()
        self.keep = os.environ.get("DATADESK_KEEP_LAB") == "1"

    async def __aenter__(self) -> "Stack":
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    async def start(self) -> None:
        started = time.monotonic()
        tree = await asyncio.to_thread(ensure_tree)
        self.redis = RedisServer()
        self._exit.push_async_callback(self._stop_redis)
        await self.redis.start()

        self.pbx = AsteriskInstance(tree, "pbx", pbx_files(self.ports, self.keys))
        self._exit.push_async_callback(self._stop_asterisk, self.pbx)
        self.sim = AsteriskInstance(tree, "phonesim", phonesim_files(self.ports, self.keys))
        self._exit.push_async_callback(self._stop_asterisk, self.sim)
        await asyncio.gather(self.pbx.start(), self.sim.start())

        pbx_ami = AmiClient("127.0.0.1", self.ports.pbx_ami, HARNESS_AMI_USER,
                            self.keys.harness_ami, name="lab-pbx-ami")
        sim_ami = AmiClient("127.0.0.1", self.ports.sim_ami, "harness", self.keys.sim_ami,
                            name="lab-phones-ami")
        self.probe, self.phones = PbxProbe(pbx_ami), Phones(sim_ami)
        for ami in (pbx_ami, sim_ami):
            self._exit.push_async_callback(ami.stop)
            ami.start()
        await asyncio.gather(pbx_ami.wait_ready(20), sim_ami.wait_ready(20))
        await self.register_phones()

        if self.with_controller:
            await self.start_controller()
        print(f"[lab] stack up in {time.monotonic() - started:.1f} s", flush=True)

    async def register_phones(self, timeout: float = 20) -> None:
        """Make every simulated phone register now (Asterisk staggers it by up to 10 s)."""
        assert self.sim is not None and self.probe is not None
        expected = set(phone_passwords((ASTERISK_CONF / "pjsip.conf").read_text()))
        with step(f"registering {len(expected)} phones"):
            await self.sim.rx("pjsip send register *all")
            deadline = time.monotonic() + timeout
            while True:
                have = {c.get("Endpoint") for c in await self.probe.contacts()}
                if expected <= have:
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"phones not registered: {sorted(expected - have)}")
                await asyncio.sleep(0.2)

    def controller_settings(self) -> str:
        assert self.redis is not None
        return settings_toml(ami_port=self.ports.pbx_ami, ami_secret=self.keys.ami,
                             ari_port=self.ports.pbx_http, ari_password=self.keys.ari,
                             redis_url=self.redis.url, http_port=0,
                             wrapup=LAB_WRAPUP).replace(
            "port = 0", "port = @HTTP_PORT@")

    async def start_controller(self) -> ControllerProcess:
        if self.controller is None:
            self.controller = ControllerProcess(self.controller_settings())
            self._exit.push_async_callback(self._stop_controller)
        await self.controller.start()
        return self.controller

    async def _stop_controller(self) -> None:
        if self.controller is not None:
            await self.controller.stop()

    async def _stop_redis(self) -> None:
        if self.redis is not None:
            await self.redis.stop()
            if not self.keep:
                self.redis.remove()

    async def _stop_asterisk(self, instance: AsteriskInstance) -> None:
        await instance.stop()
        if not self.keep:
            instance.remove()

    async def stop(self) -> None:
        await self._exit.aclose()
