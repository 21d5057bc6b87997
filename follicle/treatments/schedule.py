"""Pure schedule arithmetic: dates of sessions and checkpoints on the clinic's open days.

No Django here. A phase is `count × interval`; the first session of the plan is on the start
date and the first session of every later phase comes that phase's interval after the session
before it (the Abdallah 2009 schedule, weeks 0, 1, 2, 3, 5, 7, 11, is 4 × 7 d, 2 × 14 d, 1 × 28 d).
Each date is counted from the previous session's *nominal* date, so a holiday moves one session
and not the rhythm; a date that falls on a closed day moves to the next open day, and never on or
before the session before it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

IsOpen = Callable[[dt.date], bool]

# A clinic closed for a whole year is a configuration error, not a schedule.
MAX_SEARCH_DAYS = 366


class NoOpenDay(ValueError):
    pass


@dataclass(frozen=True)
class Phase:
    interval_days: int
    sessions: int | None = None  # None: open-ended, until stopped


@dataclass(frozen=True)
class Slot:
    date: dt.date
    nominal: dt.date
    phase: int  # index into the phases
    number_in_phase: int  # 1-based


def next_open(day: dt.date, is_open: IsOpen) -> dt.date:
    """`day` itself when open, else the next open day."""
    for offset in range(MAX_SEARCH_DAYS + 1):
        candidate = day + dt.timedelta(days=offset)
        if is_open(candidate):
            return candidate
    raise NoOpenDay(f"no open day within {MAX_SEARCH_DAYS} days of {day.isoformat()}")


def _land(nominal: dt.date, after: dt.date | None, is_open: IsOpen) -> dt.date:
    earliest = nominal if after is None or nominal > after else after + dt.timedelta(days=1)
    return next_open(earliest, is_open)


def generate_slots(
    start: dt.date, phases: Sequence[Phase], is_open: IsOpen, *, until: dt.date | None = None
) -> list[Slot]:
    """Every session of `phases` from `start`. An open-ended phase runs up to `until` (needed then)."""
    if any(p.sessions is None for p in phases) and until is None:
        raise ValueError("an open-ended phase needs a horizon (`until`)")
    slots: list[Slot] = []
    nominal: dt.date | None = None
    landed: dt.date | None = None
    for index, phase in enumerate(phases):
        number = 0
        while phase.sessions is None or number < phase.sessions:
            candidate = start if nominal is None else nominal + dt.timedelta(days=phase.interval_days)
            if phase.sessions is None and until is not None and candidate > until:
                break
            nominal = candidate
            landed = _land(nominal, landed, is_open)
            number += 1
            slots.append(Slot(landed, nominal, index, number))
        if phase.sessions is None:
            break  # nothing can follow an open-ended phase
    return slots


def generate(
    start: dt.date, phases: Sequence[Phase], is_open: IsOpen, *, until: dt.date | None = None
) -> list[dt.date]:
    """The session dates of `phases` from `start`, each on an open day."""
    return [slot.date for slot in generate_slots(start, phases, is_open, until=until)]


def continue_from(
    anchor: dt.date, intervals: Sequence[int], is_open: IsOpen, *, anchor_nominal: dt.date | None = None
) -> list[dt.date]:
    """Dates of the sessions after one held (or planned) on `anchor`, each `interval` after the last.

    This is the shift: when a session moves, the ones after it keep the protocol's intervals
    counted from the moved session.
    """
    nominal = anchor_nominal or anchor
    landed = anchor
    dates = []
    for interval in intervals:
        nominal = nominal + dt.timedelta(days=interval)
        landed = _land(nominal, landed, is_open)
        dates.append(landed)
    return dates


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day of the month `months` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def checkpoints(start: dt.date, months: Sequence[int], is_open: IsOpen) -> list[tuple[int, dt.date]]:
    """(months, date) of each outcome checkpoint, on an open day."""
    return [(m, next_open(add_months(start, m), is_open)) for m in sorted(set(months))]


def opening_checker(open_weekdays: set[int], closed_dates: set[dt.date]) -> IsOpen:
    """An `is_open` from the weekdays with opening hours (0 = Monday) and the closed dates.

    A clinic that has not entered any opening hours yet is treated as open every weekday
    (Monday–Friday), so a schedule can still be drafted.
    """
    weekdays = open_weekdays or {0, 1, 2, 3, 4}

    def is_open(day: dt.date) -> bool:
        return day.weekday() in weekdays and day not in closed_dates

    return is_open
