"""Reminders: scheduled on booking, moved and cancelled with the appointment, sent by the worker
in the patient's language with an .ics file, retried when sending fails and shown to staff."""

from __future__ import annotations

import datetime as dt
import email
from unittest import mock

import icalendar
import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone, translation

from follicle.core.models import AuditEvent, TaskRun
from follicle.scheduling import tasks as reminder_tasks
from follicle.scheduling.models import (
    AppointmentStatus,
    AppointmentStatusChange,
    Reminder,
    SchedulingSettings,
)
from follicle.scheduling.reminders import appointment_changed
from follicle.scheduling.tasks import send_due_reminders, send_reminder
from follicle.scheduling.tests.test_ics import make_appointment

pytestmark = pytest.mark.django_db


class FlakyBackend(LocmemBackend):
    """Refuses the first `failures` sends (class-wide), then delivers to the test outbox."""

    failures = 0
    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise ConnectionRefusedError("SMTP server refused the connection")
        return super().send_messages(messages)


@pytest.fixture
def flaky_backend(settings):
    def use(failures):
        FlakyBackend.failures, FlakyBackend.calls = failures, 0
        settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"

    return use


@pytest.fixture
def patient(make_patient):
    return make_patient(email="eleni@example.org", language="en")


@pytest.fixture
def booked(clinic, personas, patient):
    """A booking three days ahead, as the booking service would leave it (reminder scheduled)."""
    appointment = make_appointment(clinic, patient, personas["practitioner"])
    appointment_changed(appointment)
    return appointment


def make_due(reminder: Reminder) -> Reminder:
    reminder.send_at = timezone.now() - dt.timedelta(minutes=1)
    reminder.save(update_fields=["send_at"])
    return reminder


def run_due(capture):
    with capture(execute=True):
        return send_due_reminders.call_local()


def attachment_of(message) -> tuple[str, bytes, str]:
    """The .ics part of a sent message, read as a mail program would."""
    parsed = email.message_from_bytes(message.message().as_bytes())
    for part in parsed.walk():
        if part.get_filename():
            return part.get_filename(), part.get_payload(decode=True), part["Content-Type"]
    raise AssertionError("no attachment")


# --- scheduling -----------------------------------------------------------------------------


def test_booking_schedules_one_reminder_by_clinic_policy(booked):
    reminder = Reminder.objects.get(appointment=booked)
    assert reminder.status == Reminder.Status.PENDING
    assert reminder.send_at == booked.starts_at - dt.timedelta(hours=24)
    assert SchedulingSettings.objects.get(clinic=booked.clinic).reminder_hours_before == 24
    appointment_changed(booked)  # called again (e.g. a no-op status save): still one reminder
    assert Reminder.objects.filter(appointment=booked).count() == 1
    assert not TaskRun.objects.exists()  # nothing to send yet


def test_reminder_time_follows_the_clinic_setting(clinic, personas, patient):
    SchedulingSettings.objects.create(clinic=clinic, reminder_hours_before=48)
    appointment = make_appointment(clinic, patient, personas["practitioner"])
    appointment_changed(appointment)
    assert Reminder.objects.get(appointment=appointment).send_at == appointment.starts_at - dt.timedelta(
        hours=48
    )


def test_moved_appointment_gets_a_reminder_for_the_new_time(booked):
    old = Reminder.objects.get(appointment=booked)
    old_start = booked.starts_at
    booked.starts_at += dt.timedelta(days=2, hours=1)
    booked.ends_at += dt.timedelta(days=2, hours=1)
    booked.save()
    AppointmentStatusChange.objects.create(
        appointment=booked,
        from_status="booked",
        to_status="booked",
        old_starts_at=old_start,
        new_starts_at=booked.starts_at,
    )
    appointment_changed(booked)
    old.refresh_from_db()
    assert old.status == Reminder.Status.CANCELLED
    new = Reminder.objects.get(appointment=booked, status=Reminder.Status.PENDING)
    assert new.send_at == booked.starts_at - dt.timedelta(hours=24)


def test_moved_after_the_reminder_was_sent_sends_another(booked):
    Reminder.objects.filter(appointment=booked).update(status="sent", sent_at=timezone.now())
    old_start = booked.starts_at
    booked.starts_at += dt.timedelta(days=7)
    booked.ends_at += dt.timedelta(days=7)
    booked.save()
    AppointmentStatusChange.objects.create(
        appointment=booked,
        from_status="booked",
        to_status="booked",
        old_starts_at=old_start,
        new_starts_at=booked.starts_at,
        changed_at=timezone.now() + dt.timedelta(seconds=1),
    )
    appointment_changed(booked)
    assert Reminder.objects.filter(appointment=booked, status="pending").count() == 1
    assert Reminder.objects.filter(appointment=booked, status="sent").count() == 1


