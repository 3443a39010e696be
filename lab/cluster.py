"""Several PBXs: the desk node and two frontline nodes, joined by PJSIP trunks.

The desk node is the single-PBX ``Stack`` (Redis, the PBX from the shipped
configs, its phone simulator, the controller) plus the desk side of the
trunks (``asterisk-conf/nodes/desk-node*.conf``, ``dialplan/nodes/desk-node.conf``).
Each frontline node is the shipped PBX with the desk's dialplan replaced by
``dialplan/nodes/frontline-node.conf`` and the trunk of
``asterisk-conf/nodes/frontline-node.conf``, with its own phone simulator
(its frontline phones and its customer trunk). Trunks run on addresses of
their own (127.0.0.2x) so each node knows the other by address, and
authenticate with a per-run password.

Used as ``async with Cluster() as cluster:``; everything started is stopped
in reverse order, also when the body fails.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

from ari_app.asterisk.ami import AmiClient
from .asterisk import AsteriskInstance
from .confedit import set_option
from .configs import (ASTERISK_CONF, DIALPLAN, HARNESS_AMI_USER, PBX_CERT, SIM_CERT, Ports,
                      Secrets, pbx_files, phonesim_files)
from .pki import install, lab_pki
from .ports import free_port, free_range
from .probes import Phones, PbxProbe
from .process import Started
from .progress import step
from .stack import FRONTLINE, Stack
from .tree import ensure_tree

NODES_CONF = ASTERISK_CONF / "nodes"
NODES_DIALPLAN = DIALPLAN / "nodes"
DESK_ADDRESS = "127.0.0.20"
DESK_ENTITY = "02:00:00:00:00:20"
_MARK = re.compile(r"@[A-Z_]+@")


@dataclass
class NodeLink:
    """One frontline node as both ends of its trunk know it."""
    name: str
    address: str
    port: int = field(default_factory=free_port)
    secret: str = field(default_factory=lambda: secrets.token_hex(12))

    @property
    def entity_id(self) -> str:
        return f"02:00:00:00:00:{self.address.rsplit('.', 1)[1]}"


def fill(template: str, marks: dict[str, str]) -> str:
    """``template`` with every ``@MARK@`` replaced; fails on one left over, so
    a template that gains a placeholder cannot ship it unfilled."""
    for mark, value in marks.items():
        template = template.replace(f"@{mark}@", value)
    if _MARK.search("".join(line.split(";", 1)[0] for line in template.splitlines())):
        raise ValueError(f"unfilled placeholder in:\n{template}")
    return template


def node_marks(link: NodeLink, desk_port: int) -> dict[str, str]:
    """The placeholders of asterisk-conf/nodes/ for ``link``'s trunk."""
    return {"NODE": link.name, "NODE_ADDR": link.address, "NODE_PORT": str(link.port),
            "NODE_SECRET": link.secret, "DESK_ADDR": DESK_ADDRESS, "DESK_PORT": str(desk_port)}


def _load_node_modules(modules_conf: str) -> str:
    return modules_conf + "\n" + (NODES_CONF / "modules.conf").read_text()


class DeskNode(Stack):
    """The single-PBX stack with the desk side of every frontline node's trunk."""

    def __init__(self, links: list[NodeLink], **kwargs) -> None:
        super().__init__(**kwargs)
        self.links = links
        self.node_port = free_port()

    def prepare_pbx(self, pbx: AsteriskInstance) -> None:
        pbx.entity_id = DESK_ENTITY
        files = pbx.files
        files["pjsip.conf"] += "\n" + fill((NODES_CONF / "desk-node.conf").read_text(),
                                           {"DESK_ADDR": DESK_ADDRESS,
                                            "DESK_PORT": str(self.node_port)})
        trunk = (NODES_CONF / "desk-node-trunk.conf").read_text()
        for link in self.links:
            files["pjsip.conf"] += "\n" + fill(trunk, node_marks(link, self.node_port))
        files["modules.conf"] = _load_node_modules(files["modules.conf"])
        files["dialplan/50-nodes.conf"] = (NODES_DIALPLAN / "desk-node.conf").read_text()
        # Callbacks leave by the first frontline node's carrier.
        files["extensions.conf"] = set_option(files["extensions.conf"], "globals",
                                              "DESK_OUT_TRUNK", self.links[0].name)


