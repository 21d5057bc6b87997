"""Practitioners' private iCalendar feeds: a secret URL per practitioner and clinic.

The token is shown once when the feed is created; only its SHA-256 is stored. Creating a new
feed revokes the old one; a revoked or unknown token is a 404. The feed is public (calendar
programs cannot sign in) and holds patients' names, so it is kept to what a practitioner needs
to see their day and every fetch is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from follicle.accounts.models import Membership
from follicle.accounts.roles import Role
from follicle.core.access import staff_view
from follicle.core.audit import Auditor, client_ip
from follicle.core.models import Clinic
from follicle.scheduling.ics import practitioner_feed_ics
from follicle.scheduling.models import Appointment, AppointmentStatus, CalendarFeed

PAST = dt.timedelta(days=30)
AHEAD = dt.timedelta(days=180)
# A cancelled appointment stays in the feed (as STATUS:CANCELLED) this long after it was
# cancelled, so calendar programs that already copied it remove it.
CANCELLED_KEPT_FOR = dt.timedelta(days=30)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def feed_url(token: str) -> str:
    return settings.SITE_URL + reverse("calendar:feed", args=[token])


@transaction.atomic
def calendar_feed_create(*, clinic: Clinic, practitioner, auditor: Auditor) -> tuple[CalendarFeed, str]:
    """Create the practitioner's feed in this clinic, revoking the one they had.

    Returns (feed, token): the token is shown once and never stored.
    """
    now = timezone.now()
    previous = list(
        CalendarFeed.objects.select_for_update().filter(
            clinic=clinic, practitioner=practitioner, revoked_at__isnull=True
        )
    )
    for old in previous:
        old.revoked_at = now
        old.save(update_fields=["revoked_at"])
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(clinic=clinic, practitioner=practitioner, token_hash=hash_token(token))
    auditor.log(
        "calendar_feed.create",
        obj=feed,
        clinic=clinic,
        detail={"practitioner": practitioner.get_username(), "replaced": [f.pk for f in previous]},
    )
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, feed: CalendarFeed, auditor: Auditor) -> CalendarFeed:
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        auditor.log(
            "calendar_feed.revoke",
            obj=feed,
            clinic=feed.clinic,
            detail={"practitioner": feed.practitioner.get_username()},
        )
    return feed


def calendar_feed_active(*, clinic: Clinic, practitioner) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(
        clinic=clinic, practitioner=practitioner, revoked_at__isnull=True
    ).first()


def calendar_feed_for_token(token: str) -> CalendarFeed | None:
    """The active feed for a token; None if unknown, revoked, or its practitioner left the clinic."""
    if not token:
        return None
    feed = (
        CalendarFeed.objects.select_related("clinic", "practitioner")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not feed.practitioner.is_active:
        return None
    if not Membership.objects.active().filter(user=feed.practitioner, clinic=feed.clinic).exists():
        return None
    return feed


def feed_appointments(feed: CalendarFeed, *, now: dt.datetime | None = None) -> QuerySet[Appointment]:
    """The practitioner's appointments in the feed's clinic, from 30 days ago to 180 days ahead."""
    now = now or timezone.now()
    return (
        Appointment.objects.filter(
            clinic=feed.clinic,
            practitioner=feed.practitioner,
            starts_at__gte=now - PAST,
            starts_at__lte=now + AHEAD,
        )
        .annotate(
            history_count=Count("status_changes"),
            cancelled_at=Max(
                "status_changes__changed_at",
                filter=Q(status_changes__to_status=AppointmentStatus.CANCELLED),
            ),
        )
        .exclude(
            Q(status=AppointmentStatus.CANCELLED)
            & Q(cancelled_at__isnull=False)
            & Q(cancelled_at__lt=now - CANCELLED_KEPT_FOR)
        )
        .select_related("clinic", "patient", "type", "room", "practitioner")
        .order_by("starts_at", "id")
    )


# --- Views: the public feed and the practitioner's page to manage it ---------------------------


def feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET /calendar/<token>.ics — no sign-in; the token is the credential."""
    feed = calendar_feed_for_token(token)
    if feed is None:
        raise Http404
    appointments = list(feed_appointments(feed))
    with translation.override(feed.practitioner.language or feed.clinic.language):
        body = practitioner_feed_ics(appointments, name=f"Follicle · {feed.clinic.name}")
    # The system actor (no one is signed in), with the caller's address and request id.
    auditor = Auditor(
        clinic=feed.clinic,
        actor_label="system:calendar-feed",
        ip=client_ip(request),
        request_id=getattr(request, "request_id", ""),
    )
    auditor.log(
        "calendar_feed.fetch",
        obj=feed,
        detail={"practitioner": feed.practitioner.get_username(), "count": len(appointments)},
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="follicle.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@staff_view()
def feed_manage(request: HttpRequest) -> HttpResponse:
    """/calendar/manage/ — a practitioner creates, replaces or revokes their feed URL."""
    if request.membership.role != Role.PRACTITIONER:
        raise PermissionDenied(_("Only practitioners have a calendar feed."))
    new_url = ""
    if request.method == "POST":
        auditor = Auditor.from_request(request)
        action = request.POST.get("action")
        if action == "create":
            _feed, token = calendar_feed_create(
                clinic=request.clinic, practitioner=request.user, auditor=auditor
            )
            # Rendered, not redirected: the URL exists only in this response.
            new_url = feed_url(token)
            messages.success(request, _("Your calendar feed URL was created."))
        elif action == "revoke":
            feed = calendar_feed_active(clinic=request.clinic, practitioner=request.user)
            if feed is not None:
                calendar_feed_revoke(feed=feed, auditor=auditor)
                messages.success(request, _("Your calendar feed URL was revoked: it no longer works."))
            return redirect("calendar:manage")
        else:
            return HttpResponseBadRequest()
    feed = calendar_feed_active(clinic=request.clinic, practitioner=request.user)
    response = render(request, "scheduling/feed_manage.html", {"feed": feed, "new_url": new_url})
    if new_url:
        response["Cache-Control"] = "no-store"
    return response
