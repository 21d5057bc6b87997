"""The pure schedule functions: open days, phases, open-ended maintenance, continuing after a move."""

from __future__ import annotations

import datetime as dt

import pytest

from follicle.treatments.schedule import (
    NoOpenDay,
    Phase,
    add_months,
    checkpoints,
    continue_from,
    generate,
    generate_slots,
    next_open,
    opening_checker,
)

MONDAY = dt.date(2030, 3, 4)
WEEKDAYS = opening_checker({0, 1, 2, 3, 4}, set())


def d(day: int, month: int = 3) -> dt.date:
    return dt.date(2030, month, day)


class TestGenerate:
    def test_abdallah_weeks_0_1_2_3_5_7_11(self):
        phases = [Phase(7, 4), Phase(14, 2), Phase(28, 1)]
        dates = generate(MONDAY, phases, WEEKDAYS)
        assert [(day - MONDAY).days // 7 for day in dates] == [0, 1, 2, 3, 5, 7, 11]

    def test_weekend_moves_to_monday_and_rhythm_is_kept(self):
        # Start on a Saturday: the first session moves to Monday; the next is still counted
        # from the nominal Saturday (a week later, which is again a Saturday → Monday).
        dates = generate(d(2), [Phase(7, 3)], WEEKDAYS)
        assert dates == [d(4), d(11), d(18)]

    def test_closed_day_moves_only_that_session(self):
        is_open = opening_checker({0, 1, 2, 3, 4}, {d(12)})
        dates = generate(d(5), [Phase(7, 3)], is_open)  # Tuesdays
        assert dates == [d(5), d(13), d(19)]

    def test_clinic_open_two_days_a_week(self):
        is_open = opening_checker({1, 3}, set())  # Tuesday, Thursday
        dates = generate(MONDAY, [Phase(2, 3)], is_open)
        assert dates == [d(5), d(7), d(12)]
        assert all(day.weekday() in (1, 3) for day in dates)

    def test_sessions_never_collide_when_closed_days_pile_up(self):
        is_open = opening_checker({0}, set())  # Mondays only, daily interval
        dates = generate(MONDAY, [Phase(1, 3)], is_open)
        assert dates == [d(4), d(11), d(18)]
        assert len(set(dates)) == 3

    def test_open_ended_phase_runs_to_the_horizon(self):
        phases = [Phase(7, 2), Phase(90, None)]
        slots = generate_slots(MONDAY, phases, WEEKDAYS, until=add_months(MONDAY, 12))
        maintenance = [s for s in slots if s.phase == 1]
        assert [s.phase for s in slots[:2]] == [0, 0]
        # Nominal days 97, 187, 277 after the start; day 367 is past the 12-month horizon (day 365).
        assert len(maintenance) == 3
        assert all(s.nominal <= add_months(MONDAY, 12) for s in slots)
        assert all(day.weekday() < 5 for day in (s.date for s in slots))

    def test_open_ended_needs_a_horizon(self):
        with pytest.raises(ValueError):
            generate(MONDAY, [Phase(30, None)], WEEKDAYS)

    def test_no_open_day_is_an_error(self):
        with pytest.raises(NoOpenDay):
            next_open(MONDAY, lambda day: False)

    def test_no_hours_entered_means_weekdays(self):
        is_open = opening_checker(set(), {MONDAY})
        assert next_open(MONDAY, is_open) == d(5)
        assert next_open(d(9), is_open) == d(11)


class TestContinueAndCheckpoints:
    def test_continue_keeps_intervals_from_the_anchor(self):
        assert continue_from(d(6), [7, 14, 14], WEEKDAYS) == [d(13), d(27), d(10, 4)]

    def test_continue_lands_on_open_days(self):
        is_open = opening_checker({0, 1, 2, 3, 4}, {d(13)})
        assert continue_from(d(6), [7, 7], is_open) == [d(14), d(20)]

    def test_add_months_clamps_to_month_end(self):
        assert add_months(dt.date(2030, 1, 31), 1) == dt.date(2030, 2, 28)
        assert add_months(dt.date(2030, 11, 15), 3) == dt.date(2031, 2, 15)

    def test_checkpoints_on_open_days(self):
        found = checkpoints(MONDAY, [12, 0, 3, 3], WEEKDAYS)
        assert [m for m, _ in found] == [0, 3, 12]
        assert found[0][1] == MONDAY
        assert found[1][1] == dt.date(2030, 6, 4)
        assert found[2][1] == dt.date(2031, 3, 4)  # a Tuesday
