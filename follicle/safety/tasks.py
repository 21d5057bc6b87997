"""Background work of the safety app: serious-event e-mails and the periodic overdue check.

`notify_serious_event` e-mails every active practitioner and admin of the event's clinic, each in
their own language, as soon as a serious event is reported (queued after the report commits). The
e-mail carries the record number, the term, grade and onset and a link, never the patient's name
or notes. `flag_overdue_events` runs hourly and flags (or clears) overdue open events in every
clinic by its policy.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from follicle.accounts.models import Membership
from follicle.accounts.roles import Role
from follicle.core.audit import Auditor
from follicle.core.models import Clinic
from follicle.core.tasks import RETRY_DELAY
from follicle.safety.models import AdverseEvent

log = logging.getLogger(__name__)

SYSTEM_LABEL = "system:safety"


def serious_event_recipients(clinic: Clinic) -> list:
    """Active practitioners and admins of the clinic who have an e-mail address."""
    members = (
        Membership.objects.active()
        .filter(clinic=clinic, role__in=[Role.PRACTITIONER, Role.ADMIN])
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__username")
    )
    return [m.user for m in members]


@db_task(retries=3, retry_delay=RETRY_DELAY)
def notify_serious_event(event_id: int) -> str:
    event = AdverseEvent.objects.select_related("clinic", "patient").filter(pk=event_id).first()
    if event is None:
        return "event not found"
    link = settings.SITE_URL + reverse("safety:event", args=[event.uuid])
    sent = []
    for user in serious_event_recipients(event.clinic):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            context = {"event": event, "clinic": event.clinic, "link": link, "user": user}
            subject = " ".join(render_to_string("safety/email/serious_subject.txt", context).split())
            body = render_to_string("safety/email/serious.txt", context)
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[user.email])
        sent.append(user.username)
    Auditor.system(clinic=event.clinic, label=SYSTEM_LABEL).log(
        "adverse_event.notify",
        obj=event,
        patient=event.patient,
        detail={"recipients": sent},
    )
    return f"sent to {len(sent)}"


@db_periodic_task(crontab(minute="23"))
def flag_overdue_events() -> str:
    """Hourly: flag open adverse events that are overdue by their clinic's policy."""
    from follicle.safety.services import flag_overdue

    totals = {"flagged": 0, "cleared": 0}
    for clinic in Clinic.objects.all():
        counts = flag_overdue(clinic=clinic, auditor=Auditor.system(clinic=clinic, label=SYSTEM_LABEL))
        for key in totals:
            totals[key] += counts[key]
    return f"{totals['flagged']} flagged, {totals['cleared']} cleared"