@pytest.mark.parametrize(
    "status", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW, AppointmentStatus.CHECKED_IN]
)
def test_cancelled_or_no_longer_booked_cancels_the_pending_reminder(booked, status):
    booked.status = status
    booked.save()
    appointment_changed(booked)
    assert Reminder.objects.get(appointment=booked).status == Reminder.Status.CANCELLED


def test_rebooked_after_cancellation_is_reminded_again(booked):
    booked.status = AppointmentStatus.CANCELLED
    booked.save()
    appointment_changed(booked)
    booked.status = AppointmentStatus.BOOKED
    booked.save()
    appointment_changed(booked)
    assert Reminder.objects.filter(appointment=booked, status="pending").count() == 1


def test_past_appointment_gets_no_reminder(clinic, personas, patient):
    appointment = make_appointment(
        clinic, patient, personas["practitioner"], starts_in=-dt.timedelta(hours=2)
    )
    appointment_changed(appointment)
    assert not Reminder.objects.filter(appointment=appointment).exists()


def test_booking_inside_the_reminder_window_is_sent_soon_by_the_worker(
    clinic, personas, patient, django_capture_on_commit_callbacks
):
    appointment = make_appointment(clinic, patient, personas["practitioner"], starts_in=dt.timedelta(hours=3))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        appointment_changed(appointment)
    reminder = Reminder.objects.get(appointment=appointment)
    assert reminder.status == "pending" and len(mail.outbox) == 0  # nothing sent in the request
    assert len(callbacks) == 1  # the worker's task, queued after commit
    callbacks[0]()
    reminder.refresh_from_db()
    assert reminder.status == "sent" and len(mail.outbox) == 1


# --- sending --------------------------------------------------------------------------------


def test_due_reminder_is_sent_with_an_ics_attachment(booked, django_capture_on_commit_callbacks):
    reminder = make_due(Reminder.objects.get(appointment=booked))
    result = run_due(django_capture_on_commit_callbacks)
    assert result.startswith("1 reminders queued")
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SENT and reminder.sent_at is not None
    assert reminder.attempts == 1 and reminder.last_error == ""

    [message] = mail.outbox
    assert message.to == ["eleni@example.org"]
    assert "Reminder: Mesotherapy session at Athens" in message.subject
    assert "This is a reminder of your appointment" in message.body
    filename, payload, content_type = attachment_of(message)
    assert filename == "appointment.ics"
    assert content_type.startswith("text/calendar")
    assert 'method="PUBLISH"' in content_type and 'charset="utf-8"' in content_type
    event = next(iter(icalendar.Calendar.from_ical(payload).walk("VEVENT")))
    assert str(event["UID"]) == f"{booked.uuid}@follicle"
    assert event.decoded("DTSTART") == booked.starts_at
    assert str(event["SUMMARY"]) == "Mesotherapy session at Athens"

    run = TaskRun.objects.get(task_id__startswith=f"reminder-{reminder.pk}-")
    assert run.status == TaskRun.Status.COMPLETE and run.attempts == 1 and run.clinic == booked.clinic
    assert booked.patient.full_name in run.label
    event = AuditEvent.objects.get(action="reminder.sent")
    assert event.actor is None and event.actor_label == "system:reminders"
    assert event.patient_uuid == booked.patient.uuid and event.detail["attempts"] == 1


def test_periodic_run_does_not_queue_a_reminder_twice(booked, django_capture_on_commit_callbacks):
    reminder = make_due(Reminder.objects.get(appointment=booked))
    TaskRun.objects.create(task_id=f"reminder-{reminder.pk}-inflight", name="send_reminder")
    assert run_due(django_capture_on_commit_callbacks).startswith("0 reminders queued, 1 already")
    assert mail.outbox == []
    # A send task queued long ago is presumed lost (a dead worker): the reminder is queued again.
    TaskRun.objects.filter(task_id__endswith="inflight").update(
        created_at=timezone.now() - dt.timedelta(hours=2)
    )
    assert run_due(django_capture_on_commit_callbacks).startswith("1 reminders queued")
    assert len(mail.outbox) == 1


def test_sent_or_cancelled_reminder_is_not_sent_again(booked):
    reminder = Reminder.objects.get(appointment=booked)
    reminder.status = Reminder.Status.SENT
    reminder.save()
    assert send_reminder.call_local(reminder.pk).startswith("nothing to do")
    assert mail.outbox == []


