"""Adverse events on the patient chart and its timeline."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from follicle.accounts.roles import can
from follicle.patients.chart import ChartSection, TimelineEvent
from follicle.safety import selectors
from follicle.safety.models import EventStatus


def sections(patient, request) -> list[ChartSection]:
    role = request.membership.role
    if not can(role, "adverse_events", "r"):
        return []
    events = list(selectors.events_for_patient(patient=patient))
    return [
        ChartSection(
            template="safety/chart_events.html",
            order=35,
            context={
                "open": [e for e in events if e.status == EventStatus.OPEN],
                "closed": [e for e in events if e.status != EventStatus.OPEN][:5],
                "total": len(events),
                "can_report": can(role, "adverse_events", "w"),
            },
        )
    ]


def timeline(patient, role) -> list[TimelineEvent]:
    if not can(role, "adverse_events", "r"):
        return []
    import datetime as dt

    from django.utils import timezone

    rows = []
    for event in selectors.events_for_patient(patient=patient):
        url = reverse("safety:event", args=[event.uuid])
        rows.append(
            TimelineEvent(
                when=event.reported_at,
                kind="adverse_event",
                title=_("Adverse event: %(term)s") % {"term": event.term_label},
                detail=f"{event.grade_short}" + (f" · {_('serious')}" if event.serious else ""),
                actor=event.reported_by.username if event.reported_by else "",
                url=url,
                icon="exclamation-triangle",
                tone="danger" if event.serious else "warning",
            )
        )
        if event.status == EventStatus.RESOLVED and event.resolved_on:
            rows.append(
                TimelineEvent(
                    when=timezone.make_aware(dt.datetime.combine(event.resolved_on, dt.time(12))),
                    kind="adverse_event",
                    title=_("Adverse event resolved: %(term)s") % {"term": event.term_label},
                    detail=event.get_outcome_display(),
                    url=url,
                    icon="check-circle",
                    tone="success",
                )
            )
    return rows
