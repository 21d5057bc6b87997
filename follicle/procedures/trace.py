"""Lot traceability from the session-record side (registered in apps.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from follicle.formulations.lots import TraceRow, TraceSection
from follicle.patients.models import Patient
from follicle.procedures.models import RecordStatus
from follicle.procedures.selectors import records_with_lot


def patients_given_lot(lot):
    return (
        Patient.objects.filter(session_records__lots__lot=lot)
        .exclude(session_records__status=RecordStatus.ENTERED_IN_ERROR)
        .distinct()
    )


def lot_sessions(lot) -> TraceSection:
    rows = []
    for record in records_with_lot(lot=lot):
        vials = sum(line.vials for line in record.lots.all() if line.lot_id == lot.pk)
        rows.append(
            TraceRow(
                when=record.appointment.starts_at,
                patient=record.patient,
                title=_("Session of %(date)s")
                % {"date": timezone.localtime(record.appointment.starts_at).strftime("%d/%m/%Y")},
                url=reverse("procedures:record", args=[record.uuid]),
                detail=(_("signed") if record.status == RecordStatus.SIGNED else _("draft"))
                + " · "
                + _("%(n)s vial(s)") % {"n": vials},
                tone="success" if record.status == RecordStatus.SIGNED else "warning",
            )
        )
    return TraceSection(
        key="sessions",
        title=_("Sessions that used this lot"),
        rows=rows,
        empty=_("No session has used this lot."),
        order=10,
    )
