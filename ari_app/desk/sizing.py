"""Sizing from the desk's own traffic: per local hour, the measured
arrivals, the offered load and the Erlang C seats for 80/20.

The input is a ``Profile`` measured from the desk's daily figures
(``sizing_report.py`` reads it): transfers per local hour averaged over the
days read, and the mean talk time of the live desk calls answered. Wrap-up
is the desk queue's own ``wrapuptime`` (``[desk] wrapup``): the queue
enforces it, so it is what a seat really spends. Pure: no I/O.

The simulated SLA met % per seat count (the real dialer on a virtual clock,
``simulation/``) is added to the rows by whoever ran it (``with_simulation``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .staffing import offered_load, seats_needed

TARGET_ANSWER, TARGET_LEVEL = 20.0, 0.8    # 80% answered within 20 s
SEAT_RANGE = range(4, 11)                  # seat counts the simulation tries
TALK_MEAN = 148.0   # seconds: the specification's average data-service call


@dataclass(frozen=True)
class Profile:
    """Measured traffic: ``hourly`` = transfers per day in each local hour
    (00h first, 24 values), averaged over ``days``; times in seconds."""
    days: int
    hourly: tuple[float, ...]
    talk_mean: float
    wrapup: float
    answered: int = 0            # live desk calls the talk mean is taken from

    def __post_init__(self) -> None:
        if len(self.hourly) != 24 or any(v < 0 for v in self.hourly):
            raise ValueError("a profile needs 24 non-negative hourly figures")
        if self.talk_mean <= 0 or self.wrapup < 0 or self.days < 1:
            raise ValueError("talk time must be positive, wrap-up not negative, days >= 1")

    @property
    def per_day(self) -> float:
        return sum(self.hourly)

    @property
    def shares(self) -> tuple[float, ...]:
        """Each hour's share of the day, in % (all zero for an empty day)."""
        total = self.per_day
        return tuple(100 * v / total if total else 0.0 for v in self.hourly)

    def to_json(self) -> dict:
        return asdict(self) | {"hourly": list(self.hourly)}

    @classmethod
    def from_json(cls, data: dict) -> Profile:
        try:
            return cls(int(data["days"]), tuple(float(v) for v in data["hourly"]),
                       float(data["talk_mean"]), float(data["wrapup"]),
                       int(data.get("answered", 0)))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a traffic profile: {exc}") from exc


@dataclass(frozen=True)
class HourRow:
    """One local hour: measured arrivals (a day's average), offered Erlangs,
    Erlang C seats for 80/20, and the simulated SLA met % by seat count."""
    hour: int
    arrivals: float
    erlangs: float
    seats_80_20: int
    sla_met: dict[int, float] = field(default_factory=dict)


def hourly_rows(profile: Profile, max_seats: int = 10_000) -> list[HourRow]:
    """The 24 rows of ``profile`` (no simulation figures); ``ValueError`` if
    an hour needs more than ``max_seats``."""
    handle = profile.talk_mean + profile.wrapup
    rows = []
    for hour, calls in enumerate(profile.hourly):
        load = offered_load(calls, 3600, handle)
        seats = seats_needed(load, handle, TARGET_ANSWER, TARGET_LEVEL,
                             max_seats=max_seats) if load > 0 else 0
        rows.append(HourRow(hour, round(calls, 2), round(load, 3), seats))
    return rows


def with_simulation(rows: list[HourRow], met: dict[int, dict[int, float]]) -> list[HourRow]:
    """``rows`` with ``met[seats][hour]`` (SLA met % of callbacks requested in
    that hour) filled in; an hour without callbacks is left out."""
    return [HourRow(r.hour, r.arrivals, r.erlangs, r.seats_80_20,
                    {s: by_hour[r.hour] for s, by_hour in sorted(met.items())
                     if r.hour in by_hour}) for r in rows]
