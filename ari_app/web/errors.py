"""Every refusal as JSON: ``{"error": "...", "field": "..."}``.

Handlers (and the intake and token checks before them) raise ``ApiError``
(or a subclass) carrying the status, a sentence, the field it names and any
header the status needs; they never build an error response themselves.
aiohttp raises its own ``HTTPException`` for an unknown route (404) or a
method the route does not take (405, with ``Allow``). Redis away (a
``RedisError`` or a socket error escaping a handler) is a 503 with one
WARNING line and no traceback. This middleware, the outermost, answers all
of them with the same JSON shape a client already parses.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """A refusal: ``status``, a sentence for the client, the ``field`` it names
    (if any) and ``headers`` the status needs (``Retry-After``, ``Allow``...)."""

    def __init__(self, status: int, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.headers = headers or {}


def error_response(status: int, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": message}
    if field:
        body["field"] = field
    return web.json_response(body, status=status, headers=headers)


def store_unavailable(request: web.Request, exc: BaseException) -> web.Response:
    """The 503 for a request the store (Redis) could not serve: what it means
    for this request, said once in the log as a WARNING without a traceback."""
    log.warning("%s %s answered 503: the callback store is unavailable: %s: %s",
                request.method, request.path, type(exc).__name__, exc)
    done = ("nothing was recorded, try again shortly" if request.method not in ("GET", "HEAD")
            else "try again shortly")
    return error_response(503, f"the callback store is unavailable ({type(exc).__name__}); "
                               f"{done}")


def _message(exc: web.HTTPException) -> str:
    if isinstance(exc, web.HTTPNotFound):
        return "no such resource"
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return (f"{exc.method} is not allowed here; allowed: "
                f"{', '.join(sorted(exc.allowed_methods))}")
    return exc.reason


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, str(exc), exc.field, exc.headers)
    except (RedisError, OSError) as exc:
        return store_unavailable(request, exc)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        headers = {k: v for k, v in exc.headers.items()
                   if k.lower() in ("allow", "retry-after", "www-authenticate")}
        return error_response(exc.status, _message(exc), headers=headers)
