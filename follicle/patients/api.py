"""API: patients (search, register, edit), medical history versions and consents.

Same rules as the pages (DESIGN.md): receptionists see demographics and consent *status* only;
another clinic's patient is a 404.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from follicle.accounts.roles import can
from follicle.api.schemas import Detail, Email, Page, PageParams, paginate
from follicle.core.access import require
from follicle.core.audit import Auditor
from follicle.patients import selectors, services
from follicle.patients.access import get_patient
from follicle.patients.models import Answer, ConsentKind, MedicalHistory, Sex

router = Router(tags=["patients"])

AnswerValue = Literal["yes", "no", "unknown"]


class PatientOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    record_number: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    sex: str
    phone: str
    email: str
    address: str
    language: str
    entered_in_error: bool


class PatientIn(Schema):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    date_of_birth: dt.date
    sex: Sex = Sex.UNKNOWN
    phone: str = Field("", max_length=40)
    email: Email | Literal[""] = ""
    address: str = ""
    language: Literal["en", "el"] = "el"


class PatientPatch(Schema):
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    date_of_birth: dt.date | None = None
    sex: Sex | None = None
    phone: str | None = Field(None, max_length=40)
    email: Email | Literal[""] | None = None
    address: str | None = None
    language: Literal["en", "el"] | None = None


class PatientFilter(PageParams):
    q: str = Field("", max_length=100)


class HistoryOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    version: int
    recorded_at: dt.datetime
    recorded_by: str | None = None
    answers: dict[str, str]
    allergy_ingredients: list[str]
    allergies: str
    medications: str
    conditions: str
    notes: str

    @staticmethod
    def resolve_recorded_by(obj):
        return obj.recorded_by.username if obj.recorded_by else None

    @staticmethod
    def resolve_answers(obj):
        return obj.answers()


class HistoryIn(Schema):
    answers: dict[str, AnswerValue] = Field(default_factory=dict)
    allergy_ingredients: list[str] | None = None
    allergies: str | None = None
    medications: str | None = None
    conditions: str | None = None
    notes: str | None = None


class ConsentOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    kind: str
    text_version: int
    text_title: str
    signed_name: str
    signed_at: dt.datetime
    signed_ip: str | None
    withdrawn_at: dt.datetime | None
    withdrawal_reason: str

    @staticmethod
    def resolve_text_version(obj):
        return obj.text.version

    @staticmethod
    def resolve_text_title(obj):
        return obj.text.title


class ConsentStatusOut(Schema):
    treatment: bool
    treatment_signed_at: dt.datetime | None
    photo: bool
    photo_signed_at: dt.datetime | None


class ConsentIn(Schema):
    kind: ConsentKind
    signed_name: str = Field(min_length=1, max_length=200)


class WithdrawIn(Schema):
    reason: str = ""


def _patient(request, patient_id):
    return get_patient(request, patient_id)


@router.get("/patients", response={200: Page[PatientOut], 403: Detail})
def patient_list(request, filters: Query[PatientFilter]):
    require(request, "demographics", "r")
    result = paginate(selectors.patient_list(clinic=request.clinic, query=filters.q), filters)
    Auditor.from_request(request).log_list(
        "patient.list",
        query={"q": filters.q, "limit": filters.limit, "offset": filters.offset},
        count=result["count"],
    )
    return result


@router.post("/patients", response={201: PatientOut, 403: Detail, 422: Detail})
def patient_create(request, payload: PatientIn):
    require(request, "demographics", "w")
    patient = services.patient_create(
        clinic=request.clinic, auditor=Auditor.from_request(request), **payload.dict()
    )
    return Status(201, patient)


@router.get("/patients/{patient_id}", response={200: PatientOut, 403: Detail, 404: Detail})
def patient_get(request, patient_id: uuid_module.UUID):
    require(request, "demographics", "r")
    patient = _patient(request, patient_id)
    Auditor.from_request(request).log("patient.view", obj=patient, patient=patient)
    return patient


@router.patch("/patients/{patient_id}", response={200: PatientOut, 403: Detail, 404: Detail, 422: Detail})
def patient_update(request, patient_id: uuid_module.UUID, payload: PatientPatch):
    require(request, "demographics", "w")
    patient = _patient(request, patient_id)
    return services.patient_update(
        patient=patient,
        auditor=Auditor.from_request(request),
        **payload.dict(exclude_unset=True, exclude_none=True),
    )


@router.get("/patients/{patient_id}/history", response={200: list[HistoryOut], 403: Detail, 404: Detail})
def history_list(request, patient_id: uuid_module.UUID):
    """Every version of the medical history, newest first."""
    require(request, "medical_history", "r")
    patient = _patient(request, patient_id)
    Auditor.from_request(request).log("history.view", obj=patient, patient=patient)
    return list(selectors.history_versions(patient=patient))


@router.post(
    "/patients/{patient_id}/history", response={201: HistoryOut, 403: Detail, 404: Detail, 422: Detail}
)
def history_record(request, patient_id: uuid_module.UUID, payload: HistoryIn):
    """Record a new version; answers not given are carried over from the previous version."""
    require(request, "medical_history", "w")
    patient = _patient(request, patient_id)
    unknown = set(payload.answers) - set(MedicalHistory.YES_NO_FIELDS)
    if unknown:
        raise ValidationError({"answers": [f"Unknown questions: {', '.join(sorted(unknown))}"]})
    fields = {name: Answer(value) for name, value in payload.answers.items()}
    fields |= payload.dict(exclude={"answers"}, exclude_none=True)
    history = services.history_record(patient=patient, auditor=Auditor.from_request(request), **fields)
    return Status(201, history)


@router.get(
    "/patients/{patient_id}/consents",
    response={200: list[ConsentOut] | ConsentStatusOut, 403: Detail, 404: Detail},
)
def consent_list(request, patient_id: uuid_module.UUID):
    """Signed consents; a role with status-only access (reception) gets whether each is current."""
    role = request.membership.role
    if not (can(role, "consents", "r") or can(role, "consents", "status")):
        raise PermissionDenied
    patient = _patient(request, patient_id)
    Auditor.from_request(request).log("consent.list", obj=patient, patient=patient)
    if not can(role, "consents", "r"):
        status = selectors.consent_status(patient=patient)
        return {
            "treatment": status["treatment"] is not None,
            "treatment_signed_at": status["treatment"].signed_at if status["treatment"] else None,
            "photo": status["photo"] is not None,
            "photo_signed_at": status["photo"].signed_at if status["photo"] else None,
        }
    return list(selectors.consent_list(patient=patient))


@router.post(
    "/patients/{patient_id}/consents", response={201: ConsentOut, 403: Detail, 404: Detail, 422: Detail}
)
def consent_sign(request, patient_id: uuid_module.UUID, payload: ConsentIn):
    """Record a consent signed in the clinic against the current text in the patient's language."""
    require(request, "consents", "w")
    patient = _patient(request, patient_id)
    text = selectors.consent_text_current(clinic=request.clinic, kind=payload.kind, language=patient.language)
    if text is None:
        raise ValidationError({"kind": ["The clinic has not published this consent text yet."]})
    consent = services.consent_sign(
        patient=patient, auditor=Auditor.from_request(request), text=text, signed_name=payload.signed_name
    )
    return Status(201, consent)


@router.post(
    "/patients/{patient_id}/consents/{consent_id}/withdraw",
    response={200: ConsentOut, 403: Detail, 404: Detail, 422: Detail},
)
def consent_withdraw(
    request, patient_id: uuid_module.UUID, consent_id: uuid_module.UUID, payload: WithdrawIn
):
    require(request, "consents", "w")
    patient = _patient(request, patient_id)
    consent = patient.consents.filter(uuid=consent_id).first()
    if consent is None:
        raise Http404
    return services.consent_withdraw(
        consent=consent, auditor=Auditor.from_request(request), reason=payload.reason
    )
