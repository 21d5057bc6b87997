"""API: adverse events (report, follow up, resolve), the clinic's overdue policy, a lot's trace.

Practitioners and nurses read and write adverse events ("adverse_events" rw). Admins see the
counts only ("counts": GET /adverse-events/summary) and set the overdue policy ("clinic_settings");
receptionists get a 403 throughout. Another clinic's event, patient or lot is a 404. How long an
open event may last before it is overdue is the clinic's policy, never evidence: the policy rows
and an event's `policy` say so (`clinic_policy: true`).

A lot's trace (GET /lots/{id}/trace) is for whoever reads the catalogue (admin, practitioner,
nurse): the patients who received the lot, as on the lot page, and counts; the sessions and adverse
events themselves only for roles that may read them (null otherwise).
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from follicle.accounts.roles import can
from follicle.api.schemas import Detail, Page, PageParams, paginate
from follicle.core.access import require
from follicle.core.audit import Auditor
from follicle.formulations import selectors as formulation_selectors
from follicle.formulations.access import get_lot
from follicle.formulations.selectors import lot_recipients
from follicle.patients.access import get_patient
from follicle.procedures import selectors as procedure_selectors
from follicle.procedures.models import SessionRecord
from follicle.reference.selectors import entry_list
from follicle.safety import policy, selectors, services
from follicle.safety.models import AdverseEvent, EventStatus, Outcome, Seriousness, Trend

router = Router(tags=["safety"])


# --------------------------------------------------------------------------- shapes
class EventPatientOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    name: str = Field(alias="full_name")
    record_number: str


class EventLotOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    lot_number: str
    expiry_date: dt.date
    product_id: uuid_module.UUID
    product_name: str

    @staticmethod
    def resolve_product_id(obj):
        return obj.product.uuid

    @staticmethod
    def resolve_product_name(obj):
        return obj.product.name


class AdverseEventOut(Schema):
    """An event in a list."""

    id: uuid_module.UUID = Field(alias="uuid")
    patient: EventPatientOut
    session_id: uuid_module.UUID | None
    term: str = Field(description="a reference catalogue key, or other")
    term_name: str
    grade: int = Field(description="1–5, after the CTCAE v5.0 general grade definitions")
    grade_label: str
    serious: bool
    seriousness_criteria: list[str]
    onset_date: dt.date
    status: str
    resolved_on: dt.date | None
    outcome: str
    overdue_since: dt.date | None = Field(description="set while open and past the clinic's policy")
    days_open: int
    source: str
    reported_by: str | None
    reported_at: dt.datetime

    @staticmethod
    def resolve_session_id(obj):
        return obj.session.uuid if obj.session_id else None

    @staticmethod
    def resolve_grade_label(obj):
        return obj.grade_short

    @staticmethod
    def resolve_days_open(obj):
        return obj.days_open()

    @staticmethod
    def resolve_reported_by(obj):
        return obj.reported_by.username if obj.reported_by_id else None


class FollowUpOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    at: dt.datetime
    trend: str
    note: str
    by: str

    @staticmethod
    def resolve_by(obj):
        return obj.by.username


class EventStatusChangeOut(Schema):
    from_status: str
    to_status: str
    reason: str
    changed_at: dt.datetime
    changed_by: str | None

    @staticmethod
    def resolve_changed_by(obj):
        return obj.changed_by.username if obj.changed_by_id else None


class EventPolicyOut(Schema):
    clinic_policy: Literal[True] = Field(True, description="the clinic's policy, not evidence")
    days: int = Field(description="an open event of this term is overdue this many days after onset")
    default_days: int
    due_date: dt.date


class EventReferenceOut(Schema):
    term: str
    name: str
    severity: str
    usual_resolution: str = Field(description="the catalogue's time to resolution, as published")
    verification: str = Field(description="how far the catalogue entry was checked against its sources")
    sources: list[str]


class AdverseEventDetailOut(AdverseEventOut):
    description: str
    action_taken: str
    outcome_note: str
    lots: list[EventLotOut]
    follow_ups: list[FollowUpOut]
    status_history: list[EventStatusChangeOut]
    policy: EventPolicyOut | None = Field(description="null once the event is closed")
    reference: EventReferenceOut | None = Field(description="null for other")

    @staticmethod
    def resolve_lots(obj):
        return list(obj.lots.all())

    @staticmethod
    def resolve_follow_ups(obj):
        return list(obj.follow_ups.select_related("by"))

    @staticmethod
    def resolve_status_history(obj):
        return list(obj.status_changes.select_related("changed_by"))

    @staticmethod
    def resolve_policy(obj):
        if obj.status != EventStatus.OPEN:
            return None
        days = policy.days_by_term(obj.clinic)
        return {
            "days": days.get(obj.term, policy.default_days(obj.term)),
            "default_days": policy.default_days(obj.term),
            "due_date": policy.due_date(obj, days),
        }

    @staticmethod
    def resolve_reference(obj):
        entry = selectors.term_entry(obj.term)
        if entry is None:
            return None
        return {
            "term": entry.key,
            "name": entry.name,
            "severity": str(entry.data.get("severity") or ""),
            "usual_resolution": str(entry.data.get("time_to_resolution") or ""),
            "verification": entry.verification,
            "sources": list(entry.sources or []),
        }


class AdverseEventFilters(Schema):
    status: EventStatus | None = Field(None, description="default: all but entered in error")
    serious: bool = False
    overdue: bool = False
    patient: uuid_module.UUID | None = None
    lot: uuid_module.UUID | None = Field(None, description="events that suspect this lot")


class AdverseEventIn(Schema):
    term: str = Field(min_length=1, max_length=60, description="a reference catalogue key, or other")
    grade: int = Field(ge=1, le=5)
    onset_date: dt.date
    session: uuid_module.UUID | None = Field(None, description="a session record of this patient")
    description: str = Field("", description="needed for other")
    serious: bool = False
    seriousness_criteria: list[Seriousness] = Field(default_factory=list, description="ICH E2A")
    action_taken: str = ""
    lots: list[uuid_module.UUID] = Field(default_factory=list, description="suspected lots of this clinic")


class AdverseEventPatch(Schema):
    """A field left out is unchanged; `lots` replaces the suspected lots."""

    grade: int | None = Field(None, ge=1, le=5)
    serious: bool | None = None
    seriousness_criteria: list[Seriousness] | None = None
    action_taken: str | None = None
    description: str | None = None
    lots: list[uuid_module.UUID] | None = None


class FollowUpIn(Schema):
    trend: Trend
    note: str = Field(min_length=1)
    at: dt.datetime | None = Field(None, description="default: now")


class ResolveIn(Schema):
    resolved_on: dt.date
    outcome: Outcome
    note: str = ""


class EventReasonIn(Schema):
    reason: str = Field(min_length=1)


class SummaryCountsOut(Schema):
    open: int
    overdue: int
    serious_open: int
    resolved: int
    total: int


class TermCountOut(Schema):
    term: str
    term_name: str
    total: int
    open: int


class AdverseEventSummaryOut(Schema):
    counts: SummaryCountsOut
    by_term: list[TermCountOut]


class OverduePolicyOut(Schema):
    term: str
    name: str
    days: int
    default_days: int
    usual_resolution: str = Field(description="the catalogue's time to resolution, as published")
    clinic_policy: Literal[True] = Field(True, description="the clinic's policy, not evidence")


class OverduePolicyIn(Schema):
    term: str
    days: int = Field(ge=1, le=365)


class TracePatientOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    name: str = Field(alias="full_name")
    record_number: str


class TraceSessionOut(Schema):
    id: uuid_module.UUID
    patient: TracePatientOut
    starts_at: dt.datetime
    status: str
    vials: int
    signed_at: dt.datetime | None


class TraceCountsOut(Schema):
    patients: int
    sessions: int
    adverse_events: int


class LotTraceOut(Schema):
    lot_id: uuid_module.UUID
    lot_number: str
    product_id: uuid_module.UUID
    product_name: str
    expiry_date: dt.date
    counts: TraceCountsOut
    patients: list[TracePatientOut]
    sessions: list[TraceSessionOut] | None = Field(description="null: your role may not read session records")
    adverse_events: list[AdverseEventOut] | None = Field(
        description="null: your role may not read adverse events"
    )


# --------------------------------------------------------------------------- helpers
def _event(request, uuid) -> AdverseEvent:
    clinic = getattr(request, "clinic", None)
    if clinic is None:
        raise Http404
    try:
        return selectors.event_get(clinic=clinic, uuid=uuid)
    except (AdverseEvent.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


def _lots(request, wanted: list[uuid_module.UUID]) -> list:
    """The clinic's lots named in a body; an unknown one is a 422 (not a 404: the URL was right)."""
    found = {
        lot.uuid: lot for lot in formulation_selectors.lot_list(clinic=request.clinic).filter(uuid__in=wanted)
    }
    missing = [str(u) for u in wanted if u not in found]
    if missing:
        raise ValidationError(
            {"lots": [_("No such lot in this clinic: %(ids)s") % {"ids": ", ".join(missing)}]}
        )
    return [found[u] for u in dict.fromkeys(wanted)]


