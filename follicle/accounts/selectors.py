"""Reads for staff and tokens, scoped to a clinic."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from follicle.accounts.models import ApiToken, Membership, User
from follicle.core.models import Clinic


def membership_list(
    *, clinic: Clinic, search: str = "", include_inactive: bool = True
) -> QuerySet[Membership]:
    members = Membership.objects.filter(clinic=clinic).select_related("user", "clinic")
    if not include_inactive:
        members = members.active()
    if search:
        members = members.filter(
            Q(user__username__icontains=search)
            | Q(user__first_name__icontains=search)
            | Q(user__last_name__icontains=search)
            | Q(user__email__icontains=search)
        )
    return members.order_by("-is_active", "user__last_name", "user__first_name", "user__username")


def membership_get(*, clinic: Clinic, uuid) -> Membership:
    return Membership.objects.select_related("user", "clinic").get(clinic=clinic, uuid=uuid)


def clinic_staff_users(*, clinic: Clinic) -> QuerySet[User]:
    return User.objects.filter(memberships__clinic=clinic).distinct().order_by("username")


def token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    return (
        ApiToken.objects.filter(membership__user=user)
        .select_related("membership__clinic")
        .order_by("-created_at")
    )
