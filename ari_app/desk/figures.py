"""The figures a desk is run by, from its counters: pure, no I/O.

The counters (``ari_app/store/stats.py`` keeps them per day and hour) are
counted from Asterisk's own events (``ari_app/asterisk/desk_calls.py``):

* ``offered``: live transfers the routing rule sent to a seat (the desk
  queue or a named seat); ``answered``: those a seat answered, with
  ``answered_in_sl`` answered within ``[desk] service_level`` seconds of
  waiting (the queue's ``HoldTime``, plus the ring of a named seat that did
  not answer first) and ``wait_seconds`` the waits of the answered, counted
  when a seat answers; ``completed``, ``talk_seconds`` and
  ``wrapup_seconds`` (the seat's wrap-up after each queue call), counted
  when the call ends, make the talk and handle times (a day kept before
  ``completed`` was counted divides by ``answered``, then counted at the end).
* ``abandoned_<where>`` and ``abandoned_<where>_seconds``: callers who
  hung up before a seat answered, by where they left (``ABANDON_PLACES``)
  and the time they had waited since the transfer reached the desk.
* ``booked_sla_met`` and ``booked_sla_breached``: of ``sla_met`` and
  ``sla_breached``, the callbacks booked for a slot (met: first dialled
  inside it), so booked and unbooked promises are read apart.
* per seat, day only: ``seat:<id>:live``, ``seat:<id>:callbacks``,
  ``seat:<id>:talk_seconds``, ``seat:<id>:pause:<code>`` (seconds paused
  with that reason code).

``FIGURES`` is the one table of figures every face shows (wallboard, reports
page, CSV, API, ``datadesk report``): one more figure is one entry there,
its value in ``summary`` and its phrase in ``web/texts.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

# Where a caller left before a seat answered.
ABANDON_PLACES = ("queue", "capture", "routing")
COUNTERS = ("transfers", "repeat", "offered", "answered", "answered_in_sl", "wait_seconds",
            "completed", "talk_seconds", "wrapup_seconds", "callbacks_requested", "callbacks_made",
            "callbacks_failed", "sla_met", "sla_breached", "booked_sla_met", "booked_sla_breached",
            *(f"abandoned_{p}" for p in ABANDON_PLACES),
            *(f"abandoned_{p}_seconds" for p in ABANDON_PLACES))
TARGET_HANDLE_SECONDS = 148  # the source's data-service call, against 131 s overall
SEAT_PREFIX = "seat:"


@dataclass(frozen=True)
class Figure:
    """One figure as the faces show it: its key in ``summary``, its unit
    (``count``, ``percent`` or ``seconds``) and where it is shown."""
    key: str
    unit: str = "count"
    per_hour: bool = True
    on_board: bool = True


FIGURES: tuple[Figure, ...] = (
    Figure("transfers"),
    Figure("offered", on_board=False),
    Figure("answered"),
    Figure("answered_in_sl", on_board=False),
    Figure("completed", on_board=False),
    Figure("service_level_percent", "percent"),
    Figure("abandoned"),
    Figure("abandoned_percent", "percent"),
    Figure("abandoned_queue", on_board=False),
    Figure("abandoned_capture", on_board=False),
    Figure("abandoned_routing", on_board=False),
    Figure("abandoned_wait_seconds", "seconds", on_board=False),
    Figure("average_speed_of_answer_seconds", "seconds"),
    Figure("average_talk_seconds", "seconds", on_board=False),
    Figure("average_handle_seconds", "seconds"),
    Figure("callbacks_requested", on_board=False),
    Figure("callbacks_dialled", per_hour=False),
    Figure("sla_met", per_hour=False, on_board=False),
    Figure("sla_breached", per_hour=False, on_board=False),
    Figure("callbacks_failed", per_hour=False, on_board=False),
    Figure("sla_met_percent", "percent", per_hour=False),
    Figure("booked_sla_met_percent", "percent", per_hour=False, on_board=False),
    Figure("unbooked_sla_met_percent", "percent", per_hour=False, on_board=False),
    Figure("repeat_rate_percent", "percent", per_hour=False),
    Figure("occupancy_percent", "percent"),
)


def summed(raws: list[dict[str, int]]) -> dict[str, int]:
    """The field-by-field sum of days' (or hours') counters: a period's own."""
    total: dict[str, int] = {}
    for raw in raws:
        for field, value in raw.items():
            total[field] = total.get(field, 0) + value
    return total


