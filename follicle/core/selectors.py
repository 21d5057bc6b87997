"""Reads for clinics, the audit log and background tasks; always scoped to a clinic."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from follicle.core.models import AuditEvent, Clinic, ClosedDay, TaskRun


def audit_event_list(
    *,
    clinic: Clinic,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    actor_id: int | None = None,
    patient_uuid=None,
    action: str = "",
) -> QuerySet[AuditEvent]:
    """The clinic's audit rows, newest first, with the page's filters."""
    events = AuditEvent.objects.filter(clinic=clinic).select_related("actor")
    tz = timezone.get_current_timezone()
    if date_from:
        events = events.filter(created_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        events = events.filter(
            created_at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        )
    if actor_id:
        events = events.filter(actor_id=actor_id)
    if patient_uuid:
        events = events.filter(patient_uuid=patient_uuid)
    if action:
        events = events.filter(Q(action=action) | Q(action__startswith=f"{action}."))
    return events.order_by("-seq")


def audit_action_choices(*, clinic: Clinic) -> list[str]:
    return list(
        AuditEvent.objects.filter(clinic=clinic)
        .values_list("action", flat=True)
        .distinct()
        .order_by("action")
    )


def closed_day_list(*, clinic: Clinic, upcoming_only: bool = False) -> QuerySet[ClosedDay]:
    days = ClosedDay.objects.filter(clinic=clinic)
    if upcoming_only:
        days = days.filter(date__gte=timezone.localdate())
    return days.order_by("date")


def task_run_list(*, clinic: Clinic) -> QuerySet[TaskRun]:
    """The clinic's task runs and the system's (periodic) ones."""
    return TaskRun.objects.filter(Q(clinic=clinic) | Q(clinic__isnull=True)).select_related("requested_by")
