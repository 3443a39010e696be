"""``/api/seats``: the live board, every seat with its presence, and the desk's status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from aiohttp import web

from ..clock import utcnow
from ..desk.board import Board
from ..desk.calendar import ServiceCalendar
from ..desk.routing import desk_status
from ..timefmt import for_machines

BOARD = web.AppKey("seats_board", Board)
CALENDAR = web.AppKey("seats_calendar", ServiceCalendar)
CLOCK = web.AppKey("seats_clock", Callable[[], datetime])


async def seats(request: web.Request) -> web.Response:
    board, calendar = request.app[BOARD], request.app[CALENDAR]
    now = request.app[CLOCK]()
    ts = now.timestamp()
    rows = [{**asdict(s), "state": s.state.name.lower(), "ready": s.ready(ts),
             "activity": s.activity(ts), "in_wrapup": s.in_wrapup(ts),
             # Instants for programs: UTC with Z (ari_app/timefmt.py), never Unix seconds.
             "changed_at": for_machines(s.changed_at) if s.changed_at else None,
             "last_call": for_machines(s.last_call) if s.last_call else None}
            for s in board]
    return web.json_response({
        "queue": board.queue, "synced": board.synced,
        "desk": desk_status(board, calendar, now).value,
        "open": calendar.is_open(now),
        "seats": rows})


def add_routes(app: web.Application, board: Board, calendar: ServiceCalendar, *,
               clock: Callable[[], datetime] = utcnow) -> None:
    app[BOARD], app[CALENDAR], app[CLOCK] = board, calendar, clock
    app.router.add_get("/api/seats", seats)
