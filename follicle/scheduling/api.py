"""API: appointments (book, move, status), free slots, a plan's series, rooms and appointment types.

Every staff role may read and write appointments (DESIGN.md); what an appointment shows is the
schedule only — patient, time, type, status — never a plan's clinical content. A slot that is
taken is a 409 {"detail": …}.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module

from django.core.exceptions import ValidationError
from ninja import Query, Router, Schema, Status
from pydantic import Field

from follicle.api.schemas import Detail, Page, PageParams, paginate
from follicle.core.access import require
from follicle.core.audit import Auditor
from follicle.patients.access import get_patient
from follicle.scheduling import selectors, services
from follicle.scheduling.models import AppointmentStatus
from follicle.treatments.access import get_plan, require_plan_view

router = Router(tags=["scheduling"])


def _taken(exc: services.SlotTaken) -> Status:
    return Status(409, {"detail": " ".join(exc.messages)})


# --------------------------------------------------------------------------- shapes
class RoomOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    name: str
    is_active: bool


class TypeOut(Schema):
    code: str
    name: str
    default_minutes: int
    needs_room: bool


class PersonOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    name: str

    @staticmethod
    def resolve_name(obj):
        return obj.get_full_name() or obj.username


class PatientRef(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    name: str = Field(alias="full_name")


class AppointmentHistoryOut(Schema):
    from_status: str
    to_status: str
    reason: str
    old_starts_at: dt.datetime | None
    new_starts_at: dt.datetime | None
    changed_at: dt.datetime
    changed_by: str | None

    @staticmethod
    def resolve_changed_by(obj):
        return obj.changed_by.username if obj.changed_by else None


class AppointmentOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    patient: PatientRef
    practitioner: PersonOut
    room: RoomOut | None
    type: str
    type_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    status_reason: str
    plan_session: int | None = Field(None, description="the plan session's number, if it is one")
    notes: str

    @staticmethod
    def resolve_type(obj):
        return obj.type.code

    @staticmethod
    def resolve_type_name(obj):
        return obj.type.name

    @staticmethod
    def resolve_plan_session(obj):
        return obj.planned_session.number if obj.planned_session_id else None


class AppointmentDetailOut(AppointmentOut):
    history: list[AppointmentHistoryOut]

    @staticmethod
    def resolve_history(obj):
        return list(selectors.appointment_history(appointment=obj))


class AppointmentFilters(Schema):
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    practitioner: uuid_module.UUID | None = None
    room: uuid_module.UUID | None = None
    status: AppointmentStatus | None = None
    patient: uuid_module.UUID | None = None


class AppointmentIn(Schema):
    patient: uuid_module.UUID
    practitioner: uuid_module.UUID
    type: str = Field(description="appointment type code: consultation, session, follow_up, photo")
    starts_at: dt.datetime
    minutes: int | None = Field(
        None, ge=5, le=480, description="default: the type's (or the session's) length"
    )
    room: uuid_module.UUID | None = None
    plan_session: uuid_module.UUID | None = Field(None, description="a planned session of the patient's plan")
    notes: str = ""


class MoveIn(Schema):
    starts_at: dt.datetime
    practitioner: uuid_module.UUID | None = None
    room: uuid_module.UUID | None = None
    minutes: int | None = Field(None, ge=5, le=480)


class AppointmentStatusIn(Schema):
    status: AppointmentStatus
    reason: str = ""


class SlotsQuery(Schema):
    practitioner: uuid_module.UUID
    date: dt.date
    date_to: dt.date | None = None
    minutes: int = Field(30, ge=5, le=480)
    room: uuid_module.UUID | None = None


class SlotsOut(Schema):
    days: dict[str, list[dt.datetime]] = Field(description="date (YYYY-MM-DD) → free start times")


class SeriesIn(Schema):
    practitioner: uuid_module.UUID
    room: uuid_module.UUID | None = None
    times: list[dt.datetime] = Field(default_factory=list, description="empty: proposed by the server")
    confirm: bool = False


class SeriesItemOut(Schema):
    session: int
    planned_date: dt.date
    starts_at: dt.datetime
    ends_at: dt.datetime
    conflicts: list[str]
    appointment: uuid_module.UUID | None


class SeriesOut(Schema):
    booked: bool
    items: list[SeriesItemOut]


def _series_out(items, booked: bool) -> dict:
    return {
        "booked": booked,
        "items": [
            {
                "session": i.session.number,
                "planned_date": i.session.planned_date,
                "starts_at": i.starts_at,
                "ends_at": i.ends_at,
                "conflicts": [str(c) for c in i.conflicts],
                "appointment": i.appointment.uuid if i.appointment else None,
            }
            for i in items
        ],
    }


# --------------------------------------------------------------------------- resources
@router.get("/rooms", response={200: list[RoomOut], 403: Detail})
def room_list(request):
    require(request, "appointments", "r")
    return list(selectors.room_list(clinic=request.clinic))


@router.get("/appointment-types", response={200: list[TypeOut], 403: Detail})
def appointment_type_list(request):
    require(request, "appointments", "r")
    return list(selectors.appointment_type_list(clinic=request.clinic))


@router.get("/slots", response={200: SlotsOut, 403: Detail, 404: Detail})
def slot_list(request, query: Query[SlotsQuery]):
    require(request, "appointments", "r")
    practitioner = selectors.get_practitioner(request, query.practitioner)
    room = selectors.get_room(request, query.room) if query.room else None
    days = selectors.free_slots(
        clinic=request.clinic,
        practitioner=practitioner,
        first=query.date,
        last=min(query.date_to or query.date, query.date + dt.timedelta(days=31)),
        minutes=query.minutes,
        room=room,
    )
    return {"days": {day.isoformat(): times for day, times in days.items()}}


# --------------------------------------------------------------------------- appointments
@router.get("/appointments", response={200: Page[AppointmentOut], 403: Detail, 404: Detail})
def appointment_list(request, filters: Query[AppointmentFilters], params: Query[PageParams]):
    require(request, "appointments", "r")
    rows = selectors.appointment_list(
        clinic=request.clinic,
        date_from=filters.date_from,
        date_to=filters.date_to,
        practitioner=selectors.get_practitioner(request, filters.practitioner)
        if filters.practitioner
        else None,
        room=selectors.get_room(request, filters.room) if filters.room else None,
        status=filters.status,
        patient=get_patient(request, filters.patient) if filters.patient else None,
    )
    result = paginate(rows, params)
    Auditor.from_request(request).log_list(
        "appointment.list", query=filters.dict() | {"offset": params.offset}, count=result["count"]
    )
    return result


@router.post(
    "/appointments", response={201: AppointmentDetailOut, 403: Detail, 404: Detail, 409: Detail, 422: Detail}
)
def appointment_create(request, payload: AppointmentIn):
    require(request, "appointments", "w")
    patient = get_patient(request, payload.patient)
    session = None
    if payload.plan_session:
        session = selectors.patient_session_get(patient=patient, uuid=payload.plan_session)
        if session is None:
            raise ValidationError({"plan_session": "Unknown session of this patient's plans."})
    try:
        appointment = services.appointment_book(
            clinic=request.clinic,
            auditor=Auditor.from_request(request),
            patient=patient,
            practitioner=selectors.get_practitioner(request, payload.practitioner),
            type=selectors.get_type(request, payload.type),
            starts_at=payload.starts_at,
            minutes=payload.minutes,
            room=selectors.get_room(request, payload.room) if payload.room else None,
            planned_session=session,
            notes=payload.notes,
        )
    except services.SlotTaken as exc:
        return _taken(exc)
    return Status(201, appointment)


@router.get("/appointments/{appointment_id}", response={200: AppointmentDetailOut, 403: Detail, 404: Detail})
def appointment_get(request, appointment_id: uuid_module.UUID):
    require(request, "appointments", "r")
    appointment = selectors.get_appointment(request, appointment_id)
    Auditor.from_request(request).log("appointment.view", obj=appointment, patient=appointment.patient)
    return appointment


@router.patch(
    "/appointments/{appointment_id}",
    response={200: AppointmentDetailOut, 403: Detail, 404: Detail, 409: Detail, 422: Detail},
)
def appointment_move(request, appointment_id: uuid_module.UUID, payload: MoveIn):
    require(request, "appointments", "w")
    appointment = selectors.get_appointment(request, appointment_id)
    fields = payload.dict(exclude_unset=True)
    try:
        moved = services.appointment_move(
            appointment=appointment,
            auditor=Auditor.from_request(request),
            starts_at=payload.starts_at,
            practitioner=selectors.get_practitioner(request, payload.practitioner)
            if payload.practitioner
            else None,
            room=(selectors.get_room(request, payload.room) if payload.room else None)
            if "room" in fields
            else False,
            minutes=payload.minutes,
        )
    except services.SlotTaken as exc:
        return _taken(exc)
    return selectors.get_appointment(request, moved.uuid)


@router.post(
    "/appointments/{appointment_id}/status",
    response={200: AppointmentDetailOut, 403: Detail, 404: Detail, 422: Detail},
)
def appointment_status(request, appointment_id: uuid_module.UUID, payload: AppointmentStatusIn):
    require(request, "appointments", "w")
    appointment = selectors.get_appointment(request, appointment_id)
    services.appointment_set_status(
        appointment=appointment,
        auditor=Auditor.from_request(request),
        to_status=payload.status,
        reason=payload.reason,
    )
    return selectors.get_appointment(request, appointment.uuid)


@router.post(
    "/plans/{plan_id}/appointments/series",
    response={200: SeriesOut, 201: SeriesOut, 403: Detail, 404: Detail, 409: SeriesOut | Detail, 422: Detail},
)
def plan_series(request, plan_id: uuid_module.UUID, payload: SeriesIn):
    """Preview (confirm false) or book (confirm true) the plan's upcoming sessions as a series.

    With conflicts, confirm true books nothing and answers 409 with the items and their conflicts.
    """
    require(request, "appointments", "w")
    require_plan_view(request)
    plan = get_plan(request, plan_id)
    practitioner = selectors.get_practitioner(request, payload.practitioner)
    room = selectors.get_room(request, payload.room) if payload.room else None
    times = payload.times or services.proposed_times(plan=plan, practitioner=practitioner, room=room)
    try:
        items = services.appointment_book_series(
            plan=plan,
            auditor=Auditor.from_request(request),
            practitioner=practitioner,
            room=room,
            times=times,
            confirm=payload.confirm,
        )
    except services.SlotTaken as exc:
        return _taken(exc)
    conflicts = any(i.conflicts for i in items)
    if not payload.confirm:
        return Status(200, _series_out(items, booked=False))
    if conflicts:
        return Status(409, _series_out(items, booked=False))
    return Status(201, _series_out(items, booked=True))
