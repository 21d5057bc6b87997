"""Request plumbing: request ids, idle sign-out, the user's language and the active clinic."""

from __future__ import annotations

import re
import time
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from follicle.accounts.models import Membership

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
SESSION_CLINIC_KEY = "follicle_clinic"
SESSION_ACTIVITY_KEY = "follicle_last_seen"


class RequestIdMiddleware:
    """Give every request an id (or keep a well-formed X-Request-ID) for logs and the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class IdleTimeoutMiddleware:
    """Sign staff out after settings.IDLE_TIMEOUT_MINUTES without a request (session auth only)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not request.path.startswith("/api/"):
            now = time.time()
            last_seen = request.session.get(SESSION_ACTIVITY_KEY)
            if last_seen is not None and now - last_seen > settings.IDLE_TIMEOUT_MINUTES * 60:
                from follicle.core.audit import Auditor

                Auditor.from_request(request).log("auth.idle_timeout", obj=request.user)
                logout(request)
                messages.info(request, _("You were signed out after a period of inactivity."))
                if request.headers.get("HX-Request"):
                    response = redirect(_login_url())
                    response["HX-Redirect"] = response["Location"]
                    return response
                return redirect(f"{_login_url()}?next={request.get_full_path()}")
            request.session[SESSION_ACTIVITY_KEY] = now
        return self.get_response(request)


def _login_url() -> str:
    from django.urls import reverse

    return reverse(settings.LOGIN_URL)


class UserLanguageMiddleware:
    """A signed-in user's own language wins over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            request.LANGUAGE_CODE = user.language
            # override() puts the thread's language back afterwards: nothing after this request
            # (another request on the thread, a test, a task) runs in this user's language.
            with translation.override(user.language):
                return self.get_response(request)
        return self.get_response(request)


class ActiveClinicMiddleware:
    """Set request.clinic and request.membership from the session's active clinic.

    A staff member with several memberships switches between them in the header; the first
    active membership is used until they do. API requests with a token get theirs in api.auth.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.clinic = None
        request.memberships = []
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = list(Membership.objects.active().filter(user=user).select_related("clinic"))
            request.memberships = memberships
            wanted = request.session.get(SESSION_CLINIC_KEY)
            chosen = next((m for m in memberships if m.clinic_id == wanted), None)
            if chosen is None and memberships:
                chosen = memberships[0]
                request.session[SESSION_CLINIC_KEY] = chosen.clinic_id
            if chosen is not None:
                request.membership = chosen
                request.clinic = chosen.clinic
        return self.get_response(request)
