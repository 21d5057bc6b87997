"""Pure slot arithmetic: when a practitioner can be booked, and which start times are free.

No Django models here (selectors.py loads the inputs). A day's working window is the clinic's
opening hours for that weekday, narrowed to the practitioner's own hours when the practitioner has
any hours rows (a weekday without a row is then a day off); a closed day or an absence has none.
Start times sit on the clinic's slot grid, counted from the start of the window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

Window = tuple[dt.time, dt.time]
Interval = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class Availability:
    """Everything that says whether a practitioner works at a time, for some range of days."""

    opening: Mapping[int, Window]  # clinic: weekday (0 = Monday) → (opens, closes)
    hours: Mapping[int, Window] | None = None  # practitioner's; None: the clinic's hours
    closed: frozenset[dt.date] = frozenset()
    absences: Sequence[tuple[dt.date, dt.date]] = field(default_factory=tuple)  # inclusive ranges

    def reason_closed(self, day: dt.date) -> str:
        """Why nobody can be booked with this practitioner on `day` ("" if they can)."""
        if day in self.closed:
            return "closed_day"
        if any(start <= day <= end for start, end in self.absences):
            return "absent"
        if self.window(day) is None:
            return "not_working" if day.weekday() in self.opening else "clinic_closed"
        return ""

    def window(self, day: dt.date) -> Window | None:
        """The (from, until) the practitioner can be booked on `day`, or None."""
        if day in self.closed or any(start <= day <= end for start, end in self.absences):
            return None
        clinic = self.opening.get(day.weekday())
        if clinic is None:
            return None
        if self.hours is None:
            return clinic
        own = self.hours.get(day.weekday())
        if own is None:
            return None
        start, end = max(clinic[0], own[0]), min(clinic[1], own[1])
        return (start, end) if end > start else None


def overlaps(a: Interval, b: Interval) -> bool:
    """Half-open intervals [start, end): touching appointments do not overlap."""
    return a[0] < b[1] and b[0] < a[1]


def within(starts_at: dt.datetime, ends_at: dt.datetime, availability: Availability, tz: dt.tzinfo) -> bool:
    """Whether [starts_at, ends_at) lies inside one day's working window."""
    day = starts_at.astimezone(tz).date()
    window = availability.window(day)
    if window is None:
        return False
    opens = dt.datetime.combine(day, window[0], tzinfo=tz)
    closes = dt.datetime.combine(day, window[1], tzinfo=tz)
    return opens <= starts_at and ends_at <= closes


def day_slots(
    day: dt.date,
    availability: Availability,
    busy: Iterable[Interval],
    *,
    minutes: int,
    grid_minutes: int,
    tz: dt.tzinfo,
    not_before: dt.datetime | None = None,
) -> list[dt.datetime]:
    """Free start times on `day` for an appointment of `minutes`, on the grid, clear of `busy`."""
    window = availability.window(day)
    if window is None or minutes <= 0 or grid_minutes <= 0:
        return []
    start = dt.datetime.combine(day, window[0], tzinfo=tz)
    end = dt.datetime.combine(day, window[1], tzinfo=tz)
    length, step = dt.timedelta(minutes=minutes), dt.timedelta(minutes=grid_minutes)
    taken = sorted(b for b in busy if overlaps(b, (start, end)))
    free: list[dt.datetime] = []
    current = start
    while current + length <= end:
        candidate = (current, current + length)
        if (not_before is None or current >= not_before) and not any(overlaps(candidate, b) for b in taken):
            free.append(current)
        current += step
    return free


def range_slots(
    first: dt.date,
    last: dt.date,
    availability: Availability,
    busy: Iterable[Interval],
    *,
    minutes: int,
    grid_minutes: int,
    tz: dt.tzinfo,
    not_before: dt.datetime | None = None,
) -> dict[dt.date, list[dt.datetime]]:
    """`day_slots` for every day from `first` to `last` (inclusive); days without slots are left out."""
    busy = list(busy)
    found: dict[dt.date, list[dt.datetime]] = {}
    day = first
    while day <= last:
        slots = day_slots(
            day, availability, busy, minutes=minutes, grid_minutes=grid_minutes, tz=tz, not_before=not_before
        )
        if slots:
            found[day] = slots
        day += dt.timedelta(days=1)
    return found
