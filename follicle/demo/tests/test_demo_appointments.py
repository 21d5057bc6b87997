"""`follicle demo`: rooms, hours and a month of appointments, booked and settled through the services."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from itertools import combinations

import pytest
from django.core.management import call_command
from django.utils import timezone

from follicle.core.audit import verify_chain
from follicle.core.models import AuditEvent, Clinic
from follicle.demo.appointments import AHEAD_DAYS, BACK_DAYS, ROOMS
from follicle.scheduling import selectors, slots
from follicle.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentStatusChange,
    AppointmentType,
    PractitionerAbsence,
    PractitionerHours,
    Room,
)
from follicle.treatments.models import SessionStatus

BOOKERS = {"Athens": "reception.athens", "Thessaloniki": "admin.thessaloniki"}


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def demo(*args) -> None:
    call_command("demo", "--no-progress", *args)


@pytest.mark.django_db
def test_month_of_appointments(catalogue, capsys):
    demo("--patients", "12")
    out = capsys.readouterr().out
    now = timezone.now()
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    first, last = selectors.day_bounds(
        today - dt.timedelta(days=BACK_DAYS), today + dt.timedelta(days=AHEAD_DAYS)
    )
    locum_days = {}
    for name in ("Athens", "Thessaloniki"):
        clinic = Clinic.objects.get(name=name)
        assert re.search(
            rf"^{name}: 3 rooms, 4 appointment types; \d+ appointments \S+ \(\d+ past, \d+ future\): "
            r"\d+ done, \d+ no-shows, \d+ cancelled, \d+ booked",
            out,
            re.M,
        ), out

        # Resources through the services: the standard types, the Greek rooms, everyone's hours.
        assert set(AppointmentType.objects.filter(clinic=clinic).values_list("code", flat=True)) == set(
            AppointmentType.Code.values
        )
        assert set(Room.objects.filter(clinic=clinic, is_active=True).values_list("name", flat=True)) == set(
            ROOMS
        )
        for practitioner in selectors.practitioner_list(clinic=clinic):
            assert PractitionerHours.objects.filter(clinic=clinic, practitioner=practitioner).exists()
        locum_days[name] = set(
            PractitionerHours.objects.filter(
                clinic=clinic, practitioner__username="locum.doctor"
            ).values_list("weekday", flat=True)
        )

        # A month around today, in the past and ahead, booked by reception (or the admin).
        rows = Appointment.objects.filter(clinic=clinic)
        assert rows.filter(starts_at__lt=now).exists() and rows.filter(starts_at__gt=now).exists()
        assert not rows.filter(starts_at__lt=first).exists() and not rows.filter(starts_at__gte=last).exists()
        assert set(rows.values_list("created_by__username", flat=True)) == {BOOKERS[name]}
        assert rows.filter(planned_session__isnull=False).exists()

        # Every appointment inside its practitioner's hours on that day.
        for appointment in rows.select_related("practitioner"):
            day = timezone.localtime(appointment.starts_at).date()
            availability = selectors.availability(
                clinic=clinic, practitioner=appointment.practitioner, first=day, last=day
            )
            assert slots.within(appointment.starts_at, appointment.ends_at, availability, tz), appointment

    # The locum works different weekdays in each clinic; one absence next month.
    assert locum_days["Athens"] and locum_days["Thessaloniki"]
    assert not locum_days["Athens"] & locum_days["Thessaloniki"]
    absence = PractitionerAbsence.objects.get(reason="Conference")
    assert absence.start_date > today and absence.start_date.month != today.month

    appointments = list(
        Appointment.objects.select_related("planned_session__plan", "type", "practitioner", "room")
    )
    statuses = Counter(a.status for a in appointments)
    assert statuses[AppointmentStatus.DONE] and statuses[AppointmentStatus.NO_SHOW], statuses
    assert statuses[AppointmentStatus.CANCELLED] and statuses[AppointmentStatus.BOOKED], statuses
    slack = dt.timedelta(minutes=5)  # the demo's "now" was a moment before the test's
    for a in appointments:
        if a.status in (AppointmentStatus.DONE, AppointmentStatus.NO_SHOW):
            assert a.starts_at < now, a
        if a.status == AppointmentStatus.BOOKED:
            assert a.starts_at > now - slack, a  # nothing past is left unsettled
        if a.status == AppointmentStatus.CANCELLED:
            assert a.status_reason
        if a.status == AppointmentStatus.DONE:
            change = AppointmentStatusChange.objects.get(appointment=a, to_status=AppointmentStatus.DONE)
            assert change.changed_by_id == a.practitioner_id  # the practitioner marks done
        if a.type.needs_room:
            assert a.room is not None
        # Sessions link to a session of the same patient's plan, and agree with it.
        session = a.planned_session
        if session is not None:
            assert a.type.code == AppointmentType.Code.SESSION
            assert session.plan.patient_id == a.patient_id and session.plan.clinic_id == a.clinic_id
            if a.status == AppointmentStatus.DONE:
                assert session.status == SessionStatus.DONE
            if a.status == AppointmentStatus.NO_SHOW:
                assert session.status == SessionStatus.MISSED
        else:
            assert a.type.code != AppointmentType.Code.SESSION

    # Never double-booked: no two active appointments overlap for a practitioner or a room.
    active = [a for a in appointments if a.status in ACTIVE_STATUSES]
    for a, b in combinations(active, 2):
        if a.practitioner_id == b.practitioner_id or (a.room_id and a.room_id == b.room_id):
            assert not slots.overlaps((a.starts_at, a.ends_at), (b.starts_at, b.ends_at)), (a, b)

    # Through the services: audited, and the chain verifies.
    assert AuditEvent.objects.filter(action="appointment.book").count() == len(appointments)
    assert AuditEvent.objects.filter(action="appointment.status").exists()
    assert AuditEvent.objects.filter(action="room.save").count() == 2 * len(ROOMS)
    report = verify_chain()
    assert report.ok, report.reason

    # A second run adds nothing that is already there.
    demo("--patients", "12")
    assert Appointment.objects.count() == len(appointments)
    assert Room.objects.count() == 2 * len(ROOMS)
    assert PractitionerAbsence.objects.count() == 1
