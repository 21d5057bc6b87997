"""API: the current user, their clinics, and the clinic's staff (admins only)."""

from __future__ import annotations

import uuid as uuid_module

from django.http import Http404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from follicle.accounts import selectors, services
from follicle.accounts.models import Membership
from follicle.accounts.roles import PERMISSIONS, Role, access
from follicle.api.schemas import Detail, Email, Page, PageParams, paginate
from follicle.core.access import require
from follicle.core.audit import Auditor

router = Router(tags=["accounts"])


class ClinicRef(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    name: str


class MembershipOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    clinic: ClinicRef
    role: str
    is_active: bool


class MeOut(Schema):
    id: uuid_module.UUID
    username: str
    first_name: str
    last_name: str
    email: str
    language: str
    active_clinic: ClinicRef
    role: str
    permissions: dict[str, str]
    memberships: list[MembershipOut]


class StaffOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    username: str = Field(alias="user.username")
    first_name: str = Field(alias="user.first_name")
    last_name: str = Field(alias="user.last_name")
    email: str = Field(alias="user.email")
    role: str
    is_active: bool


class StaffIn(Schema):
    username: str = Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    first_name: str = Field(min_length=1, max_length=150)
    last_name: str = Field(min_length=1, max_length=150)
    email: Email
    role: Role
    language: str = Field("el", pattern="^(en|el)$")


class StaffPatch(Schema):
    role: Role | None = None
    is_active: bool | None = None


class StaffFilter(PageParams):
    q: str = Field("", max_length=100)


@router.get("/me", response=MeOut)
def me(request):
    user, membership = request.user, request.membership
    return {
        "id": user.uuid,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "language": user.language,
        "active_clinic": membership.clinic,
        "role": membership.role,
        "permissions": {resource: access(membership.role, resource) for resource in PERMISSIONS},
        "memberships": request.memberships,
    }


@router.get("/clinics", response=Page[ClinicRef])
def clinic_list(request):
    clinics = [m.clinic for m in request.memberships]
    return {"items": clinics, "count": len(clinics)}


@router.get("/staff", response={200: Page[StaffOut], 403: Detail})
def staff_list(request, filters: Query[StaffFilter]):
    require(request, "staff", "r")
    result = paginate(selectors.membership_list(clinic=request.clinic, search=filters.q), filters)
    Auditor.from_request(request).log_list(
        "staff.list",
        query={"q": filters.q, "limit": filters.limit, "offset": filters.offset},
        count=result["count"],
    )
    return result


def _membership(request, staff_id: uuid_module.UUID) -> Membership:
    try:
        return selectors.membership_get(clinic=request.clinic, uuid=staff_id)
    except Membership.DoesNotExist as exc:
        raise Http404 from exc


@router.post("/staff", response={201: StaffOut, 403: Detail, 422: Detail})
def staff_create(request, payload: StaffIn):
    require(request, "staff", "w")
    membership = services.staff_create(
        clinic=request.clinic, auditor=Auditor.from_request(request), **payload.dict()
    )
    return Status(201, membership)


@router.get("/staff/{staff_id}", response={200: StaffOut, 403: Detail, 404: Detail})
def staff_get(request, staff_id: uuid_module.UUID):
    require(request, "staff", "r")
    return _membership(request, staff_id)


@router.patch("/staff/{staff_id}", response={200: StaffOut, 403: Detail, 404: Detail, 422: Detail})
def staff_update(request, staff_id: uuid_module.UUID, payload: StaffPatch):
    require(request, "staff", "w")
    membership = _membership(request, staff_id)
    return services.membership_update(
        membership=membership,
        auditor=Auditor.from_request(request),
        role=payload.role if payload.role is not None else membership.role,
        is_active=payload.is_active if payload.is_active is not None else membership.is_active,
    )
