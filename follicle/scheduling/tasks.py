"""The task worker's side of reminders: find due ones every minute, send each in its own task.

`send_due_reminders` (periodic, every minute) queues one tracked `send_reminder` task per due
reminder, so each send shows on the admin background-tasks page with its attempts and error.
`send_reminder` e-mails the patient in their language with the appointment as an .ics file; a
failed send is retried (3 retries, RETRY_DELAY apart) and, after the last, the reminder is marked
failed with the reason. Run by `manage.py run_huey`, which discovers this module.
"""

from __future__ import annotations

import logging

from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEText
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from follicle.core.audit import Auditor
from follicle.core.tasks import RETRY_DELAY
from follicle.scheduling.ics import appointment_ics
from follicle.scheduling.models import AppointmentStatus, Reminder
from follicle.scheduling.reminders import enqueue_reminder, in_flight_reminder_ids, wants_reminder

log = logging.getLogger(__name__)

BATCH_SIZE = 200
SYSTEM_LABEL = "system:reminders"
NO_EMAIL = "no e-mail address"
TOO_LATE = "the appointment started before the reminder could be sent"
ICS_FILENAME = "appointment.ics"


class ReminderNotSent(Exception):
    """A reminder that cannot be sent however often it is retried."""


def _auditor(reminder: Reminder) -> Auditor:
    return Auditor.system(clinic=reminder.appointment.clinic, label=SYSTEM_LABEL)


def _mark_failed(reminder: Reminder, reason: str, *, count_attempt: bool = False) -> None:
    updates = {"status": Reminder.Status.FAILED, "last_error": reason[:2000]}
    if count_attempt:
        updates["attempts"] = F("attempts") + 1
    Reminder.objects.filter(pk=reminder.pk).update(**updates)
    reminder.refresh_from_db(fields=["status", "last_error", "attempts"])
    _auditor(reminder).log(
        "reminder.failed",
        obj=reminder,
        patient=reminder.appointment.patient,
        detail={
            "appointment": str(reminder.appointment.uuid),
            "attempts": reminder.attempts,
            "error": reminder.last_error,
        },
    )


@db_periodic_task(crontab(minute="*"))
def send_due_reminders() -> str:
    """Every minute: queue a send task for each pending reminder that is due."""
    now = timezone.now()
    queued = skipped = 0
    with transaction.atomic():
        due = (
            Reminder.objects.filter(status=Reminder.Status.PENDING, send_at__lte=now)
            .select_related("appointment__patient", "appointment__clinic")
            .order_by("send_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            # Two workers (or overlapping runs) never take the same reminder.
            due = due.select_for_update(skip_locked=True, of=("self",))
        due = list(due[:BATCH_SIZE])
        in_flight = in_flight_reminder_ids(now)
        for reminder in due:
            if reminder.pk in in_flight:
                skipped += 1
                continue
            appointment = reminder.appointment
            if not wants_reminder(appointment, now):
                if appointment.status == AppointmentStatus.BOOKED:
                    _mark_failed(reminder, TOO_LATE)
                else:
                    Reminder.objects.filter(pk=reminder.pk).update(status=Reminder.Status.CANCELLED)
                continue
            enqueue_reminder(reminder, now=now, check_in_flight=False)
            queued += 1
    return f"{queued} reminders queued, {skipped} already in progress"


def build_reminder_message(reminder: Reminder) -> EmailMultiAlternatives:
    """The reminder e-mail in the patient's language, with the appointment as appointment.ics."""
    appointment = reminder.appointment
    patient, clinic = appointment.patient, appointment.clinic
    with translation.override(patient.language):
        context = {
            "patient": patient,
            "clinic": clinic,
            "appointment": appointment,
            "kind": appointment.type.get_code_display(),
            "practitioner": appointment.practitioner.get_full_name()
            or appointment.practitioner.get_username(),
            "starts_at": timezone.localtime(appointment.starts_at),
            "ends_at": timezone.localtime(appointment.ends_at),
        }
        subject = " ".join(render_to_string("scheduling/email/reminder_subject.txt", context).split())
        body = render_to_string("scheduling/email/reminder.txt", context)
        html = render_to_string("scheduling/email/reminder.html", context)
        ics = appointment_ics(appointment)
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=None,
        to=[patient.email],
        reply_to=[clinic.email] if clinic.email else None,
    )
    message.attach_alternative(html, "text/html")
    part = SafeMIMEText(ics, "calendar", "utf-8")
    part.set_param("method", "PUBLISH")
    part.add_header("Content-Disposition", "attachment", filename=ICS_FILENAME)
    message.attach(part)
    return message


@db_task(retries=3, retry_delay=RETRY_DELAY, context=True)
def send_reminder(reminder_id: int, task=None) -> str:
    """Send one reminder. Raises on failure so Huey retries; the last failure marks it failed."""
    reminder = (
        Reminder.objects.select_related(
            "appointment__patient", "appointment__clinic", "appointment__type", "appointment__practitioner"
        )
        .filter(pk=reminder_id)
        .first()
    )
    if reminder is None:
        return "reminder no longer exists"
    if reminder.status != Reminder.Status.PENDING:
        return f"nothing to do: the reminder is {reminder.status}"
    appointment = reminder.appointment
    if not wants_reminder(appointment):
        if appointment.status == AppointmentStatus.BOOKED:
            _mark_failed(reminder, TOO_LATE)
            return "too late"
        Reminder.objects.filter(pk=reminder.pk).update(status=Reminder.Status.CANCELLED)
        return "appointment no longer booked"
    if not appointment.patient.email:
        _mark_failed(reminder, NO_EMAIL, count_attempt=True)
        if task is not None:
            task.retries = 0  # retrying cannot help: fail now, with the reason on the tasks page
        raise ReminderNotSent(NO_EMAIL)

    # Claim this attempt: of two copies of the task running at once, only one gets past here.
    claimed = Reminder.objects.filter(
        pk=reminder.pk, status=Reminder.Status.PENDING, attempts=reminder.attempts
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        return "another worker is sending this reminder"
    attempts = reminder.attempts + 1

    try:
        build_reminder_message(reminder).send()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        final = task is None or not task.retries
        log.warning("reminder %s not sent (attempt %s): %s", reminder.pk, attempts, error)
        if final:
            _mark_failed(reminder, error)
        else:
            Reminder.objects.filter(pk=reminder.pk).update(last_error=error)
        raise

    now = timezone.now()
    # An earlier attempt's error stays in last_error: staff can see it took a retry.
    Reminder.objects.filter(pk=reminder.pk).update(status=Reminder.Status.SENT, sent_at=now)
    _auditor(reminder).log(
        "reminder.sent",
        obj=reminder,
        patient=appointment.patient,
        detail={"appointment": str(appointment.uuid), "attempts": attempts},
    )
    return f"sent (attempt {attempts})"
