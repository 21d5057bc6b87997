"""The treatments app's card and timeline entries on the patient chart.

Roles with "treatment_plans" r/rw see the protocol and formulation; "schedule" roles (reception,
admin) see the plan's dates and statuses only.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from follicle.accounts.roles import can
from follicle.patients.chart import ChartSection, TimelineEvent
from follicle.treatments import selectors
from follicle.treatments.access import FULL, plan_view
from follicle.treatments.models import PlanStatus, PlanStatusChange

TONE = {
    PlanStatus.DRAFT: "secondary",
    PlanStatus.ACTIVE: "success",
    PlanStatus.PAUSED: "warning",
    PlanStatus.COMPLETED: "primary",
    PlanStatus.STOPPED: "danger",
}


def sections(patient, request) -> list[ChartSection]:
    role = request.membership.role
    view = plan_view(role)
    if not view:
        return []
    plan = selectors.plan_current(patient=patient)
    others = [p for p in selectors.plan_list(patient=patient)[:6] if plan is None or p.pk != plan.pk]
    return [
        ChartSection(
            template="treatments/chart_plan.html",
            order=30,
            context={
                "plan": plan,
                "full": view == FULL,
                "upcoming": selectors.sessions_upcoming(plan=plan, today=timezone.localdate())
                if plan
                else [],
                "others": others[:5],
                "can_create": can(role, "treatment_plans", "w"),
            },
        )
    ]


def timeline(patient, role: str) -> list[TimelineEvent]:
    view = plan_view(role)
    if not view:
        return []
    events = []
    changes = (
        PlanStatusChange.objects.filter(plan__patient=patient, plan__clinic=patient.clinic)
        .select_related("plan", "changed_by")
        .order_by("changed_at")
    )
    for change in changes:
        plan = change.plan
        label = PlanStatus(change.to_status).label
        if change.from_status:
            title = _("Treatment plan: %(status)s") % {"status": label.lower()}
        else:
            title = _("Treatment plan created")
        detail = plan.protocol_name if view == FULL else ""
        if view == FULL and change.reason:
            detail = f"{detail} · {change.reason}" if detail else change.reason
        events.append(
            TimelineEvent(
                when=change.changed_at,
                kind="plan",
                title=title,
                detail=detail,
                actor=change.changed_by.display_name,
                icon="calendar2-week",
                tone=TONE.get(change.to_status, "secondary"),
                url=reverse("treatments:plan_detail", args=[plan.uuid]),
            )
        )
    return events
