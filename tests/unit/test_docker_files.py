"""The deployment files parse and point at files that exist."""

import fnmatch
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
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            if source.startswith("."):
                assert (DOCKER / source).exists(), volume
    env = services["controller"]["environment"]
    # Secrets come from the environment, never from the file.
    assert all(re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", env[k])
               for k in ("DATADESK_AMI_SECRET", "DATADESK_ARI_PASSWORD", "DATADESK_API_TOKENS"))


def _binds(service: dict) -> dict[str, dict]:
    """target -> the long-syntax bind mount of a compose service."""
    return {v["target"]: v for v in service.get("volumes", [])
            if isinstance(v, dict) and v.get("type") == "bind"}


def test_compose_mounts_the_sites_own_settings_and_asterisk_files_not_the_demo_ones():
    services = yaml.safe_load((DOCKER / "compose.yaml").read_text())["services"]
    wanted = {"controller": ["/etc/datadesk/datadesk.toml"],
              "asterisk": ["/etc/asterisk/pjsip.conf", "/etc/asterisk/manager.conf",
                           "/etc/asterisk/ari.conf", "/var/lib/asterisk/keys"]}
    for name, targets in wanted.items():
        binds = _binds(services[name])
        for target in targets:
            bind = binds[target]
            # From the operator's directory, read-only, and an error if missing
            # (not an empty directory created in its place).
            assert bind["source"].startswith("${DATADESK_ETC:-/etc/datadesk}/"), bind
            assert bind["read_only"] is True and bind["bind"]["create_host_path"] is False
    text = (DOCKER / "compose.yaml").read_text()
    assert "datadesk.example.toml:" not in text and "../asterisk-conf/" not in text


def _images() -> list[str]:
    images = [rest.split()[0] for name in ("Dockerfile.controller", "Dockerfile.asterisk")
              for word, rest in instructions(DOCKER / name) if word == "FROM"]
    services = yaml.safe_load((DOCKER / "compose.yaml").read_text())["services"]
    return images + [s["image"] for s in services.values() if "image" in s]


def test_base_images_are_pinned_by_exact_tag_and_digest():
    images = _images()
    assert len(images) == 3, images
    for image in images:
        # name:<a tag with a version or date>@sha256:<digest>; no floating tag.
        assert re.fullmatch(r"[a-z0-9./-]+:[A-Za-z0-9._-]*\d[A-Za-z0-9._-]*"
                            r"@sha256:[0-9a-f]{64}", image), image
        assert not re.search(r":(latest|\d+|\d+\.\d+|\d+\.\d+-slim|sid-slim)@", image), image


def _ignored(patterns: list[str], path: str) -> bool:
    """Docker's rule, enough for our file: a pattern matches the path or a parent."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!")
        hit = any(fnmatch.fnmatchcase(p, pattern) or
                  (pattern.startswith("**/") and fnmatch.fnmatchcase(p.split("/")[-1],
                                                                       pattern[3:]))
                  for p in prefixes)
        if hit:
            ignored = not negate
    return ignored


def _context() -> list[str]:
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    return [str(f.relative_to(ROOT)) for f in ROOT.rglob("*")
            if f.is_file() and not _ignored(patterns, str(f.relative_to(ROOT)))]


def test_the_build_context_holds_what_the_images_copy_and_nothing_heavy():
    context = _context()
    tops = {c.split("/")[0] for c in context}
    assert not tops & {".venv", ".git", "tests", "bench", "build", "dist"}, sorted(tops)
    assert not any("__pycache__" in c or c.endswith(".pyc") for c in context)
    # Every COPY source is still there...
    for name in ("Dockerfile.controller", "Dockerfile.asterisk"):
        for word, rest in instructions(DOCKER / name):
            if word == "COPY":
                for src in rest.split()[:-1]:
                    assert any(c == src.rstrip("/") or c.startswith(src.rstrip("/") + "/")
                               for c in context), f"{name}: COPY {src} is ignored"
    # ...but not the demo phones and credentials, which compose mounts.
    for demo in ("asterisk-conf/pjsip.conf", "asterisk-conf/manager.conf",
                 "asterisk-conf/ari.conf"):
        assert demo not in context
    size = sum((ROOT / c).stat().st_size for c in context)
    assert size < 2_000_000, f"build context {size} bytes"


def test_the_controller_waits_for_healthy_redis_and_asterisk_and_runs_under_an_init():
    services = yaml.safe_load((DOCKER / "compose.yaml").read_text())["services"]
    controller = services["controller"]
    assert controller["depends_on"] == {"redis": {"condition": "service_healthy"},
                                        "asterisk": {"condition": "service_healthy"}}
    # A Python PID 1 ignores SIGTERM until its handler is in place: an init.
    assert controller["init"] is True
    for name in ("redis", "asterisk", "controller"):
        assert services[name]["healthcheck"]["test"], name


def test_the_images_users_have_the_ids_the_operations_guide_gives():
    # The operator's mounted files are made readable by these ids.
    guide = (ROOT / "docs" / "operations.md").read_text()
    for name, user, uid in (("Dockerfile.asterisk", "asterisk", 5060),
                            ("Dockerfile.controller", "datadesk", 8680)):
        runs = " ".join(rest for word, rest in instructions(DOCKER / name) if word == "RUN")
        assert f"--uid {uid} " in runs and f"--gid {uid} {user}" in runs, name
        assert f"`{user}` ({uid})" in guide, user
