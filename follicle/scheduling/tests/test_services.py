"""Booking rules, moves, status transitions with history, plan rescheduling and series booking."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from follicle.accounts.roles import Role
from follicle.core.models import AuditEvent
from follicle.scheduling import selectors, services
from follicle.scheduling.models import Appointment, AppointmentStatus, PractitionerAbsence, Room
from follicle.scheduling.tests.conftest import MONDAY, at
from follicle.treatments.models import SessionStatus

TUESDAY_HOLIDAY = dt.date(2030, 3, 12)


@pytest.mark.django_db
class TestAppointmentBook:
    def test_books_with_the_type_length_history_and_audit(self, book, reception):
        appointment = book(at(MONDAY, 10))
        assert appointment.status == AppointmentStatus.BOOKED
        assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=30)
        change = appointment.status_changes.get()
        assert (change.from_status, change.to_status, change.changed_by) == ("", "booked", reception.actor)
        assert AuditEvent.objects.filter(action="appointment.book", object_id=str(appointment.uuid)).exists()

    def test_outside_opening_hours_on_holidays_and_weekends(self, book):
        for when in (
            at(MONDAY, 8, 45),
            at(MONDAY, 16, 45),
            at(TUESDAY_HOLIDAY, 10),
            at(MONDAY, 10) + dt.timedelta(days=5),
        ):
            with pytest.raises(ValidationError) as exc:
                book(when)
            assert "starts_at" in exc.value.message_dict
        with pytest.raises(ValidationError, match="closed"):
            book(at(TUESDAY_HOLIDAY, 10))

    def test_practitioner_hours_and_absences(self, book, open_clinic, reception, doctor):
        services.practitioner_hours_set(
            clinic=open_clinic, auditor=reception, practitioner=doctor, hours={0: (dt.time(9), dt.time(12))}
        )
        assert book(at(MONDAY, 11, 30))
        with pytest.raises(ValidationError, match="working hours"):
            book(at(MONDAY, 12))
        with pytest.raises(ValidationError, match="does not work"):
            book(at(MONDAY + dt.timedelta(days=2), 10))
        services.practitioner_hours_set(clinic=open_clinic, auditor=reception, practitioner=doctor, hours={})
        PractitionerAbsence.objects.create(
            clinic=open_clinic,
            practitioner=doctor,
            start_date=MONDAY + dt.timedelta(days=2),
            end_date=MONDAY + dt.timedelta(days=3),
        )
        with pytest.raises(ValidationError, match="away"):
            book(at(MONDAY + dt.timedelta(days=3), 10))
        assert book(at(MONDAY + dt.timedelta(days=4), 10))

    def test_hours_must_lie_within_the_clinic_hours(self, open_clinic, reception, doctor):
        with pytest.raises(ValidationError, match="opening hours"):
            services.practitioner_hours_set(
                clinic=open_clinic,
                auditor=reception,
                practitioner=doctor,
                hours={0: (dt.time(8), dt.time(12))},
            )
        with pytest.raises(ValidationError, match="opening hours"):
            services.practitioner_hours_set(
                clinic=open_clinic,
                auditor=reception,
                practitioner=doctor,
                hours={6: (dt.time(9), dt.time(12))},
            )

    def test_only_practitioners_of_the_clinic(self, book, personas):
        for who in ("nurse", "receptionist", "other_practitioner"):
            with pytest.raises(ValidationError) as exc:
                book(at(MONDAY, 10), practitioner=personas[who])
            assert "practitioner" in exc.value.message_dict

    def test_same_clinic_for_everything(self, book, make_patient, other_clinic, setup):
        stranger = make_patient(clinic_=other_clinic)
        with pytest.raises(ValidationError, match="patient"):
            book(at(MONDAY, 10), patient=stranger)
        other_room = Room.objects.create(clinic=other_clinic, name="Elsewhere")
        with pytest.raises(ValidationError, match="room"):
            book(at(MONDAY, 10), type="session", room=other_room)

    def test_room_required_when_the_type_needs_one(self, book, setup):
        with pytest.raises(ValidationError, match="needs a room"):
            book(at(MONDAY, 10), type="session")
        assert book(at(MONDAY, 10), type="session", room=setup["room"]).room == setup["room"]

    def test_no_double_booking_of_practitioner_or_room(self, book, setup, make_member, open_clinic):
        book(at(MONDAY, 10), type="session", room=setup["room"])
        with pytest.raises(services.SlotTaken, match="practitioner"):
            book(at(MONDAY, 10, 15))
        colleague = make_member(open_clinic, Role.PRACTITIONER, username="doctor.two")
        with pytest.raises(services.SlotTaken, match="room"):
            book(at(MONDAY, 10, 15), practitioner=colleague, type="session", room=setup["room"])
        assert book(at(MONDAY, 10, 15), practitioner=colleague, type="session", room=setup["room2"])
        assert book(at(MONDAY, 10, 30))  # touching is fine
        assert Appointment.objects.count() == 3

    def test_a_cancelled_appointment_frees_the_slot(self, book, reception):
        first = book(at(MONDAY, 10))
        services.appointment_set_status(
            appointment=first, auditor=reception, to_status="cancelled", reason="Ill"
        )
        assert book(at(MONDAY, 10))


@pytest.mark.django_db
class TestStatus:
    def test_check_in_then_done_with_history(self, book, reception):
        a = book(at(MONDAY, 10))
        services.appointment_set_status(appointment=a, auditor=reception, to_status="checked_in")
        services.appointment_set_status(appointment=a, auditor=reception, to_status="done")
        a.refresh_from_db()
        assert a.status == "done"
        assert [(c.from_status, c.to_status) for c in a.status_changes.all()] == [
            ("", "booked"),
            ("booked", "checked_in"),
            ("checked_in", "done"),
        ]

    @pytest.mark.parametrize(
        ("path", "to_status"),
        [
            ([], "done"),
            (["no_show"], "checked_in"),
            (["checked_in", "done"], "cancelled"),
            (["cancelled"], "booked"),
        ],
    )
    def test_refused_transitions(self, book, reception, path, to_status):
        a = book(at(MONDAY, 10))
        for status in path:
            services.appointment_set_status(appointment=a, auditor=reception, to_status=status, reason="x")
        with pytest.raises(ValidationError):
            services.appointment_set_status(appointment=a, auditor=reception, to_status=to_status, reason="x")

    def test_cancel_needs_a_reason(self, book, reception):
        a = book(at(MONDAY, 10))
        with pytest.raises(ValidationError, match="reason"):
            services.appointment_set_status(
                appointment=a, auditor=reception, to_status="cancelled", reason=" "
            )
        services.appointment_set_status(appointment=a, auditor=reception, to_status="cancelled", reason="Flu")
        a.refresh_from_db()
        assert a.status_reason == "Flu" and a.status_changes.last().reason == "Flu"

    def test_after_commit_calls_reminders(
        self, book, reception, monkeypatch, django_capture_on_commit_callbacks
    ):
        calls = []
        monkeypatch.setattr(services.reminders, "appointment_changed", calls.append)
        with django_capture_on_commit_callbacks(execute=True):
            a = book(at(MONDAY, 10))
            services.appointment_move(appointment=a, auditor=reception, starts_at=at(MONDAY, 11))
            services.appointment_set_status(appointment=a, auditor=reception, to_status="checked_in")
        assert len(calls) == 3


@pytest.fixture
def active_plan(plan, auditor):
    from follicle.treatments.services import plan_activate

    return plan_activate(plan=plan, auditor=auditor)


@pytest.mark.django_db
class TestPlanSessions:
    def _book_session(self, book, active_plan, setup, number=1, when=None):
        session = active_plan.sessions.get(number=number)
        return book(
            when or at(session.planned_date, 10),
            patient=active_plan.patient,
            type="session",
            room=setup["room"],
            planned_session=session,
        )

    def test_session_length_from_zones(self, book, active_plan, setup):
        a = self._book_session(book, active_plan, setup)
        settings_minutes = selectors.session_minutes(plan=active_plan)
        assert a.ends_at - a.starts_at == dt.timedelta(minutes=settings_minutes)
        assert settings_minutes > 0

    def test_no_show_marks_the_session_missed_and_shifts_the_rest(self, book, active_plan, setup, reception):
        before = {s.number: s.planned_date for s in active_plan.sessions.all()}
        a = self._book_session(book, active_plan, setup)
        services.appointment_set_status(appointment=a, auditor=reception, to_status="no_show")
        sessions = {s.number: s for s in active_plan.sessions.all()}
        assert sessions[1].status == SessionStatus.MISSED
        assert sessions[2].planned_date == before[1] + dt.timedelta(days=1)  # the next open day
        # A week later is the holiday (Tuesday 12 March): the next open day.
        assert sessions[3].planned_date == TUESDAY_HOLIDAY + dt.timedelta(days=1)

    def test_later_appointments_show_the_plans_new_date(self, book, active_plan, setup, reception):
        first = self._book_session(book, active_plan, setup)
        second = self._book_session(book, active_plan, setup, number=2)
        assert second.plan_moved_to is None
        services.appointment_set_status(appointment=first, auditor=reception, to_status="no_show")
        second = selectors.appointment_get(clinic=second.clinic, uuid=second.uuid)
        new_date = active_plan.sessions.get(number=2).planned_date
        assert second.plan_moved_to == new_date != timezone.localtime(second.starts_at).date()

    def test_cancel_keeps_the_session_planned(self, book, active_plan, setup, reception):
        a = self._book_session(book, active_plan, setup)
        services.appointment_set_status(
            appointment=a, auditor=reception, to_status="cancelled", reason="Travel"
        )
        session = active_plan.sessions.get(number=1)
        assert session.status == SessionStatus.PLANNED
        assert session in selectors.sessions_to_book(plan=active_plan, today=MONDAY)

    def test_moving_a_session_shifts_the_later_sessions(self, book, active_plan, setup, reception):
        before = {s.number: s.planned_date for s in active_plan.sessions.all()}
        a = self._book_session(book, active_plan, setup)
        services.appointment_move(
            appointment=a, auditor=reception, starts_at=at(MONDAY + dt.timedelta(days=2), 11)
        )
        after = {s.number: s.planned_date for s in active_plan.sessions.all()}
        assert after[1] == MONDAY + dt.timedelta(days=2)
        assert after[2] == before[2] + dt.timedelta(days=2)
        move = a.status_changes.last()
        assert move.reason == "moved" and move.old_starts_at == at(MONDAY, 10)

    def test_next_session_slots_within_tolerance(self, active_plan, doctor, setup):
        session, days = selectors.next_session_slots(active_plan, doctor, setup["room"])
        assert session.number == 1
        first_day = next(iter(days))
        assert first_day == session.planned_date
        assert all(abs((d - session.planned_date).days) <= selectors.DEFAULT_TOLERANCE_DAYS for d in days)


@pytest.mark.django_db
class TestSeries:
    def test_preview_then_book(self, active_plan, doctor, setup, reception):
        times = services.proposed_times(
            plan=active_plan, practitioner=doctor, room=setup["room"], preferred=dt.time(10)
        )
        assert len(times) == active_plan.sessions.count()
        preview = services.appointment_book_series(
            plan=active_plan,
            auditor=reception,
            practitioner=doctor,
            room=setup["room"],
            times=times,
            confirm=False,
        )
        assert not any(i.conflicts for i in preview) and Appointment.objects.count() == 0
        booked = services.appointment_book_series(
            plan=active_plan,
            auditor=reception,
            practitioner=doctor,
            room=setup["room"],
            times=times,
            confirm=True,
        )
        assert all(i.appointment for i in booked)
        assert Appointment.objects.filter(planned_session__plan=active_plan).count() == len(times)
        assert selectors.sessions_to_book(plan=active_plan, today=MONDAY) == []

    def test_conflicts_are_shown_and_nothing_is_booked(self, active_plan, doctor, setup, reception, book):
        times = [at(s.planned_date, 10) for s in active_plan.sessions.all()[:3]]
        book(times[1])  # the practitioner is busy at the second time
        times[2] = at(TUESDAY_HOLIDAY, 10)
        items = services.appointment_book_series(
            plan=active_plan,
            auditor=reception,
            practitioner=doctor,
            room=setup["room"],
            times=times,
            confirm=True,
        )
        assert items[0].conflicts == []
        assert "already booked" in items[1].conflicts[0]
        assert "closed" in items[2].conflicts[0]
        assert Appointment.objects.filter(planned_session__isnull=False).count() == 0

    def test_overlaps_inside_the_series(self, active_plan, doctor, setup, reception):
        s1 = active_plan.sessions.get(number=1)
        items = services.series_preview(
            plan=active_plan, practitioner=doctor, room=setup["room"], times=[at(s1.planned_date, 10)] * 2
        )
        assert "Overlaps session 1" in items[1].conflicts[0]
