"""Lot traceability from the adverse-event side (registered in apps.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from follicle.formulations.lots import TraceRow, TraceSection
from follicle.safety.models import EventStatus
from follicle.safety.selectors import event_list


def lot_events(lot) -> TraceSection:
    rows = [
        TraceRow(
            when=event.onset_date,
            patient=event.patient,
            title=event.term_label,
            url=reverse("safety:event", args=[event.uuid]),
            detail=f"{event.get_status_display()} · {event.grade_short}"
            + (f" · {_('serious')}" if event.serious else ""),
            tone="danger"
            if event.serious
            else ("warning" if event.status == EventStatus.OPEN else "success"),
        )
        for event in event_list(clinic=lot.product.clinic, lot=lot)
    ]
    return TraceSection(
        key="adverse_events",
        title=_("Adverse events that suspect this lot"),
        rows=rows,
        empty=_("No adverse event names this lot."),
        order=20,
    )
