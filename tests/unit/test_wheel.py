"""The wheel an operator installs: the controller's code and metadata, nothing else."""

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """Built once per run: the xdist workers share the run's temporary
    directory, and a lock there lets the first one build while any other
    waits and then opens the same file."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent   # the run's directory, above each worker's own
    with open(shared / "wheel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "wheel-built"
        if not done.exists():
            _build(Path(tempfile.mkdtemp(dir=shared)), done)
    wheels = list(done.glob("datadesk-*.whl"))
    assert len(wheels) == 1, wheels
    return zipfile.ZipFile(wheels[0])


def _build(work: Path, done: Path) -> None:
    """Built from a copy of the sources, so the checkout gets no build/ or egg-info.
    The lab and the benchmarks are copied too: the packaging must leave them out.
    The wheel directory is renamed to ``done`` only once the build succeeded."""
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for tree in ("ari_app", "lab", "bench"):
        shutil.copytree(ROOT / tree, src / tree,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = work / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q",
                            "-w", str(out)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    out.rename(done)


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
    for module in ("cli.py", "checkconfig/__init__.py", "settings/__init__.py", "timefmt.py", "asterisk/dialplan_refs.py"):
        assert f"ari_app/{module}" in names, module


def test_no_lab_module_is_in_the_wheel(wheel):
    """The lab (a stack of Asterisk, Redis and phones for the demo and the
    tests) lives beside the package, not in it: an installed controller holds
    none of it."""
    names = wheel.namelist()
    assert (ROOT / "lab" / "stack.py").exists()   # it is there to be left out
    assert not [n for n in names if n.startswith("lab/") or "/lab/" in n], names
    assert not [n for n in names if n.startswith("bench/")]
    for module in (ROOT / "lab").glob("*.py"):
        assert not [n for n in names if n.endswith(f"/{module.name}")
                    and module.name not in ("__init__.py",)
                    and not (ROOT / "ari_app" / n.removeprefix("ari_app/")).exists()], module


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
