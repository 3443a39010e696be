"""The API's OpenAPI 3.1 document, served at ``/api/openapi.json``."""

from __future__ import annotations

from aiohttp import web

from ..roles import admitting
from .auth import ROUTES
from .openapi_quality import PATHS as QUALITY_PATHS

_ERROR = {"type": "object", "required": ["error"],
          "properties": {"error": {"type": "string"}, "field": {"type": "string"}}}
_PLAIN = ("visible text: Unicode controls (Cc), format characters (Cf), line and "
          "paragraph separators (Zl, Zp) are refused with 422")
_TIME = {"type": ["string", "null"], "format": "date-time"}
# What the customer was told (null: nothing, a callback stored before promises).
_PROMISE = {
    "type": ["object", "null"],
    "properties": {
        "told": {"type": "string", "enum": ["within", "between", "after"]},
        "minutes": {"type": "integer", "minimum": 0,
                    "description": "within: the N of 'within about N minutes'"},
        "from": _TIME, "by": {**_TIME, "description": "the told time (null for 'after')"},
        "late": {"type": "boolean", "description": "past the SLA deadline, and said so"},
        "booking": {"type": "string", "enum": ["", "chosen", "assigned"],
                    "description": "a slot the customer chose, or one given to a request "
                                   "made while closed: never dialled before 'from'"}},
}
_CALLBACK = {
    "type": "object",
    "required": ["id", "number", "status", "deadline", "attempts"],
    "properties": {
        "id": {"type": "string", "pattern": "^cb[0-9]+$"},
        "number": {"type": "string", "pattern": "^(\u2022*)[0-9]+$",
                   "description": "whole, or masked to its last four digits for a role "
                                  "that may not see numbers"},
        "topic": {"type": "string"}, "note": {"type": "string"}, "agent": {"type": "string"},
        "source": {"type": "string", "enum": ["api", "ivr"]},
        # The customer's language as captured ("": the desk's default).
        "language": {"type": "string", "enum": ["", "zh", "en"]},
        "status": {"type": "string",
                   "enum": ["open", "dialling", "done", "failed", "cancelled", "served"]},
        "reason": {"type": "string"}, "created": _TIME, "deadline": _TIME, "due": _TIME,
        "attempts": {"type": "integer", "minimum": 0},
        "last_outcome": {"type": "string"}, "sla": {"type": "string", "enum": ["", "met", "breached"]},
        "first_dialled": _TIME, "answered_at": _TIME,
        "promise": _PROMISE,
    },
}
_SEAT = {
    "type": "object",
    "properties": {
        "agent_id": {"type": "string"}, "interface": {"type": "string"},
        "registered": {"type": ["boolean", "null"]}, "in_queue": {"type": "boolean"},
        "paused": {"type": "boolean"}, "paused_reason": {"type": "string"},
        "state": {"type": "string"}, "in_call": {"type": "boolean"},
        "in_wrapup": {"type": "boolean"}, "ready": {"type": "boolean"},
        "activity": {"type": "string"},
        "changed_at": {"type": ["string", "null"], "format": "date-time",
                       "description": "last change of the seat's presence (UTC)"},
        "last_call": {"type": ["string", "null"], "format": "date-time",
                      "description": "end of the last queue call (UTC)"},
        "wrapup": {"type": "integer", "description": "wrap-up seconds"},
    },
}
_LIVE = {"type": "object", "required": ["ok", "version"],
         "properties": {"ok": {"const": True}, "version": {"type": "string"}}}
_READY = {
    "type": "object", "required": ["ok", "status", "problems", "role"],
    "properties": {
        "ok": {"type": "boolean"},
        "status": {"type": "string", "description": "what this replica does, or why it cannot"},
        "problems": {"type": "array", "items": {"type": "string"}},
        "role": {"type": "string", "enum": ["leader", "standby"]},
        "ami": {"type": "string", "enum": ["ready", "down"]},
        "ari": {"type": "string", "enum": ["connected", "down"]},
        "redis": {"type": "string", "enum": ["up", "down", "unknown"]},
        "board": {"type": "string", "enum": ["in-sync", "stale"]},
        "board_stale_since": {"type": ["string", "null"], "format": "date-time",
                              "description": "the last moment Asterisk was heard on an AMI "
                                             "link in sync (UTC); null while in sync"},
        "ami_trouble": {"type": ["string", "null"],
                        "description": "why AMI is not ready (null when it is)"},
        "redis_down_since": {"type": ["string", "null"], "format": "date-time",
                             "description": "since when Redis is unreachable (UTC)"},
    },
}


