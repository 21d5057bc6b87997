"""Reads for scheduling: resources, appointments, availability and free slots. Scoped to a clinic."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from follicle.accounts.models import Membership
from follicle.accounts.roles import Role
from follicle.core.models import Clinic
from follicle.scheduling import slots
from follicle.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentType,
    PractitionerAbsence,
    PractitionerHours,
    Room,
    SchedulingSettings,
)
from follicle.treatments.models import PlannedSession, SessionStatus, TreatmentPlan
from follicle.treatments.selectors import treatment_settings_get

User = get_user_model()

# Without a longest interval in the protocol, a session may be booked this many days either side.
DEFAULT_TOLERANCE_DAYS = 2


# --------------------------------------------------------------------------- resources
def scheduling_settings_get(*, clinic: Clinic) -> SchedulingSettings:
    """The clinic's scheduling policy; the defaults until an admin saves them."""
    return SchedulingSettings.objects.filter(clinic=clinic).first() or SchedulingSettings(clinic=clinic)


def room_list(*, clinic: Clinic, include_inactive: bool = False) -> QuerySet[Room]:
    rooms = Room.objects.filter(clinic=clinic)
    return rooms if include_inactive else rooms.filter(is_active=True)


def appointment_type_list(*, clinic: Clinic) -> QuerySet[AppointmentType]:
    return AppointmentType.objects.filter(clinic=clinic)


