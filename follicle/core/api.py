"""API: the active clinic's settings, its audit log and its background tasks."""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module

from ninja import Query, Router, Schema
from pydantic import Field

from follicle.api.schemas import Detail, Email, Page, PageParams, paginate
from follicle.core import selectors, services
from follicle.core.access import require
from follicle.core.audit import Auditor

router = Router(tags=["clinic"])


class OpeningHoursOut(Schema):
    weekday: int
    opens_at: dt.time
    closes_at: dt.time


class ClosedDayOut(Schema):
    date: dt.date
    reason: str


class ClinicOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    name: str
    address: str
    phone: str
    email: str
    language: str
    opening_hours: list[OpeningHoursOut]
    closed_days: list[ClosedDayOut]

    @staticmethod
    def resolve_opening_hours(obj):
        return list(obj.opening_hours.all())

    @staticmethod
    def resolve_closed_days(obj):
        return list(obj.closed_days.all())


class ClinicPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    address: str | None = None
    phone: str | None = Field(None, max_length=40)
    email: Email | None = None
    language: str | None = Field(None, pattern="^(en|el)$")


class AuditEventOut(Schema):
    seq: int
    created_at: dt.datetime
    actor: str = Field(alias="actor_label")
    role: str
    patient: uuid_module.UUID | None = Field(None, alias="patient_uuid")
    action: str
    object_type: str
    object_id: str
    detail: dict
    ip: str | None
    request_id: str


class AuditFilter(PageParams):
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    patient: uuid_module.UUID | None = None
    action: str = Field("", max_length=60)


class TaskRunOut(Schema):
    id: str = Field(alias="task_id")
    name: str
    label: str
    status: str
    attempts: int
    last_error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


@router.get("/clinic", response=ClinicOut)
def clinic_get(request):
    """The active clinic (the token's, or the session's) with its hours and closed days."""
    return request.clinic


@router.patch("/clinic", response={200: ClinicOut, 403: Detail, 422: Detail})
def clinic_update(request, payload: ClinicPatch):
    require(request, "clinic_settings", "w")
    fields = payload.dict(exclude_unset=True, exclude_none=True)
    return services.clinic_update(clinic=request.clinic, auditor=Auditor.from_request(request), **fields)


@router.get("/audit", response={200: Page[AuditEventOut], 403: Detail})
def audit_list(request, filters: Query[AuditFilter]):
    require(request, "audit_log", "r")
    events = selectors.audit_event_list(
        clinic=request.clinic,
        date_from=filters.date_from,
        date_to=filters.date_to,
        patient_uuid=filters.patient,
        action=filters.action,
    )
    result = paginate(events, filters)
    Auditor.from_request(request).log_list(
        "audit.list",
        query=filters.dict(exclude_defaults=True) | {"offset": filters.offset},
        count=result["count"],
    )
    return result


@router.get("/tasks", response={200: Page[TaskRunOut], 403: Detail})
def task_list(request, page: Query[PageParams]):
    require(request, "tasks", "r")
    return paginate(selectors.task_run_list(clinic=request.clinic), page)
