"""Bearer tokens and their roles for the HTTP API.

Every route but the health probes (``/livez``, ``/readyz``, ``/healthz``)
needs ``Authorization: Bearer <token>`` with one of the configured tokens
(``[http] tokens`` or ``DATADESK_API_TOKENS``: ``ROLE:TOKEN`` entries,
``ari_app/roles.py``). Tokens are compared in constant time and never
logged. No token, or a wrong one: 401. A token whose role lacks what the
route needs (``ROUTES``): 403 naming the role and the roles that may. With
no token configured every protected route answers 401: an API left open by
mistake is worse than one that must be configured. A route missing from
``ROUTES`` is the admin's only (a unit test keeps the table complete).
"""

from __future__ import annotations

import hmac
import re

from aiohttp import web

from ..roles import Grant, Permission, admitting, may
from .errors import Forbidden, Handler, Unauthorized

OPEN_PATHS = frozenset({"/livez", "/readyz", "/healthz"})
# A browser's EventSource cannot send headers: these take ?access_token= too.
QUERY_TOKEN_PATHS = frozenset({"/wallboard", "/api/wallboard/events", "/reports",
                               "/reports.csv", "/quality"})
# ... and so does a recording's file: the browser's audio element asks for it
# (with Range) and cannot send a header either.
QUERY_TOKEN_FILE = re.compile(r"/api/recordings/[^/]{1,64}/file")
GRANTS = web.AppKey("api_grants", tuple)
ROLE = web.RequestKey("role", str)
GRANT = web.RequestKey("grant", Grant)
_EVERYTHING = frozenset(Permission)

# (method, route) -> the permissions it needs (empty: any valid token).
ROUTES: dict[tuple[str, str], frozenset[Permission]] = {
    ("GET", "/api/seats"): frozenset({Permission.SEATS}),
    ("POST", "/api/callbacks"): frozenset({Permission.REGISTER}),
    ("GET", "/api/callbacks"): frozenset({Permission.CALLBACKS}),
    # One number's open callback, masked: the frontline's check before registering.
    ("GET", "/api/callbacks?number="): frozenset({Permission.LOOKUP}),
    ("GET", "/api/callbacks/{id}"): frozenset({Permission.CALLBACKS}),
    ("DELETE", "/api/callbacks/{id}"): frozenset({Permission.CALLBACKS}),
    ("GET", "/metrics"): frozenset({Permission.METRICS}),
    ("GET", "/wallboard"): frozenset({Permission.BOARD}),
    ("GET", "/api/wallboard"): frozenset({Permission.BOARD}),
    ("GET", "/api/wallboard/events"): frozenset({Permission.BOARD}),
    ("GET", "/reports"): frozenset({Permission.REPORTS}),
    ("GET", "/reports.csv"): frozenset({Permission.REPORTS}),
    ("GET", "/api/reports"): frozenset({Permission.REPORTS}),
    ("GET", "/api/openapi.json"): frozenset(),
    ("GET", "/quality"): frozenset({Permission.RECORDINGS}),
    ("GET", "/api/recordings"): frozenset({Permission.RECORDINGS}),
    ("GET", "/api/recordings/{name}"): frozenset({Permission.RECORDINGS}),
    ("GET", "/api/recordings/{name}/file"): frozenset({Permission.RECORDINGS}),
    ("POST", "/api/recordings/{name}/score"): frozenset({Permission.SCORE}),
    ("POST", "/api/recordings/{name}/appeal"): frozenset({Permission.APPEAL}),
    ("POST", "/api/recordings/{name}/decision"): frozenset({Permission.DECIDE}),
    ("POST", "/api/recordings/{name}/pause"): frozenset({Permission.PAUSE}),
}


def _match(presented: str, grants: tuple[Grant, ...]) -> Grant | None:
    found = None
    for grant in grants:  # no early exit: the time taken says nothing
        if hmac.compare_digest(presented.encode(), grant.token.encode()):
            found = grant
    return found


def route_key(method: str, canonical: str, query: object = ()) -> tuple[str, str]:
    """The row of ``ROUTES`` a request is judged by: its method and route,
    or the route with the query parameter that narrows it (``?number=``)."""
    for parameter in ("number",):
        if (method, f"{canonical}?{parameter}=") in ROUTES and parameter in query:
            return method, f"{canonical}?{parameter}="
    return method, canonical


def needed(request: web.Request) -> frozenset[Permission]:
    """What the request's route needs; an unknown route (404) or method
    (405) needs nothing more than a valid token, an unlisted route everything."""
    route = request.match_info.route
    resource = route.resource
    if request.match_info.http_exception is not None or resource is None:
        return frozenset()
    method = "GET" if request.method == "HEAD" else request.method
    return ROUTES.get(route_key(method, resource.canonical, request.query), _EVERYTHING)


def _refusal(request: web.Request, role: str, wanted: frozenset[Permission]) -> Forbidden:
    return Forbidden(f"the token's role ({role}) may not {request.method} "
                         f"{request.path}; roles that may: {', '.join(admitting(wanted))}")


@web.middleware
async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in OPEN_PATHS:
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if not header and (request.path in QUERY_TOKEN_PATHS
                       or QUERY_TOKEN_FILE.fullmatch(request.path)):
        scheme, presented = "bearer", request.query.get("access_token", "")
    grant = None
    if scheme.lower() == "bearer" and presented.strip():
        grant = _match(presented.strip(), request.app[GRANTS])
    if grant is None:
        raise Unauthorized()
    wanted = needed(request)
    if not all(may(grant.role, p) for p in wanted):
        raise _refusal(request, grant.role, wanted)
    request[ROLE], request[GRANT] = grant.role, grant
    return await handler(request)


def sees_numbers(request: web.Request) -> bool:
    """May this request's token see customers' full numbers on the board?"""
    return may(request.get(ROLE, ""), Permission.NUMBERS)
