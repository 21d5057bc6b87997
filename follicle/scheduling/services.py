"""Writes for scheduling: resources, booking, moving, status changes, booking a plan's series.

No double booking, ever. Every booking and move checks for overlapping active appointments of the
practitioner and of the room *inside* its transaction:
- on SQLite, `transaction.atomic()` starts with BEGIN IMMEDIATE (settings.py), which takes the
  database's write lock, so the check and the insert of two bookings can never interleave;
- on PostgreSQL the check is a courtesy (a clear message before writing) and the exclusion
  constraints of migration 0002 are the guarantee: a concurrent overlapping insert fails with an
  IntegrityError, translated here to the same `SlotTaken`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from follicle.core.audit import Auditor
from follicle.core.models import Clinic
from follicle.patients.models import Patient
from follicle.scheduling import reminders, selectors, slots
from follicle.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentStatusChange,
    AppointmentType,
    PractitionerAbsence,
    PractitionerHours,
    Room,
    SchedulingSettings,
)
from follicle.treatments import schedule
from follicle.treatments import services as treatment_services
from follicle.treatments.models import PlannedSession, SessionStatus, TreatmentPlan
from follicle.treatments.selectors import is_open_for

CONSTRAINT_NAMES = ("no_practitioner_double_booking", "no_room_double_booking")


class SlotTaken(ValidationError):
    """The practitioner or the room is already booked at that time (the API answers 409)."""


def _after_commit(appointment: Appointment) -> None:
    transaction.on_commit(lambda: reminders.appointment_changed(appointment))


# --------------------------------------------------------------------------- resources
@transaction.atomic
def room_save(*, clinic: Clinic, auditor: Auditor, room: Room | None = None, **fields) -> Room:
    """Create a room or edit one (name, in use)."""
    room = room or Room(clinic=clinic)
    if room.clinic_id != clinic.pk:
        raise ValidationError(_("This room belongs to another clinic."))
    for name in ("name", "is_active"):
        if name in fields:
            setattr(room, name, fields[name])
    room.full_clean()
    room.save()
    auditor.log("room.save", obj=room, detail={"name": room.name, "is_active": room.is_active})
    return room


DEFAULT_TYPES = (
    (AppointmentType.Code.CONSULTATION, _("Consultation"), 30, False),
    (AppointmentType.Code.SESSION, _("Mesotherapy session"), 30, True),
    (AppointmentType.Code.FOLLOW_UP, _("Follow-up"), 15, False),
    (AppointmentType.Code.PHOTO, _("Photo / trichoscopy visit"), 20, True),
)


@transaction.atomic
def appointment_types_install_defaults(*, clinic: Clinic, auditor: Auditor) -> list[AppointmentType]:
    """The four appointment kinds with default lengths (clinic policy), for those missing."""
    existing = set(AppointmentType.objects.filter(clinic=clinic).values_list("code", flat=True))
    created = []
    for code, name, minutes, needs_room in DEFAULT_TYPES:
        if code in existing:
            continue
        row = AppointmentType(
            clinic=clinic, code=code, name=name, default_minutes=minutes, needs_room=needs_room
        )
        row.full_clean()
        row.save()
        created.append(row)
    auditor.log("appointment_type.install_defaults", detail={"codes": [t.code for t in created]})
    return created


@transaction.atomic
def appointment_type_update(*, type: AppointmentType, auditor: Auditor, **fields) -> AppointmentType:
    for name in ("name", "default_minutes", "needs_room"):
        if name in fields:
            setattr(type, name, fields[name])
    type.full_clean()
    type.save()
    auditor.log("appointment_type.update", obj=type, detail={k: fields[k] for k in sorted(fields)})
    return type


def _check_practitioner(clinic: Clinic, practitioner) -> None:
    if not selectors.is_practitioner(clinic=clinic, user=practitioner):
        raise ValidationError({"practitioner": _("Choose a practitioner of this clinic.")})


@transaction.atomic
def practitioner_hours_set(
    *, clinic: Clinic, auditor: Auditor, practitioner, hours: dict[int, tuple[dt.time, dt.time] | None]
) -> list[PractitionerHours]:
    """Replace a practitioner's weekly hours (weekday → (from, until), or None for not working).

    All None clears the rows: the practitioner then works the clinic's opening hours.
    """
    _check_practitioner(clinic, practitioner)
    opening = {h.weekday: h for h in clinic.opening_hours.all()}
    rows = []
    for weekday, interval in sorted(hours.items()):
        if interval is None:
            continue
        start, end = interval
        clinic_hours = opening.get(weekday)
        if clinic_hours is None or start < clinic_hours.opens_at or end > clinic_hours.closes_at:
            raise ValidationError(
                {
                    "hours": _("Working hours must be within the clinic's opening hours (%(day)s).")
                    % {"day": PractitionerHours.weekday.field.choices[weekday][1]}
                }
            )
        rows.append(
            PractitionerHours(
                clinic=clinic, practitioner=practitioner, weekday=weekday, starts_at=start, ends_at=end
            )
        )
    PractitionerHours.objects.filter(clinic=clinic, practitioner=practitioner).delete()
    for row in rows:
        row.full_clean()
        row.save()
    auditor.log(
        "practitioner_hours.set",
        object_type="accounts.user",
        object_id=str(practitioner.pk),
        detail={str(r.weekday): [f"{r.starts_at:%H:%M}", f"{r.ends_at:%H:%M}"] for r in rows},
    )
    return rows


@transaction.atomic
def practitioner_absence_add(
    *,
    clinic: Clinic,
    auditor: Auditor,
    practitioner,
    start_date: dt.date,
    end_date: dt.date,
    reason: str = "",
) -> PractitionerAbsence:
    _check_practitioner(clinic, practitioner)
    absence = PractitionerAbsence(
        clinic=clinic, practitioner=practitioner, start_date=start_date, end_date=end_date, reason=reason
    )
    if end_date < start_date:
        raise ValidationError({"end_date": _("The last day is before the first.")})
    absence.full_clean()
    absence.save()
    auditor.log(
        "practitioner_absence.add",
        obj=absence,
        detail={
            "practitioner": practitioner.pk,
            "from": start_date.isoformat(),
            "until": end_date.isoformat(),
        },
    )
    return absence


@transaction.atomic
def practitioner_absence_delete(*, absence: PractitionerAbsence, auditor: Auditor) -> None:
    auditor.log("practitioner_absence.delete", obj=absence, detail={"practitioner": absence.practitioner_id})
    absence.delete()


@transaction.atomic
def scheduling_settings_update(*, clinic: Clinic, auditor: Auditor, **fields) -> SchedulingSettings:
    allowed = {"slot_minutes", "reminder_hours_before"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    current, _created = SchedulingSettings.objects.select_for_update().get_or_create(clinic=clinic)
    changes = {}
    for name, value in fields.items():
        if getattr(current, name) != value:
            changes[name] = {"old": getattr(current, name), "new": value}
            setattr(current, name, value)
    current.full_clean()
    current.save()
    auditor.log("scheduling_settings.update", obj=current, detail={"changes": changes})
    return current


# --------------------------------------------------------------------------- booking rules
def _rule_errors(
    *,
    clinic: Clinic,
    practitioner,
    type: AppointmentType,
    room: Room | None,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
) -> dict[str, str]:
    """What stops this booking, apart from other appointments (field → message)."""
    errors: dict[str, str] = {}
    if type.clinic_id != clinic.pk:
        errors["type"] = _("Choose an appointment type of this clinic.")
    if room is not None and (room.clinic_id != clinic.pk or not room.is_active):
        errors["room"] = _("Choose a room of this clinic that is in use.")
    elif room is None and type.needs_room:
        errors["room"] = _("This kind of appointment needs a room.")
    if not selectors.is_practitioner(clinic=clinic, user=practitioner):
        errors["practitioner"] = _("Choose a practitioner of this clinic.")
        return errors
    day = timezone.localtime(starts_at).date()
    availability = selectors.availability(clinic=clinic, practitioner=practitioner, first=day, last=day)
    if not slots.within(starts_at, ends_at, availability, timezone.get_current_timezone()):
        reason = availability.reason_closed(day)
        errors["starts_at"] = {
            "closed_day": _("The clinic is closed on that day."),
            "absent": _("The practitioner is away on that day."),
            "not_working": _("The practitioner does not work on that day."),
            "clinic_closed": _("The clinic is closed on that day."),
        }.get(reason, _("That time is outside the practitioner's working hours."))
    return errors


def _conflict_message(practitioner, room: Room | None, starts_at, ends_at, exclude_pk=None) -> str:
    """Which of the practitioner and the room is taken at that time ("" if neither)."""
    if selectors.busy_intervals(
        practitioner=practitioner, starts=starts_at, ends=ends_at, exclude_pk=exclude_pk
    ):
        return _("The practitioner is already booked at that time.")
    if room is not None and selectors.busy_intervals(
        room=room, starts=starts_at, ends=ends_at, exclude_pk=exclude_pk
    ):
        return _("The room is already booked at that time.")
    return ""


def _save_checked(appointment: Appointment) -> None:
    """Check for overlaps and write, inside the caller's transaction (see the module docstring)."""
    message = _conflict_message(
        appointment.practitioner, appointment.room, appointment.starts_at, appointment.ends_at, appointment.pk
    )
    if message:
        raise SlotTaken(message, code="slot_taken")
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        if any(name in str(exc) for name in CONSTRAINT_NAMES):
            raise SlotTaken(
                _("That time was booked a moment ago by someone else."), code="slot_taken"
            ) from exc
        raise


