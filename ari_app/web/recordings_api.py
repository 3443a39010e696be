"""The recordings' HTTP face: list, show, play (Range), score, appeal, decide, pause.

Every ``{name}`` is checked against the one recording-name shape before it
is used anywhere (400 if it is not one, 404 if no such recording): no
decoded ``../``, ``%2f``, NUL or comma reaches ARI or Redis. The file comes
from ARI (``quality.files``) and is cut to the requested range here; each
play or download is written to the audit log with the token's label.
Roles: ``auth.ROUTES``; an appeal is the recording's own specialist's
(the token's seat is the recording's), a pause that seat's or an admin's.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time as dtime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from ..desk.numbers import mask
from ..desk.topics import display_name
from ..quality import review as rules
from ..quality.files import FileMissing, FileUnavailable
from ..quality.names import CONTENT_TYPE, BadName, checked
from ..quality.pause import PauseRefused
from ..quality.service import QualityParts
from ..store.recordings import Recording
from .auth import GRANT, sees_numbers
from .byte_ranges import RangeNotSatisfiable, byte_range
from .errors import ApiError
from .intake import json_body

QUALITY = web.AppKey("quality", QualityParts)
ZONE = web.AppKey("quality_zone", ZoneInfo)
RATINGS = ("satisfied", "acceptable", "dissatisfied", "not-rated", "none")


def present(rec: Recording, *, full_number: bool) -> dict:
    """A recording as the API shows it (numbers masked but the last four
    unless the role sees numbers; pause spans also as seconds into the file)."""
    def offset(at: object) -> float | None:
        return round(float(at) - rec.answered, 1) if isinstance(at, (int, float)) \
            and rec.answered else None
    number = rec.number if full_number else mask(rec.number)
    return {
        "name": rec.name, "kind": rec.kind, "call": rec.call, "callback": rec.callback or None,
        "attempt": rec.attempt or None, "number": number, "seat": rec.seat,
        "topic": rec.topic, "language": rec.language, "state": rec.state,
        "topic_names": {lang: display_name(rec.topic, lang) for lang in ("zh", "en")}
        if rec.topic else {},
        "started": rec.started or None, "answered": rec.answered or None,
        "ended": rec.ended or None, "seconds": round(rec.seconds, 2), "bytes": int(rec.size),
        "sha256": rec.sha256, "rating": rec.rating or None,
        "pauses": [{**p, "from_second": offset(p.get("from")), "to_second": offset(p.get("to"))}
                   for p in rec.pauses],
        "review": rec.review, "score": rules.final_score(rec.review),
        "under_review": rec.under_review, "source": rec.source or "events",
    }


def _name(request: web.Request) -> str:
    try:
        return checked(request.match_info["name"])
    except BadName:
        raise ApiError(400, "not a recording name", "name") from None


async def _record(request: web.Request) -> Recording:
    found = await request.app[QUALITY].store.get(_name(request))
    if found is None:
        raise ApiError(404, "no such recording")
    return found


def _day(request: web.Request) -> date:
    raw = request.query.get("day", "")
    if not raw:
        return datetime.now(request.app[ZONE]).date()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, "day: YYYY-MM-DD", "day") from None


def _matches(rec: Recording, query) -> bool:
    digits = query.get("digits", "")
    rating = query.get("rating", "")
    return ((not query.get("seat") or rec.seat == query["seat"])
            and (not query.get("topic") or rec.topic == query["topic"])
            and (not digits or rec.number.endswith(digits))
            and (not rating or (rec.rating or "none") == rating))


async def listing(request: web.Request) -> web.Response:
    query = request.query
    if query.get("digits") and not query["digits"].isdigit() or len(query.get("digits", "")) > 11:
        raise ApiError(400, "digits: the last digits of the number", "digits")
    if query.get("rating") and query["rating"] not in RATINGS:
        raise ApiError(400, f"rating: one of {', '.join(RATINGS)}", "rating")
    day = _day(request)
    zone = request.app[ZONE]
    start = datetime.combine(day, dtime(0), zone).timestamp()
    end = datetime.combine(day + timedelta(days=1), dtime(0), zone).timestamp()
    store = request.app[QUALITY].store
    found = await store.many(await store.names_between(start, end))
    shown = [present(r, full_number=sees_numbers(request)) for r in found if _matches(r, query)]
    return web.json_response({"day": day.isoformat(), "recordings": shown})


async def show(request: web.Request) -> web.Response:
    rec = await _record(request)
    return web.json_response({"recording": present(rec, full_number=sees_numbers(request))})


async def file(request: web.Request) -> web.StreamResponse:
    """The recording's bytes, whole or one range; audited."""
    parts = request.app[QUALITY]
    rec = await _record(request)
    try:
        data = await parts.files.read(rec.name)
    except FileMissing:
        raise ApiError(404, "the recording's file is gone") from None
    except FileUnavailable:
        raise ApiError(503, "the PBX's recordings are unavailable; try again shortly") from None
    action = "download" if request.query.get("download") == "1" else "play"
    headers = {"Accept-Ranges": "bytes", "Content-Type": CONTENT_TYPE,
               "Cache-Control": "no-store"}
    if action == "download":
        headers["Content-Disposition"] = f'attachment; filename="{rec.name}.wav"'
    try:
        wanted = byte_range(request.headers.get("Range"), len(data))
    except RangeNotSatisfiable:
        raise ApiError(416, "the range is outside the recording",
                       headers={"Content-Range": f"bytes */{len(data)}"}) from None
    grant = request[GRANT]   # audio leaves now: in the audit log first
    await parts.store.audit(rec.name, action, grant.label, grant.role)
    if wanted is None:
        return web.Response(body=data, headers=headers)
    first, last = wanted
    headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
    return web.Response(status=206, body=data[first:last + 1], headers=headers)


