"""Loading plans and templates for a request, and what a role may see of a plan.

"treatment_plans" is "rw"/"r" for clinical staff and "schedule" for reception and admins: those
see a plan's dates and statuses only, never the formulation, goals, therapies or delivery details.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from follicle.accounts.roles import can
from follicle.treatments import selectors
from follicle.treatments.models import ProtocolTemplate, TreatmentPlan

FULL, SCHEDULE = "full", "schedule"


def plan_view(role: str | None) -> str:
    """ "full", "schedule", or "" (no access) for a role."""
    if can(role, "treatment_plans", "r"):
        return FULL
    if can(role, "treatment_plans", "schedule"):
        return SCHEDULE
    return ""


def require_plan_view(request) -> str:
    view = plan_view(getattr(getattr(request, "membership", None), "role", None))
    if not view:
        raise PermissionDenied(_("Your role does not allow this."))
    return view


def can_reschedule(role: str | None) -> bool:
    """Moving a session keeps the protocol's intervals: whoever sees the schedule and books may."""
    return bool(plan_view(role)) and can(role, "appointments", "w")


def get_plan(request, uuid) -> TreatmentPlan:
    clinic = getattr(request, "clinic", None)
    if clinic is None:
        raise Http404
    try:
        return selectors.plan_get(clinic=clinic, uuid=uuid)
    except (TreatmentPlan.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


def get_session(plan: TreatmentPlan, uuid):
    try:
        return plan.sessions.select_related("phase").get(uuid=uuid)
    except (plan.sessions.model.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


def get_template(request, uuid) -> ProtocolTemplate:
    clinic = getattr(request, "clinic", None)
    if clinic is None:
        raise Http404
    try:
        return selectors.protocol_template_get(clinic=clinic, uuid=uuid)
    except (ProtocolTemplate.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
