"""The assessments app's cards and timeline entries on the patient chart."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from follicle.accounts.roles import can
from follicle.assessments import selectors
from follicle.assessments.models import ScreeningResult
from follicle.patients.chart import ChartSection, TimelineEvent
from follicle.patients.selectors import history_current

TONE = {
    ScreeningResult.SUITABLE: "success",
    ScreeningResult.CAUTION: "warning",
    ScreeningResult.NOT_SUITABLE: "danger",
}


def sections(patient, request) -> list[ChartSection]:
    role = request.membership.role
    found = []
    if can(role, "screening", "r"):
        latest = selectors.screening_latest(patient=patient)
        found.append(
            ChartSection(
                template="assessments/chart_screening.html",
                order=10,
                context={
                    "latest": latest,
                    "tone": TONE.get(latest.result, "secondary") if latest else "secondary",
                    "out_of_date": selectors.screening_out_of_date(patient=patient, decision=latest),
                    "has_history": history_current(patient=patient) is not None,
                    "can_decide": can(role, "screening", "w"),
                },
            )
        )
    if can(role, "assessments", "r"):
        found.append(
            ChartSection(
                template="assessments/chart_assessments.html",
                order=20,
                context={
                    "assessments": list(selectors.assessment_list(patient=patient)[:5]),
                    "names": selectors.reference_names(),
                    "can_add": can(role, "assessments", "w"),
                },
            )
        )
    return found


def timeline(patient, role: str) -> list[TimelineEvent]:
    events = []
    if can(role, "screening", "r"):
        for decision in selectors.screening_list(patient=patient):
            detail = _("computed: %(computed)s") % {"computed": decision.get_computed_result_display()}
            if decision.is_override:
                detail += " · " + _("overridden: %(reason)s") % {"reason": decision.override_reason}
            events.append(
                TimelineEvent(
                    when=decision.decided_at,
                    kind="screening",
                    title=_("Suitability: %(result)s") % {"result": decision.get_result_display()},
                    detail=detail,
                    actor=decision.decided_by.display_name,
                    icon="shield-check",
                    tone=TONE.get(decision.result, "secondary"),
                    url=reverse("assessments:screening", args=[patient.uuid]),
                )
            )
    if can(role, "assessments", "r"):
        names = selectors.reference_names()
        for assessment in selectors.assessment_list(patient=patient):
            grade = " ".join(filter(None, [names.get(assessment.scale, assessment.scale), assessment.grade]))
            events.append(
                TimelineEvent(
                    when=assessment.assessed_at,
                    kind="assessment",
                    title=_("Assessment: %(diagnosis)s")
                    % {"diagnosis": names.get(assessment.diagnosis, assessment.diagnosis)},
                    detail=grade,
                    actor=assessment.assessed_by.display_name,
                    icon="clipboard-data",
                    tone="primary",
                    url=reverse("assessments:detail", args=[patient.uuid, assessment.uuid]),
                )
            )
    return events
