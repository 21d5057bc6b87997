"""Protocol templates, treatment settings, plans and moving sessions. Thin views."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from follicle.accounts.roles import can
from follicle.assessments.selectors import assessment_list, reference_names
from follicle.core.access import staff_view
from follicle.core.audit import Auditor
from follicle.core.forms import add_service_errors
from follicle.patients.access import get_patient
from follicle.treatments import selectors, services
from follicle.treatments.access import (
    FULL,
    can_reschedule,
    get_plan,
    get_session,
    get_template,
    require_plan_view,
)
from follicle.treatments.checks import run_patient_check
from follicle.treatments.forms import (
    AcknowledgeForm,
    MoveForm,
    PhaseFormSet,
    PlanForm,
    ProtocolTemplateForm,
    StatusForm,
    TherapyForm,
    TreatmentSettingsForm,
    phase_rows,
)
from follicle.treatments.models import PlanStatus


# --------------------------------------------------------------------------- protocol templates
@staff_view("catalogue", "r")
def protocol_list(request):
    templates = list(selectors.protocol_template_list(clinic=request.clinic))
    Auditor.from_request(request).log_list("protocol_template.list", query={}, count=len(templates))
    context = {
        "templates": templates,
        "can_edit": can(request.membership.role, "catalogue", "w"),
        "settings": selectors.treatment_settings_get(clinic=request.clinic),
    }
    return render(request, "treatments/protocol_list.html", context)


@staff_view("catalogue", "w")
@require_POST
def protocol_install_defaults(request):
    try:
        created = services.protocol_templates_install_defaults(
            clinic=request.clinic, auditor=Auditor.from_request(request)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)s default protocols were added.") % {"n": len(created)})
    return redirect("treatments:protocol_list")


@staff_view("catalogue", "r")
def protocol_detail(request, uuid):
    template = get_template(request, uuid)
    settings = selectors.treatment_settings_get(clinic=request.clinic)
    context = {
        "template": template,
        "phases": list(template.phases.all()),
        "minutes": settings.session_minutes(len(template.zones)),
        "settings": settings,
        "can_edit": can(request.membership.role, "catalogue", "w"),
    }
    return render(request, "treatments/protocol_detail.html", context)


def _protocol_form(request, template=None):
    initial_phases = (
        [
            {
                "name": p.name,
                "sessions": p.sessions,
                "interval_days": p.interval_days,
                "interval_max_days": p.interval_max_days,
                "source": p.source,
            }
            for p in template.phases.all()
        ]
        if template
        else None
    )
    form = ProtocolTemplateForm(request.POST or None, instance=template, prefix="t")
    formset = PhaseFormSet(request.POST or None, initial=initial_phases, prefix="phases")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        fields = {name: form.cleaned_data[name] for name in ProtocolTemplateForm.Meta.fields}
        auditor = Auditor.from_request(request)
        try:
            if template is None:
                template = services.protocol_template_create(
                    clinic=request.clinic, auditor=auditor, phases=phase_rows(formset), **fields
                )
            else:
                template = services.protocol_template_update(
                    template=template, auditor=auditor, phases=phase_rows(formset), **fields
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The protocol was saved."))
            return redirect("treatments:protocol_detail", uuid=template.uuid)
    return render(
        request, "treatments/protocol_form.html", {"form": form, "formset": formset, "template": template}
    )


@staff_view("catalogue", "w")
def protocol_create(request):
    return _protocol_form(request)


@staff_view("catalogue", "w")
def protocol_edit(request, uuid):
    return _protocol_form(request, get_template(request, uuid))


@staff_view("clinic_settings", "w")
def treatment_settings(request):
    current = selectors.treatment_settings_get(clinic=request.clinic)
    form = TreatmentSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.treatment_settings_update(
            clinic=request.clinic, auditor=Auditor.from_request(request), **form.cleaned_data
        )
        messages.success(request, _("The treatment settings were saved."))
        return redirect("treatments:settings")
    return render(request, "treatments/settings.html", {"form": form, "current": current})


# --------------------------------------------------------------------------- plans
@staff_view("treatment_plans", "w")
def plan_create(request, uuid):
    patient = get_patient(request, uuid)
    assessments = assessment_list(patient=patient)
    form = PlanForm(
        request.POST or None,
        initial={"start_date": timezone.localdate()},
        assessments=assessments,
        formulation_versions=selectors.formulation_version_list(clinic=request.clinic),
        protocols=selectors.protocol_template_list(clinic=request.clinic),
        names=reference_names(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(
                patient=patient, auditor=Auditor.from_request(request), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The plan was created as a draft."))
            return redirect("treatments:plan_detail", uuid=plan.uuid)
    context = {"patient": patient, "form": form, "has_assessment": assessments.exists()}
    return render(request, "treatments/plan_form.html", context)


@staff_view()
def plan_detail(request, uuid):
    view = require_plan_view(request)
    plan = get_plan(request, uuid)
    role = request.membership.role
    Auditor.from_request(request).log("plan.view", obj=plan, patient=plan.patient, detail={"view": view})
    settings = selectors.treatment_settings_get(clinic=request.clinic)
    context = {
        "plan": plan,
        "patient": plan.patient,
        "full": view == FULL,
        "rows": selectors.schedule_rows(plan=plan),
        "minutes": settings.session_minutes(len(plan.zones)),
        "can_write": can(role, "treatment_plans", "w"),
        "can_reschedule": can_reschedule(role) and plan.is_open,
        "can_book": can(role, "appointments", "w"),
        "today": timezone.localdate(),
        "history": plan.status_changes.all(),
    }
    if view == FULL:
        check = run_patient_check(plan)
        acknowledged = {a.code for a in plan.acknowledgements.all()}
        context |= {
            "check": check,
            "to_acknowledge": check.unacknowledged(acknowledged) if plan.is_open else [],
            "transitions": services.allowed_transitions(plan),
            "open_ended": any(p.sessions is None for p in plan.phases.all()),
        }
    return render(request, "treatments/plan_detail.html", context)


@staff_view("treatment_plans", "w")
def plan_status(request, uuid, status):
    plan = get_plan(request, uuid)
    if status not in PlanStatus.values:
        raise Http404
    form = StatusForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_status_change(
                plan=plan,
                auditor=Auditor.from_request(request),
                to_status=status,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The plan is now %(status)s.") % {"status": PlanStatus(status).label.lower()}
            )
            return redirect("treatments:plan_detail", uuid=plan.uuid)
    context = {"plan": plan, "patient": plan.patient, "form": form, "status": PlanStatus(status)}
    return render(request, "treatments/plan_status.html", context)


@staff_view("treatment_plans", "w")
@require_POST
def plan_acknowledge(request, uuid):
    plan = get_plan(request, uuid)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            services.plan_acknowledge(plan=plan, auditor=Auditor.from_request(request), **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The caution was acknowledged."))
    return redirect("treatments:plan_detail", uuid=plan.uuid)


@staff_view("treatment_plans", "w")
@require_POST
def plan_extend(request, uuid):
    plan = get_plan(request, uuid)
    try:
        added = services.plan_extend_schedule(plan=plan, auditor=Auditor.from_request(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)s sessions were added to the schedule.") % {"n": added})
    return redirect("treatments:plan_detail", uuid=plan.uuid)


@staff_view("treatment_plans", "w")
def plan_therapy_add(request, uuid):
    plan = get_plan(request, uuid)
    form = TherapyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_therapy_add(plan=plan, auditor=Auditor.from_request(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The combined therapy was added."))
            return redirect("treatments:plan_detail", uuid=plan.uuid)
    return render(
        request, "treatments/therapy_form.html", {"plan": plan, "patient": plan.patient, "form": form}
    )


@staff_view()
def session_move(request, uuid, session_uuid):
    """Choose a date (or mark missed) → preview of the shifted dates → confirm."""
    require_plan_view(request)
    if not can_reschedule(request.membership.role):
        raise PermissionDenied(_("Your role does not allow this."))
    plan = get_plan(request, uuid)
    session = get_session(plan, session_uuid)
    form = MoveForm(request.POST or None, initial={"new_date": session.planned_date})
    changes = None
    if request.method == "POST" and form.is_valid():
        args = {
            "plan": plan,
            "session": session,
            "new_date": form.cleaned_data["new_date"],
            "mark_missed": form.cleaned_data["action"] == MoveForm.MISSED,
        }
        try:
            if request.POST.get("confirm") == "1":
                services.plan_shift_apply(auditor=Auditor.from_request(request), **args)
                messages.success(request, _("The schedule was updated."))
                return redirect("treatments:plan_detail", uuid=plan.uuid)
            changes = services.plan_shift_preview(**args)
        except ValidationError as exc:
            add_service_errors(form, exc)
    context = {
        "plan": plan,
        "patient": plan.patient,
        "session": session,
        "form": form,
        "changes": changes,
        "missed": form.is_bound and form.is_valid() and form.cleaned_data["action"] == MoveForm.MISSED,
    }
    return render(request, "treatments/session_move.html", context)
