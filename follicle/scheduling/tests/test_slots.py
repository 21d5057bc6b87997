"""Slot arithmetic, without a database: hours, days off, holidays, the grid, busy times."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from follicle.scheduling.slots import Availability, day_slots, overlaps, range_slots, within

TZ = ZoneInfo("Europe/Athens")
MONDAY = dt.date(2030, 3, 4)
NINE_TO_FIVE = {d: (dt.time(9), dt.time(17)) for d in range(5)}


def at(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


class TestAvailability:
    def test_clinic_hours_when_the_practitioner_has_none(self):
        a = Availability(opening=NINE_TO_FIVE)
        assert a.window(MONDAY) == (dt.time(9), dt.time(17))
        assert a.window(MONDAY + dt.timedelta(days=5)) is None  # Saturday
        assert a.reason_closed(MONDAY + dt.timedelta(days=5)) == "clinic_closed"

    def test_practitioner_hours_narrow_the_clinic_hours(self):
        a = Availability(
            opening=NINE_TO_FIVE, hours={0: (dt.time(8), dt.time(13)), 2: (dt.time(12), dt.time(20))}
        )
        assert a.window(MONDAY) == (dt.time(9), dt.time(13))
        assert a.window(MONDAY + dt.timedelta(days=2)) == (dt.time(12), dt.time(17))
        assert a.window(MONDAY + dt.timedelta(days=1)) is None  # no row: a day off
        assert a.reason_closed(MONDAY + dt.timedelta(days=1)) == "not_working"

    def test_closed_days_and_absences(self):
        a = Availability(
            opening=NINE_TO_FIVE,
            closed=frozenset({MONDAY}),
            absences=((MONDAY + dt.timedelta(days=2), MONDAY + dt.timedelta(days=3)),),
        )
        assert a.window(MONDAY) is None and a.reason_closed(MONDAY) == "closed_day"
        assert a.window(MONDAY + dt.timedelta(days=1)) is not None
        assert a.reason_closed(MONDAY + dt.timedelta(days=3)) == "absent"
        assert a.window(MONDAY + dt.timedelta(days=4)) is not None


class TestSlots:
    def test_grid_and_length(self):
        a = Availability(opening={0: (dt.time(9), dt.time(10))})
        assert day_slots(MONDAY, a, [], minutes=30, grid_minutes=15, tz=TZ) == [
            at(MONDAY, 9),
            at(MONDAY, 9, 15),
            at(MONDAY, 9, 30),
        ]

    def test_busy_times_are_skipped_and_touching_is_fine(self):
        a = Availability(opening={0: (dt.time(9), dt.time(11))})
        busy = [(at(MONDAY, 9, 30), at(MONDAY, 10))]
        free = day_slots(MONDAY, a, busy, minutes=30, grid_minutes=15, tz=TZ)
        assert at(MONDAY, 9) in free and at(MONDAY, 10) in free
        assert (
            at(MONDAY, 9, 15) not in free and at(MONDAY, 9, 30) not in free and at(MONDAY, 9, 45) not in free
        )

    def test_not_before(self):
        a = Availability(opening={0: (dt.time(9), dt.time(10))})
        free = day_slots(MONDAY, a, [], minutes=15, grid_minutes=15, tz=TZ, not_before=at(MONDAY, 9, 20))
        assert free == [at(MONDAY, 9, 30), at(MONDAY, 9, 45)]

    def test_range_leaves_out_closed_days(self):
        a = Availability(opening=NINE_TO_FIVE, closed=frozenset({MONDAY + dt.timedelta(days=1)}))
        found = range_slots(MONDAY, MONDAY + dt.timedelta(days=6), a, [], minutes=60, grid_minutes=60, tz=TZ)
        assert sorted(found) == [MONDAY + dt.timedelta(days=d) for d in (0, 2, 3, 4)]
        assert len(found[MONDAY]) == 8

    def test_within(self):
        a = Availability(opening=NINE_TO_FIVE)
        assert within(at(MONDAY, 16, 30), at(MONDAY, 17), a, TZ)
        assert not within(at(MONDAY, 16, 45), at(MONDAY, 17, 15), a, TZ)
        assert not within(at(MONDAY, 8, 45), at(MONDAY, 9, 15), a, TZ)

    def test_overlaps_is_half_open(self):
        assert overlaps((at(MONDAY, 9), at(MONDAY, 10)), (at(MONDAY, 9, 59), at(MONDAY, 11)))
        assert not overlaps((at(MONDAY, 9), at(MONDAY, 10)), (at(MONDAY, 10), at(MONDAY, 11)))