async def _step(request: web.Request, rec: Recording, review: dict) -> web.Response:
    parts = request.app[QUALITY]
    before, after = rules.final_score(rec.review), rules.final_score(review)
    await parts.store.update(rec.name, {"review": json.dumps(review)})
    if after is not None and after != before:
        await parts.stats.scored(rec.answered or rec.started, rec.seat, after - (before or 0),
                                 1 if before is None else 0)
    rec.review = review
    return web.json_response({"recording": present(rec, full_number=sees_numbers(request))})


async def _object(request: web.Request, allowed: set[str]) -> dict:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    unknown = set(body) - allowed
    if unknown:
        raise ApiError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    return body


async def _review(request: web.Request, fields: set[str], step, *,
                  rec: Recording | None = None) -> web.Response:
    """One review step: ``step(review, body, label, now)`` (a ``review`` rule)
    on the body's ``fields``; 409 or 400 as the rule refuses."""
    rec = rec or await _record(request)
    body = await _object(request, fields)
    try:
        review = step(rec.review, body, request[GRANT].label, datetime.now().timestamp())
    except rules.ReviewRefused as exc:
        raise ApiError(409 if exc.conflict else 400, str(exc)) from None
    return await _step(request, rec, review)


async def score(request: web.Request) -> web.Response:
    return await _review(request, {"score", "comment"}, lambda review, b, by, at: rules.scored(
        review, b.get("score"), b.get("comment"), by, at))


async def appeal(request: web.Request) -> web.Response:
    rec = await _record(request)
    seat = request[GRANT].seat
    if not seat or seat != rec.seat:
        raise ApiError(403, "only the specialist of the seat that took the call may appeal")
    return await _review(request, {"reason"}, lambda review, b, by, at: rules.appealed(
        review, b.get("reason"), by, at), rec=rec)


async def decision(request: web.Request) -> web.Response:
    return await _review(request, {"decision", "score", "comment"},
                         lambda review, b, by, at: rules.decided(
                             review, b.get("decision"), b.get("score"), b.get("comment"), by,
                             at))


async def pause(request: web.Request) -> web.Response:
    rec = await _record(request)
    grant = request[GRANT]
    if grant.role != "admin" and grant.seat != rec.seat:
        raise ApiError(403, "only the seat on the call (or an admin) pauses its recording")
    body = await _object(request, {"paused"})
    if not isinstance(body.get("paused"), bool):
        raise ApiError(400, "paused: true or false", "paused")
    try:
        pauses = await request.app[QUALITY].pause.request(rec.name, body["paused"])
    except PauseRefused as exc:
        raise ApiError(409, str(exc)) from None
    return web.json_response({"name": rec.name, "paused": body["paused"], "pauses": pauses})


def add_routes(app: web.Application, parts: QualityParts, zone: ZoneInfo) -> None:
    app[QUALITY], app[ZONE] = parts, zone
    app.router.add_get("/api/recordings", listing)
    app.router.add_get("/api/recordings/{name}", show)
    app.router.add_get("/api/recordings/{name}/file", file)
    app.router.add_post("/api/recordings/{name}/score", score)
    app.router.add_post("/api/recordings/{name}/appeal", appeal)
    app.router.add_post("/api/recordings/{name}/decision", decision)
    app.router.add_post("/api/recordings/{name}/pause", pause)
