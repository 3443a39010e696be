"""The recordings' part of the OpenAPI document (``openapi.py`` merges it)."""

from __future__ import annotations

_ERR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict:
    return {str(c): {"description": "error", "content": {"application/json": {"schema": _ERR}}}
            for c in codes}


def _ok(description: str) -> dict:
    return {"200": {"description": description,
                    "content": {"application/json": {"schema": {"type": "object"}}}}}


def _body(properties: dict, required: list[str]) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False, "required": required,
        "properties": properties}}}}


_NAME = [{"name": "name", "in": "path", "required": True,
          "schema": {"type": "string",
                     "pattern": "^desk-([0-9]{6,32}|cb[0-9]{1,12}-[0-9]{1,12})$"}}]
_TEXT = {"type": "string", "maxLength": 500}
_FILTERS = [{"name": n, "in": "query", "schema": {"type": "string"}, "description": d}
            for n, d in (("day", "YYYY-MM-DD in the desk's time zone (default today)"),
                         ("seat", "agent ID"), ("topic", "topic name"),
                         ("digits", "the last digits of the customer's number"),
                         ("rating", "satisfied, acceptable, dissatisfied, not-rated or none"))]

PATHS = {
    "/quality": {"get": {
        "summary": "The QA page (HTML, zh-CN or English); also takes ?access_token=",
        "responses": {"200": {"description": "HTML", "content": {"text/html": {}}},
                      **_errors(401, 403)}}},
    "/api/recordings": {"get": {
        "summary": "The recordings of one day, filtered by seat, topic, last digits, rating",
        "parameters": _FILTERS, "responses": {**_ok("the list"), **_errors(400, 401, 403, 503)}}},
    "/api/recordings/{name}": {"parameters": _NAME, "get": {
        "summary": "One recording: what it served, its file, pauses, rating, review",
        "responses": {**_ok("the recording"), **_errors(400, 401, 403, 404, 503)}}},
    "/api/recordings/{name}/file": {"parameters": _NAME, "get": {
        "summary": "The recording's audio (audio/wav), one byte range or whole; "
                   "?download=1 as an attachment. Every call is audited.",
        "responses": {"200": {"description": "the file", "content": {"audio/wav": {}}},
                      "206": {"description": "the range", "content": {"audio/wav": {}}},
                      **_errors(400, 401, 403, 404, 416, 503)}}},
    "/api/recordings/{name}/score": {"parameters": _NAME, "post": {
        "summary": "The QA officer's score (0-100) and comment",
        "requestBody": _body({"score": {"type": "integer", "minimum": 0, "maximum": 100},
                              "comment": _TEXT}, ["score"]),
        "responses": {**_ok("the recording"), **_errors(400, 401, 403, 404, 409)}}},
    "/api/recordings/{name}/appeal": {"parameters": _NAME, "post": {
        "summary": "The seat's specialist appeals the score, once, with a reason",
        "requestBody": _body({"reason": _TEXT}, ["reason"]),
        "responses": {**_ok("the recording"), **_errors(400, 401, 403, 404, 409)}}},
    "/api/recordings/{name}/decision": {"parameters": _NAME, "post": {
        "summary": "A supervisor upholds or changes an appealed score",
        "requestBody": _body({"decision": {"enum": ["upheld", "changed"]},
                              "score": {"type": "integer", "minimum": 0, "maximum": 100},
                              "comment": _TEXT}, ["decision"]),
        "responses": {**_ok("the recording"), **_errors(400, 401, 403, 404, 409)}}},
    "/api/recordings/{name}/pause": {"parameters": _NAME, "post": {
        "summary": "Pause (payment details) or resume the recording of a call in progress",
        "requestBody": _body({"paused": {"type": "boolean"}}, ["paused"]),
        "responses": {**_ok("the pauses"), **_errors(400, 401, 403, 404, 409)}}},
}
