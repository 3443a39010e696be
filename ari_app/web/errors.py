"""Every refusal as JSON: ``{"error": "...", "field": "..."}``.

Handlers raise ``BadRequest`` for what the client sent wrong; aiohttp raises
its own ``HTTPException`` for an unknown route (404) or a method the route
does not take (405, with ``Allow``). This middleware, the outermost, answers
all of them with the same JSON shape a client already parses.
"""

from __future__ import annotations

from aiohttp import web

from .auth import Handler
from .intake import BadRequest


def error_response(status: int, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": message}
    if field:
        body["field"] = field
    return web.json_response(body, status=status, headers=headers)


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
    except BadRequest as exc:
        return error_response(exc.status, str(exc), exc.field)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        headers = {k: v for k, v in exc.headers.items()
                   if k.lower() in ("allow", "retry-after", "www-authenticate")}
        return error_response(exc.status, _message(exc), headers=headers)
