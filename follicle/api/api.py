"""The JSON API: one NinjaAPI at /api/, each app's router mounted under /api/v1/.

Authentication is a personal token (`Authorization: Bearer <token>`, which carries its clinic
membership) or the browser session (with CSRF for writes, and the active clinic from the session).
Errors are always {"detail": …}: 401 unauthenticated, 403 role may not, 404 missing or another
clinic's, 409 conflict, 422 invalid input.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.security import HttpBearer, SessionAuth

from follicle.accounts.services import token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        api_token = token_authenticate(token)
        if api_token is None:
            return None
        membership = api_token.membership
        request.user = membership.user
        request.membership = membership
        request.clinic = membership.clinic
        request.memberships = [membership]
        request.api_token = api_token
        return api_token


class ClinicSessionAuth(SessionAuth):
    """Session auth that also needs an active clinic membership (set by ActiveClinicMiddleware)."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None or getattr(request, "membership", None) is None:
            return None
        return user


api = NinjaAPI(
    title="Follicle API",
    version="1",
    description="Clinical software for hair-loss mesotherapy clinics. Every request is scoped to one clinic.",
    urls_namespace="api",
    auth=[TokenAuth(), ClinicSessionAuth()],
)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Your role does not allow this."}, status=403)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(ValidationError)
def validation_error(request, exc):
    detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return api.create_response(request, {"detail": detail}, status=422)


def _mount() -> None:
    from follicle.accounts.api import router as accounts_router
    from follicle.assessments.api import router as assessments_router
    from follicle.core.api import router as core_router
    from follicle.formulations.api import router as formulations_router
    from follicle.outcomes.api import router as outcomes_router
    from follicle.patients.api import router as patients_router
    from follicle.procedures.api import router as procedures_router
    from follicle.reference.api import router as reference_router
    from follicle.safety.api import router as safety_router
    from follicle.scheduling.api import router as scheduling_router
    from follicle.treatments.api import router as treatments_router

    api.add_router("/v1/", accounts_router)
    api.add_router("/v1/", core_router)
    api.add_router("/v1/reference/", reference_router)
    api.add_router("/v1/", patients_router)
    api.add_router("/v1/", assessments_router)
    api.add_router("/v1/", formulations_router)
    api.add_router("/v1/", treatments_router)
    api.add_router("/v1/", scheduling_router)
    api.add_router("/v1/", procedures_router)
    api.add_router("/v1/", safety_router)
    api.add_router("/v1/", outcomes_router)


_mount()
