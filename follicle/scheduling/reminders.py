"""Appointment reminders: when each one is due, and handing due ones to the task worker.

A booked appointment in the future has one live reminder, due `reminder_hours_before` hours
(clinic policy, SchedulingSettings) before it starts. Its `send_at` is always exactly
starts_at − that many hours, which is how a reminder is matched to the time it was made for: a
moved appointment's pending reminder no longer matches, is cancelled and replaced by one for the
new time. A booking made later than that (send_at already past) is handed to the worker at once.

Nothing here sends e-mail: the worker does (follicle/scheduling/tasks.py), after commit.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from follicle.core.models import TaskRun
from follicle.scheduling.models import Appointment, AppointmentStatus, Reminder, SchedulingSettings

# A queued or running send task younger than this counts as in flight: the periodic task does
# not queue the reminder again. Older ones are presumed lost (a worker that died) and re-queued.
IN_FLIGHT_FOR = dt.timedelta(minutes=30)
TASK_ID_PREFIX = "reminder-"


def scheduling_settings(clinic) -> SchedulingSettings:
    settings_row, _created = SchedulingSettings.objects.get_or_create(clinic=clinic)
    return settings_row


def wants_reminder(appointment: Appointment, now: dt.datetime | None = None) -> bool:
    """Only a booked appointment still ahead gets a reminder (not checked-in, done or cancelled)."""
    now = now or timezone.now()
    return appointment.status == AppointmentStatus.BOOKED and appointment.starts_at > now


def reminder_time(appointment: Appointment) -> dt.datetime:
    hours = scheduling_settings(appointment.clinic).reminder_hours_before
    return appointment.starts_at - dt.timedelta(hours=hours)


def _last_move_at(appointment: Appointment) -> dt.datetime | None:
    return (
        appointment.status_changes.filter(new_starts_at__isnull=False)
        .order_by("-changed_at")
        .values_list("changed_at", flat=True)
        .first()
    )


def appointment_changed(appointment) -> None:
    """Called by the booking services after commit whenever an appointment is booked, moved or
    changes status: (re)schedules or cancels its reminders."""
    now = timezone.now()
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().select_related("clinic").get(pk=appointment.pk)
        reminders = Reminder.objects.select_for_update().filter(appointment=appointment)
        if not wants_reminder(appointment, now):
            reminders.filter(status=Reminder.Status.PENDING).update(status=Reminder.Status.CANCELLED)
            return
        send_at = reminder_time(appointment)
        # A pending reminder made for another time (the appointment moved, or the clinic changed
        # how long before reminders go out) is replaced.
        reminders.filter(status=Reminder.Status.PENDING).exclude(send_at=send_at).update(
            status=Reminder.Status.CANCELLED
        )
        last_move = _last_move_at(appointment)
        covering = [
            r
            for r in reminders.filter(send_at=send_at).exclude(status=Reminder.Status.CANCELLED)
            if r.status == Reminder.Status.PENDING
            # One sent (or failed) before the latest move was about an older time.
            or last_move is None
            or (r.sent_at is not None and r.sent_at >= last_move)
        ]
        if covering:
            reminder = covering[0]
        else:
            reminder = Reminder.objects.create(appointment=appointment, send_at=send_at)
        if reminder.status == Reminder.Status.PENDING and send_at <= now:
            # Booked inside the reminder window: do not wait for the next periodic run.
            enqueue_reminder(reminder, now=now)


def in_flight_reminder_ids(now: dt.datetime | None = None) -> set[int]:
    """Reminders whose send task is queued, running or waiting to retry (and not presumed lost)."""
    now = now or timezone.now()
    task_ids = TaskRun.objects.filter(
        task_id__startswith=TASK_ID_PREFIX,
        status__in=[TaskRun.Status.QUEUED, TaskRun.Status.RUNNING, TaskRun.Status.RETRYING],
        created_at__gte=now - IN_FLIGHT_FOR,
    ).values_list("task_id", flat=True)
    ids = set()
    for task_id in task_ids:
        try:
            ids.add(int(task_id[len(TASK_ID_PREFIX) :].split("-", 1)[0]))
        except ValueError:
            continue
    return ids


def enqueue_reminder(
    reminder: Reminder, *, now: dt.datetime | None = None, check_in_flight: bool = True
) -> TaskRun | None:
    """Queue the worker's send task for a reminder (after commit), unless one is in flight.

    The task id names the reminder ("reminder-<id>-<random>"), so the admin tasks page and the
    periodic task can tell which reminder a run is for.
    """
    from follicle.core.tasks import enqueue_tracked
    from follicle.scheduling.tasks import send_reminder

    if check_in_flight and reminder.pk in in_flight_reminder_ids(now):
        return None
    appointment = reminder.appointment
    patient = appointment.patient
    when = timezone.localtime(appointment.starts_at)
    with translation.override(appointment.clinic.language):
        label = _("Reminder to %(patient)s for %(when)s") % {
            "patient": patient.full_name,
            "when": f"{when:%Y-%m-%d %H:%M}",
        }
    return enqueue_tracked(
        send_reminder,
        reminder.pk,
        id=f"{TASK_ID_PREFIX}{reminder.pk}-{secrets.token_hex(8)}",
        label=label[:200],
        clinic=appointment.clinic,
    )
