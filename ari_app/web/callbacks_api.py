"""REST API for callbacks: the frontline's relay-system form and the board.

``POST /api/callbacks`` registers a callback for a customer (one unfinished
callback per number: a repeat request updates it and says so),
``GET /api/callbacks`` lists unfinished ones by deadline,
``GET /api/callbacks/{id}`` shows one with every attempt,
``DELETE /api/callbacks/{id}`` cancels one.
"""

from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from ..desk.callback import Callback, Cancel
from ..service import CallbacksService, RateLimited, RequestError
from ..timefmt import for_machines
from .errors import ApiError, NotFound
from .intake import MAX_BODY, int_param, json_body  # MAX_BODY: the app's body limit

SERVICE = web.AppKey("callbacks", CallbacksService)
# Past this an offset only makes Redis work (or refuse): the list is far shorter.
MAX_OFFSET = 1_000_000


def _iso(value: str | None) -> str | None:
    return for_machines(value) if value else None


# Fields of a callback's history entries that hold a time (stored as Unix seconds).
_HISTORY_TIMES = ("at", "deadline", "due")


def present_history(entry: dict[str, str]) -> dict[str, str | None]:
    """One history entry as the API shows it (times in ISO 8601, UTC ``Z``)."""
    return {k: _iso(v) if k in _HISTORY_TIMES else v for k, v in entry.items()}


def _when(value: float | None) -> str | None:
    return for_machines(value) if value is not None else None


def present(cb: Callback) -> dict:
    """A stored callback as the API shows it (times in ISO 8601, UTC ``Z``)."""
    ask, times, progress, result = cb.request, cb.times, cb.progress, cb.result
    return {
        "id": cb.id, "number": ask.number, "topic": ask.topic, "note": ask.note,
        "agent": ask.agent, "source": ask.source, "language": ask.language,
        "status": cb.status.value,
        "reason": progress.reason, "created": _when(times.created),
        "deadline": _when(times.deadline), "due": _when(times.due),
        "attempts": progress.attempts,
        "last_outcome": progress.last_outcome.value if progress.last_outcome else "",
        "sla": result.sla.value if result.sla else "",
        "first_dialled": _when(result.first_dialled), "answered_at": _when(result.answered_at),
    }


async def create(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    unknown = set(body) - {"number", "topic", "note", "agent"}
    if unknown:
        raise ApiError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    if "number" not in body:
        raise ApiError(422, "number: required", "number")
    try:
        accepted = await service.request(
            number=body["number"], topic=body.get("topic", ""), note=body.get("note", ""),
            agent=body.get("agent", ""), source="api", now=datetime.now(timezone.utc))
    except RateLimited as exc:
        raise ApiError(429, str(exc), exc.field,
                       {"Retry-After": str(exc.retry_after)}) from None
    except RequestError as exc:
        raise ApiError(422, str(exc), exc.field) from None
    stored = await service.get(accepted.id)
    if stored is None:
        raise ApiError(503, "the callback was stored but cannot be read back; try GET shortly")
    return web.json_response(
        {"created": accepted.created,
         "message": "callback registered" if accepted.created else
         "this number already had an open callback: it was updated",
         "callback": present(stored)},
        status=201 if accepted.created else 200)


async def listing(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    limit = int_param(request, "limit", 100, 1, 1000)
    offset = int_param(request, "offset", 0, 0, MAX_OFFSET)
    rows = await service.open_callbacks(limit=limit, offset=offset)
    return web.json_response({"open": await service.count_open(),
                              "callbacks": [present(r) for r in rows]})


async def show(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    cb_id = request.match_info["id"]
    cb = await service.get(cb_id)
    if cb is None:
        raise NotFound("no such callback")
    history = [present_history(h) for h in await service.history(cb_id)]
    attempts = [h for h in history if h.get("event") in ("attempt", "recovered")]
    return web.json_response({"callback": present(cb), "attempts": attempts,
                              "history": history})


async def cancel(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    cb_id = request.match_info["id"]
    done = await service.cancel(cb_id)
    if done.result is Cancel.MISSING:
        raise NotFound("no such callback")
    if done.result is Cancel.ENDED:
        ended = done.ended.value if done.ended else "?"
        raise ApiError(409, f"the callback has already ended ({ended})")
    cb = await service.get(cb_id)
    if cb is None:
        raise NotFound("no such callback")
    return web.json_response({"callback": present(cb)})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/callbacks", create)
    app.router.add_get("/api/callbacks", listing)
    app.router.add_get("/api/callbacks/{id}", show)
    app.router.add_delete("/api/callbacks/{id}", cancel)
