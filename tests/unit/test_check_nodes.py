"""check-config's node checks on the shipped node templates, filled as an
operator would, and on seeded mistakes (each reported on a line of its own)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ari_app.asterisk.conffile import ConfigFile
from ari_app.checkconfig import _dialplan, _extensions
from ari_app.checkconfig.nodes import node_problems, node_role
from ari_app.checkconfig.security import sip_acl_problems
from lab.cluster import NodeLink, fill, node_marks

ROOT = Path(__file__).resolve().parents[2]
NODES = ROOT / "asterisk-conf" / "nodes"
LAMP = "Stasis:desk"
LINKS = [NodeLink("frontline-1", "10.0.0.21", 5062, "s3cret-1"),
         NodeLink("frontline-2", "10.0.0.22", 5062, "s3cret-2")]


def desk_node(root: Path) -> Path:
    """The shipped configs made into a desk node for two frontline nodes."""
    conf, plan = root / "asterisk-conf", root / "dialplan"
    shutil.copytree(ROOT / "asterisk-conf", conf)
    shutil.copytree(ROOT / "dialplan", plan)
    pjsip = conf / "pjsip.conf"
    text = pjsip.read_text() + fill((NODES / "desk-node.conf").read_text(),
                                    {"DESK_ADDR": "10.0.0.20", "DESK_PORT": "5062"})
    for link in LINKS:
        text += fill((NODES / "desk-node-trunk.conf").read_text(), node_marks(link, 5062))
    pjsip.write_text(text)
    shutil.copy(plan / "nodes" / "desk-node.conf", plan / "50-nodes.conf")
    return root


def frontline_node(root: Path) -> Path:
    conf, plan = root / "asterisk-conf", root / "dialplan"
    shutil.copytree(ROOT / "asterisk-conf", conf)
    shutil.copytree(ROOT / "dialplan", plan)
    pjsip = conf / "pjsip.conf"
    pjsip.write_text(pjsip.read_text() + fill((NODES / "frontline-node.conf").read_text(),
                                              node_marks(LINKS[0], 5062)))
    for name in ("30-desk.conf", "40-seat-phones.conf"):
        (plan / name).unlink()
    shutil.copy(plan / "nodes" / "frontline-node.conf", plan / "30-desk-node.conf")
    return root


def problems(root: Path) -> list[str]:
    conf = root / "asterisk-conf"
    pjsip = ConfigFile(conf / "pjsip.conf", conf)
    return node_problems(pjsip, _extensions(_dialplan(conf, root / "dialplan")), LAMP)


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count))


def test_roles_are_read_from_pjsip_conf(tmp_path):
    single = ConfigFile(ROOT / "asterisk-conf" / "pjsip.conf", ROOT / "asterisk-conf")
    assert node_role(single) == "single"
    assert node_problems(single, {}, LAMP) == []
    desk, front = desk_node(tmp_path / "d"), frontline_node(tmp_path / "f")
    assert node_role(ConfigFile(desk / "asterisk-conf/pjsip.conf", desk / "asterisk-conf")) == "desk"
    assert node_role(ConfigFile(front / "asterisk-conf/pjsip.conf",
                                front / "asterisk-conf")) == "frontline"


def test_the_shipped_node_templates_pass(tmp_path):
    assert problems(desk_node(tmp_path / "d")) == []
    assert problems(frontline_node(tmp_path / "f")) == []


def _acl(root: Path) -> list[str]:
    conf = root / "asterisk-conf"
    return sip_acl_problems(ConfigFile(conf / "pjsip.conf", conf))


def test_each_node_lets_the_other_through_its_sip_acl(tmp_path):
    """The templates add the other node to pjsip.conf's [sip-acl] ([sip-acl](+));
    a node the list does not let in is reported (its trunk would get 403)."""
    desk, front = desk_node(tmp_path / "d"), frontline_node(tmp_path / "f")
    assert _acl(desk) == [] and _acl(front) == []
    edit(desk / "asterisk-conf" / "pjsip.conf", "permit = 10.0.0.21/", "deny = 10.0.0.21/")
    assert [p for p in _acl(desk) if "frontline-1 at 10.0.0.21/32 is refused" in p], _acl(desk)


DESK_MISTAKES = {
    "identify_by": ("identify_by = ip\nauth = @", "identify_by = username\nauth = @",
                    "must be known by its address"),
    "no auth": ("auth = frontline-1-in\n", "", "has no auth"),
    "takes states": ("device_state = no", "device_state = yes", "must take no device state"),
    "wrong event": ("event = asterisk-devicestate", "event = dialog", "must have event"),
}


@pytest.mark.parametrize("mistake", sorted(DESK_MISTAKES))
def test_each_desk_node_mistake_is_reported(tmp_path, mistake):
    old, new, said = DESK_MISTAKES[mistake]
    root = desk_node(tmp_path)
    pjsip = root / "asterisk-conf" / "pjsip.conf"
    if "@" in old:  # the first trunk's endpoint
        old, new = old.replace("@", "frontline-1-in"), new.replace("@", "frontline-1-in")
    edit(pjsip, old, new)
    found = problems(root)
    assert [p for p in found if said in p], found
    assert all(p.startswith(("pjsip.conf:", "asterisk-conf/", "dialplan")) for p in found)


FRONTLINE_MISTAKES = {
    "filter too wide": ("device_state_filter = ^Stasis:desk$", "device_state_filter = .*",
                        "must take Stasis:desk and nothing else"),
    "no filter": ("device_state_filter = ^Stasis:desk$", "", "must take Stasis:desk"),
    "no qualify": ("qualify_frequency = 2", "qualify_frequency = 0", "qualify the desk node"),
    "lamp refused": ("device_state = yes", "device_state = no", "the desk lamp never arrives"),
    "no inbound": ("type = inbound-publication", "type = endpoint-ish", "PUBLISH is refused"),
}


@pytest.mark.parametrize("mistake", sorted(FRONTLINE_MISTAKES))
def test_each_frontline_node_mistake_is_reported(tmp_path, mistake):
    old, new, said = FRONTLINE_MISTAKES[mistake]
    root = frontline_node(tmp_path)
    edit(root / "asterisk-conf" / "pjsip.conf", old, new)
    found = problems(root)
    assert [p for p in found if said in p], found


def test_check_config_runs_the_node_checks_on_a_desk_node(tmp_path):
    root = desk_node(tmp_path)
    edit(root / "asterisk-conf" / "pjsip.conf", "device_state = no", "device_state = yes")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATADESK_")}
    env.update({"DATADESK_AMI_SECRET": "demo-ami-secret-change-me",
                "DATADESK_ARI_PASSWORD": "demo-ari-secret-change-me",
                "DATADESK_API_TOKENS": "admin:lab-token-0123456789abcdef"})
    cfg = tmp_path / "datadesk.toml"
    cfg.write_text("")
    done = subprocess.run([sys.executable, "-m", "ari_app", "--config", str(cfg), "check-config",
                           "--asterisk-conf", str(root / "asterisk-conf"),
                           "--dialplan", str(root / "dialplan"), "--allow-demo-secrets"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, env=env)
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "must take no device state from node frontline-1" in out