def _history(appointment: Appointment, auditor: Auditor, old: str, new: str, reason: str = "", **times):
    row = AppointmentStatusChange(
        appointment=appointment,
        from_status=old,
        to_status=new,
        reason=reason,
        changed_by=auditor.actor,
        **times,
    )
    row.full_clean()
    row.save()
    return row


def _book(
    *,
    clinic: Clinic,
    auditor: Auditor,
    patient: Patient,
    practitioner,
    type: AppointmentType,
    starts_at: dt.datetime,
    minutes: int,
    room: Room | None,
    planned_session: PlannedSession | None,
    notes: str,
) -> Appointment:
    if patient.clinic_id != clinic.pk:
        raise ValidationError({"patient": _("Choose a patient of this clinic.")})
    if planned_session is not None and (
        planned_session.plan.patient_id != patient.pk or planned_session.plan.clinic_id != clinic.pk
    ):
        raise ValidationError(_("This plan session belongs to another patient."))
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    ends_at = starts_at + dt.timedelta(minutes=minutes)
    errors = _rule_errors(
        clinic=clinic, practitioner=practitioner, type=type, room=room, starts_at=starts_at, ends_at=ends_at
    )
    if errors:
        raise ValidationError(errors)
    appointment = Appointment(
        clinic=clinic,
        patient=patient,
        practitioner=practitioner,
        room=room,
        type=type,
        starts_at=starts_at,
        ends_at=ends_at,
        planned_session=planned_session,
        notes=notes,
        created_by=auditor.actor,
    )
    appointment.full_clean()
    _save_checked(appointment)
    _history(appointment, auditor, "", AppointmentStatus.BOOKED, new_starts_at=starts_at)
    auditor.log(
        "appointment.book",
        obj=appointment,
        patient=patient,
        detail={
            "starts_at": starts_at.isoformat(),
            "minutes": minutes,
            "practitioner": practitioner.pk,
            "room": room.pk if room else None,
            "type": type.code,
            "session": planned_session.number if planned_session else None,
        },
    )
    _after_commit(appointment)
    return appointment


