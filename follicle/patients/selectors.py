"""Reads for patients: search, the chart's pieces, consents. Every query takes the clinic."""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import and_, or_

from django.db.models import Q, QuerySet

from follicle.core.models import Clinic
from follicle.core.text import digits, query_terms
from follicle.patients.models import (
    Consent,
    ConsentKind,
    ConsentText,
    MedicalHistory,
    Patient,
    PatientRevision,
)


def patient_list(*, clinic: Clinic, query: str = "", include_in_error: bool = False) -> QuerySet[Patient]:
    """Patients of the clinic matching every word of the query.

    A word matches the name in Greek or Latin letters (see core.text), the record number, the
    phone number (by its digits), the e-mail, or a date of birth typed as YYYY-MM-DD or DD/MM/YYYY.
    """
    patients = Patient.objects.filter(clinic=clinic)
    if not include_in_error:
        patients = patients.active()
    conditions = []
    for word in (query or "").split():
        date = _parse_date(word)
        if date:
            conditions.append(Q(date_of_birth=date))
            continue
        options = [
            Q(search_text__contains=light) | Q(search_text__contains=folded)
            for light, folded in query_terms(word)
        ]
        number = digits(word)
        if len(number) >= 3:
            options.append(Q(search_text__contains=number))
        if options:
            conditions.append(reduce(or_, options))
    if conditions:
        patients = patients.filter(reduce(and_, conditions))
    return patients.order_by("last_name", "first_name", "record_number")


def _parse_date(word: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(word, fmt).date()  # noqa: DTZ007 - a date, no time zone
        except ValueError:
            continue
    return None


def patient_get(*, clinic: Clinic, uuid) -> Patient:
    return Patient.objects.select_related("clinic").get(clinic=clinic, uuid=uuid)


def patient_revisions(*, patient: Patient) -> QuerySet[PatientRevision]:
    return patient.revisions.select_related("changed_by").order_by("-changed_at", "-id")


def history_current(*, patient: Patient) -> MedicalHistory | None:
    return patient.histories.select_related("recorded_by").order_by("-version").first()


def history_versions(*, patient: Patient) -> QuerySet[MedicalHistory]:
    return patient.histories.select_related("recorded_by").order_by("-version")


def consent_text_current(*, clinic: Clinic, kind: str, language: str) -> ConsentText | None:
    texts = ConsentText.objects.filter(clinic=clinic, kind=kind)
    return texts.filter(language=language).order_by("-version").first() or texts.order_by("-version").first()


def consent_text_list(*, clinic: Clinic) -> QuerySet[ConsentText]:
    return (
        ConsentText.objects.filter(clinic=clinic)
        .select_related("created_by")
        .order_by("kind", "language", "-version")
    )


def consent_status(*, patient: Patient) -> dict[str, Consent | None]:
    """Each consent kind → the patient's current (signed, not withdrawn) consent, or None."""
    current = {kind: None for kind in ConsentKind.values}
    for consent in (
        patient.consents.filter(withdrawn_at__isnull=True).select_related("text").order_by("signed_at")
    ):
        current[consent.kind] = consent
    return current


def consent_list(*, patient: Patient) -> QuerySet[Consent]:
    return patient.consents.select_related("text", "recorded_by", "withdrawn_by").order_by("-signed_at")
