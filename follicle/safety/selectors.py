"""Reads of adverse events, scoped to a clinic or a patient by construction."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from follicle.core.models import Clinic
from follicle.safety.models import OTHER, AdverseEvent, EventStatus


def _reference_terms() -> tuple[tuple[str, str], ...]:
    """The catalogue's adverse-event terms (read each time: `load-reference` may change them)."""
    from follicle.reference.models import ReferenceEntry

    return tuple(
        ReferenceEntry.objects.filter(kind="adverse_event").order_by("name").values_list("key", "name")
    )


def term_choices() -> list[tuple[str, str]]:
    """The catalogue's adverse-event terms, then "other"."""
    return [*_reference_terms(), (OTHER, _("Other (describe)"))]


def term_name(term: str) -> str | None:
    """The name stored with an event; "other" is stored untranslated and shown by `term_label`."""
    if term == OTHER:
        return "Other"
    return dict(_reference_terms()).get(term)


def term_entry(term: str):
    from follicle.reference.models import ReferenceEntry

    return ReferenceEntry.objects.filter(kind="adverse_event", key=term).first()


def _events() -> QuerySet[AdverseEvent]:
    return AdverseEvent.objects.select_related(
        "patient", "session__appointment", "reported_by"
    ).prefetch_related("lots__product")


def event_list(
    *,
    clinic: Clinic,
    status: str = "",
    overdue: bool = False,
    serious: bool = False,
    patient=None,
    lot=None,
) -> QuerySet[AdverseEvent]:
    rows = _events().filter(clinic=clinic)
    if status:
        rows = rows.filter(status=status)
    else:
        rows = rows.exclude(status=EventStatus.ENTERED_IN_ERROR)
    if overdue:
        rows = rows.filter(status=EventStatus.OPEN, overdue_since__isnull=False)
    if serious:
        rows = rows.filter(serious=True)
    if patient is not None:
        rows = rows.filter(patient=patient)
    if lot is not None:
        rows = rows.filter(lots=lot).distinct()
    return rows.order_by("-onset_date", "-id")


def event_get(*, clinic: Clinic, uuid) -> AdverseEvent:
    return _events().get(clinic=clinic, uuid=uuid)


def events_for_patient(*, patient, include_in_error: bool = False) -> QuerySet[AdverseEvent]:
    rows = _events().filter(patient=patient)
    if not include_in_error:
        rows = rows.exclude(status=EventStatus.ENTERED_IN_ERROR)
    return rows.order_by("-onset_date", "-id")


def open_events_for_patient(patient) -> list[AdverseEvent]:
    return list(AdverseEvent.objects.filter(patient=patient, status=EventStatus.OPEN).order_by("onset_date"))


def dashboard_counts(*, clinic: Clinic) -> dict[str, int]:
    """Counts for the safety dashboard (all an admin may see of adverse events)."""
    rows = AdverseEvent.objects.filter(clinic=clinic).exclude(status=EventStatus.ENTERED_IN_ERROR)
    return rows.aggregate(
        open=Count("id", filter=Q(status=EventStatus.OPEN)),
        overdue=Count("id", filter=Q(status=EventStatus.OPEN, overdue_since__isnull=False)),
        serious_open=Count("id", filter=Q(status=EventStatus.OPEN, serious=True)),
        resolved=Count("id", filter=Q(status=EventStatus.RESOLVED)),
        total=Count("id"),
    )


def counts_by_term(*, clinic: Clinic) -> list[dict]:
    rows = AdverseEvent.objects.filter(clinic=clinic).exclude(status=EventStatus.ENTERED_IN_ERROR)
    result = list(
        rows.values("term")
        .annotate(
            term_name=Max("term_name"),
            total=Count("id"),
            open=Count("id", filter=Q(status=EventStatus.OPEN)),
        )
        .order_by("-total", "term")
    )
    for row in result:
        if row["term"] == OTHER:
            row["term_name"] = str(_("Other"))
    return result


def other_patients_of_lots(*, event: AdverseEvent) -> list[dict]:
    """For each suspected lot of an event: the other patients who received it (sessions) and
    their adverse events involving the same lot."""
    from follicle.formulations.selectors import lot_recipients

    result = []
    for lot in event.lots.select_related("product"):
        patients = [p for p in lot_recipients(lot) if p.pk != event.patient_id]
        others = list(event_list(clinic=event.clinic, lot=lot).exclude(pk=event.pk).select_related("patient"))
        result.append({"lot": lot, "patients": patients, "events": others})
    return result
