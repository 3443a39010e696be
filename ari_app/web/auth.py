"""Bearer-token authentication for the HTTP API.

Every route but the health probes (``/livez``, ``/readyz``, ``/healthz``)
needs ``Authorization: Bearer <token>`` with one of the configured tokens
(``[http] tokens`` or ``DATADESK_API_TOKENS``, comma-separated). Tokens are
compared in constant time and never logged. With no token configured every
protected route answers 401: an API left open by mistake is worse than one
that must be configured.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

OPEN_PATHS = frozenset({"/livez", "/readyz", "/healthz"})
# A browser's EventSource cannot send headers: these take ?access_token= too.
QUERY_TOKEN_PATHS = frozenset({"/wallboard", "/api/wallboard/events", "/reports",
                               "/reports.csv"})
TOKENS = web.AppKey("api_tokens", tuple)
# Tokens that also see customers' full numbers (they are valid tokens too).
SUPERVISORS = web.AppKey("supervisor_tokens", tuple)
SUPERVISOR = web.RequestKey("supervisor", bool)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _valid(presented: str, tokens: tuple[str, ...]) -> bool:
    ok = False
    for token in tokens:  # no early exit: the time taken says nothing
        ok |= hmac.compare_digest(presented.encode(), token.encode())
    return ok


@web.middleware
async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in OPEN_PATHS:
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if not header and request.path in QUERY_TOKEN_PATHS:
        scheme, presented = "bearer", request.query.get("access_token", "")
    supervisors = request.app.get(SUPERVISORS, ())
    if scheme.lower() != "bearer" or not presented or \
            not _valid(presented.strip(), request.app[TOKENS] + supervisors):
        return web.json_response({"error": "a valid bearer token is required"}, status=401,
                                 headers={"WWW-Authenticate": 'Bearer realm="datadesk"'})
    request[SUPERVISOR] = bool(supervisors) and _valid(presented.strip(), supervisors)
    return await handler(request)


def is_supervisor(request: web.Request) -> bool:
    """Did the request carry a supervisor's token (checked by ``require_token``)?"""
    return bool(request.get(SUPERVISOR, False))
