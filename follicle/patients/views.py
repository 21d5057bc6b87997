"""Patient pages: list and search, registration, the chart, history, consents. Thin views."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from follicle.accounts.roles import can
from follicle.core.access import staff_view
from follicle.core.audit import Auditor
from follicle.core.forms import add_service_errors
from follicle.patients import chart, selectors, services
from follicle.patients.access import get_patient
from follicle.patients.forms import (
    ConsentSignForm,
    ConsentTextForm,
    ConsentWithdrawForm,
    EnteredInErrorForm,
    MedicalHistoryForm,
    PatientForm,
)
from follicle.patients.models import ConsentKind
from follicle.reference.selectors import entry_list

PAGE_SIZE = 25


@staff_view("demographics", "r")
def patient_list(request):
    query = request.GET.get("q", "").strip()[:100]
    patients = selectors.patient_list(clinic=request.clinic, query=query)
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    Auditor.from_request(request).log_list(
        "patient.list", query={"q": query, "page": page.number}, count=page.paginator.count
    )
    template = "patients/patient_list.html#results" if request.htmx else "patients/patient_list.html"
    context = {
        "page": page,
        "search": query,
        "query": urlencode({"q": query}) if query else "",
        "can_register": can(request.membership.role, "demographics", "w"),
    }
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


@staff_view("demographics", "w")
def patient_create(request):
    form = PatientForm(request.POST or None, initial={"language": request.clinic.language})
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(
                clinic=request.clinic, auditor=Auditor.from_request(request), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s was registered as %(number)s.")
                % {"name": patient.full_name, "number": patient.record_number},
            )
            return redirect("patients:chart", uuid=patient.uuid)
    return render(request, "patients/patient_form.html", {"form": form})


@staff_view("demographics", "r")
def patient_chart(request, uuid):
    patient = get_patient(request, uuid)
    role = request.membership.role
    Auditor.from_request(request).log("patient.view", obj=patient, patient=patient)
    context = {
        "patient": patient,
        "consents": selectors.consent_status(patient=patient),
        "history": selectors.history_current(patient=patient) if can(role, "medical_history", "r") else None,
        "timeline": chart.timeline(patient, role),
        "can": {
            "edit": can(role, "demographics", "w"),
            "history": can(role, "medical_history", "r"),
            "consents": can(role, "consents", "r"),
            "consent_sign": can(role, "consents", "w"),
            "book": can(role, "appointments", "w"),
        },
        "sections": chart.sections(patient, request),
    }
    return render(request, "patients/patient_chart.html", context)


@staff_view("demographics", "w")
def patient_edit(request, uuid):
    patient = get_patient(request, uuid)
    form = PatientForm(request.POST or None, instance=selectors.patient_get(clinic=request.clinic, uuid=uuid))
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(
                patient=patient, auditor=Auditor.from_request(request), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The patient's details were saved."))
            return redirect("patients:chart", uuid=patient.uuid)
    revisions = selectors.patient_revisions(patient=patient)[:20]
    return render(
        request, "patients/patient_edit.html", {"form": form, "patient": patient, "revisions": revisions}
    )


@staff_view("demographics", "w")
def patient_entered_in_error(request, uuid):
    patient = get_patient(request, uuid)
    form = EnteredInErrorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.patient_mark_entered_in_error(
            patient=patient, auditor=Auditor.from_request(request), reason=form.cleaned_data["reason"]
        )
        messages.success(
            request, _("The record was marked as entered in error. It is kept, but hidden from lists.")
        )
        return redirect("patients:list")
    return render(request, "patients/entered_in_error.html", {"form": form, "patient": patient})


def _ingredient_choices() -> list[tuple[str, str]]:
    return [(entry.key, entry.name) for entry in entry_list(kind="ingredient")]


@staff_view("medical_history", "r")
def history_detail(request, uuid):
    patient = get_patient(request, uuid)
    versions = list(selectors.history_versions(patient=patient))
    Auditor.from_request(request).log("history.view", obj=patient, patient=patient)
    wanted = request.GET.get("version")
    shown = next((v for v in versions if str(v.version) == wanted), versions[0] if versions else None)
    ingredients = dict(_ingredient_choices())
    context = {
        "patient": patient,
        "history": shown,
        "versions": versions,
        "groups": MedicalHistoryForm.GROUPS,
        "allergy_names": [ingredients.get(key, key) for key in (shown.allergy_ingredients if shown else [])],
        "can_edit": can(request.membership.role, "medical_history", "w"),
    }
    return render(request, "patients/history_detail.html", context)


@staff_view("medical_history", "w")
def history_edit(request, uuid):
    patient = get_patient(request, uuid)
    current = selectors.history_current(patient=patient)
    form = MedicalHistoryForm(request.POST or None, instance=current, ingredients=_ingredient_choices())
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        data["allergy_ingredients"] = form.cleaned_data["allergy_ingredients"]
        try:
            history = services.history_record(patient=patient, auditor=Auditor.from_request(request), **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Medical history version %(version)s was saved.") % {"version": history.version}
            )
            return redirect("patients:chart", uuid=patient.uuid)
    return render(
        request, "patients/history_form.html", {"form": form, "patient": patient, "current": current}
    )


@staff_view()
def consent_list(request, uuid):
    patient = get_patient(request, uuid)
    role = request.membership.role
    if not (can(role, "consents", "r") or can(role, "consents", "status")):
        raise PermissionDenied
    Auditor.from_request(request).log("consent.list", obj=patient, patient=patient)
    context = {
        "patient": patient,
        "status": selectors.consent_status(patient=patient),
        # Status-only roles (reception) see whether consent is current, not the signed records.
        "consents": selectors.consent_list(patient=patient) if can(role, "consents", "r") else None,
        "can_sign": can(role, "consents", "w"),
        "kinds": ConsentKind.choices,
    }
    return render(request, "patients/consent_list.html", context)


@staff_view("consents", "w")
def consent_sign(request, uuid, kind):
    patient = get_patient(request, uuid)
    if kind not in ConsentKind.values:
        raise Http404
    text = selectors.consent_text_current(clinic=request.clinic, kind=kind, language=patient.language)
    form = ConsentSignForm(request.POST or None)
    if text is not None and request.method == "POST" and form.is_valid():
        try:
            services.consent_sign(
                patient=patient,
                auditor=Auditor.from_request(request),
                text=text,
                signed_name=form.cleaned_data["signed_name"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The consent was signed and recorded."))
            return redirect("patients:consents", uuid=patient.uuid)
    context = {"patient": patient, "text": text, "form": form, "kind_label": ConsentKind(kind).label}
    return render(request, "patients/consent_sign.html", context)


@staff_view("consents", "w")
def consent_withdraw(request, uuid, consent_uuid):
    patient = get_patient(request, uuid)
    consent = patient.consents.filter(uuid=consent_uuid).first()
    if consent is None:
        raise Http404
    form = ConsentWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(
                consent=consent, auditor=Auditor.from_request(request), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The consent was withdrawn."))
            return redirect("patients:consents", uuid=patient.uuid)
    return render(
        request, "patients/consent_withdraw.html", {"patient": patient, "consent": consent, "form": form}
    )


@staff_view("clinic_settings", "w")
def consent_texts(request):
    form = ConsentTextForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        text = services.consent_text_publish(
            clinic=request.clinic, auditor=Auditor.from_request(request), **form.cleaned_data
        )
        messages.success(
            request, _("Version %(version)s of the text was published.") % {"version": text.version}
        )
        return redirect("patients:consent_texts")
    texts = selectors.consent_text_list(clinic=request.clinic)
    return render(request, "patients/consent_texts.html", {"form": form, "texts": texts})
