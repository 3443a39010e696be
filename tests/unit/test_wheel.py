"""The wheel an operator installs: the controller's code and metadata, nothing else."""

import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """Built from a copy of the sources, so the checkout gets no build/ or egg-info."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "ari_app", src / "ari_app",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q",
                           "-w", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    wheels = list(out.glob("datadesk-*.whl"))
    assert len(wheels) == 1, wheels
    return zipfile.ZipFile(wheels[0])


def test_the_wheel_holds_the_package_and_its_metadata_only(wheel):
    names = wheel.namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"ari_app", next(t for t in tops if t.endswith(".dist-info"))}, tops
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    for absent in ("tests/", "bench/", ".venv/", "docker/", "asterisk-conf/", "dialplan/"):
        assert not [n for n in names if n.startswith(absent) or f"/{absent}" in n], absent
    # The Asterisk configs and the settings example are not packaged: an
    # operator installs them under /etc, where check-config looks for them.
    assert not [n for n in names if n.endswith((".conf", ".toml"))]
    for module in ("cli.py", "checkconfig.py", "timefmt.py", "asterisk/dialplan_refs.py"):
        assert f"ari_app/{module}" in names, module


def test_the_lab_still_ships_in_the_wheel(wheel):
    """What is true today: the lab harness (ari_app/lab) is inside the package,
    so the wheel carries it. Moving it out is a restructuring of its own; when
    that is done this test must change to assert it is gone."""
    lab = sorted(n.removeprefix("ari_app/lab/") for n in wheel.namelist()
                 if n.startswith("ari_app/lab/"))
    assert "__init__.py" in lab and "stack.py" in lab and "demo.py" in lab
    assert lab == sorted(p.name for p in (ROOT / "ari_app" / "lab").glob("*.py"))


def test_the_metadata_says_what_it_is_and_how_to_run_it(wheel):
    info = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    meta = Parser().parsestr(wheel.read(info).decode())
    assert meta["Name"] == "datadesk" and meta["Requires-Python"] == ">=3.11"
    assert meta["License"] == "Proprietary"
    classifiers = meta.get_all("Classifier")
    assert "License :: Other/Proprietary License" in classifiers
    assert "Topic :: Communications :: Telephony" in classifiers
    assert "Private :: Do Not Upload" in classifiers
    entry = next(n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt"))
    assert "datadesk = ari_app.cli:main" in wheel.read(entry).decode()