@transaction.atomic
def appointment_book(
    *,
    clinic: Clinic,
    auditor: Auditor,
    patient: Patient,
    practitioner,
    type: AppointmentType,
    starts_at: dt.datetime,
    minutes: int | None = None,
    room: Room | None = None,
    planned_session: PlannedSession | None = None,
    notes: str = "",
) -> Appointment:
    """Book an appointment; raises SlotTaken if the practitioner or the room is taken then.

    The length is `minutes`, else a plan session's length (base + minutes per zone treated), else
    the type's default.
    """
    if minutes is None:
        if planned_session is not None:
            minutes = selectors.session_minutes(plan=planned_session.plan)
        else:
            minutes = type.default_minutes
    return _book(
        clinic=clinic,
        auditor=auditor,
        patient=patient,
        practitioner=practitioner,
        type=type,
        starts_at=starts_at,
        minutes=minutes,
        room=room,
        planned_session=planned_session,
        notes=notes,
    )


@transaction.atomic
def appointment_move(
    *,
    appointment: Appointment,
    auditor: Auditor,
    starts_at: dt.datetime,
    practitioner=None,
    room: Room | None | bool = False,
    minutes: int | None = None,
) -> Appointment:
    """Move a booked appointment (and optionally change practitioner, room or length).

    A plan session's appointment moved to another day moves the plan session too, and the later
    planned sessions keep the protocol's intervals from it (treatments' plan_shift_apply).
    """
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("planned_session__plan")
        .get(pk=appointment.pk)
    )
    if appointment.status != AppointmentStatus.BOOKED:
        raise ValidationError(_("Only a booked appointment can be moved."))
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    old_starts = appointment.starts_at
    length = dt.timedelta(minutes=minutes) if minutes else appointment.ends_at - appointment.starts_at
    appointment.practitioner = practitioner or appointment.practitioner
    if room is not False:
        appointment.room = room
    appointment.starts_at, appointment.ends_at = starts_at, starts_at + length
    errors = _rule_errors(
        clinic=appointment.clinic,
        practitioner=appointment.practitioner,
        type=appointment.type,
        room=appointment.room,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
    )
    if errors:
        raise ValidationError(errors)
    appointment.full_clean()
    _save_checked(appointment)
    _history(
        appointment,
        auditor,
        AppointmentStatus.BOOKED,
        AppointmentStatus.BOOKED,
        reason="moved",
        old_starts_at=old_starts,
        new_starts_at=starts_at,
    )
    shifted = []
    session = appointment.planned_session
    new_day = timezone.localtime(starts_at).date()
    if session is not None and session.status == SessionStatus.PLANNED and session.plan.is_open:
        if session.planned_date != new_day:
            shifted = treatment_services.plan_shift_apply(
                plan=session.plan, session=session, new_date=new_day, auditor=auditor
            )
    auditor.log(
        "appointment.move",
        obj=appointment,
        patient=appointment.patient,
        detail={
            "from": old_starts.isoformat(),
            "to": starts_at.isoformat(),
            "practitioner": appointment.practitioner_id,
            "room": appointment.room_id,
            "sessions_shifted": len(shifted),
        },
    )
    _after_commit(appointment)
    return appointment