def _session(request, uuid) -> SessionRecord | None:
    if uuid is None:
        return None
    try:
        record = procedure_selectors.record_get(clinic=request.clinic, uuid=uuid)
    except SessionRecord.DoesNotExist as exc:
        raise ValidationError({"session": [_("No such session record in this clinic.")]}) from exc
    return record


def _reloaded(request, event: AdverseEvent) -> AdverseEvent:
    return _event(request, event.uuid)


# --------------------------------------------------------------------------- adverse events
@router.get("/adverse-events/summary", response={200: AdverseEventSummaryOut, 403: Detail})
def adverse_event_summary(request):
    """The clinic's counts (all an admin may see of adverse events): open, overdue, by term."""
    require(request, "adverse_events", "counts")
    return {
        "counts": selectors.dashboard_counts(clinic=request.clinic),
        "by_term": selectors.counts_by_term(clinic=request.clinic),
    }


@router.get("/adverse-events", response={200: Page[AdverseEventOut], 403: Detail, 404: Detail})
def adverse_event_list(request, filters: Query[AdverseEventFilters], params: Query[PageParams]):
    require(request, "adverse_events", "r")
    patient = get_patient(request, filters.patient) if filters.patient else None
    rows = selectors.event_list(
        clinic=request.clinic,
        status=filters.status or "",
        overdue=filters.overdue,
        serious=filters.serious,
        patient=patient,
        lot=get_lot(request, filters.lot) if filters.lot else None,
    )
    result = paginate(rows, params)
    Auditor.from_request(request).log_list(
        "adverse_event.list",
        query={k: v for k, v in filters.dict().items() if v is not False} | {"offset": params.offset},
        count=result["count"],
        patient=patient,
    )
    return result


