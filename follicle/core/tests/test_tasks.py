"""The task worker's bookkeeping: queued, retried after failure, visible to admins."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail
from django.test import Client

from follicle.core.models import AuditEvent, TaskRun
from follicle.core.tasks import audit_chain_check, enqueue_tracked, housekeeping, send_test_email


@pytest.mark.django_db
def test_test_email_task_runs_and_is_tracked(clinic, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = enqueue_tracked(send_test_email, "ops@example.org", "Athens", clinic=clinic, label="Test")
    run.refresh_from_db()
    assert run.status == TaskRun.Status.COMPLETE and run.attempts == 1
    assert mail.outbox[0].to == ["ops@example.org"]


@pytest.mark.django_db
def test_failed_task_is_retried_and_the_error_kept(clinic, django_capture_on_commit_callbacks):
    real_send = mail.send_mail
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] < 3:
            raise ConnectionRefusedError("SMTP server refused the connection")
        return real_send(*args, **kwargs)

    with mock.patch("follicle.core.tasks.mail.send_mail", side_effect=flaky):
        with django_capture_on_commit_callbacks(execute=True):
            run = enqueue_tracked(send_test_email, "ops@example.org", "Athens", clinic=clinic)
    run.refresh_from_db()
    assert run.status == TaskRun.Status.COMPLETE
    assert run.attempts == 3
    assert "ConnectionRefusedError: SMTP server refused" in run.last_error
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_task_that_keeps_failing_ends_in_error(clinic, django_capture_on_commit_callbacks):
    with mock.patch("follicle.core.tasks.mail.send_mail", side_effect=OSError("no route to host")):
        with django_capture_on_commit_callbacks(execute=True):
            run = enqueue_tracked(send_test_email, "ops@example.org", "Athens", clinic=clinic)
    run.refresh_from_db()
    assert run.status == TaskRun.Status.ERROR
    assert run.attempts == 4  # the first try and three retries
    assert "no route to host" in run.last_error


@pytest.mark.django_db
def test_admin_sees_failed_tasks_and_can_queue_a_test(personas, clinic, django_capture_on_commit_callbacks):
    TaskRun.objects.create(
        task_id="t1", name="send_test_email", clinic=clinic, status="error", last_error="Boom"
    )
    client = Client()
    client.force_login(personas["admin"])
    body = client.get("/tasks/").content.decode()
    assert "Boom" in body and "Failed" in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/tasks/", {"recipient": "me@example.org"})
    assert response.status_code == 302
    assert TaskRun.objects.filter(clinic=clinic, status="complete").exists()
    assert client.post("/tasks/", {"recipient": "not an address"}).status_code == 200


@pytest.mark.django_db
def test_periodic_audit_check_records_result(clinic):
    audit_chain_check.call_local()
    event = AuditEvent.objects.get(action="audit.verify")
    assert event.detail["ok"] is True and event.actor is None and event.actor_label == "system:audit-check"


@pytest.mark.django_db
def test_housekeeping_runs():
    assert housekeeping.call_local() == "sessions cleared"