# Days of history, today included (the one numeric parser: 1-12 ASCII digits).
_DAYS = {"name": "days", "in": "query",
         "schema": {"type": "integer", "minimum": 1, "maximum": 366, "default": 28}}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    text = {400: "malformed request: the body (not UTF-8, not JSON, nested too deep) or a "
                 "query parameter (the body names it)",
            401: "missing or wrong bearer token",
            403: "the token's role may not use this route (the body names the role and the "
                 "roles that may)",
            404: "no such callback",
            409: "the callback has already ended; for a booking (not_before), its slot is "
                 "full (the body names the next slots with room) or the number's callback "
                 "is being dialled",
            413: "the body is larger than 64 KiB",
            415: "the body's charset is not UTF-8 (the body names it)",
            422: "a field was refused (the body says which and why), e.g. a number the desk "
                 "may not call or text with control, format or line-separator characters",
            429: "too many callback requests; retry after Retry-After seconds",
            503: "the callback store (Redis) is unavailable; nothing was recorded, try again "
                 "shortly"}
    # Every route that needs a token refuses one whose role may not (403).
    codes = (*codes, 403) if 401 in codes else codes
    return {str(c): _json(_ERROR, text[c]) for c in sorted(codes)}


DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "Data desk controller", "version": "0.1.0",
             "description": "Seat presence of the data desk and callbacks within the SLA. "
                            "Every error is JSON {error, field?}; an unknown path answers 404 "
                            "and a method a path does not take 405 (with Allow). Tokens carry "
                            "a role (wallboard, relay, metrics, supervisor, admin); each "
                            "route says which roles may use it."},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                   "schemas": {"Callback": _CALLBACK, "Seat": _SEAT, "Error": _ERROR}},
    "security": [{"bearer": []}],
    "paths": {
        "/livez": {"get": {
            "summary": "Does the process run? (no token needed)", "security": [],
            "responses": {"200": _json(_LIVE, "the event loop answers")}}},
        "/readyz": {"get": {
            "summary": "Can this replica do its job now? (no token needed)", "security": [],
            "responses": {"200": _json(_READY, "leader: AMI in sync, ARI application held, "
                                       "Redis reachable; standby: AMI in sync, Redis "
                                       "reachable, another replica leads"),
                          "503": _json(_READY, "not ready: problems says why")}}},
        "/healthz": {"get": {
            "summary": "The same answer as /readyz (kept for existing probes)", "security": [],
            "responses": {"200": _json(_READY, "ready in its role"),
                          "503": _json(_READY, "not ready: problems says why")}}},
        "/api/seats": {"get": {
            "summary": "The live board",
            "responses": {"200": _json({"type": "object", "properties": {
                "queue": {"type": "string"}, "synced": {"type": "boolean"},
                "desk": {"type": "string", "enum": ["free", "busy", "closed"]},
                "open": {"type": "boolean"},
                "seats": {"type": "array", "items": {"$ref": "#/components/schemas/Seat"}}}},
                "the board"), **_errors(401)}}},
        "/api/callbacks": {
            "post": {
                "summary": "Register a callback (one unfinished callback per number)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["number"], "additionalProperties": False,
                    "properties": {
                        "number": {"type": "string", "maxLength": 40,
                                   "description": "mainland mobile or fixed-line number"},
                        "topic": {"type": "string", "maxLength": 64,
                                  "description": "a topic name, e.g. wlan"},
                        "note": {"type": "string", "maxLength": 500, "description": _PLAIN},
                        "agent": {"type": "string", "maxLength": 32,
                                  "description": _PLAIN},
                        "not_before": {"type": "string", "maxLength": 40,
                                       "description": "book a slot from this time: "
                                       "YYYY-MM-DDTHH:MM[:SS] in the desk's zone (no offset, "
                                       "or the desk's own), in the future, within opening "
                                       "hours, at most [callbacks] book_days ahead; never "
                                       "dialled before it"}}}}}},
                "responses": {
                    "201": _json({"type": "object", "properties": {
                        "created": {"type": "boolean"}, "message": {"type": "string"},
                        "callback": {"$ref": "#/components/schemas/Callback"}}}, "registered"),
                    "200": _json({"type": "object"}, "the number's open callback was updated"),
                    **_errors(400, 401, 409, 413, 415, 422, 429, 503)}},
            "get": {
                "summary": "Unfinished callbacks, earliest deadline first; with ?number=, that "
                           "number's open callback (its number masked for a role that may "
                           "not list callbacks: x-roles-number)",
                "parameters": [
                    {"name": "number", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                    {"name": "offset", "in": "query",
                     "schema": {"type": "integer", "minimum": 0, "maximum": 1_000_000}}],
                "responses": {"200": _json({"type": "object", "properties": {
                    "open": {"type": "integer"},
                    "callbacks": {"type": "array",
                                  "items": {"$ref": "#/components/schemas/Callback"}}}},
                    "the list"), **_errors(400, 401, 422, 503)}}},
        "/api/callbacks/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "get": {"summary": "One callback with every attempt",
                    "responses": {"200": _json({"type": "object", "properties": {
                        "callback": {"$ref": "#/components/schemas/Callback"},
                        "attempts": {"type": "array", "items": {"type": "object"}},
                        "history": {"type": "array", "items": {"type": "object"}}}},
                        "the callback"), **_errors(401, 404, 503)}},
            "delete": {"summary": "Cancel a callback",
                       "responses": {"200": _json({"type": "object"}, "cancelled"),
                                     **_errors(401, 404, 409, 503)}}},
        "/metrics": {"get": {"summary": "Prometheus metrics",
                             "responses": {"200": {"description": "text exposition format",
                                                   "content": {"text/plain": {}}},
                                           **_errors(401)}}},
        "/api/wallboard": {"get": {
            "summary": "The wallboard's snapshot: desk, seats (each with its day), seats by "
                       "state, waiting, callbacks and their counts, today's figures "
                       "(docs/api.md lists them)",
            "responses": {"200": _json({"type": "object"}, "the snapshot"), **_errors(401)}}},
        "/api/wallboard/events": {"get": {
            "summary": "Server-Sent Events: a snapshot every second and on every change; "
                       "also takes ?access_token=",
            "responses": {"200": {"description": "text/event-stream",
                                  "content": {"text/event-stream": {}}}, **_errors(401)}}},
        "/wallboard": {"get": {
            "summary": "The wallboard page (HTML); also takes ?access_token=",
            "responses": {"200": {"description": "HTML", "content": {"text/html": {}}},
                          **_errors(401)}}},
        "/api/reports": {"get": {
            "summary": "The history per day, per hour and per seat over ?days= (1-366, "
                       "default 28)",
            "parameters": [_DAYS],
            "responses": {"200": _json({"type": "object"}, "the report"),
                          **_errors(400, 401, 503)}}},
        "/reports": {"get": {
            "summary": "The reports page (HTML, SVG plots); also takes ?access_token=",
            "parameters": [_DAYS],
            "responses": {"200": {"description": "HTML", "content": {"text/html": {}}},
                          **_errors(400, 401, 503)}}},
        "/reports.csv": {"get": {
            "summary": "The report as CSV (scope day, total, hour, seat); also takes "
                       "?access_token=",
            "parameters": [_DAYS],
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {}}},
                          **_errors(400, 401, 503)}}},
        "/api/openapi.json": {"get": {"summary": "This document",
                                      "responses": {"200": _json({"type": "object"}, "OpenAPI"),
                                                    **_errors(401)}}},
    },
}


def _with_roles(document: dict) -> dict:
    """Each protected operation says the roles that may use it
    (``x-roles``), read from the one table of ``auth.ROUTES``."""
    for (method, route), wanted in ROUTES.items():
        path, _, query = route.partition("?")
        operation = document["paths"][path][method.lower()]
        # A route narrowed by a query parameter: x-roles-number, say.
        operation[f"x-roles-{query.rstrip('=')}" if query else "x-roles"] = admitting(wanted)
    return document


DOCUMENT["paths"].update(QUALITY_PATHS)
_with_roles(DOCUMENT)


async def openapi(_request: web.Request) -> web.Response:
    return web.json_response(DOCUMENT)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/openapi.json", openapi)