def practitioner_list(*, clinic: Clinic) -> QuerySet:
    """Users with an active practitioner membership in the clinic."""
    return (
        User.objects.filter(
            memberships__in=Membership.objects.active().filter(clinic=clinic, role=Role.PRACTITIONER)
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def is_practitioner(*, clinic: Clinic, user) -> bool:
    return Membership.objects.active().filter(clinic=clinic, user=user, role=Role.PRACTITIONER).exists()


def hours_list(*, clinic: Clinic, practitioner=None) -> QuerySet[PractitionerHours]:
    rows = PractitionerHours.objects.filter(clinic=clinic).select_related("practitioner")
    return rows.filter(practitioner=practitioner) if practitioner is not None else rows


def absence_list(*, clinic: Clinic, practitioner=None, since: dt.date | None = None) -> QuerySet:
    rows = PractitionerAbsence.objects.filter(clinic=clinic).select_related("practitioner")
    if practitioner is not None:
        rows = rows.filter(practitioner=practitioner)
    if since is not None:
        rows = rows.filter(end_date__gte=since)
    return rows


def availability(*, clinic: Clinic, practitioner, first: dt.date, last: dt.date) -> slots.Availability:
    """The inputs of slot arithmetic for one practitioner between two dates (inclusive)."""
    hours = {
        h.weekday: (h.starts_at, h.ends_at) for h in hours_list(clinic=clinic, practitioner=practitioner)
    }
    return slots.Availability(
        opening={h.weekday: (h.opens_at, h.closes_at) for h in clinic.opening_hours.all()},
        hours=hours or None,
        closed=frozenset(clinic.closed_days.filter(date__range=(first, last)).values_list("date", flat=True)),
        absences=tuple(
            absence_list(clinic=clinic, practitioner=practitioner)
            .filter(start_date__lte=last, end_date__gte=first)
            .values_list("start_date", "end_date")
        ),
    )


def day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Aware local midnight of `first` and of the day after `last`."""
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(first, dt.time(0), tzinfo=tz),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz),
    )


def busy_intervals(
    *, practitioner=None, room=None, starts: dt.datetime, ends: dt.datetime, exclude_pk: int | None = None
) -> list[slots.Interval]:
    """Active appointments of the practitioner or the room overlapping [starts, ends)."""
    who = Q()
    if practitioner is not None:
        who |= Q(practitioner=practitioner)
    if room is not None:
        who |= Q(room=room)
    if not who:
        return []
    rows = Appointment.objects.filter(who, status__in=ACTIVE_STATUSES, starts_at__lt=ends, ends_at__gt=starts)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return list(rows.values_list("starts_at", "ends_at"))


def free_slots(
    *,
    clinic: Clinic,
    practitioner,
    first: dt.date,
    last: dt.date | None = None,
    minutes: int,
    room: Room | None = None,
    exclude_pk: int | None = None,
) -> dict[dt.date, list[dt.datetime]]:
    """Free start times per day for the practitioner (and room), never in the past."""
    last = last or first
    starts, ends = day_bounds(first, last)
    return slots.range_slots(
        first,
        last,
        availability(clinic=clinic, practitioner=practitioner, first=first, last=last),
        busy_intervals(practitioner=practitioner, room=room, starts=starts, ends=ends, exclude_pk=exclude_pk),
        minutes=minutes,
        grid_minutes=scheduling_settings_get(clinic=clinic).slot_minutes,
        tz=timezone.get_current_timezone(),
        not_before=timezone.now(),
    )


# --------------------------------------------------------------------------- appointments
def _appointments() -> QuerySet[Appointment]:
    return Appointment.objects.select_related("patient", "practitioner", "room", "type", "planned_session")


def appointment_list(
    *,
    clinic: Clinic,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    practitioner=None,
    room: Room | None = None,
    status: str | None = None,
    patient=None,
) -> QuerySet[Appointment]:
    rows = _appointments().filter(clinic=clinic)
    if date_from is not None:
        rows = rows.filter(starts_at__gte=day_bounds(date_from, date_from)[0])
    if date_to is not None:
        rows = rows.filter(starts_at__lt=day_bounds(date_to, date_to)[1])
    if practitioner is not None:
        rows = rows.filter(practitioner=practitioner)
    if room is not None:
        rows = rows.filter(room=room)
    if status:
        rows = rows.filter(status=status)
    if patient is not None:
        rows = rows.filter(patient=patient)
    return rows.order_by("starts_at", "id")


def appointment_get(*, clinic: Clinic, uuid) -> Appointment:
    return _appointments().get(clinic=clinic, uuid=uuid)


def appointment_history(*, appointment: Appointment) -> QuerySet:
    return appointment.status_changes.select_related("changed_by").order_by("changed_at", "id")


# --------------------------------------------------------------------------- plan sessions
def session_minutes(*, plan: TreatmentPlan) -> int:
    """A session's length from the plan's zones treated, per the clinic's treatment settings."""
    return treatment_settings_get(clinic=plan.clinic).session_minutes(len(plan.zones or []))


def sessions_to_book(*, plan: TreatmentPlan, today: dt.date | None = None) -> list[PlannedSession]:
    """The plan's planned sessions from today on that have no active appointment yet."""
    today = today or timezone.localdate()
    return list(
        plan.sessions.select_related("phase")
        .filter(status=SessionStatus.PLANNED, planned_date__gte=today)
        .exclude(appointments__status__in=ACTIVE_STATUSES)
        .order_by("number")
    )


def tolerance(session: PlannedSession) -> tuple[int, int]:
    """How many days before and after its planned date a session may be booked.

    A phase given as a range (every 30–90 days) may go up to the longest interval later; otherwise
    the clinic's default tolerance applies either side.
    """
    phase = session.phase
    if phase.interval_max_days and phase.interval_max_days > phase.interval_days:
        return 0, phase.interval_max_days - phase.interval_days
    return DEFAULT_TOLERANCE_DAYS, DEFAULT_TOLERANCE_DAYS


def next_session_slots(
    plan: TreatmentPlan, practitioner, room: Room | None = None, session: PlannedSession | None = None
) -> tuple[PlannedSession | None, dict[dt.date, list[dt.datetime]]]:
    """Free slots for the plan's next session to book: its planned date and the days around it that
    keep within the protocol's interval tolerance (never on or before the session before it)."""
    if session is None:
        upcoming = sessions_to_book(plan=plan)
        if not upcoming:
            return None, {}
        session = upcoming[0]
    before, after = tolerance(session)
    first = max(session.planned_date - dt.timedelta(days=before), timezone.localdate())
    previous = (
        plan.sessions.exclude(status=SessionStatus.CANCELLED)
        .filter(number__lt=session.number)
        .order_by("-number")
        .first()
    )
    if previous is not None:
        first = max(first, previous.planned_date + dt.timedelta(days=1))
    last = max(first, session.planned_date + dt.timedelta(days=after))
    found = free_slots(
        clinic=plan.clinic,
        practitioner=practitioner,
        first=first,
        last=last,
        minutes=session_minutes(plan=plan),
        room=room,
    )
    # The planned date first, then the nearest days.
    ordered = sorted(found.items(), key=lambda item: (abs((item[0] - session.planned_date).days), item[0]))
    return session, dict(ordered)


# --------------------------------------------------------------------------- loading for a request
# (load *and* scope, as core.access does: anything not of the active clinic is a 404)
def _one(request, queryset: QuerySet, **lookup):
    clinic = getattr(request, "clinic", None)
    if clinic is None:
        raise Http404
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_appointment(request, uuid) -> Appointment:
    return _one(request, _appointments().filter(clinic=request.clinic), uuid=uuid)


def get_room(request, uuid) -> Room:
    return _one(request, Room.objects.filter(clinic=request.clinic), uuid=uuid)


def get_type(request, code) -> AppointmentType:
    return _one(request, AppointmentType.objects.filter(clinic=request.clinic), code=code)


def get_practitioner(request, uuid):
    return _one(request, practitioner_list(clinic=request.clinic), uuid=uuid)


def patient_session_get(*, patient, uuid) -> PlannedSession | None:
    """A planned session of one of the patient's plans (None if there is no such session)."""
    return (
        PlannedSession.objects.select_related("plan__clinic", "phase")
        .filter(plan__patient=patient, uuid=uuid)
        .first()
    )
