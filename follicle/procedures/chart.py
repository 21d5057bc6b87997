"""The session-record app on the patient chart, its timeline and the appointment page."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from follicle.accounts.roles import can
from follicle.patients.chart import ChartSection, TimelineEvent
from follicle.procedures import selectors
from follicle.procedures.models import RecordStatus
from follicle.procedures.services import latest_check, sign_problems


def sections(patient, request) -> list[ChartSection]:
    role = request.membership.role
    if not can(role, "session_records", "r"):
        return []
    records = list(selectors.records_for_patient(patient=patient)[:6])
    return [
        ChartSection(
            template="procedures/chart_sessions.html",
            order=30,
            context={
                "records": records[:5],
                "more": len(records) > 5,
                "total": selectors.records_for_patient(patient=patient).count(),
            },
        )
    ]


def timeline(patient, role) -> list[TimelineEvent]:
    if not can(role, "session_records", "r"):
        return []
    events = []
    for record in selectors.records_for_patient(patient=patient):
        when = record.signed_at or record.created_at
        title = {
            RecordStatus.SIGNED: _("Session signed"),
            RecordStatus.DRAFT: _("Session record opened"),
            RecordStatus.ENTERED_IN_ERROR: _("Session record entered in error"),
        }[record.status]
        total = sum((z.volume_ml for z in record.zones.all()), 0)
        events.append(
            TimelineEvent(
                when=when,
                kind="session",
                title=title,
                detail=_("%(zones)s zones, %(volume)s mL, pain %(pain)s/10")
                % {
                    "zones": len(record.zones.all()),
                    "volume": total,
                    "pain": record.pain_score if record.pain_score is not None else "—",
                },
                actor=(record.signed_by or record.created_by).username
                if (record.signed_by or record.created_by)
                else "",
                url=reverse("procedures:record", args=[record.uuid]),
                icon="clipboard2-pulse",
                tone="success" if record.status == RecordStatus.SIGNED else "secondary",
            )
        )
    return events


def appointment_panel(appointment, request) -> ChartSection | None:
    """The safety check and session record of a plan-session appointment."""
    role = request.membership.role
    if appointment.planned_session_id is None or not can(role, "session_records", "r"):
        return None
    record = selectors.record_for_appointment(appointment=appointment)
    check = latest_check(appointment)
    is_today = timezone.localtime(appointment.starts_at).date() == timezone.localdate()
    return ChartSection(
        template="procedures/appointment_panel.html",
        order=10,
        context={
            "appointment": appointment,
            "check": check,
            "record": record,
            "problems": sign_problems(record) if record and record.status == RecordStatus.DRAFT else [],
            "is_today": is_today,
            "can_write": can(role, "session_records", "w"),
            "can_sign": can(role, "clinical_signoff", "w"),
            "checked_in": appointment.status in ("checked_in", "done"),
        },
    )
