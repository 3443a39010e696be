"""Every refusal as JSON: ``{"error": "...", "field": "..."}``.

Handlers (and the intake and token checks before them) raise ``ApiError``
or one of its kinds below, carrying the status, a sentence, the field it
names and any header the status needs; they never build an error response
themselves. aiohttp raises its own ``HTTPException`` for an unknown route
(404) or a method the route does not take (405, with ``Allow``). The store
away (``ari_app.store.away``: a Redis or socket error escaping a handler)
is a ``StoreUnavailable`` 503 with one WARNING line and no traceback. This
middleware, the outermost, is the one place that writes an error body.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..store.away import STORE_ERRORS

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


class Unauthorized(ApiError):
    """401: no token, or one that is not configured; says how to authenticate."""

    def __init__(self, message: str = "a valid bearer token is required") -> None:
        super().__init__(401, message, headers={"WWW-Authenticate": 'Bearer realm="datadesk"'})


class Forbidden(ApiError):
    """403: a valid token whose role may not do this."""

    def __init__(self, message: str) -> None:
        super().__init__(403, message)


class NotFound(ApiError):
    """404: no such resource (a callback id, a route)."""

    def __init__(self, message: str = "no such resource") -> None:
        super().__init__(404, message)


class StoreUnavailable(ApiError):
    """503: the store (Redis) could not serve the request; what that means
    for it: a write recorded nothing, a read can be tried again."""

    def __init__(self, method: str, cause: BaseException | str) -> None:
        why = cause if isinstance(cause, str) else type(cause).__name__
        done = ("try again shortly" if method in ("GET", "HEAD")
                else "nothing was recorded, try again shortly")
        super().__init__(503, f"the callback store is unavailable ({why}); {done}")


def _body(exc: ApiError) -> web.Response:
    body = {"error": str(exc)}
    if exc.field:
        body["field"] = exc.field
    return web.json_response(body, status=exc.status, headers=exc.headers)


def _from_aiohttp(exc: web.HTTPException) -> ApiError:
    if isinstance(exc, web.HTTPNotFound):
        return NotFound()
    headers = {k: v for k, v in exc.headers.items()
               if k.lower() in ("allow", "retry-after", "www-authenticate")}
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return ApiError(exc.status, f"{exc.method} is not allowed here; allowed: "
                                    f"{', '.join(sorted(exc.allowed_methods))}", headers=headers)
    return ApiError(exc.status, exc.reason, headers=headers)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return _body(exc)
    except STORE_ERRORS as exc:
        log.warning("%s %s answered 503: the callback store is unavailable: %s: %s",
                    request.method, request.path, type(exc).__name__, exc)
        return _body(StoreUnavailable(request.method, exc))
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        return _body(_from_aiohttp(exc))