STATUS_TRANSITIONS: dict[str, set[str]] = {
    AppointmentStatus.BOOKED: {
        AppointmentStatus.CHECKED_IN,
        AppointmentStatus.NO_SHOW,
        AppointmentStatus.CANCELLED,
    },
    AppointmentStatus.CHECKED_IN: {AppointmentStatus.DONE, AppointmentStatus.CANCELLED},
    AppointmentStatus.DONE: set(),
    AppointmentStatus.NO_SHOW: set(),
    AppointmentStatus.CANCELLED: set(),
}


def allowed_statuses(appointment: Appointment) -> list[str]:
    return [s for s in AppointmentStatus.values if s in STATUS_TRANSITIONS[appointment.status]]


def _missed(session: PlannedSession, day: dt.date, auditor: Auditor) -> None:
    """A no-show: the plan session is missed and the next one goes to the next open day after it."""
    plan = session.plan
    if session.status != SessionStatus.PLANNED or not plan.is_open:
        return
    after = max(day, timezone.localdate())
    is_open = is_open_for(clinic=plan.clinic, since=after)
    new_date = schedule.next_open(after + dt.timedelta(days=1), is_open)
    treatment_services.plan_shift_apply(
        plan=plan, session=session, new_date=new_date, auditor=auditor, mark_missed=True
    )


@transaction.atomic
def appointment_set_status(
    *, appointment: Appointment, auditor: Auditor, to_status: str, reason: str = ""
) -> Appointment:
    """booked → checked in → done; booked → no-show; booked or checked in → cancelled (with a reason).

    A no-show of a plan session marks the plan session missed and shifts the rest of the plan; a
    cancellation frees the slot and leaves the plan session planned, to be booked again.
    """
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("planned_session__plan", "patient")
        .get(pk=appointment.pk)
    )
    old = appointment.status
    if to_status not in STATUS_TRANSITIONS.get(old, set()):
        labels = dict(AppointmentStatus.choices)
        raise ValidationError(
            {
                "to_status": _("An appointment that is “%(old)s” cannot become “%(new)s”.")
                % {"old": labels.get(old, old), "new": labels.get(to_status, to_status)}
            }
        )
    reason = (reason or "").strip()
    if to_status == AppointmentStatus.CANCELLED and not reason:
        raise ValidationError({"reason": _("Give a reason for the cancellation.")})
    appointment.status = to_status
    appointment.status_reason = reason
    appointment.save(update_fields=["status", "status_reason"])
    _history(appointment, auditor, old, to_status, reason=reason)
    if to_status == AppointmentStatus.NO_SHOW and appointment.planned_session is not None:
        _missed(appointment.planned_session, timezone.localtime(appointment.starts_at).date(), auditor)
    auditor.log(
        "appointment.status",
        obj=appointment,
        patient=appointment.patient,
        detail={"from": old, "to": to_status, "reason": reason},
    )
    _after_commit(appointment)
    return appointment


# --------------------------------------------------------------------------- a plan's series
@dataclass
class SeriesItem:
    session: PlannedSession
    starts_at: dt.datetime
    ends_at: dt.datetime
    conflicts: list[str] = field(default_factory=list)
    appointment: Appointment | None = None