def _share(part: float, whole: float, digits: int = 1) -> float | None:
    return round(100 * part / whole, digits) if whole else None


def _mean(total: float, n: float) -> float | None:
    return round(total / n, 1) if n else None


def summary(raw: dict[str, int]) -> dict[str, float | int | None]:
    """The derived figures of one day, hour or any sum of them: None where
    nothing was there to measure (no call answered: no average talk time)."""
    c = {f: int(raw.get(f, 0)) for f in COUNTERS}
    answered, transfers = c["answered"], c["transfers"]
    ended = c["completed"] or answered
    abandoned = sum(c[f"abandoned_{p}"] for p in ABANDON_PLACES)
    abandoned_wait = sum(c[f"abandoned_{p}_seconds"] for p in ABANDON_PLACES)
    judged = c["sla_met"] + c["sla_breached"]
    booked = c["booked_sla_met"] + c["booked_sla_breached"]
    ready, busy = raw.get("seat_ready", 0), raw.get("seat_busy", 0)
    return {
        **c, "callbacks_dialled": c["callbacks_made"],
        "service_level_percent": _share(c["answered_in_sl"], c["offered"]),
        "abandoned": abandoned,
        "abandoned_percent": _share(abandoned, transfers),
        "abandoned_wait_seconds": _mean(abandoned_wait, abandoned),
        **{f"abandoned_{p}_wait_seconds": _mean(c[f"abandoned_{p}_seconds"],
                                                c[f"abandoned_{p}"]) for p in ABANDON_PLACES},
        "average_speed_of_answer_seconds": _mean(c["wait_seconds"], answered),
        "average_talk_seconds": _mean(c["talk_seconds"], ended),
        "average_handle_seconds": _mean(c["talk_seconds"] + c["wrapup_seconds"], ended),
        "target_talk_seconds": TARGET_HANDLE_SECONDS,
        "target_handle_seconds": TARGET_HANDLE_SECONDS,
        "sla_met_percent": _share(c["sla_met"], judged),
        # Booked and unbooked promises apart: a slot kept, the time told kept.
        "booked_sla_met_percent": _share(c["booked_sla_met"], booked),
        "unbooked_sla_met_percent": _share(c["sla_met"] - c["booked_sla_met"],
                                           max(judged - booked, 0)),
        "repeat_rate_percent": _share(c["repeat"], transfers, 2),
        "occupancy_percent": _share(busy, ready + busy),
    }


def seat_field(agent_id: str, name: str) -> str:
    """The day counter of one seat: ``seat:8601:live``, ``seat:8601:pause:lunch``."""
    return f"{SEAT_PREFIX}{agent_id}:{name}"


def per_seat(raw: dict[str, int], seats: tuple[str, ...] | list[str]) -> dict[str, dict]:
    """Each of ``seats`` with its day figures from ``raw``: calls handled live
    and callbacks, talk seconds, seconds paused by reason code."""
    out = {}
    for agent in seats:
        prefix = f"{SEAT_PREFIX}{agent}:"
        mine = {k[len(prefix):]: v for k, v in raw.items() if k.startswith(prefix)}
        pause = {k[len("pause:"):]: v for k, v in mine.items() if k.startswith("pause:")}
        out[agent] = {"live": mine.get("live", 0), "callbacks": mine.get("callbacks", 0),
                      "talk_seconds": mine.get("talk_seconds", 0), "pause_seconds": pause}
    return out


def service_level_colour(percent: float | None, colours: dict[str, int]) -> str:
    """The colour the settings name for ``percent`` (``[desk]
    service_level_colours``: colour -> the least percent that earns it, the
    highest earned wins); ``red`` below them all, ``none`` with nothing measured."""
    if percent is None:
        return "none"
    earned = [(least, colour) for colour, least in colours.items() if percent >= least]
    return max(earned)[1] if earned else "red"
