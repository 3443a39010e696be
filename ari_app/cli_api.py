"""The operator commands' client of the running controller's HTTP API: the
URL and token from the settings, one request, and an answer that is always a
JSON object (a proxy's page or a truncated body becomes an error naming the
status, never a traceback)."""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request

from .roles import Permission, bare_token, may
from .settings import Settings, build_grants

EXIT_UNREACHABLE = 3


def token_for(settings: Settings, permission: Permission) -> str:
    """``DATADESK_API_TOKEN``, else the first configured token whose role
    holds ``permission`` (else the first one: the answer says what is missing)."""
    chosen = os.environ.get("DATADESK_API_TOKEN")
    if chosen:
        return bare_token(chosen)
    held = build_grants(settings.http)
    fitting = [g for g in held if may(g.role, permission)]
    return (fitting or held)[0].token if held else ""


def call(settings: Settings, method: str, path: str,
         permission: Permission) -> tuple[int, dict]:
    """One call to the running controller's API (URL and token from settings)."""
    token = token_for(settings, permission)
    host = "127.0.0.1" if settings.http.host in ("0.0.0.0", "") else settings.http.host
    request = urllib.request.Request(f"http://{host}:{settings.http.port}{path}", method=method,
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, answer_body(resp.status, resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, answer_body(exc.code, exc.read())
    except OSError as exc:
        print(f"datadesk: controller not reachable at {host}:{settings.http.port}: {exc}",
              file=sys.stderr)
        raise SystemExit(EXIT_UNREACHABLE) from exc


def answer_body(status: int, raw: bytes) -> dict:
    """An answer's JSON object; one that is not (a proxy's page, a truncated
    body) is read as an error naming the status, never a traceback."""
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    first = raw.decode("utf-8", "replace").strip().splitlines()[:1]
    return {"error": f"HTTP {status}, not a JSON object: {first[0][:80] if first else 'empty'}",
            "_not_json": True}
