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

from ari_app.asterisk.ami import AmiClient
from .asterisk import AsteriskInstance
from .configs import (ASTERISK_CONF, HARNESS_AMI_USER, LAB_WRAPUP, PBX_CERT, SIM_CERT,
                      TLS_PHONE, Ports, Secrets, pbx_files, phone_passwords, phonesim_files)
from .controller import ControllerProcess, lab_settings
from .proxy import TcpRelay
from .pki import install, lab_pki
from .ports import free_port, free_range
from .probes import PbxProbe, Phones
from .process import Started
from .progress import step
from .redis_server import RedisServer
from .sentinel import MASTER_NAME, SentinelRedis
from .prompts import ensure_prompts
from .tree import ensure_tree

log = logging.getLogger(__name__)

FRONTLINE = ("1001", "1002")
SEATS = ("8601", "8602", "8603", "8604", "8605", "8606")


class Stack(Started):
    def __init__(self, *, controller: bool = True, relays: bool = True,
                 sentinel: bool = False) -> None:
        """``relays=False``: the controller talks to Asterisk directly (benchmarks),
        not through the relays that fault tests cut. ``sentinel``: Redis as a
        master, a replica and three sentinels (``lab/sentinel.py``), the
        controller finding the master through them."""
        self.with_controller = controller
        self.sentinel = SentinelRedis() if sentinel else None
        self.with_relays = relays
        self.ports = Ports(pbx_sip=free_port(), pbx_tls=free_port(), pbx_ami=free_port(),
                           pbx_http=free_port(), pbx_rtp=free_range(), sim_sip=free_port(),
                           sim_tls=free_port(), sim_ami=free_port(), sim_rtp=free_range())
        self.keys = Secrets()
        self.redis: RedisServer | None = None
        self.pbx: AsteriskInstance | None = None
        self.sim: AsteriskInstance | None = None
        self.controller: ControllerProcess | None = None
        # The overrides of the lab settings the controller was last started with.
        self.controller_overrides: dict = {}
        self.ami_relay: TcpRelay | None = None
        self.ari_relay: TcpRelay | None = None
        self.probe: PbxProbe | None = None
        self.phones: Phones | None = None
        self._exit = AsyncExitStack()
        self.keep = os.environ.get("DATADESK_KEEP_LAB") == "1"

    async def start(self) -> None:
        started = time.monotonic()
        tree = await asyncio.to_thread(ensure_tree)
        await asyncio.to_thread(ensure_prompts, tree)
        if self.sentinel is not None:
            self._exit.push_async_callback(self.sentinel.stop)
            await self.sentinel.start()
            self.redis = self.sentinel.master   # the lab's own reads: the first master
        else:
            self.redis = RedisServer()
            self._exit.push_async_callback(self._stop_redis)
            await self.redis.start()

        self.pbx = AsteriskInstance(tree, "pbx", {})
        self._exit.push_async_callback(self._stop_asterisk, self.pbx)
        self.sim = AsteriskInstance(tree, "phonesim", {})
        self._exit.push_async_callback(self._stop_asterisk, self.sim)
        self.pbx.files = pbx_files(self.ports, self.keys, self.pbx.inner_keys_dir)
        self.sim.files = phonesim_files(self.ports, self.keys, self.sim.inner_keys_dir)
        self.prepare_pbx(self.pbx)
        await self._install_certificates()
        await asyncio.gather(self.pbx.start(), self.sim.start())

        await self.open_probes()
        await self.register_phones()
        await self.log_in_seats()

        if self.with_controller:
            await self.start_controller()
        print(f"[lab] stack up in {time.monotonic() - started:.1f} s", flush=True)

    async def open_probes(self, name: str = "lab-pbx-ami") -> None:
        """The lab's AMI views: the PBX's truth (``probe``) and the phones."""
        pbx_ami = AmiClient("127.0.0.1", self.ports.pbx_ami, HARNESS_AMI_USER,
                            self.keys.harness_ami, name=name)
        sim_ami = AmiClient("127.0.0.1", self.ports.sim_ami, "harness", self.keys.sim_ami,
                            name="lab-phones-ami")
        self.probe, self.phones = PbxProbe(pbx_ami), Phones(sim_ami)
        for ami in (pbx_ami, sim_ami):
            self._exit.push_async_callback(ami.stop)
            ami.start()
        await asyncio.gather(pbx_ami.wait_ready(20), sim_ami.wait_ready(20))

    def prepare_pbx(self, pbx: AsteriskInstance) -> None:
        """Last changes to the PBX's files before it starts: none for the
        single PBX; a stack built on this one (the desk node) adds its own."""

    async def _install_certificates(self) -> None:
        """A fresh CA and a certificate for each instance, written before it starts."""
        assert self.pbx is not None and self.sim is not None
        with step("making the lab's TLS certificates"):
            issued = await asyncio.to_thread(lab_pki, (PBX_CERT, SIM_CERT))
            for instance, name in ((self.pbx, PBX_CERT), (self.sim, SIM_CERT)):
                instance.write_files()
                install(issued[name], instance.keys_dir, name)

    async def register_phones(self, timeout: float = 20) -> None:
        """Make every simulated phone register now (Asterisk staggers it by up to 10 s)."""
        assert self.sim is not None and self.probe is not None
        expected = set(phone_passwords((ASTERISK_CONF / "pjsip.conf").read_text()))
        expected.add(TLS_PHONE)
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

    async def restart_pbx(self) -> None:
        """Restart the PBX (same configs and AstDB) and wait for the lab's AMI."""
        assert self.pbx is not None and self.probe is not None
        await self.pbx.restart()
        await self.probe.ami.wait_ready(20)

    async def log_in_seats(self, timeout: float = 20) -> None:
        """Seats not yet in the desk queue log in from their phones (*861).

        A fresh PBX has none; after a restart Asterisk brings them back
        (persistentmembers), so then this does nothing.
        """
        assert self.probe is not None and self.phones is not None
        members = {m.get("Name") for m in await self.probe.queue_members("desk")}
        missing = [s for s in SEATS if s not in members]
        if not missing:
            return
        with step(f"logging in {len(missing)} seat(s) by feature code *861"):
            await asyncio.gather(*(self.phones.dial(seat, "*861", hold=3) for seat in missing))
            deadline = time.monotonic() + timeout
            while True:
                members = {m.get("Name") for m in await self.probe.queue_members("desk")}
                if set(SEATS) <= members and not await self.probe.channels():
                    return  # logged in, and the feature-code calls are over
                if time.monotonic() > deadline:
                    raise TimeoutError(f"seats not logged in: {sorted(set(SEATS) - members)}")
                await asyncio.sleep(0.2)

    def controller_settings(self, overrides: dict | None = None) -> dict:
        """The controller's settings; its AMI and ARI links go through relays
        that tests can cut."""
        assert self.redis is not None
        if self.with_relays:
            assert self.ami_relay is not None and self.ari_relay is not None
            ami_port, ari_port = self.ami_relay.port, self.ari_relay.port
        else:
            ami_port, ari_port = self.ports.pbx_ami, self.ports.pbx_http
        return lab_settings(ami_port=ami_port, ami_secret=self.keys.ami,
                            ari_port=ari_port, ari_password=self.keys.ari,
                            redis_url=self.redis.address, wrapup=LAB_WRAPUP,
                            api_token=self.keys.api_token, role_tokens=self.keys.role_tokens,
                            redis_user=self.redis.controller_user,
                            redis_password=self.redis.controller_password,
                            overrides=self._with_sentinels(overrides))

    def _with_sentinels(self, overrides: dict | None) -> dict | None:
        if self.sentinel is None:
            return overrides
        redis = {"sentinels": self.sentinel.sentinel_addresses, "master_name": MASTER_NAME,
                 "wait_replicas": 1}
        return {**(overrides or {}), "redis": {**redis, **(overrides or {}).get("redis", {})}}

    async def start_controller(self, overrides: dict | None = None) -> ControllerProcess:
        """Start the controller (again), with ``overrides`` of the lab settings:
        always a fresh process (``use_controller`` keeps a running one)."""
        if self.ami_relay is None and self.with_relays:
            self.ami_relay = TcpRelay(self.ports.pbx_ami)
            await self.ami_relay.start()
            self._exit.push_async_callback(self.ami_relay.stop)
            self.ari_relay = TcpRelay(self.ports.pbx_http)
            await self.ari_relay.start()
            self._exit.push_async_callback(self.ari_relay.stop)
        if self.controller is None:
            self.controller = ControllerProcess(self.controller_settings(overrides))
            self._exit.push_async_callback(self._stop_controller)
        else:
            await self.controller.stop()
            self.controller.configure(self.controller_settings(overrides))
        self.controller_overrides = overrides or {}
        await self.controller.start()
        return self.controller

    async def use_controller(self, overrides: dict | None = None) -> ControllerProcess:
        """The controller running with ``overrides`` of the lab settings (none:
        the lab's own): the running one when it was started with the same
        overrides, else started again with them. Tests that want the same
        settings one after the other share one process this way."""
        controller = self.controller
        if (controller is not None and controller.process is not None
                and controller.process.returncode is None
                and self.controller_overrides == (overrides or {})):
            return controller
        return await self.start_controller(overrides)

    async def second_controller(self) -> ControllerProcess:
        """Another replica with the same settings (its own HTTP port), standing by."""
        replica = ControllerProcess(self.controller_settings())
        self._exit.push_async_callback(self._stop_replica, replica)
        await replica.start(role="standby")
        return replica

    async def _stop_replica(self, replica: ControllerProcess) -> None:
        await replica.stop()
        if not self.keep:
            replica.remove()

    async def _stop_controller(self) -> None:
        if self.controller is not None:
            await self.controller.stop()
            if not self.keep:
                self.controller.remove()

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
