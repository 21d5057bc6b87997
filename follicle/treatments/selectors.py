"""Reads for protocol templates, plans and their schedules. Every query is scoped to a clinic."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet

from follicle.core.models import Clinic
from follicle.formulations.models import FormulationVersion
from follicle.patients.models import Patient
from follicle.treatments.models import (
    PlannedSession,
    PlanStatus,
    ProtocolTemplate,
    SessionStatus,
    TreatmentPlan,
    TreatmentSettings,
)
from follicle.treatments.schedule import IsOpen, opening_checker


def protocol_template_list(*, clinic: Clinic, include_archived: bool = False) -> QuerySet[ProtocolTemplate]:
    templates = ProtocolTemplate.objects.filter(clinic=clinic).prefetch_related("phases")
    if not include_archived:
        templates = templates.filter(is_archived=False)
    return templates.order_by("name")


def protocol_template_get(*, clinic: Clinic, uuid) -> ProtocolTemplate:
    return ProtocolTemplate.objects.prefetch_related("phases").get(clinic=clinic, uuid=uuid)


def treatment_settings_get(*, clinic: Clinic) -> TreatmentSettings:
    """The clinic's treatment policy; the documented defaults until an admin saves them."""
    found = TreatmentSettings.objects.filter(clinic=clinic).first()
    return found or TreatmentSettings(clinic=clinic)


def is_open_for(*, clinic: Clinic, since: dt.date | None = None) -> IsOpen:
    """The clinic's open-day test: weekdays with opening hours, minus its closed days."""
    weekdays = set(clinic.opening_hours.values_list("weekday", flat=True))
    closed = clinic.closed_days.all()
    if since is not None:
        closed = closed.filter(date__gte=since)
    return opening_checker(weekdays, set(closed.values_list("date", flat=True)))


def formulation_version_list(*, clinic: Clinic) -> QuerySet[FormulationVersion]:
    return (
        FormulationVersion.objects.filter(formulation__clinic=clinic, formulation__is_archived=False)
        .select_related("formulation")
        .order_by("formulation__name", "-version")
    )


def _plans() -> QuerySet[TreatmentPlan]:
    return TreatmentPlan.objects.select_related(
        "patient", "assessment", "formulation_version__formulation", "created_by", "protocol"
    )


def plan_list(*, patient: Patient) -> QuerySet[TreatmentPlan]:
    return _plans().filter(patient=patient, clinic=patient.clinic).order_by("-created_at", "-id")


def plan_get(*, clinic: Clinic, uuid) -> TreatmentPlan:
    return (
        _plans()
        .prefetch_related(
            "phases",
            Prefetch("sessions", queryset=PlannedSession.objects.select_related("phase").order_by("number")),
            "checkpoints",
            "status_changes__changed_by",
            "therapies",
            "acknowledgements__acknowledged_by",
        )
        .get(clinic=clinic, uuid=uuid)
    )


def plan_current(*, patient: Patient) -> TreatmentPlan | None:
    """The active plan, or else the newest draft or paused one."""
    plans = plan_list(patient=patient)
    return (
        plans.filter(status=PlanStatus.ACTIVE).first()
        or plans.filter(status__in=[PlanStatus.PAUSED, PlanStatus.DRAFT]).first()
    )


def sessions_upcoming(*, plan: TreatmentPlan, today: dt.date, limit: int = 5) -> list[PlannedSession]:
    return list(
        plan.sessions.filter(status=SessionStatus.PLANNED, planned_date__gte=today).order_by("number")[:limit]
    )


def schedule_rows(*, plan: TreatmentPlan) -> list[dict]:
    """Sessions and checkpoints in date order, for the plan's timeline."""
    rows = [{"date": s.planned_date, "kind": "session", "session": s} for s in plan.sessions.all()]
    rows += [{"date": c.due_date, "kind": "checkpoint", "checkpoint": c} for c in plan.checkpoints.all()]
    return sorted(rows, key=lambda r: (r["date"], r["kind"] != "checkpoint"))


def formulation_version_in_plans(version) -> bool:
    """Whether any plan (of any status) was built on this formulation version."""
    return TreatmentPlan.objects.filter(formulation_version=version).exists()