def test_due_reminder_of_an_appointment_that_already_started_fails_with_reason(
    booked, django_capture_on_commit_callbacks
):
    reminder = make_due(Reminder.objects.get(appointment=booked))
    booked.starts_at = timezone.now() - dt.timedelta(minutes=5)
    booked.ends_at = booked.starts_at + dt.timedelta(minutes=45)
    booked.save()
    run_due(django_capture_on_commit_callbacks)
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.FAILED and "started" in reminder.last_error
    assert mail.outbox == []


@pytest.mark.parametrize("language", ["en", "el"])
def test_email_is_written_in_the_patients_language(
    clinic, personas, make_patient, language, django_capture_on_commit_callbacks
):
    patient = make_patient(email="p@example.org", language=language)
    appointment = make_appointment(clinic, patient, personas["practitioner"])
    appointment_changed(appointment)
    make_due(Reminder.objects.get(appointment=appointment))
    rendered_in = []
    real_render = reminder_tasks.render_to_string

    def spy(template_name, context=None, *args, **kwargs):
        rendered_in.append((template_name, translation.get_language()))
        return real_render(template_name, context, *args, **kwargs)

    with translation.override("en"), mock.patch.object(reminder_tasks, "render_to_string", spy):
        run_due(django_capture_on_commit_callbacks)
    assert {lang for _name, lang in rendered_in} == {language}
    assert {name for name, _lang in rendered_in} == {
        "scheduling/email/reminder_subject.txt",
        "scheduling/email/reminder.txt",
        "scheduling/email/reminder.html",
    }
    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert f'<html lang="{language}">' in html
    assert translation.get_language() == "en"  # the worker's language is left as it was


# --- failures and retries -------------------------------------------------------------------


def test_failed_send_is_retried_and_the_reason_kept(
    booked, flaky_backend, django_capture_on_commit_callbacks
):
    flaky_backend(failures=2)
    reminder = make_due(Reminder.objects.get(appointment=booked))
    run_due(django_capture_on_commit_callbacks)
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.SENT and reminder.sent_at is not None
    assert reminder.attempts == 3
    assert "ConnectionRefusedError: SMTP server refused the connection" in reminder.last_error
    assert len(mail.outbox) == 1 and FlakyBackend.calls == 3

    run = TaskRun.objects.get(task_id__startswith=f"reminder-{reminder.pk}-")
    assert run.status == TaskRun.Status.COMPLETE and run.attempts == 3
    assert "ConnectionRefusedError: SMTP server refused" in run.last_error
    assert AuditEvent.objects.filter(action="reminder.sent").count() == 1
    assert not AuditEvent.objects.filter(action="reminder.failed").exists()


def test_send_that_keeps_failing_marks_the_reminder_failed(
    booked, flaky_backend, django_capture_on_commit_callbacks
):
    flaky_backend(failures=100)
    reminder = make_due(Reminder.objects.get(appointment=booked))
    run_due(django_capture_on_commit_callbacks)
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.FAILED and reminder.sent_at is None
    assert reminder.attempts == 4  # the first try and three retries
    assert "SMTP server refused the connection" in reminder.last_error
    assert mail.outbox == []

    run = TaskRun.objects.get(task_id__startswith=f"reminder-{reminder.pk}-")
    assert run.status == TaskRun.Status.ERROR and run.attempts == 4
    assert "SMTP server refused the connection" in run.last_error
    event = AuditEvent.objects.get(action="reminder.failed")
    assert event.actor is None and event.patient_uuid == booked.patient.uuid
    assert event.detail["attempts"] == 4 and "refused" in event.detail["error"]
    # A failed reminder is not picked up again by the next periodic run.
    assert run_due(django_capture_on_commit_callbacks).startswith("0 reminders queued, 0")


def test_patient_without_email_fails_at_once_with_the_reason(
    clinic, personas, make_patient, django_capture_on_commit_callbacks
):
    patient = make_patient(email="", language="el")
    appointment = make_appointment(clinic, patient, personas["practitioner"])
    appointment_changed(appointment)
    reminder = make_due(Reminder.objects.get(appointment=appointment))
    run_due(django_capture_on_commit_callbacks)
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.FAILED
    assert reminder.last_error == "no e-mail address" and reminder.attempts == 1
    run = TaskRun.objects.get(task_id__startswith=f"reminder-{reminder.pk}-")
    assert run.status == TaskRun.Status.ERROR and run.attempts == 1  # not retried
    assert "no e-mail address" in run.last_error
    assert AuditEvent.objects.get(action="reminder.failed").detail["error"] == "no e-mail address"
