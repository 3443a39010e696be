"""The supervisor's wallboard: one page, live over Server-Sent Events.

``/wallboard`` serves the page (in the viewer's language); ``/api/wallboard``
the snapshot it shows (JSON); ``/api/wallboard/events`` pushes a new snapshot
every second and at once on any board change, and ends when the server
stops (so that a stop never waits on an open wallboard). A browser cannot put a bearer
token on an EventSource, so these two routes also take it as
``?access_token=``. Customer numbers are masked here, on the server, for any
token whose role may not see them (``wallboard``; ``supervisor`` and
``admin`` may: ``ari_app/roles.py``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..auth import sees_numbers
from ..texts import choose, texts
from .page import render_page
from .snapshot import BoardConfig, build_snapshot, for_viewer, mask

__all__ = ["BoardConfig", "build_snapshot", "for_viewer", "mask", "add_routes",
           "SNAPSHOT", "CHANGED", "CONFIG", "STOPPING"]

Snapshot = Callable[[], Awaitable[dict]]
SNAPSHOT = web.AppKey("wallboard_snapshot", object)
CHANGED = web.AppKey("wallboard_changed", asyncio.Event)
CONFIG = web.AppKey("wallboard_config", BoardConfig)
# Set when the server begins to stop: every open event stream ends.
STOPPING = web.AppKey("wallboard_stopping", asyncio.Event)


async def _viewed(request: web.Request) -> dict:
    return for_viewer(await request.app[SNAPSHOT](), sees_numbers(request))


async def snapshot_json(request: web.Request) -> web.Response:
    return web.json_response(await _viewed(request))


async def events(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
    await response.prepare(request)
    changed, stopping = request.app[CHANGED], request.app[STOPPING]
    try:
        while not stopping.is_set():
            data = json.dumps(await _viewed(request), ensure_ascii=False)
            await response.write(f"data: {data}\n\n".encode())
            await _next_push(changed, stopping)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def _next_push(changed: asyncio.Event, stopping: asyncio.Event) -> None:
    """Until the board changes, a second has passed or the server stops."""
    waits = {asyncio.ensure_future(changed.wait()), asyncio.ensure_future(stopping.wait())}
    try:
        await asyncio.wait(waits, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


async def _stop_streams(app: web.Application) -> None:
    app[STOPPING].set()


def page_language(request: web.Request) -> str:
    """``?lang=`` first, then the browser's Accept-Language, then the setting."""
    default = request.app[CONFIG].language if CONFIG in request.app else "zh"
    asked = request.query.get("lang", "")
    return choose(asked or request.headers.get("Accept-Language"), default)


async def page(request: web.Request) -> web.Response:
    language = page_language(request)
    return web.Response(text=render_page(texts(language), language), content_type="text/html",
                        charset="utf-8", headers={"Content-Language": language, "Vary":
                                                  "Accept-Language"})


def add_routes(app: web.Application) -> None:
    app[STOPPING] = asyncio.Event()
    app.on_shutdown.append(_stop_streams)
    app.router.add_get("/wallboard", page)
    app.router.add_get("/api/wallboard", snapshot_json)
    app.router.add_get("/api/wallboard/events", events)
