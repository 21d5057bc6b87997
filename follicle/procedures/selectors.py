"""Reads of session records, scoped to a clinic or a patient by construction."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from follicle.core.models import Clinic
from follicle.procedures.models import RecordStatus, SafetyCheck, SessionLot, SessionRecord


def _records() -> QuerySet[SessionRecord]:
    return SessionRecord.objects.select_related(
        "patient",
        "plan",
        "appointment",
        "planned_session",
        "formulation_version__formulation",
        "practitioner",
        "signed_by",
        "safety_check",
    ).prefetch_related(
        Prefetch("lots", queryset=SessionLot.objects.select_related("product", "lot")),
        "zones",
        "therapies__therapy",
        "addenda__author",
    )


def record_list(*, clinic: Clinic, status: str = "", patient=None) -> QuerySet[SessionRecord]:
    rows = _records().filter(clinic=clinic)
    if status:
        rows = rows.filter(status=status)
    if patient is not None:
        rows = rows.filter(patient=patient)
    return rows.order_by("-created_at", "-id")


def record_get(*, clinic: Clinic, uuid) -> SessionRecord:
    return _records().get(clinic=clinic, uuid=uuid)


def records_for_patient(*, patient) -> QuerySet[SessionRecord]:
    return _records().filter(patient=patient).order_by("-created_at", "-id")


def record_for_appointment(*, appointment) -> SessionRecord | None:
    return _records().filter(appointment=appointment).first()


def checks_for_appointment(*, appointment) -> QuerySet[SafetyCheck]:
    return appointment.safety_checks.select_related("recorded_by", "acknowledged_by").order_by(
        "-recorded_at", "-id"
    )


def records_with_lot(*, lot) -> QuerySet[SessionRecord]:
    """Every session record (signed, draft or in error) that used `lot`."""
    return (
        SessionRecord.objects.filter(lots__lot=lot, clinic_id=lot.product.clinic_id)
        .exclude(status=RecordStatus.ENTERED_IN_ERROR)
        .select_related("patient", "appointment", "signed_by")
        .distinct()
        .order_by("-created_at", "-id")
    )


def drafts_open(*, clinic: Clinic) -> QuerySet[SessionRecord]:
    """Drafts waiting for a signature (shown on the safety dashboard and the practitioner's day)."""
    return _records().filter(clinic=clinic, status=RecordStatus.DRAFT).order_by("created_at")
