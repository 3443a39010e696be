"""The wheel an operator installs: the controller's code and metadata, nothing else."""

import fcntl
import json
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


def installed(wheel: zipfile.ZipFile, venv: Path) -> Path:
    """A fresh virtualenv holding the wheel, its dependencies taken from this
    run's environment (no index here); returns its ``bin`` directory."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    bin_dir = venv / "bin"
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(bin_dir / "python"),
                           "install", "-q", "--no-deps", "--no-index", wheel.filename],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    site = next((venv / "lib").glob("python3*/site-packages"))
    # Only directories of installed packages: the checkout (on sys.path for
    # the tests) must not be reachable from the installed command.
    (site / "dependencies.pth").write_text(
        "\n".join(p for p in sys.path if p.endswith("site-packages")) + "\n")
    return bin_dir


def test_the_installed_command_prints_a_simulated_sla(wheel, tmp_path):
    """``datadesk sizing --simulate`` from the wheel alone, in a directory
    with no checkout: callbacks asked for at night, dialled after opening."""
    bin_dir = installed(wheel, tmp_path / "venv")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "DATADESK_CONFIG") and not k.startswith("COV")}
    where = subprocess.run([bin_dir / "python", "-c", "import ari_app; print(ari_app.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert where.stdout.startswith(str(tmp_path / "venv")), where
    hourly = [0.0] * 24
    hourly[2], hourly[10] = 8.0, 4.0            # 02h: the desk is closed
    (tmp_path / "profile.json").write_text(json.dumps({"profile": {
        "days": 1, "hourly": hourly, "talk_mean": 120.0, "wrapup": 15.0, "answered": 4}}))
    done = subprocess.run([bin_dir / "datadesk", "sizing", "--simulate", "--seats", "6",
                           "--profile", "profile.json", "--lang", "en"], capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    head, *rows = done.stdout.splitlines()[1:]
    assert head.split()[-1] == "met@6", done.stdout
    night = next(r for r in rows if r.split()[0] == "02").split()
    assert night[1] == "8.0" and float(night[-1]) == 100.0, done.stdout


def test_the_operations_guide_says_how_to_build_the_wheel_it_installs():
    guide = (ROOT / "docs" / "operations.md").read_text()
    assert "make wheel" in guide and "pip wheel . --no-deps -w dist" in guide
    assert "pip install dist/datadesk-*.whl" in guide
    make = (ROOT / "Makefile").read_text()
    target = make[make.index("\nwheel:"):].split("\n\n", 1)[0]
    assert "pip wheel . --no-deps" in target and "-w dist" in target, target
