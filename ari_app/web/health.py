"""Liveness and readiness, for orchestrators and load balancers (no token).

``/livez``: the process runs and its event loop answers; restart it if not.
``/readyz``: this replica can do its job now. A leader needs AMI in sync, the
ARI application held and Redis reachable; a standby needs AMI in sync and
Redis reachable (its board stays warm and, Redis answering, another replica
holds the lease: were there none, this one would have taken it). A lone
controller that cannot lead (Redis away) is therefore not ready.
``/healthz`` is the same answer as ``/readyz``, kept for existing probes.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from .. import __version__

HEALTH = web.AppKey("health", Callable[[], dict])
PATHS = ("/livez", "/readyz", "/healthz")


def problems(health: dict) -> list[str]:
    """Why a replica in this state cannot do its job (empty: it can)."""
    out = []
    if health["ami"] != "ready" or health["board"] != "in-sync":
        why, since = health.get("ami_trouble"), health.get("board_stale_since")
        out.append(f"AMI not in sync ({why or 'the board is stale'}): the board may be stale"
                   + (f" since {since}" if since else ""))
    if health["redis"] != "up":
        out.append(f"Redis {'unreachable' if health['redis'] == 'down' else 'not checked yet'}"
                   " (no leader lease, no callbacks)")
    if health["role"] == "leader" and health["ari"] != "connected":
        out.append("ARI application not held (transfers fall back to the dialplan)")
    return out


def readiness(health: dict) -> dict:
    """The body of ``/readyz``: ``ok``, what this replica does, and what is wrong."""
    wrong = problems(health)
    if wrong:
        status = "not ready: " + "; ".join(wrong)
    elif health["role"] == "leader":
        status = "leading: holding the ARI application and dialling callbacks"
    else:
        status = "standing by: another replica leads; ready to take over"
    return {"ok": not wrong, "status": status, "problems": wrong, **health}


async def livez(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True, "version": __version__})


async def readyz(request: web.Request) -> web.Response:
    body = readiness(request.app[HEALTH]())
    return web.json_response(body, status=200 if body["ok"] else 503)


def add_routes(app: web.Application, health: Callable[[], dict]) -> None:
    app[HEALTH] = health
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/healthz", readyz)
