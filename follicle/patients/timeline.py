"""The patients app's own timeline entries: registration, changes, history versions, consents."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from follicle.accounts.roles import can
from follicle.patients.chart import TimelineEvent
from follicle.patients.models import ConsentKind


def _who(user) -> str:
    return user.display_name if user else _("system")


def patient_events(patient, role: str) -> list[TimelineEvent]:
    events = []
    for index, revision in enumerate(
        patient.revisions.select_related("changed_by").order_by("changed_at", "id")
    ):
        if index == 0:
            title, icon, tone = _("Registered"), "person-plus", "primary"
            detail = patient.record_number
        else:
            title, icon, tone = _("Details changed"), "pencil", "secondary"
            detail = ", ".join(sorted(revision.changes))
        events.append(
            TimelineEvent(
                when=revision.changed_at,
                kind="demographics",
                title=title,
                detail=detail,
                actor=_who(revision.changed_by),
                icon=icon,
                tone=tone,
            )
        )
    if can(role, "medical_history", "r"):
        for history in patient.histories.select_related("recorded_by"):
            events.append(
                TimelineEvent(
                    when=history.recorded_at,
                    kind="history",
                    title=_("Medical history version %(version)s") % {"version": history.version},
                    actor=_who(history.recorded_by),
                    icon="clipboard2-pulse",
                    tone="info",
                    url=reverse("patients:history", args=[patient.uuid]) + f"?version={history.version}",
                )
            )
    if can(role, "consents", "r") or can(role, "consents", "status"):
        for consent in patient.consents.select_related("recorded_by", "withdrawn_by", "text"):
            kind = ConsentKind(consent.kind).label
            events.append(
                TimelineEvent(
                    when=consent.signed_at,
                    kind="consent",
                    title=_("%(kind)s signed") % {"kind": kind},
                    detail=_("text version %(version)s") % {"version": consent.text.version},
                    actor=_who(consent.recorded_by),
                    icon="pen",
                    tone="success",
                )
            )
            if consent.withdrawn_at:
                events.append(
                    TimelineEvent(
                        when=consent.withdrawn_at,
                        kind="consent",
                        title=_("%(kind)s withdrawn") % {"kind": kind},
                        detail=consent.withdrawal_reason if can(role, "consents", "r") else "",
                        actor=_who(consent.withdrawn_by),
                        icon="x-circle",
                        tone="danger",
                    )
                )
    return events
