"""Assessment and screening pages, reached from the patient chart. Thin views."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from follicle.accounts.roles import can
from follicle.assessments import selectors, services
from follicle.assessments.forms import AssessmentForm, EnteredInErrorForm, ScreeningDecisionForm
from follicle.assessments.models import Assessment
from follicle.core.access import staff_view
from follicle.core.audit import Auditor
from follicle.core.forms import add_service_errors
from follicle.patients.access import get_patient
from follicle.reference.models import ReferenceEntry
from follicle.reference.selectors import entry_get


@staff_view("assessments", "w")
def assessment_create(request, uuid):
    patient = get_patient(request, uuid)
    if request.method == "POST":
        form = AssessmentForm(request.POST, patient=patient, refresh_url=request.path)
        if form.is_valid():
            try:
                services.assessment_create(
                    patient=patient, auditor=Auditor.from_request(request), **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The assessment was recorded."))
                return redirect("patients:chart", uuid=patient.uuid)
    else:
        # htmx re-renders the scale and grade fields when the diagnosis or scale changes.
        form = AssessmentForm(
            initial=request.GET.dict() if request.htmx else None, patient=patient, refresh_url=request.path
        )
    context = {"patient": patient, "form": form, "diagnosis": form.diagnosis_entry()}
    template = (
        "assessments/assessment_form.html#scale_fields"
        if request.htmx
        else "assessments/assessment_form.html"
    )
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


def _assessment(patient, uuid) -> Assessment:
    try:
        return selectors.assessment_get(patient=patient, uuid=uuid)
    except (Assessment.DoesNotExist, ValidationError) as exc:
        raise Http404 from exc


def _entry(kind, key):
    try:
        return entry_get(kind=kind, key=key) if key else None
    except ReferenceEntry.DoesNotExist:
        return None


@staff_view("assessments", "r")
def assessment_detail(request, uuid, assessment_uuid):
    patient = get_patient(request, uuid)
    assessment = _assessment(patient, assessment_uuid)
    Auditor.from_request(request).log("assessment.view", obj=assessment, patient=patient)
    findings = dict(selectors.finding_choices())
    context = {
        "patient": patient,
        "assessment": assessment,
        "diagnosis": _entry(ReferenceEntry.Kind.DIAGNOSIS, assessment.diagnosis),
        "scale": _entry(ReferenceEntry.Kind.SCALE, assessment.scale),
        "findings": [findings.get(f, f) for f in assessment.trichoscopy_findings],
        "can_edit": can(request.membership.role, "assessments", "w"),
    }
    return render(request, "assessments/assessment_detail.html", context)


@staff_view("assessments", "w")
def assessment_entered_in_error(request, uuid, assessment_uuid):
    patient = get_patient(request, uuid)
    assessment = _assessment(patient, assessment_uuid)
    form = EnteredInErrorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.assessment_mark_entered_in_error(
            assessment=assessment, auditor=Auditor.from_request(request), reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("The assessment was marked as entered in error."))
        return redirect("patients:chart", uuid=patient.uuid)
    return render(
        request,
        "assessments/entered_in_error.html",
        {"patient": patient, "assessment": assessment, "form": form},
    )


@staff_view("screening", "r")
def screening(request, uuid):
    patient = get_patient(request, uuid)
    Auditor.from_request(request).log("screening.view", obj=patient, patient=patient)
    try:
        outcome, history, assessment = services.screening_compute(patient=patient)
    except ValidationError as exc:
        outcome = history = assessment = None
        problem = exc.messages[0]
    else:
        problem = ""
    can_decide = can(request.membership.role, "screening", "w")
    form = ScreeningDecisionForm(
        request.POST or None, initial={"result": outcome.result if outcome else None}
    )
    if request.method == "POST":
        if not can_decide:
            raise PermissionDenied
        if outcome is not None and form.is_valid():
            try:
                services.screening_decide(
                    patient=patient, auditor=Auditor.from_request(request), **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The suitability decision was recorded."))
                return redirect("patients:chart", uuid=patient.uuid)
    latest = selectors.screening_latest(patient=patient)
    context = {
        "patient": patient,
        "outcome": outcome,
        "history": history,
        "assessment": assessment,
        "problem": problem,
        "form": form,
        "can_decide": can_decide,
        "latest": latest,
        "out_of_date": selectors.screening_out_of_date(patient=patient, decision=latest),
        "decisions": selectors.screening_list(patient=patient)[:20],
    }
    return render(request, "assessments/screening.html", context)
