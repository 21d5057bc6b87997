"""Pages of the treatment room: the pre-session safety check and the session record.

"session_records" (practitioner, nurse) reads and writes; "clinical_signoff" (practitioner only)
acknowledges a check's cautions, signs a record and marks one entered in error. Each section of a
draft record is its own small form posting to its own URL: on success it redirects back to the
section, on a refusal it renders the record page again with the section's errors (status 422).
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from follicle.accounts.roles import can
from follicle.core.access import get_for_clinic, require, staff_view
from follicle.core.audit import Auditor
from follicle.core.forms import add_service_errors
from follicle.formulations import selectors as formulation_selectors
from follicle.formulations.models import Lot
from follicle.patients.access import get_patient
from follicle.procedures import chart, selectors, services
from follicle.procedures.forms import (
    AcknowledgeForm,
    AddendumForm,
    DeliveryForm,
    InErrorForm,
    LotForm,
    SafetyCheckForm,
    TherapiesForm,
    ZonesForm,
)
from follicle.procedures.models import RecordStatus, SafetyCheck, SessionRecord
from follicle.scheduling import selectors as scheduling_selectors
from follicle.treatments.models import Zone

PAGE_SIZE = 25

STATUS_FILTERS = (
    (RecordStatus.DRAFT, gettext_lazy("Waiting for signature")),
    (RecordStatus.SIGNED, gettext_lazy("Signed")),
    (RecordStatus.ENTERED_IN_ERROR, gettext_lazy("Entered in error")),
    ("", gettext_lazy("All")),
)

# The scalp map, seen from above with the nose at the top (the patient's left is on the left).
# The head is the ellipse centred (160, 200), radii 120 × 150; the zones tile it: the frontal band
# above y=120, the occipital band below y=265, the temporal strips outside x=100..220 between them,
# and mid-scalp and vertex in the middle. `near` names the zone an arrow key moves to.
ZONE_SHAPES = {
    Zone.FRONTAL: {
        "path": "M 58.5 120 A 120 150 0 0 1 261.5 120 Z",
        "x": 160,
        "y": 82,
        "short": pgettext_lazy("scalp zone, short", "Frontal"),
        "near": {"down": Zone.MID_SCALP, "left": Zone.TEMPORAL_LEFT, "right": Zone.TEMPORAL_RIGHT},
    },
    Zone.MID_SCALP: {
        "path": "M 100 120 H 220 V 190 H 100 Z",
        "x": 160,
        "y": 146,
        "short": pgettext_lazy("scalp zone, short", "Mid-scalp"),
        "near": {
            "up": Zone.FRONTAL,
            "down": Zone.VERTEX,
            "left": Zone.TEMPORAL_LEFT,
            "right": Zone.TEMPORAL_RIGHT,
        },
    },
    Zone.VERTEX: {
        "path": "M 100 190 H 220 V 265 H 100 Z",
        "x": 160,
        "y": 218,
        "short": pgettext_lazy("scalp zone, short", "Vertex"),
        "near": {
            "up": Zone.MID_SCALP,
            "down": Zone.OCCIPITAL,
            "left": Zone.TEMPORAL_LEFT,
            "right": Zone.TEMPORAL_RIGHT,
        },
    },
    Zone.TEMPORAL_LEFT: {
        "path": "M 58.5 120 H 100 V 265 H 51.9 A 120 150 0 0 1 58.5 120 Z",
        "x": 75,
        "y": 180,
        "short": pgettext_lazy("scalp zone, short", "Temp. L"),
        "near": {"up": Zone.FRONTAL, "down": Zone.OCCIPITAL, "right": Zone.MID_SCALP},
    },
    Zone.TEMPORAL_RIGHT: {
        "path": "M 220 120 H 261.5 A 120 150 0 0 1 268.1 265 H 220 Z",
        "x": 245,
        "y": 180,
        "short": pgettext_lazy("scalp zone, short", "Temp. R"),
        "near": {"up": Zone.FRONTAL, "down": Zone.OCCIPITAL, "left": Zone.MID_SCALP},
    },
    Zone.OCCIPITAL: {
        "path": "M 268.1 265 A 120 150 0 0 1 51.9 265 Z",
        "x": 160,
        "y": 290,
        "short": pgettext_lazy("scalp zone, short", "Occipital"),
        "near": {"up": Zone.VERTEX, "left": Zone.TEMPORAL_LEFT, "right": Zone.TEMPORAL_RIGHT},
    },
}
LEVELS = 4  # shades of the map, from the least to the most volume


# --------------------------------------------------------------------------- loading
def _record(request, uuid) -> SessionRecord:
    try:
        return selectors.record_get(clinic=request.clinic, uuid=uuid)
    except (SessionRecord.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


def _plan_appointment(request, uuid):
    """An appointment of this clinic for a plan session (only those have a safety check)."""
    appointment = scheduling_selectors.get_appointment(request, uuid)
    if appointment.planned_session_id is None:
        raise Http404
    return appointment


def _component_product(record: SessionRecord, uuid):
    for component in record.formulation_version.components.select_related("product"):
        if component.product.uuid == uuid:
            return component.product
    raise Http404


# --------------------------------------------------------------------------- display helpers
def ml(value) -> str:
    """A volume as the clinic reads it: one decimal, two when the second is not zero."""
    if value is None:
        return ""
    value = Decimal(value)
    places = 1 if (value * 10) == (value * 10).to_integral_value() else 2
    return formats.number_format(value, decimal_pos=places, use_l10n=True)


def scalp_map(record: SessionRecord) -> dict:
    """The zones of the map with their points, volume and shade, and the totals."""
    saved = {row.zone: row for row in record.zones.all()}
    most = max((row.volume_ml for row in saved.values()), default=Decimal("0"))
    zones = []
    for zone, label in Zone.choices:
        row = saved.get(zone)
        volume = row.volume_ml if row else None
        level = math.ceil(LEVELS * volume / most) if volume and most else 0
        shape = ZONE_SHAPES[zone]
        if row:
            description = _("%(zone)s: %(points)s points, %(volume)s mL") % {
                "zone": label,
                "points": row.points,
                "volume": ml(volume),
            }
        else:
            description = _("%(zone)s: not treated") % {"zone": label}
        zones.append(
            {
                "key": zone,
                "label": label,
                "short": shape["short"],
                "path": shape["path"],
                "x": shape["x"],
                "y": shape["y"],
                "near": shape["near"],
                "points": row.points if row else None,
                "volume": ml(volume) if row else "",
                "level": min(level, LEVELS),
                "description": description,
            }
        )
    total = sum((row.volume_ml for row in saved.values()), Decimal("0"))
    prepared = record.prepared_volume_ml
    return {
        "zones": zones,
        "total": ml(total),
        "prepared": ml(prepared),
        "prepared_raw": "" if prepared is None else str(prepared),
        "over": prepared is not None and total > prepared + services.VOLUME_TOLERANCE_ML,
        "tolerance": str(services.VOLUME_TOLERANCE_ML),
        "points": sum(row.points for row in saved.values()),
    }


def _lot_form(request, record: SessionRecord, product, data=None) -> LotForm:
    """The lot form of one product: the usable lots to choose from, and the one recorded."""
    line = next((line for line in record.lots.all() if line.product_id == product.pk), None)
    lots = list(formulation_selectors.lot_list(clinic=request.clinic, product=product, usable_only=True))
    if line is not None and line.lot not in lots:
        lots.insert(0, line.lot)  # its last vials went to this very session
    initial = {"lot": line.lot.uuid, "vials": line.vials} if line else {"vials": 1}
    return LotForm(data, initial=initial, lots=lots, auto_id=f"lot-{product.uuid.hex[:8]}-%s")


def _lot_rows(request, record: SessionRecord, forms: dict) -> list[dict]:
    lines = {line.product_id: line for line in record.lots.all()}
    rows = []
    for component in record.formulation_version.components.select_related("product"):
        product = component.product
        form = forms.get(product.pk)
        if form is None and record.status == RecordStatus.DRAFT:
            form = _lot_form(request, record, product)
        rows.append({"component": component, "product": product, "line": lines.get(product.pk), "form": form})
    return rows


def _record_context(request, record: SessionRecord, **forms) -> dict:
    role = request.membership.role
    draft = record.status == RecordStatus.DRAFT
    day = timezone.localtime(record.appointment.starts_at).date()
    context = {
        "record": record,
        "patient": record.patient,
        "draft": draft,
        "can_write": can(role, "session_records", "w"),
        "can_sign": can(role, "clinical_signoff", "w"),
        "map": scalp_map(record),
        "lots": _lot_rows(request, record, forms.get("lot_forms") or {}),
        "therapy_rows": [{"therapy": c.therapy, "confirmation": c} for c in record.therapies.all()],
        "addenda": list(record.addenda.all()),
        "events": list(record.adverse_events.all()),
        "check": record.safety_check,
        "day": day,
        "in_error_form": forms.get("in_error_form") or InErrorForm(),
    }
    if draft:
        therapies = services.therapies_due(record)
        context |= {
            "problems": services.sign_problems(record),
            "delivery_form": forms.get("delivery_form")
            or DeliveryForm(initial=DeliveryForm.initial_for(record), day=day),
            "zones_form": forms.get("zones_form") or ZonesForm(initial=ZonesForm.initial_for(record)),
            "therapies_form": forms.get("therapies_form")
            or TherapiesForm(initial=TherapiesForm.initial_for(record), therapies=therapies),
        }
    else:
        context |= {
            "signature_intact": services.signature_intact(record),
            "addendum_form": forms.get("addendum_form") or AddendumForm(),
        }
    return context


def _section(record: SessionRecord, anchor: str) -> str:
    return reverse("procedures:record", args=[record.uuid]) + f"#{anchor}"


def _refused(request, record: SessionRecord, form, **forms):
    """The record page again with a section's errors. A locked record shows no section forms, so
    the reasons are also given as a message."""
    if record.is_locked:
        for error in form.errors.get("__all__", []):
            messages.error(request, error)
    return render(request, "procedures/record.html", _record_context(request, record, **forms), status=422)


# --------------------------------------------------------------------------- the list
@staff_view("session_records", "r")
def record_list(request):
    status = request.GET.get("status", "")
    if status not in RecordStatus.values:
        status = ""
    patient = get_patient(request, request.GET["patient"]) if request.GET.get("patient") else None
    rows = selectors.record_list(clinic=request.clinic, status=status, patient=patient)
    # Drafts waiting for a signature come first: they are the work still to do.
    rows = rows.order_by(
        Case(When(status=RecordStatus.DRAFT, then=Value(0)), default=Value(1), output_field=IntegerField()),
        "-appointment__starts_at",
        "-id",
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    Auditor.from_request(request).log_list(
        "session.list",
        query={"status": status, "patient": str(patient.uuid) if patient else "", "page": page.number},
        count=page.paginator.count,
    )
    query = {"status": status, "patient": str(patient.uuid) if patient else ""}
    context = {
        "page": page,
        "status": status,
        "patient": patient,
        "filters": [
            {
                "value": value,
                "label": label,
                "url": "?" + urlencode({k: v for k, v in {**query, "status": value}.items() if v}),
            }
            for value, label in STATUS_FILTERS
        ],
        "drafts": selectors.drafts_open(clinic=request.clinic).count(),
        "query": urlencode({k: v for k, v in query.items() if v}),
    }
    return render(request, "procedures/record_list.html", context)


# --------------------------------------------------------------------------- the safety check
@staff_view("session_records", "r")
def safety_check(request, uuid):
    appointment = _plan_appointment(request, uuid)
    auditor = Auditor.from_request(request)
    form = SafetyCheckForm(request.POST or None)
    status = 200
    if request.method == "POST":
        require(request, "session_records", "w")
        if form.is_valid():
            try:
                services.safety_check_record(
                    appointment=appointment,
                    auditor=auditor,
                    notes=form.cleaned_data["notes"],
                    medicines_detail=form.cleaned_data["medicines_detail"],
                    **form.answers(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The safety check was recorded."))
                return redirect(reverse("procedures:check", args=[appointment.uuid]) + "#result")
        status = 422
    auditor.log("safety_check.view", obj=appointment, patient=appointment.patient)
    checks = list(selectors.checks_for_appointment(appointment=appointment))
    state = chart.appointment_panel(appointment, request).context
    record = state["record"]
    context = {
        "a": appointment,
        "form": form,
        "latest": checks[0] if checks else None,
        "earlier": checks[1:],
        "state": state,
        "can_check": state["can_write"]
        and state["checked_in"]
        and state["is_today"]
        and (record is None or record.status == RecordStatus.DRAFT),
        "ack_form": AcknowledgeForm(),
    }
    return render(request, "procedures/safety_check.html", context, status=status)


@staff_view("clinical_signoff", "w")
@require_POST
def acknowledge(request, uuid):
    check = get_for_clinic(request, SafetyCheck, uuid=uuid)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            services.safety_check_acknowledge(
                check=check, auditor=Auditor.from_request(request), note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The cautions were acknowledged."))
    return redirect(reverse("procedures:check", args=[check.appointment.uuid]) + "#result")


@staff_view("session_records", "w")
@require_POST
def start(request, uuid):
    appointment = _plan_appointment(request, uuid)
    try:
        record = services.session_start(appointment=appointment, auditor=Auditor.from_request(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("procedures:check", appointment.uuid)
    return redirect("procedures:record", record.uuid)


# --------------------------------------------------------------------------- the record
@staff_view("session_records", "r")
def record_detail(request, uuid):
    record = _record(request, uuid)
    Auditor.from_request(request).log("session.view", obj=record, patient=record.patient)
    return render(request, "procedures/record.html", _record_context(request, record))


@staff_view("session_records", "w")
@require_POST
def lot_set(request, uuid, product):
    record = _record(request, uuid)
    product = _component_product(record, product)
    form = _lot_form(request, record, product, request.POST)
    if form.is_valid():
        try:
            lot = formulation_selectors.lot_get(clinic=request.clinic, uuid=form.cleaned_data["lot"])
        except Lot.DoesNotExist:
            form.add_error(
                "lot", _("Choose one of the clinic's lots of %(product)s.") % {"product": product.name}
            )
        else:
            try:
                services.session_lot_set(
                    record=record,
                    product=product,
                    lot=lot,
                    vials=form.cleaned_data["vials"],
                    auditor=Auditor.from_request(request),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Lot %(number)s recorded for %(product)s.")
                    % {"number": lot.lot_number, "product": product.name},
                )
                return redirect(_section(record, "lots"))
    return _refused(request, record, form, lot_forms={product.pk: form})


@staff_view("session_records", "w")
@require_POST
def lot_remove(request, uuid, product):
    record = _record(request, uuid)
    product = _component_product(record, product)
    try:
        services.session_lot_remove(record=record, product=product, auditor=Auditor.from_request(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The lot of %(product)s was removed; its vials are back in stock.") % {"product": product.name},
        )
    return redirect(_section(record, "lots"))


@staff_view("session_records", "w")
@require_POST
def delivery(request, uuid):
    record = _record(request, uuid)
    form = DeliveryForm(request.POST, day=timezone.localtime(record.appointment.starts_at).date())
    if form.is_valid():
        try:
            services.session_update(
                record=record, auditor=Auditor.from_request(request), **form.fields_for_service()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The delivery details were saved."))
            return redirect(_section(record, "delivery"))
    return _refused(request, record, form, delivery_form=form)


@staff_view("session_records", "w")
@require_POST
def zones(request, uuid):
    record = _record(request, uuid)
    form = ZonesForm(request.POST)
    if form.is_valid():
        try:
            services.session_zones_set(
                record=record, zones=form.zones(), auditor=Auditor.from_request(request)
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The injections were saved."))
            return redirect(_section(record, "injections"))
    return _refused(request, record, form, zones_form=form)


@staff_view("session_records", "w")
@require_POST
def therapies(request, uuid):
    record = _record(request, uuid)
    form = TherapiesForm(request.POST, therapies=services.therapies_due(record))
    if form.is_valid():
        try:
            services.session_therapies_confirm(
                record=record, confirmations=form.confirmations(), auditor=Auditor.from_request(request)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The combined therapies were confirmed."))
            return redirect(_section(record, "therapies"))
    return _refused(request, record, form, therapies_form=form)


@staff_view("clinical_signoff", "w")
@require_POST
def sign(request, uuid):
    record = _record(request, uuid)
    try:
        services.session_sign(record=record, auditor=Auditor.from_request(request))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(_section(record, "sign"))
    messages.success(request, _("The session record is signed."))
    return redirect("procedures:record", record.uuid)


@staff_view("session_records", "w")
@require_POST
def addendum(request, uuid):
    record = _record(request, uuid)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.session_addendum_add(
                record=record, text=form.cleaned_data["text"], auditor=Auditor.from_request(request)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The addendum was added."))
            return redirect(_section(record, "addenda"))
    if record.status == RecordStatus.DRAFT:
        for error in form.errors.get("__all__", []):
            messages.error(request, error)
    return render(
        request, "procedures/record.html", _record_context(request, record, addendum_form=form), status=422
    )


@staff_view("clinical_signoff", "w")
@require_POST
def in_error(request, uuid):
    record = _record(request, uuid)
    form = InErrorForm(request.POST)
    if form.is_valid():
        try:
            services.session_mark_in_error(
                record=record, reason=form.cleaned_data["reason"], auditor=Auditor.from_request(request)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The record was marked entered in error."))
            return redirect("procedures:record", record.uuid)
    for error in form.errors.get("__all__", []):
        messages.error(request, error)
    return render(
        request, "procedures/record.html", _record_context(request, record, in_error_form=form), status=422
    )