def session_type(clinic: Clinic) -> AppointmentType:
    found = AppointmentType.objects.filter(clinic=clinic, code=AppointmentType.Code.SESSION).first()
    if found is None:
        raise ValidationError(_("Add a “mesotherapy session” appointment type first (scheduling resources)."))
    return found


def series_preview(
    *, plan: TreatmentPlan, practitioner, room: Room | None, times: list[dt.datetime]
) -> list[SeriesItem]:
    """Each upcoming unbooked session of the plan with its proposed time and what conflicts with it."""
    if not plan.is_open:
        raise ValidationError(_("This plan is closed."))
    sessions = selectors.sessions_to_book(plan=plan)
    if not times:
        raise ValidationError({"times": _("Propose a time for at least one session.")})
    if len(times) > len(sessions):
        raise ValidationError(
            {"times": _("The plan has only %(n)s sessions to book.") % {"n": len(sessions)}}
        )
    type = session_type(plan.clinic)
    minutes = selectors.session_minutes(plan=plan)
    items: list[SeriesItem] = []
    for session, starts_at in zip(sessions, times, strict=False):
        if timezone.is_naive(starts_at):
            starts_at = timezone.make_aware(starts_at)
        item = SeriesItem(
            session=session, starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=minutes)
        )
        errors = _rule_errors(
            clinic=plan.clinic,
            practitioner=practitioner,
            type=type,
            room=room,
            starts_at=starts_at,
            ends_at=item.ends_at,
        )
        item.conflicts.extend(str(m) for m in errors.values())
        if not errors:
            message = _conflict_message(practitioner, room, starts_at, item.ends_at)
            if message:
                item.conflicts.append(message)
        if starts_at < timezone.now():
            item.conflicts.append(_("That time has passed."))
        for other in items:
            if slots.overlaps((other.starts_at, other.ends_at), (starts_at, item.ends_at)):
                item.conflicts.append(
                    _("Overlaps session %(n)s of this series.") % {"n": other.session.number}
                )
        items.append(item)
    return items


@transaction.atomic
def appointment_book_series(
    *,
    plan: TreatmentPlan,
    auditor: Auditor,
    practitioner,
    room: Room | None,
    times: list[dt.datetime],
    confirm: bool,
) -> list[SeriesItem]:
    """Propose (confirm=False) or book (confirm=True, all in one transaction) the plan's next sessions.

    Nothing is booked while any proposed time has a conflict; each item lists its conflicts.
    """
    items = series_preview(plan=plan, practitioner=practitioner, room=room, times=times)
    if not confirm or any(item.conflicts for item in items):
        return items
    type = session_type(plan.clinic)
    for item in items:
        item.appointment = _book(
            clinic=plan.clinic,
            auditor=auditor,
            patient=plan.patient,
            practitioner=practitioner,
            type=type,
            starts_at=item.starts_at,
            minutes=int((item.ends_at - item.starts_at).total_seconds() // 60),
            room=room,
            planned_session=item.session,
            notes="",
        )
    auditor.log(
        "appointment.book_series",
        obj=plan,
        patient=plan.patient,
        detail={"sessions": [item.session.number for item in items]},
    )
    return items


def proposed_times(
    *, plan: TreatmentPlan, practitioner, room: Room | None, preferred: dt.time | None = None
) -> list[dt.datetime]:
    """A proposed start for each session to book: the free slot nearest the preferred time of day on
    the planned date or the nearest day within tolerance; the planned date at `preferred` if none."""
    tz = timezone.get_current_timezone()
    proposals: list[dt.datetime] = []
    taken: list[slots.Interval] = []
    minutes = selectors.session_minutes(plan=plan)
    for session in selectors.sessions_to_book(plan=plan):
        _session, found = selectors.next_session_slots(plan, practitioner, room, session=session)
        chosen = None
        for _day, starts in found.items():
            free = [
                s
                for s in starts
                if not any(slots.overlaps((s, s + dt.timedelta(minutes=minutes)), t) for t in taken)
            ]
            if free:
                target = preferred or free[0].astimezone(tz).time()
                chosen = min(
                    free,
                    key=lambda s: abs(
                        dt.datetime.combine(s.date(), s.astimezone(tz).time())
                        - dt.datetime.combine(s.date(), target)
                    ),
                )
                break
        if chosen is None:
            chosen = dt.datetime.combine(session.planned_date, preferred or dt.time(9), tzinfo=tz)
        taken.append((chosen, chosen + dt.timedelta(minutes=minutes)))
        proposals.append(chosen)
    return proposals
