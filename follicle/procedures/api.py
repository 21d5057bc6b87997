"""API: the pre-session safety check and the session record (lots, injections, therapies, signing).

Practitioners and nurses read and write ("session_records" rw); only a practitioner acknowledges
a check's cautions, signs a record or marks it entered in error ("clinical_signoff"). Admins and
receptionists get a 403; another clinic's appointment, check or record is a 404. A signed record
is locked: every change is a 422 and corrections are addenda. The same services as the pages.

Opening a record (POST /appointments/{id}/session-record) answers 201 when it opens the record and
200 with the same record when the appointment's record was already open.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from follicle.api.schemas import Detail, Page, PageParams, paginate
from follicle.core.access import get_for_clinic, require
from follicle.core.audit import Auditor
from follicle.formulations import selectors as formulation_selectors
from follicle.formulations.access import get_product
from follicle.formulations.models import Lot
from follicle.patients.access import get_patient
from follicle.procedures import selectors, services
from follicle.procedures.models import (
    RecordStatus,
    SafetyCheck,
    SameDay,
    SessionRecord,
    TherapyStatus,
)
from follicle.scheduling.selectors import get_appointment
from follicle.treatments.models import Technique, Zone

router = Router(tags=["sessions"])


# --------------------------------------------------------------------------- shapes
class RecordPersonOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    name: str

    @staticmethod
    def resolve_name(obj):
        return obj.get_full_name() or obj.username


class RecordPatientOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    name: str = Field(alias="full_name")
    record_number: str


class SafetyCheckItemOut(Schema):
    code: str
    title: str
    detail: str
    sources: list[str]


class SafetyCheckOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    appointment_id: uuid_module.UUID
    patient_id: uuid_module.UUID
    result: str = Field(description="clear, caution (to acknowledge) or blocked")
    passed: bool = Field(description="no hard stop, and any caution acknowledged by a practitioner")
    needs_acknowledgement: bool
    hard_stops: list[SafetyCheckItemOut]
    cautions: list[SafetyCheckItemOut]
    answers: dict[str, str] = Field(description="question → yes, no or na")
    medicines_detail: str
    notes: str
    recorded_by: str
    recorded_at: dt.datetime
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None
    acknowledgement_note: str

    @staticmethod
    def resolve_appointment_id(obj):
        return obj.appointment.uuid

    @staticmethod
    def resolve_patient_id(obj):
        return obj.patient.uuid

    @staticmethod
    def resolve_answers(obj):
        return {name: getattr(obj, name) for name in SafetyCheck.QUESTIONS}

    @staticmethod
    def resolve_recorded_by(obj):
        return obj.recorded_by.username

    @staticmethod
    def resolve_acknowledged_by(obj):
        return obj.acknowledged_by.username if obj.acknowledged_by_id else None


class SafetyCheckAnswersIn(Schema):
    pregnant_or_breastfeeding: SameDay = Field(description="pregnant or breastfeeding, or could be pregnant")
    new_anticoagulant: SameDay = Field(description="started a blood thinner since the last visit")
    new_medicines: SameDay = Field(description="any other new medicine or supplement since the last visit")
    feeling_unwell: SameDay = Field(description="feeling unwell today (fever, infection)")
    scalp_infection_or_wound: SameDay = Field(
        description="scalp infection, wound or flare since the last visit"
    )
    previous_effects_resolved: SameDay = Field(
        description="side effects of the previous session have resolved"
    )


class SafetyCheckIn(Schema):
    answers: SafetyCheckAnswersIn
    medicines_detail: str = Field("", description="which new medicines (needed when new_medicines is yes)")
    notes: str = ""


class SafetyCheckAcknowledgeIn(Schema):
    note: str = ""


class SessionSafetyCheckOut(Schema):
    id: uuid_module.UUID
    result: str
    passed: bool


class SessionFormulationOut(Schema):
    version_id: uuid_module.UUID
    name: str
    version: int


class SessionProductOut(Schema):
    id: uuid_module.UUID
    name: str
    volume_ml: Decimal = Field(description="the formulation's volume of this product")


class SessionLotOut(Schema):
    product_id: uuid_module.UUID
    product_name: str
    lot_id: uuid_module.UUID
    lot_number: str
    expiry_date: dt.date
    vials: int
    recorded_by: str
    recorded_at: dt.datetime


class SessionZoneOut(Schema):
    zone: str
    points: int
    volume_ml: Decimal


class SessionTherapyOut(Schema):
    therapy_id: uuid_module.UUID
    kind: str
    dose: str
    status: str
    note: str


class SessionTherapyDueOut(Schema):
    id: uuid_module.UUID
    kind: str
    dose: str
    confirmed: bool


class SessionAddendumOut(Schema):
    text: str
    author: str
    at: dt.datetime


class SessionRecordOut(Schema):
    """A record in a list."""

    id: uuid_module.UUID
    patient: RecordPatientOut
    appointment_id: uuid_module.UUID
    starts_at: dt.datetime
    plan_id: uuid_module.UUID
    session_number: int | None
    practitioner: RecordPersonOut
    status: str
    signed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class SessionRecordDetailOut(SessionRecordOut):
    """The whole record, with what signing still needs (`sign_problems`, drafts only)."""

    safety_check: SessionSafetyCheckOut
    formulation: SessionFormulationOut
    products: list[SessionProductOut] = Field(description="the formulation's products: each needs its lot")
    technique: str
    needle_gauge: int | None
    needle_length_mm: Decimal | None
    depth_mm: Decimal | None
    prepared_volume_ml: Decimal | None
    injected_volume_ml: Decimal
    topical_anaesthetic: bool
    anaesthetic_detail: str
    pain_score: int | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    minutes: int | None
    notes: str
    lots: list[SessionLotOut]
    zones: list[SessionZoneOut]
    therapies: list[SessionTherapyOut]
    therapies_due: list[SessionTherapyDueOut] = Field(
        description="the plan's therapies to confirm at this session"
    )
    addenda: list[SessionAddendumOut]
    sign_problems: list[str] = Field(description="what must still be recorded before signing (drafts)")
    signed_by: RecordPersonOut | None
    signed_hash: str
    signature_intact: bool = Field(description="the stored content still matches what was signed")
    entered_in_error_reason: str
    created_by: str


def _summary(record: SessionRecord) -> dict:
    return {
        "id": record.uuid,
        "patient": record.patient,
        "appointment_id": record.appointment.uuid,
        "starts_at": record.appointment.starts_at,
        "plan_id": record.plan.uuid,
        "session_number": record.planned_session.number if record.planned_session_id else None,
        "practitioner": record.practitioner,
        "status": record.status,
        "signed_at": record.signed_at,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def _detail(record: SessionRecord) -> dict:
    check = record.safety_check
    version = record.formulation_version
    confirmed = {c.therapy_id: c for c in record.therapies.all()}
    zones = list(record.zones.all())
    return _summary(record) | {
        "safety_check": {"id": check.uuid, "result": check.result, "passed": check.passed},
        "formulation": {
            "version_id": version.uuid,
            "name": version.formulation.name,
            "version": version.version,
        },
        "products": [
            {"id": c.product.uuid, "name": c.product.name, "volume_ml": c.volume_ml}
            for c in version.components.select_related("product")
        ],
        "technique": record.technique,
        "needle_gauge": record.needle_gauge,
        "needle_length_mm": record.needle_length_mm,
        "depth_mm": record.depth_mm,
        "prepared_volume_ml": record.prepared_volume_ml,
        "injected_volume_ml": sum((z.volume_ml for z in zones), Decimal("0")),
        "topical_anaesthetic": record.topical_anaesthetic,
        "anaesthetic_detail": record.anaesthetic_detail,
        "pain_score": record.pain_score,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "minutes": record.minutes,
        "notes": record.notes,
        "lots": [
            {
                "product_id": line.product.uuid,
                "product_name": line.product.name,
                "lot_id": line.lot.uuid,
                "lot_number": line.lot.lot_number,
                "expiry_date": line.lot.expiry_date,
                "vials": line.vials,
                "recorded_by": line.recorded_by.username,
                "recorded_at": line.recorded_at,
            }
            for line in record.lots.select_related("product", "lot", "recorded_by")
        ],
        "zones": [{"zone": z.zone, "points": z.points, "volume_ml": z.volume_ml} for z in zones],
        "therapies": [
            {
                "therapy_id": c.therapy.uuid,
                "kind": c.therapy.kind,
                "dose": c.therapy.dose,
                "status": c.status,
                "note": c.note,
            }
            for c in confirmed.values()
        ],
        "therapies_due": [
            {"id": t.uuid, "kind": t.kind, "dose": t.dose, "confirmed": t.pk in confirmed}
            for t in services.therapies_due(record)
        ],
        "addenda": [{"text": a.text, "author": a.author.username, "at": a.at} for a in record.addenda.all()],
        "sign_problems": services.sign_problems(record) if record.status == RecordStatus.DRAFT else [],
        "signed_by": record.signed_by,
        "signed_hash": record.signed_hash,
        "signature_intact": services.signature_intact(record),
        "entered_in_error_reason": record.entered_in_error_reason,
        "created_by": record.created_by.username,
    }


def _record(request, uuid) -> SessionRecord:
    """One record of the active clinic, fully loaded; another clinic's or an unknown one is a 404."""
    clinic = getattr(request, "clinic", None)
    if clinic is None:
        raise Http404
    try:
        return selectors.record_get(clinic=clinic, uuid=uuid)
    except (SessionRecord.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


def _reloaded(request, record: SessionRecord) -> dict:
    return _detail(_record(request, record.uuid))


# --------------------------------------------------------------------------- the safety check
@router.get(
    "/appointments/{appointment_id}/safety-checks",
    response={200: Page[SafetyCheckOut], 403: Detail, 404: Detail},
)
def safety_check_list(request, appointment_id: uuid_module.UUID, params: Query[PageParams]):
    """The appointment's safety checks, newest (the one that counts) first."""
    require(request, "session_records", "r")
    appointment = get_appointment(request, appointment_id)
    result = paginate(selectors.checks_for_appointment(appointment=appointment), params)
    Auditor.from_request(request).log_list(
        "safety_check.list",
        query={"appointment": str(appointment.uuid), "offset": params.offset},
        count=result["count"],
        patient=appointment.patient,
    )
    return result


@router.post(
    "/appointments/{appointment_id}/safety-checks",
    response={201: SafetyCheckOut, 403: Detail, 404: Detail, 422: Detail},
)
def safety_check_record(request, appointment_id: uuid_module.UUID, payload: SafetyCheckIn):
    """Record today's check of a checked-in plan appointment; a new check replaces an earlier one."""
    require(request, "session_records", "w")
    appointment = get_appointment(request, appointment_id)
    check = services.safety_check_record(
        appointment=appointment,
        auditor=Auditor.from_request(request),
        notes=payload.notes,
        medicines_detail=payload.medicines_detail,
        **{name: str(value) for name, value in payload.answers.dict().items()},
    )
    return Status(201, check)


@router.post(
    "/safety-checks/{check_id}/acknowledge",
    response={200: SafetyCheckOut, 403: Detail, 404: Detail, 422: Detail},
)
def safety_check_acknowledge(request, check_id: uuid_module.UUID, payload: SafetyCheckAcknowledgeIn):
    """A practitioner acknowledges the cautions of the latest check (hard stops cannot be)."""
    require(request, "clinical_signoff", "w")
    check = get_for_clinic(request, SafetyCheck, uuid=check_id)
    return services.safety_check_acknowledge(
        check=check, auditor=Auditor.from_request(request), note=payload.note
    )


# --------------------------------------------------------------------------- records
class SessionRecordFilters(Schema):
    status: RecordStatus | None = None
    patient: uuid_module.UUID | None = None


@router.post(
    "/appointments/{appointment_id}/session-record",
    response={
        200: SessionRecordDetailOut,
        201: SessionRecordDetailOut,
        403: Detail,
        404: Detail,
        422: Detail,
    },
)
def session_start(request, appointment_id: uuid_module.UUID):
    """Open the appointment's record once its safety check passed: 201, or 200 if already open."""
    require(request, "session_records", "w")
    appointment = get_appointment(request, appointment_id)
    existed = selectors.record_for_appointment(appointment=appointment) is not None
    record = services.session_start(appointment=appointment, auditor=Auditor.from_request(request))
    return Status(200 if existed else 201, _reloaded(request, record))


@router.get("/session-records", response={200: Page[SessionRecordOut], 403: Detail, 404: Detail})
def session_list(request, filters: Query[SessionRecordFilters], params: Query[PageParams]):
    require(request, "session_records", "r")
    patient = get_patient(request, filters.patient) if filters.patient else None
    rows = selectors.record_list(clinic=request.clinic, status=filters.status or "", patient=patient)
    page = paginate(rows, params)
    Auditor.from_request(request).log_list(
        "session.list",
        query=filters.dict() | {"offset": params.offset},
        count=page["count"],
        patient=patient,
    )
    return {"items": [_summary(r) for r in page["items"]], "count": page["count"]}


@router.get("/session-records/{record_id}", response={200: SessionRecordDetailOut, 403: Detail, 404: Detail})
def session_get(request, record_id: uuid_module.UUID):
    require(request, "session_records", "r")
    record = _record(request, record_id)
    Auditor.from_request(request).log("session.view", obj=record, patient=record.patient)
    return _detail(record)


class SessionPatch(Schema):
    """Delivery details of a draft record: a field left out is unchanged; null clears a number or time."""

    technique: Technique | Literal[""] | None = None
    needle_gauge: int | None = Field(None, ge=18, le=34)
    needle_length_mm: Decimal | None = Field(None, ge=1, le=40)
    depth_mm: Decimal | None = Field(None, ge=0, le=10)
    prepared_volume_ml: Decimal | None = Field(None, ge=0, le=100)
    topical_anaesthetic: bool | None = None
    anaesthetic_detail: str | None = Field(None, max_length=200)
    pain_score: int | None = Field(None, ge=0, le=10)
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    notes: str | None = None


@router.patch(
    "/session-records/{record_id}",
    response={200: SessionRecordDetailOut, 403: Detail, 404: Detail, 422: Detail},
)
def session_update(request, record_id: uuid_module.UUID, payload: SessionPatch):
    require(request, "session_records", "w")
    record = _record(request, record_id)
    fields = payload.dict(exclude_unset=True)
    if "technique" in fields and fields["technique"] is not None:
        fields["technique"] = str(fields["technique"])
    services.session_update(record=record, auditor=Auditor.from_request(request), **fields)
    return _reloaded(request, record)


class SessionLotIn(Schema):
    lot: uuid_module.UUID = Field(description="a lot of this product, in this clinic")
    vials: int = Field(1, ge=1, le=50)


@router.put(
    "/session-records/{record_id}/lots/{product_id}",
    response={200: SessionRecordDetailOut, 403: Detail, 404: Detail, 422: Detail},
)
def session_lot_set(
    request, record_id: uuid_module.UUID, product_id: uuid_module.UUID, payload: SessionLotIn
):
    """Record the lot a product came from; the vials are taken from its stock (expired lots: 422)."""
    require(request, "session_records", "w")
    record = _record(request, record_id)
    product = get_product(request, product_id)
    try:
        lot = formulation_selectors.lot_get(clinic=request.clinic, uuid=payload.lot)
    except Lot.DoesNotExist as exc:
        raise ValidationError({"lot": [_("No such lot in this clinic.")]}) from exc
    services.session_lot_set(
        record=record, product=product, lot=lot, vials=payload.vials, auditor=Auditor.from_request(request)
    )
    return _reloaded(request, record)


@router.delete(
    "/session-records/{record_id}/lots/{product_id}",
    response={200: SessionRecordDetailOut, 403: Detail, 404: Detail, 422: Detail},
)
def session_lot_remove(request, record_id: uuid_module.UUID, product_id: uuid_module.UUID):
    """Remove a product's lot from a draft record (its vials go back to stock); answers the record."""
    require(request, "session_records", "w")
    record = _record(request, record_id)
    product = get_product(request, product_id)
    services.session_lot_remove(record=record, product=product, auditor=Auditor.from_request(request))
    return _reloaded(request, record)


class SessionZoneIn(Schema):
    zone: Zone
    points: int = Field(ge=1, le=500)
    volume_ml: Decimal = Field(gt=0, le=50, max_digits=5, decimal_places=2)


class SessionZonesIn(Schema):
    zones: list[SessionZoneIn] = Field(description="every zone treated; a zone left out was not treated")


@router.put(
    "/session-records/{record_id}/zones",
    response={200: SessionRecordDetailOut, 403: Detail, 404: Detail, 422: Detail},
)
def session_zones_set(request, record_id: uuid_module.UUID, payload: SessionZonesIn):
    """Replace the injections; the total may not exceed the volume prepared."""
    require(request, "session_records", "w")
    record = _record(request, record_id)
    zones = {}
    for row in payload.zones:
        if str(row.zone) in zones:
            raise ValidationError(
                {"zones": [_("Each zone once: %(zone)s is repeated.") % {"zone": row.zone}]}
            )
        zones[str(row.zone)] = (row.points, row.volume_ml)
    services.session_zones_set(record=record, zones=zones, auditor=Auditor.from_request(request))
    return _reloaded(request, record)


class SessionTherapyIn(Schema):
    therapy: uuid_module.UUID = Field(description="a combined therapy of the record's plan")
    status: TherapyStatus
    note: str = Field("", max_length=300)


class SessionTherapiesIn(Schema):
    therapies: list[SessionTherapyIn]


@router.put(
    "/session-records/{record_id}/therapies",
    response={200: SessionRecordDetailOut, 403: Detail, 404: Detail, 422: Detail},
)
def session_therapies_confirm(request, record_id: uuid_module.UUID, payload: SessionTherapiesIn):
    """How the patient keeps to each combined therapy of the plan (those given are set)."""
    require(request, "session_records", "w")
    record = _record(request, record_id)
    therapies = {t.uuid: t for t in record.plan.therapies.all()}
    unknown = [str(row.therapy) for row in payload.therapies if row.therapy not in therapies]
    if unknown:
        raise ValidationError(
            {"therapies": [_("Not a therapy of this plan: %(ids)s") % {"ids": ", ".join(unknown)}]}
        )
    services.session_therapies_confirm(
        record=record,
        confirmations={therapies[row.therapy]: (str(row.status), row.note) for row in payload.therapies},
        auditor=Auditor.from_request(request),
    )
    return _reloaded(request, record)


@router.post(
    "/session-records/{record_id}/sign",
    response={200: SessionRecordDetailOut, 403: Detail, 404: Detail, 422: Detail},
)
def session_sign(request, record_id: uuid_module.UUID):
    """A practitioner signs a complete record (incomplete: 422 with what is missing); it is locked."""
    require(request, "clinical_signoff", "w")
    record = _record(request, record_id)
    services.session_sign(record=record, auditor=Auditor.from_request(request))
    return _reloaded(request, record)


class SessionAddendumIn(Schema):
    text: str = Field(min_length=1)


@router.post(
    "/session-records/{record_id}/addenda",
    response={201: SessionAddendumOut, 403: Detail, 404: Detail, 422: Detail},
)
def session_addendum_add(request, record_id: uuid_module.UUID, payload: SessionAddendumIn):
    """A correction or addition to a signed (or entered in error) record."""
    require(request, "session_records", "w")
    record = _record(request, record_id)
    addendum = services.session_addendum_add(
        record=record, text=payload.text, auditor=Auditor.from_request(request)
    )
    return Status(201, {"text": addendum.text, "author": addendum.author.username, "at": addendum.at})


class SessionInErrorIn(Schema):
    reason: str = Field(min_length=1)


@router.post(
    "/session-records/{record_id}/entered-in-error",
    response={200: SessionRecordDetailOut, 403: Detail, 404: Detail, 422: Detail},
)
def session_mark_in_error(request, record_id: uuid_module.UUID, payload: SessionInErrorIn):
    """A practitioner marks a record entered in error (kept and locked; its lots stay consumed)."""
    require(request, "clinical_signoff", "w")
    record = _record(request, record_id)
    services.session_mark_in_error(
        record=record, reason=payload.reason, auditor=Auditor.from_request(request)
    )
    return _reloaded(request, record)
