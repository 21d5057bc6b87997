"""API: assessments and suitability screening of a patient."""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from typing import Literal

from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import Field

from follicle.api.schemas import Detail
from follicle.assessments import selectors, services
from follicle.assessments.models import Assessment, PullTest, ScreeningResult
from follicle.core.access import require
from follicle.core.audit import Auditor
from follicle.patients.access import get_patient

router = Router(tags=["assessments"])


class AssessmentOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    assessed_at: dt.datetime
    assessed_by: str
    diagnosis: str
    scale: str
    grade: str
    pull_test: str
    pull_test_hairs: int | None
    sebum: int
    scaling: int
    erythema: int
    inflammation: int
    trichoscopy_findings: list[str]
    notes: str
    entered_in_error: bool

    @staticmethod
    def resolve_assessed_by(obj):
        return obj.assessed_by.username


class AssessmentIn(Schema):
    diagnosis: str = Field(min_length=1, max_length=60)
    scale: str = Field("", max_length=60)
    grade: str = Field("", max_length=40)
    pull_test: PullTest = PullTest.NOT_DONE
    pull_test_hairs: int | None = Field(None, ge=0, le=100)
    sebum: int = Field(0, ge=0, le=3)
    scaling: int = Field(0, ge=0, le=3)
    erythema: int = Field(0, ge=0, le=3)
    inflammation: int = Field(0, ge=0, le=3)
    trichoscopy_findings: list[str] = Field(default_factory=list)
    notes: str = ""


class ReasonOut(Schema):
    contraindication: str
    condition: str
    type: str
    level: str
    triggered_by: list[str]
    rationale: str
    verification: str
    unverified_facts: list[str]
    sources: list[str]


class ScreeningOut(Schema):
    computed_result: str
    reasons: list[ReasonOut]
    not_asked: list[str]
    history_version: int
    decision: ScreeningResult | None = None
    decided_at: dt.datetime | None = None
    decided_by: str | None = None
    override_reason: str = ""
    out_of_date: bool = False


class DecisionIn(Schema):
    result: Literal["suitable", "caution", "not_suitable"]
    override_reason: str = ""
    notes: str = ""


def _screening(patient) -> dict:
    outcome, history, _assessment = services.screening_compute(patient=patient)
    latest = selectors.screening_latest(patient=patient)
    return {
        "computed_result": outcome.result,
        "reasons": outcome.as_json(),
        "not_asked": outcome.not_asked,
        "history_version": history.version,
        "decision": latest.result if latest else None,
        "decided_at": latest.decided_at if latest else None,
        "decided_by": latest.decided_by.username if latest else None,
        "override_reason": latest.override_reason if latest else "",
        "out_of_date": selectors.screening_out_of_date(patient=patient, decision=latest),
    }


@router.get(
    "/patients/{patient_id}/assessments", response={200: list[AssessmentOut], 403: Detail, 404: Detail}
)
def assessment_list(request, patient_id: uuid_module.UUID):
    require(request, "assessments", "r")
    patient = get_patient(request, patient_id)
    Auditor.from_request(request).log("assessment.list", obj=patient, patient=patient)
    return list(selectors.assessment_list(patient=patient))


@router.post(
    "/patients/{patient_id}/assessments", response={201: AssessmentOut, 403: Detail, 404: Detail, 422: Detail}
)
def assessment_create(request, patient_id: uuid_module.UUID, payload: AssessmentIn):
    require(request, "assessments", "w")
    patient = get_patient(request, patient_id)
    assessment = services.assessment_create(
        patient=patient, auditor=Auditor.from_request(request), **payload.dict()
    )
    return Status(201, assessment)


@router.get(
    "/patients/{patient_id}/assessments/{assessment_id}",
    response={200: AssessmentOut, 403: Detail, 404: Detail},
)
def assessment_get(request, patient_id: uuid_module.UUID, assessment_id: uuid_module.UUID):
    require(request, "assessments", "r")
    patient = get_patient(request, patient_id)
    try:
        assessment = selectors.assessment_get(patient=patient, uuid=assessment_id)
    except Assessment.DoesNotExist as exc:
        raise Http404 from exc
    Auditor.from_request(request).log("assessment.view", obj=assessment, patient=patient)
    return assessment


@router.get(
    "/patients/{patient_id}/screening", response={200: ScreeningOut, 403: Detail, 404: Detail, 422: Detail}
)
def screening_get(request, patient_id: uuid_module.UUID):
    """What the contraindication data says now, and the current decision (with staleness)."""
    require(request, "screening", "r")
    patient = get_patient(request, patient_id)
    Auditor.from_request(request).log("screening.view", obj=patient, patient=patient)
    return _screening(patient)


@router.post(
    "/patients/{patient_id}/screening", response={201: ScreeningOut, 403: Detail, 404: Detail, 422: Detail}
)
def screening_decide(request, patient_id: uuid_module.UUID, payload: DecisionIn):
    require(request, "screening", "w")
    patient = get_patient(request, patient_id)
    services.screening_decide(patient=patient, auditor=Auditor.from_request(request), **payload.dict())
    return Status(201, _screening(patient))
