"""Access helpers: load *and* authorise, so a view cannot forget either.

Another clinic's data is a 404 (its existence is not revealed); a role that may not is a 403.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from follicle.accounts.roles import can


def require(request: HttpRequest, resource: str, mode: str = "r") -> None:
    """Raise PermissionDenied (403) unless the active membership's role has `mode` on `resource`."""
    membership = getattr(request, "membership", None)
    if membership is None or not can(membership.role, resource, mode):
        raise PermissionDenied(_("Your role does not allow this."))


def get_for_clinic(request: HttpRequest, queryset: QuerySet | type[Model], **lookup) -> Model:
    """Fetch one object of the active clinic; anything else, including other clinics', is a 404."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    clinic = getattr(request, "clinic", None)
    if clinic is None:
        raise Http404
    try:
        return queryset.get(clinic=clinic, **lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def staff_view(resource: str | None = None, mode: str = "r"):
    """Decorator for staff pages: signed in, a member of a clinic, and (optionally) allowed."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.membership is None:
                return render(request, "core/no_clinic.html", status=403)
            if resource is not None:
                require(request, resource, mode)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
