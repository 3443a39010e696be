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

from ..booking import promise_of
from ..desk.callback import Callback, Cancel
from ..desk.numbers import mask
from ..roles import Permission, may
from ..service import CallbacksService, RateLimited, RequestError, SlotTaken
from ..timefmt import for_machines
from .auth import ROLE
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


def present_promise(cb: Callback) -> dict | None:
    """What the customer was told: ``told`` (within, between, after),
    ``minutes`` (within), ``from`` and ``by`` (the told time; None for
    after), ``late`` (past the SLA deadline, and said so), ``booking``
    ("", chosen, assigned); None when nothing was told."""
    told = promise_of(cb)
    if told is None:
        return None
    return {"told": told.told.value, "minutes": told.minutes, "from": _when(told.start),
            "by": _when(told.end), "late": told.late, "booking": told.booking.value}


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
        "promise": present_promise(cb),
    }


async def create(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    unknown = set(body) - {"number", "topic", "note", "agent", "not_before"}
    if unknown:
        raise ApiError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    if "number" not in body:
        raise ApiError(422, "number: required", "number")
    now = datetime.now(timezone.utc)
    try:
        number, *_ = service.check(body["number"], body.get("topic", ""), body.get("note", ""),
                                   body.get("agent", ""))
        slot = await service.slot_from(body["not_before"], now, number) \
            if "not_before" in body else None
        accepted = await service.request(
            number=body["number"], topic=body.get("topic", ""), note=body.get("note", ""),
            agent=body.get("agent", ""), source="api", now=now, slot=slot)
    except RateLimited as exc:
        raise ApiError(429, str(exc), exc.field,
                       {"Retry-After": str(exc.retry_after)}) from None
    except SlotTaken as exc:
        free = ", ".join(f"{_when(o.start)} to {_when(o.end)}" for o in exc.offers)
        raise ApiError(409, f"{exc}; slots with room: {free or 'none within book_days'}",
                       exc.field) from None
    except RequestError as exc:
        raise ApiError(422, str(exc), exc.field) from None
    stored = await service.get(accepted.id)
    if stored is None:
        raise ApiError(503, "the callback was stored but cannot be read back; try GET shortly")
    if slot is not None and stored.times.due != slot.start.timestamp():
        raise ApiError(409, "not_before: the number's callback is being dialled now; its "
                            "time was not changed", "not_before")
    return web.json_response(
        {"created": accepted.created,
         "message": "callback registered" if accepted.created else
         "this number already had an open callback: it was updated",
         "callback": present(stored)},
        status=201 if accepted.created else 200)


async def listing(request: web.Request) -> web.Response:
    """Unfinished callbacks by deadline (``CALLBACKS``); with ``?number=``,
    that number's open callback, if any, its number masked unless the role
    may list callbacks (``LOOKUP``: the relay's check before registering)."""
    service = request.app[SERVICE]
    if "number" in request.query:
        try:
            found = await service.open_for(request.query["number"])
        except RequestError as exc:
            raise ApiError(422, str(exc), exc.field) from None
        rows = [present(found)] if found is not None else []
        if not may(request.get(ROLE, ""), Permission.CALLBACKS):
            rows = [{**r, "number": mask(r["number"])} for r in rows]
        return web.json_response({"open": len(rows), "callbacks": rows})
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