@router.post(
    "/patients/{patient_id}/adverse-events",
    response={201: AdverseEventDetailOut, 403: Detail, 404: Detail, 422: Detail},
)
def adverse_event_report(request, patient_id: uuid_module.UUID, payload: AdverseEventIn):
    """Report an event of the patient, usually on a session; a serious one e-mails the clinic."""
    require(request, "adverse_events", "w")
    patient = get_patient(request, patient_id)
    event = services.adverse_event_report(
        patient=patient,
        auditor=Auditor.from_request(request),
        term=payload.term,
        grade=payload.grade,
        onset_date=payload.onset_date,
        session=_session(request, payload.session),
        description=payload.description,
        serious=payload.serious,
        seriousness_criteria=[str(c) for c in payload.seriousness_criteria],
        action_taken=payload.action_taken,
        lots=_lots(request, payload.lots),
    )
    return Status(201, _reloaded(request, event))


@router.get("/adverse-events/{event_id}", response={200: AdverseEventDetailOut, 403: Detail, 404: Detail})
def adverse_event_get(request, event_id: uuid_module.UUID):
    require(request, "adverse_events", "r")
    event = _event(request, event_id)
    Auditor.from_request(request).log("adverse_event.view", obj=event, patient=event.patient)
    return event


@router.patch(
    "/adverse-events/{event_id}", response={200: AdverseEventDetailOut, 403: Detail, 404: Detail, 422: Detail}
)
def adverse_event_update(request, event_id: uuid_module.UUID, payload: AdverseEventPatch):
    """Regrade, change seriousness, action taken, description or the suspected lots."""
    require(request, "adverse_events", "w")
    event = _event(request, event_id)
    fields = payload.dict(exclude_unset=True)
    lots = fields.pop("lots", None)
    if fields.get("seriousness_criteria") is not None:
        fields["seriousness_criteria"] = [str(c) for c in fields["seriousness_criteria"]]
    services.adverse_event_update(
        event=event,
        auditor=Auditor.from_request(request),
        lots=_lots(request, lots) if lots is not None else None,
        **fields,
    )
    return _reloaded(request, event)


@router.post(
    "/adverse-events/{event_id}/follow-ups",
    response={201: FollowUpOut, 403: Detail, 404: Detail, 422: Detail},
)
def adverse_event_follow_up(request, event_id: uuid_module.UUID, payload: FollowUpIn):
    require(request, "adverse_events", "w")
    event = _event(request, event_id)
    follow_up = services.adverse_event_follow_up(
        event=event,
        auditor=Auditor.from_request(request),
        trend=str(payload.trend),
        note=payload.note,
        at=payload.at,
    )
    return Status(201, follow_up)


