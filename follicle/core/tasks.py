"""Background work run by the Huey worker, and the bookkeeping that shows it to admins.

Every task run is tracked in TaskRun (queued → running → complete, or failed with the error and
retried while retries remain), so an admin can see on the background-tasks page what the worker
did, what failed and why.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab, signals
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, signal

from follicle.core.audit import Auditor, verify_chain
from follicle.core.models import Clinic, TaskRun

log = logging.getLogger(__name__)

RETRY_DELAY = 0 if settings.TESTING else 30


@signal(signals.SIGNAL_EXECUTING, signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR)
def track_task(signal_name, task, exc=None):
    """Keep TaskRun in step with the worker (bookkeeping only; no domain logic here)."""
    now = timezone.now()
    run, _created = TaskRun.objects.get_or_create(task_id=task.id, defaults={"name": task.name})
    if signal_name == signals.SIGNAL_EXECUTING:
        run.status, run.started_at, run.attempts = TaskRun.Status.RUNNING, now, run.attempts + 1
    elif signal_name == signals.SIGNAL_COMPLETE:
        run.status, run.finished_at = TaskRun.Status.COMPLETE, now
    else:
        # On error Huey has not yet used up a retry: task.retries is what remains.
        run.status = TaskRun.Status.RETRYING if task.retries else TaskRun.Status.ERROR
        run.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = now
    run.save()


def enqueue_tracked(
    task_fn, *args, label: str = "", clinic: Clinic | None = None, requested_by=None, **kwargs
) -> TaskRun:
    """Queue a task after the current transaction commits, with its TaskRun row written first."""
    task = task_fn.s(*args, **kwargs)
    run = TaskRun.objects.create(
        task_id=task.id, name=task.name, label=label, clinic=clinic, requested_by=requested_by
    )
    transaction.on_commit(lambda: HUEY.enqueue(task))
    return run


@db_task(retries=3, retry_delay=RETRY_DELAY)
def send_test_email(recipient: str, clinic_name: str) -> str:
    """The demo task: proves the worker runs and that outgoing e-mail is configured."""
    mail.send_mail(
        subject=_("Follicle test e-mail"),
        message=_("This is a test e-mail from Follicle for %(clinic)s. If you can read it, e-mail works.")
        % {"clinic": clinic_name},
        from_email=None,
        recipient_list=[recipient],
    )
    return f"sent to {recipient}"


@db_periodic_task(crontab(minute="7"))
def audit_chain_check() -> str:
    """Hourly: verify the whole audit chain; a broken chain e-mails the site admins."""
    report = verify_chain()
    Auditor.system(label="system:audit-check").log(
        "audit.verify",
        detail={"ok": report.ok, "checked": report.checked, "first_bad_seq": report.first_bad_seq},
    )
    if not report.ok:
        log.error("audit chain broken: %s", report.reason)
        mail.mail_admins("Follicle audit chain broken", report.reason)
        raise RuntimeError(report.reason)
    return f"{report.checked} rows verified"


@db_periodic_task(crontab(minute="*/15"))
def housekeeping() -> str:
    """Every 15 minutes: drop expired sessions."""
    call_command("clearsessions")
    return "sessions cleared"