class FrontlineNode:
    """A frontline PBX with its phone simulator, and the lab's AMI views of both."""

    def __init__(self, tree: Path, link: NodeLink, desk_port: int) -> None:
        self.link = link
        self.ports = Ports(pbx_sip=free_port(), pbx_tls=free_port(), pbx_ami=free_port(),
                           pbx_http=free_port(), pbx_rtp=free_range(), sim_sip=free_port(),
                           sim_tls=free_port(), sim_ami=free_port(), sim_rtp=free_range())
        self.keys = Secrets()
        self.pbx = AsteriskInstance(tree, link.name, {})
        self.pbx.entity_id = link.entity_id
        self.sim = AsteriskInstance(tree, f"{link.name}-phones", {})
        self.pbx.files = self._pbx_files(desk_port)
        self.sim.files = phonesim_files(self.ports, self.keys, self.sim.inner_keys_dir)
        self.probe: PbxProbe | None = None
        self.phones: Phones | None = None

    def _pbx_files(self, desk_port: int) -> dict[str, str]:
        files = pbx_files(self.ports, self.keys, self.pbx.inner_keys_dir)
        # The desk, its seats' feature codes and the controller are on the desk node.
        for name in ("dialplan/30-desk.conf", "dialplan/40-seat-phones.conf"):
            del files[name]
        files["dialplan/30-desk-node.conf"] = (NODES_DIALPLAN / "frontline-node.conf").read_text()
        files["pjsip.conf"] += "\n" + fill((NODES_CONF / "frontline-node.conf").read_text(),
                                           node_marks(self.link, desk_port))
        files["modules.conf"] = _load_node_modules(files["modules.conf"])
        return files

    async def start(self, exit_stack: AsyncExitStack) -> None:
        with step(f"making certificates for '{self.link.name}'"):
            issued = await asyncio.to_thread(lab_pki, (PBX_CERT, SIM_CERT))
            for instance, name in ((self.pbx, PBX_CERT), (self.sim, SIM_CERT)):
                instance.write_files()
                install(issued[name], instance.keys_dir, name)
        for instance in (self.pbx, self.sim):
            exit_stack.push_async_callback(_stop_asterisk, instance)
        await asyncio.gather(self.pbx.start(), self.sim.start())
        pbx_ami = AmiClient("127.0.0.1", self.ports.pbx_ami, HARNESS_AMI_USER,
                            self.keys.harness_ami, name=f"lab-{self.link.name}-ami")
        sim_ami = AmiClient("127.0.0.1", self.ports.sim_ami, "harness", self.keys.sim_ami,
                            name=f"lab-{self.link.name}-phones-ami")
        self.probe, self.phones = PbxProbe(pbx_ami), Phones(sim_ami)
        for ami in (pbx_ami, sim_ami):
            exit_stack.push_async_callback(ami.stop)
            ami.start()
        await asyncio.gather(pbx_ami.wait_ready(20), sim_ami.wait_ready(20))
        await self.register_phones()

    async def register_phones(self, timeout: float = 20) -> None:
        """The node's frontline phones register now."""
        assert self.probe is not None
        await self.sim.rx("pjsip send register *all")
        deadline = time.monotonic() + timeout
        while not set(FRONTLINE) <= {c.get("Endpoint") for c in await self.probe.contacts()}:
            if time.monotonic() > deadline:
                raise TimeoutError(f"frontline phones of '{self.link.name}' not registered")
            await asyncio.sleep(0.2)

    async def restart(self) -> None:
        assert self.probe is not None
        await self.pbx.restart()
        await self.probe.ami.wait_ready(20)
        await self.register_phones()

    async def desk_reachable(self) -> bool:
        """Whether this node's qualify says the desk node answers."""
        out = await self.pbx.rx("pjsip show contacts")
        return any("desk-node" in line and "Avail" in line for line in out.splitlines())


async def _stop_asterisk(instance: AsteriskInstance) -> None:
    await instance.stop()
    if os.environ.get("DATADESK_KEEP_LAB") != "1":
        instance.remove()


class Cluster(Started):
    """The desk node (a ``Stack``) and ``frontline`` frontline nodes."""

    def __init__(self, frontline: int = 2, *, relays: bool = True) -> None:
        self.links = [NodeLink(f"frontline-{i}", f"127.0.0.{20 + i}")
                      for i in range(1, frontline + 1)]
        self.desk = DeskNode(self.links, relays=relays)
        self.nodes: list[FrontlineNode] = []
        self._exit = AsyncExitStack()

    async def start(self) -> None:
        started = time.monotonic()
        tree = await asyncio.to_thread(ensure_tree)
        self.nodes = [FrontlineNode(tree, link, self.desk.node_port) for link in self.links]
        self._exit.push_async_callback(self.desk.stop)
        await asyncio.gather(self.desk.start(), *(n.start(self._exit) for n in self.nodes))
        await asyncio.gather(*(self.wait_trunk(n) for n in self.nodes))
        print(f"[lab] cluster up in {time.monotonic() - started:.1f} s", flush=True)

    async def wait_trunk(self, node: FrontlineNode, timeout: float = 20) -> None:
        """Until ``node`` sees the desk node answer its qualify."""
        deadline = time.monotonic() + timeout
        while not await node.desk_reachable():
            if time.monotonic() > deadline:
                raise TimeoutError(f"'{node.link.name}' does not reach the desk node")
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        await self._exit.aclose()


@dataclass
class NodeTransfer:
    """A transfer from a frontline node as the desk node saw it."""
    node: str
    customer: str
    target: str
    channel: str = ""                # the customer's channel on the desk node
    route: str = ""                  # DESK_ROUTE as set on it
    variables: dict[str, str] = field(default_factory=dict)  # last value of each Set()
    caller_id: str = ""


async def node_transfer(cluster: Cluster, node: FrontlineNode, *, customer: str,
                        target: str = "8600", timeout: float = 30) -> NodeTransfer:
    """A customer calls ``node``'s service number; the frontline agent there
    transfers (SIP REFER) to ``target``. Returns once the desk node has set the
    desk route on the customer's channel that arrived over the node's trunk."""
    desk = cluster.desk
    assert node.phones is not None and desk.probe is not None
    result = NodeTransfer(node.link.name, customer, target)
    log = desk.probe.log
    mark = log.mark()
    for phone in FRONTLINE:
        await node.phones.on_ring(phone, f"transfer:{target}")
    await node.phones.customer_call(customer)
    trunk = f"PJSIP/{node.link.name}-"
    routed = await log.wait_for(
        lambda m: m.get("Event") == "VarSet" and m.get("Variable") == "DESK_ROUTE"
        and m.get("Channel", "").startswith(trunk), since=mark, timeout=timeout)
    result.channel, result.route = routed["Channel"], routed.get("Value", "")
    for msg in log.since(mark):
        if msg.get("Channel") != result.channel:
            continue
        if msg.get("Event") == "VarSet":
            result.variables[msg.get("Variable", "")] = msg.get("Value", "")
        elif msg.get("Event") == "Newchannel":
            result.caller_id = msg.get("CallerIDNum", "")
    return result