@router.post(
    "/adverse-events/{event_id}/resolve",
    response={200: AdverseEventDetailOut, 403: Detail, 404: Detail, 422: Detail},
)
def adverse_event_resolve(request, event_id: uuid_module.UUID, payload: ResolveIn):
    require(request, "adverse_events", "w")
    event = _event(request, event_id)
    services.adverse_event_resolve(
        event=event,
        auditor=Auditor.from_request(request),
        resolved_on=payload.resolved_on,
        outcome=str(payload.outcome),
        note=payload.note,
    )
    return _reloaded(request, event)


@router.post(
    "/adverse-events/{event_id}/reopen",
    response={200: AdverseEventDetailOut, 403: Detail, 404: Detail, 422: Detail},
)
def adverse_event_reopen(request, event_id: uuid_module.UUID, payload: EventReasonIn):
    require(request, "adverse_events", "w")
    event = _event(request, event_id)
    services.adverse_event_reopen(event=event, auditor=Auditor.from_request(request), reason=payload.reason)
    return _reloaded(request, event)


@router.post(
    "/adverse-events/{event_id}/entered-in-error",
    response={200: AdverseEventDetailOut, 403: Detail, 404: Detail, 422: Detail},
)
def adverse_event_mark_in_error(request, event_id: uuid_module.UUID, payload: EventReasonIn):
    """Kept, with the reason, and left out of lists and counts."""
    require(request, "adverse_events", "w")
    event = _event(request, event_id)
    services.adverse_event_mark_in_error(
        event=event, auditor=Auditor.from_request(request), reason=payload.reason
    )
    return _reloaded(request, event)


# --------------------------------------------------------------------------- the clinic's policy
def _policy_rows(clinic) -> list[dict]:
    days = policy.days_by_term(clinic)
    usual = {e.key: str(e.data.get("time_to_resolution") or "") for e in entry_list(kind="adverse_event")}
    return [
        {
            "term": term,
            "name": name,
            "days": days[term],
            "default_days": policy.default_days(term),
            "usual_resolution": usual.get(term, ""),
        }
        for term, name in selectors.term_choices()
    ]


@router.get("/safety/overdue-policy", response={200: list[OverduePolicyOut], 403: Detail})
def overdue_policy_get(request):
    """After how many days from onset an open event of each term is overdue: the clinic's policy."""
    role = request.membership.role
    if not (can(role, "clinic_settings", "w") or can(role, "adverse_events", "r")):
        raise PermissionDenied(_("Your role does not allow this."))
    return _policy_rows(request.clinic)


@router.put("/safety/overdue-policy", response={200: list[OverduePolicyOut], 403: Detail, 422: Detail})
def overdue_policy_set(request, payload: list[OverduePolicyIn]):
    """Set the days of the terms given (others keep theirs); open events are re-flagged at once."""
    require(request, "clinic_settings", "w")
    days = {}
    for row in payload:
        if row.term in days:
            raise ValidationError(
                {"__all__": [_("Each term once: %(term)s is repeated.") % {"term": row.term}]}
            )
        days[row.term] = row.days
    services.overdue_policy_set(
        clinic=request.clinic, auditor=Auditor.from_request(request), days_by_term=days
    )
    return _policy_rows(request.clinic)


# --------------------------------------------------------------------------- lot traceability
@router.get("/lots/{lot_id}/trace", response={200: LotTraceOut, 403: Detail, 404: Detail})
def lot_trace(request, lot_id: uuid_module.UUID):
    """Who received a lot, in which sessions, and which adverse events suspect it (for a recall)."""
    require(request, "catalogue", "r")
    lot = get_lot(request, lot_id)
    role = request.membership.role
    patients = lot_recipients(lot)
    records = list(procedure_selectors.records_with_lot(lot=lot).prefetch_related("lots"))
    events = list(selectors.event_list(clinic=request.clinic, lot=lot))
    sessions = [
        {
            "id": r.uuid,
            "patient": r.patient,
            "starts_at": r.appointment.starts_at,
            "status": r.status,
            "vials": sum(line.vials for line in r.lots.all() if line.lot_id == lot.pk),
            "signed_at": r.signed_at,
        }
        for r in records
    ]
    Auditor.from_request(request).log_list(
        "lot.trace", query={"lot": str(lot.uuid)}, count=len(patients), obj=lot
    )
    return {
        "lot_id": lot.uuid,
        "lot_number": lot.lot_number,
        "product_id": lot.product.uuid,
        "product_name": lot.product.name,
        "expiry_date": lot.expiry_date,
        "counts": {"patients": len(patients), "sessions": len(records), "adverse_events": len(events)},
        "patients": patients,
        "sessions": sessions if can(role, "session_records", "r") else None,
        "adverse_events": events if can(role, "adverse_events", "r") else None,
    }
