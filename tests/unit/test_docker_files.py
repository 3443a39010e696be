"""The deployment files parse and point at files that exist."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"


def instructions(path: Path) -> list[tuple[str, str]]:
    out, pending = [], ""
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            word, _, rest = pending.strip().partition(" ")
            out.append((word.upper(), rest))
            pending = ""
    return out


def test_dockerfiles_start_from_an_image_and_copy_what_exists():
    for name in ("Dockerfile.controller", "Dockerfile.asterisk"):
        steps = instructions(DOCKER / name)
        assert steps[0][0] == "FROM", name
        known = {"FROM", "RUN", "COPY", "WORKDIR", "USER", "ENV", "EXPOSE", "CMD",
                 "HEALTHCHECK", "ARG"}
        assert {w for w, _ in steps} <= known, name
        for word, rest in steps:
            if word == "COPY":
                *sources, _dest = rest.split()
                for src in sources:
                    assert (ROOT / src).exists(), f"{name}: COPY {src}"
        assert any(w == "CMD" for w, _ in steps), name


def test_compose_file_builds_both_images_and_mounts_existing_files():
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"redis", "asterisk", "controller"}
    assert "--appendonly" in services["redis"]["command"]
    for name in ("asterisk", "controller"):
        build = services[name]["build"]
        assert (DOCKER / build["context"] / build["dockerfile"]).is_file(), name
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DOCKER / source).exists(), volume
    env = services["controller"]["environment"]
    # Secrets come from the environment, never from the file.
    assert all(re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", env[k])
               for k in ("DATADESK_AMI_SECRET", "DATADESK_ARI_PASSWORD", "DATADESK_API_TOKENS"))
