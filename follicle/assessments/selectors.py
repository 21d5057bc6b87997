"""Reads for assessments and screening: the latest of each, staleness, finding vocabulary."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from django.db.models import QuerySet
from django.utils.translation import get_language

from follicle.assessments.models import Assessment, ScreeningDecision
from follicle.patients.models import Patient
from follicle.patients.selectors import history_current
from follicle.reference.selectors import contraindication_list, scale_grading

FINDINGS_FILE = Path(__file__).parent / "data" / "trichoscopy_findings.yaml"


def assessment_list(*, patient: Patient) -> QuerySet[Assessment]:
    return (
        patient.assessments.filter(entered_in_error=False)
        .select_related("assessed_by")
        .order_by("-assessed_at")
    )


def assessment_latest(*, patient: Patient) -> Assessment | None:
    return assessment_list(patient=patient).first()


def assessment_get(*, patient: Patient, uuid) -> Assessment:
    return patient.assessments.select_related("assessed_by").get(uuid=uuid)


def screening_latest(*, patient: Patient) -> ScreeningDecision | None:
    return (
        patient.screenings.select_related("decided_by", "history", "assessment")
        .order_by("-decided_at", "-id")
        .first()
    )


def screening_list(*, patient: Patient) -> QuerySet[ScreeningDecision]:
    return patient.screenings.select_related("decided_by", "history").order_by("-decided_at", "-id")


def screening_out_of_date(*, patient: Patient, decision: ScreeningDecision | None) -> bool:
    """A decision is out of date once the history or the latest assessment changed after it."""
    if decision is None:
        return False
    history = history_current(patient=patient)
    latest = assessment_latest(patient=patient)
    return (history is not None and history.pk != decision.history_id) or (
        (latest.pk if latest else None) != decision.assessment_id
    )


def contraindications_by_key() -> dict:
    return {entry.key: entry for entry in contraindication_list()}


@cache
def _findings() -> tuple[dict, ...]:
    return tuple(yaml.safe_load(FINDINGS_FILE.read_text(encoding="utf-8"))["findings"])


def finding_ids() -> set[str]:
    return {f["id"] for f in _findings()}


def finding_choices() -> list[tuple[str, str]]:
    language = "el" if (get_language() or "").startswith("el") else "en"
    return [(f["id"], f[language]) for f in _findings()]


def grading_for(scale_key: str):
    return scale_grading(scale_key)


def reference_names() -> dict[str, str]:
    """Diagnosis and scale keys → their names in the catalogue (a handful of rows)."""
    from follicle.reference.selectors import diagnosis_list, scale_list

    return {entry.key: entry.name for entry in [*diagnosis_list(), *scale_list()]}
