"""API: protocol templates and treatment plans (schedule, status, shifting, acknowledgements).

Same rules as the pages: "schedule" roles (reception, admin) get a plan's schedule shape only —
dates and statuses, never the formulation, goals, therapies or delivery details.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from decimal import Decimal
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from follicle.api.schemas import Detail, Page, PageParams, paginate
from follicle.assessments.models import Assessment
from follicle.assessments.selectors import assessment_get
from follicle.core.access import require
from follicle.core.audit import Auditor
from follicle.formulations.models import FormulationVersion
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
from follicle.treatments.models import (
    PlanStatus,
    ProtocolTemplate,
    Technique,
    TherapyKind,
    TreatmentPlan,
    Zone,
)

router = Router(tags=["treatments"])


# --------------------------------------------------------------------------- protocol templates
class PhaseSchema(Schema):
    name: str = Field("", max_length=80)
    sessions: int | None = Field(None, ge=1, le=100, description="null: until stopped (last phase only)")
    interval_days: int = Field(ge=1, le=366)
    interval_max_days: int | None = Field(None, ge=1, le=366)
    source: str = ""


class ProtocolOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    name: str
    description: str
    technique: str
    depth_mm: Decimal | None
    needle: str
    volume_ml: Decimal | None
    zones: list[str]
    checkpoints_months: list[int]
    source_keys: list[str]
    source_citations: list[str]
    field_sources: dict
    phases: list[PhaseSchema]

    @staticmethod
    def resolve_phases(obj):
        return list(obj.phases.all())


class ProtocolIn(Schema):
    name: str = Field(min_length=1, max_length=150)
    description: str = ""
    technique: Technique | Literal[""] = ""
    depth_mm: Decimal | None = Field(None, ge=0, le=10)
    needle: str = Field("", max_length=60)
    volume_ml: Decimal | None = Field(None, ge=0, le=100)
    zones: list[Zone] = Field(default_factory=list)
    checkpoints_months: list[int] = Field(default_factory=list)
    source_keys: list[str] = Field(default_factory=list)
    phases: list[PhaseSchema] = Field(min_length=1)


@router.get("/protocols", response={200: Page[ProtocolOut], 403: Detail})
def protocol_list(request, params: Query[PageParams]):
    require(request, "catalogue", "r")
    result = paginate(selectors.protocol_template_list(clinic=request.clinic), params)
    Auditor.from_request(request).log_list("protocol_template.list", query={}, count=result["count"])
    return result


@router.post("/protocols", response={201: ProtocolOut, 403: Detail, 422: Detail})
def protocol_create(request, payload: ProtocolIn):
    require(request, "catalogue", "w")
    data = payload.dict()
    phases = data.pop("phases")
    data["zones"] = [str(z) for z in data["zones"]]
    template = services.protocol_template_create(
        clinic=request.clinic, auditor=Auditor.from_request(request), phases=phases, **data
    )
    return Status(201, template)


@router.get("/protocols/{protocol_id}", response={200: ProtocolOut, 403: Detail, 404: Detail})
def protocol_get(request, protocol_id: uuid_module.UUID):
    require(request, "catalogue", "r")
    return get_template(request, protocol_id)


# --------------------------------------------------------------------------- plans
class SessionOut(Schema):
    id: uuid_module.UUID
    number: int
    date: dt.date
    original_date: dt.date
    status: str


class CheckpointOut(Schema):
    months: int
    due_date: dt.date


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    changed_at: dt.datetime
    changed_by: str


class PlanScheduleOut(Schema):
    """What a "schedule" role sees of a plan."""

    view: Literal["schedule"]
    id: uuid_module.UUID
    patient_id: uuid_module.UUID
    status: str
    start_date: dt.date
    scheduled_until: dt.date | None
    session_minutes: int
    sessions: list[SessionOut]
    checkpoints: list[CheckpointOut]
    status_history: list[StatusChangeOut]


class FullStatusChangeOut(StatusChangeOut):
    reason: str


class PlanPhaseOut(PhaseSchema):
    position: int


class TherapySchema(Schema):
    kind: TherapyKind
    start: dt.date | None = None
    stop: dt.date | None = None
    dose: str = Field("", max_length=120)
    instructions: str = ""


class CheckItemOut(Schema):
    code: str
    title: str
    detail: str
    sources: list[str]


class PatientCheckOut(Schema):
    hard_stops: list[CheckItemOut]
    cautions: list[CheckItemOut]


class AcknowledgementOut(Schema):
    code: str
    text: str
    acknowledged_by: str
    at: dt.datetime
    note: str


class PlanOut(Schema):
    """The whole plan, for roles with "treatment_plans" r/rw."""

    view: Literal["full"]
    id: uuid_module.UUID
    patient_id: uuid_module.UUID
    status: str
    start_date: dt.date
    scheduled_until: dt.date | None
    session_minutes: int
    sessions: list[SessionOut]
    checkpoints: list[CheckpointOut]
    status_history: list[FullStatusChangeOut]
    protocol_id: uuid_module.UUID | None
    protocol_name: str
    assessment_id: uuid_module.UUID
    formulation_version_id: uuid_module.UUID
    formulation_name: str
    formulation_version: int
    goals: str
    technique: str
    depth_mm: Decimal | None
    needle: str
    volume_ml: Decimal | None
    zones: list[str]
    source_keys: list[str]
    source_citations: list[str]
    phases: list[PlanPhaseOut]
    therapies: list[TherapySchema]
    acknowledgements: list[AcknowledgementOut]
    patient_check: PatientCheckOut


AnyPlan = Annotated[PlanOut | PlanScheduleOut, Field(discriminator="view")]


def _schedule(plan: TreatmentPlan) -> dict:
    settings = selectors.treatment_settings_get(clinic=plan.clinic)
    return {
        "view": "schedule",
        "id": plan.uuid,
        "patient_id": plan.patient.uuid,
        "status": plan.status,
        "start_date": plan.start_date,
        "scheduled_until": plan.scheduled_until,
        "session_minutes": settings.session_minutes(len(plan.zones)),
        "sessions": [
            {
                "id": s.uuid,
                "number": s.number,
                "date": s.planned_date,
                "original_date": s.original_date,
                "status": s.status,
            }
            for s in plan.sessions.order_by("number")
        ],
        "checkpoints": [{"months": c.months, "due_date": c.due_date} for c in plan.checkpoints.all()],
        "status_history": [
            {
                "from_status": h.from_status,
                "to_status": h.to_status,
                "changed_at": h.changed_at,
                "changed_by": h.changed_by.username,
            }
            for h in plan.status_changes.select_related("changed_by")
        ],
    }


def _full(plan: TreatmentPlan) -> dict:
    data = _schedule(plan)
    version = plan.formulation_version
    data |= {
        "view": "full",
        "status_history": [
            {
                "from_status": h.from_status,
                "to_status": h.to_status,
                "changed_at": h.changed_at,
                "changed_by": h.changed_by.username,
                "reason": h.reason,
            }
            for h in plan.status_changes.select_related("changed_by")
        ],
        "protocol_id": plan.protocol.uuid if plan.protocol else None,
        "protocol_name": plan.protocol_name,
        "assessment_id": plan.assessment.uuid,
        "formulation_version_id": version.uuid,
        "formulation_name": version.formulation.name,
        "formulation_version": version.version,
        "goals": plan.goals,
        "technique": plan.technique,
        "depth_mm": plan.depth_mm,
        "needle": plan.needle,
        "volume_ml": plan.volume_ml,
        "zones": plan.zones,
        "source_keys": plan.source_keys,
        "source_citations": plan.source_citations,
        "phases": [
            {
                "position": p.position,
                "name": p.name,
                "sessions": p.sessions,
                "interval_days": p.interval_days,
                "interval_max_days": p.interval_max_days,
                "source": p.source,
            }
            for p in plan.phases.all()
        ],
        "therapies": [
            {"kind": t.kind, "start": t.start, "stop": t.stop, "dose": t.dose, "instructions": t.instructions}
            for t in plan.therapies.all()
        ],
        "acknowledgements": [_ack(a) for a in plan.acknowledgements.select_related("acknowledged_by")],
        "patient_check": run_patient_check(plan).as_json(),
    }
    return data


def _ack(ack) -> dict:
    return {
        "code": ack.code,
        "text": ack.text,
        "acknowledged_by": ack.acknowledged_by.username,
        "at": ack.at,
        "note": ack.note,
    }


def _shape(plan: TreatmentPlan, view: str) -> dict:
    return _full(plan) if view == FULL else _schedule(plan)


def _reload(request, plan: TreatmentPlan) -> TreatmentPlan:
    return get_plan(request, plan.uuid)


class PlanIn(Schema):
    assessment_id: uuid_module.UUID
    formulation_version_id: uuid_module.UUID
    protocol_id: uuid_module.UUID
    start_date: dt.date
    goals: str = ""
    zones: list[Zone] = Field(default_factory=list)
    therapies: list[TherapySchema] = Field(default_factory=list)


@router.get("/patients/{patient_id}/plans", response={200: Page[AnyPlan], 403: Detail, 404: Detail})
def plan_list(request, patient_id: uuid_module.UUID, params: Query[PageParams]):
    view = require_plan_view(request)
    patient = get_patient(request, patient_id)
    page = paginate(selectors.plan_list(patient=patient), params)
    Auditor.from_request(request).log_list(
        "plan.list", query={"patient": str(patient.uuid)}, count=page["count"], patient=patient
    )
    return {"items": [_shape(plan, view) for plan in page["items"]], "count": page["count"]}


def _lookup(patient, clinic, payload: PlanIn) -> dict:
    errors = {}
    found = {}
    try:
        found["assessment"] = assessment_get(patient=patient, uuid=payload.assessment_id)
    except Assessment.DoesNotExist:
        errors["assessment_id"] = [_("No such assessment of this patient.")]
    try:
        found["formulation_version"] = selectors.formulation_version_list(clinic=clinic).get(
            uuid=payload.formulation_version_id
        )
    except FormulationVersion.DoesNotExist:
        errors["formulation_version_id"] = [_("No such formulation version in this clinic.")]
    try:
        found["protocol"] = selectors.protocol_template_get(clinic=clinic, uuid=payload.protocol_id)
    except ProtocolTemplate.DoesNotExist:
        errors["protocol_id"] = [_("No such protocol in this clinic.")]
    if errors:
        raise ValidationError(errors)
    return found


@router.post("/patients/{patient_id}/plans", response={201: PlanOut, 403: Detail, 404: Detail, 422: Detail})
def plan_create(request, patient_id: uuid_module.UUID, payload: PlanIn):
    require(request, "treatment_plans", "w")
    patient = get_patient(request, patient_id)
    plan = services.plan_create(
        patient=patient,
        auditor=Auditor.from_request(request),
        start_date=payload.start_date,
        goals=payload.goals,
        zones=[str(z) for z in payload.zones],
        therapies=[t.dict() for t in payload.therapies],
        **_lookup(patient, request.clinic, payload),
    )
    return Status(201, _full(_reload(request, plan)))


@router.get("/plans/{plan_id}", response={200: AnyPlan, 403: Detail, 404: Detail})
def plan_get(request, plan_id: uuid_module.UUID):
    view = require_plan_view(request)
    plan = get_plan(request, plan_id)
    Auditor.from_request(request).log("plan.view", obj=plan, patient=plan.patient, detail={"view": view})
    return _shape(plan, view)


class PlanStatusIn(Schema):
    status: PlanStatus
    reason: str = ""


@router.post("/plans/{plan_id}/status", response={200: PlanOut, 403: Detail, 404: Detail, 422: Detail})
def plan_status(request, plan_id: uuid_module.UUID, payload: PlanStatusIn):
    require(request, "treatment_plans", "w")
    plan = get_plan(request, plan_id)
    services.plan_status_change(
        plan=plan, auditor=Auditor.from_request(request), to_status=str(payload.status), reason=payload.reason
    )
    return _full(_reload(request, plan))


class ShiftIn(Schema):
    new_date: dt.date
    confirm: bool = False
    missed: bool = Field(False, description="mark the session missed; the next planned one goes to new_date")


class ShiftChangeOut(Schema):
    session_id: uuid_module.UUID
    number: int
    old_date: dt.date
    new_date: dt.date


class ShiftOut(Schema):
    applied: bool
    changes: list[ShiftChangeOut]


@router.post(
    "/plans/{plan_id}/sessions/{session_id}/shift",
    response={200: ShiftOut, 403: Detail, 404: Detail, 422: Detail},
)
def session_shift(request, plan_id: uuid_module.UUID, session_id: uuid_module.UUID, payload: ShiftIn):
    """`confirm: false` previews the new dates (nothing stored); `true` applies them."""
    require_plan_view(request)
    if not can_reschedule(request.membership.role):
        raise PermissionDenied(_("Your role does not allow this."))
    plan = get_plan(request, plan_id)
    session = get_session(plan, session_id)
    args = {"plan": plan, "session": session, "new_date": payload.new_date, "mark_missed": payload.missed}
    if payload.confirm:
        changes = services.plan_shift_apply(auditor=Auditor.from_request(request), **args)
    else:
        changes = services.plan_shift_preview(**args)
    return {
        "applied": payload.confirm,
        "changes": [
            {"session_id": s.uuid, "number": s.number, "old_date": old, "new_date": new}
            for s, old, new in changes
        ],
    }


class AcknowledgeIn(Schema):
    code: str = Field(min_length=1, max_length=120)
    note: str = ""


@router.get(
    "/plans/{plan_id}/acknowledgements", response={200: Page[AcknowledgementOut], 403: Detail, 404: Detail}
)
def acknowledgement_list(request, plan_id: uuid_module.UUID):
    require(request, "treatment_plans", "r")
    plan = get_plan(request, plan_id)
    items = [_ack(a) for a in plan.acknowledgements.select_related("acknowledged_by")]
    return {"items": items, "count": len(items)}


@router.post(
    "/plans/{plan_id}/acknowledgements",
    response={201: AcknowledgementOut, 403: Detail, 404: Detail, 422: Detail},
)
def acknowledgement_create(request, plan_id: uuid_module.UUID, payload: AcknowledgeIn):
    require(request, "treatment_plans", "w")
    plan = get_plan(request, plan_id)
    ack = services.plan_acknowledge(
        plan=plan, auditor=Auditor.from_request(request), code=payload.code, note=payload.note
    )
    return Status(201, _ack(ack))
