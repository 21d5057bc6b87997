"""Writes for assessments and screening decisions. One transaction, audited, each."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from follicle.assessments.models import Assessment, ScreeningDecision, ScreeningResult
from follicle.assessments.screening import evaluate
from follicle.assessments.selectors import (
    assessment_latest,
    contraindications_by_key,
    finding_ids,
    grading_for,
)
from follicle.core.audit import Auditor
from follicle.patients.models import Patient
from follicle.patients.selectors import history_current
from follicle.reference.models import ReferenceEntry
from follicle.reference.selectors import dataset_for_kind, entry_get, scales_for_diagnosis

ASSESSMENT_FIELDS = (
    "diagnosis",
    "scale",
    "grade",
    "pull_test",
    "pull_test_hairs",
    "sebum",
    "scaling",
    "erythema",
    "inflammation",
    "trichoscopy_findings",
    "notes",
    "assessed_at",
)


def _validate_assessment(patient: Patient, fields: dict) -> None:
    errors: dict[str, list[str]] = {}
    try:
        entry_get(kind=ReferenceEntry.Kind.DIAGNOSIS, key=fields.get("diagnosis", ""))
    except ReferenceEntry.DoesNotExist:
        errors["diagnosis"] = [_("Choose a diagnosis from the reference list.")]
    scale, grade = fields.get("scale", ""), str(fields.get("grade", "") or "").strip()
    if "diagnosis" not in errors and scale:
        fitting = [s.key for s in scales_for_diagnosis(fields["diagnosis"], patient.sex)]
        if scale not in fitting:
            errors["scale"] = [_("This scale does not fit the diagnosis and the patient's sex.")]
        else:
            grading = grading_for(scale)
            if grading.kind == "score":
                try:
                    value = int(grade)
                except ValueError:
                    value = None
                if value is None or not grading.minimum <= value <= grading.maximum:
                    errors["grade"] = [
                        _("Enter a whole number from %(min)s to %(max)s.")
                        % {"min": grading.minimum, "max": grading.maximum}
                    ]
            elif grading.kind == "types":
                codes = grade.replace(",", " ").split()
                if (
                    not codes
                    or codes[0] not in grading.basic
                    or any(c not in grading.specific for c in codes[1:])
                ):
                    errors["grade"] = [_("Choose one basic type, then any specific types.")]
            elif grading.kind == "ordinal" and grade not in grading.choices:
                errors["grade"] = [_("Choose a grade of this scale.")]
    elif grade and not scale:
        errors["scale"] = [_("Choose the scale the grade belongs to.")]
    unknown = set(fields.get("trichoscopy_findings") or []) - finding_ids()
    if unknown:
        errors["trichoscopy_findings"] = [_("Unknown findings: %(f)s") % {"f": ", ".join(sorted(unknown))}]
    if fields.get("pull_test") != "positive" and fields.get("pull_test_hairs"):
        errors["pull_test_hairs"] = [_("Give a number of hairs only for a positive pull test.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def assessment_create(*, patient: Patient, auditor: Auditor, **fields) -> Assessment:
    """Record an assessment; the diagnosis and scale come from the reference catalogue."""
    unknown = set(fields) - set(ASSESSMENT_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    fields = {k: v for k, v in fields.items() if v is not None or k == "pull_test_hairs"}
    fields["grade"] = " ".join(str(fields.get("grade") or "").replace(",", " ").split())
    _validate_assessment(patient, fields)
    assessment = Assessment(patient=patient, assessed_by=auditor.actor, **fields)
    assessment.full_clean()
    assessment.save()
    auditor.log(
        "assessment.create",
        obj=assessment,
        patient=patient,
        detail={"diagnosis": assessment.diagnosis, "scale": assessment.scale, "grade": assessment.grade},
    )
    return assessment


def screening_compute(*, patient: Patient):
    """What the rules say now (nothing stored). Returns (outcome, history, assessment) or raises."""
    history = history_current(patient=patient)
    if history is None:
        raise ValidationError(_("Record the medical history before screening."))
    assessment = assessment_latest(patient=patient)
    outcome = evaluate(
        patient=patient,
        history=history,
        diagnosis=assessment.diagnosis if assessment else None,
        contraindications=contraindications_by_key(),
    )
    return outcome, history, assessment


@transaction.atomic
def screening_decide(
    *, patient: Patient, auditor: Auditor, result: str, override_reason: str = "", notes: str = ""
) -> ScreeningDecision:
    """Record the practitioner's decision; differing from the computed result needs a reason."""
    if result not in ScreeningResult.values:
        raise ValidationError({"result": _("Unknown decision.")})
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    outcome, history, assessment = screening_compute(patient=patient)
    override_reason = (override_reason or "").strip()
    if result != outcome.result and not override_reason:
        raise ValidationError(
            {"override_reason": _("Your decision differs from the computed result: give the reason.")}
        )
    dataset = dataset_for_kind(ReferenceEntry.Kind.CONTRAINDICATION)
    decision = ScreeningDecision(
        patient=patient,
        history=history,
        assessment=assessment,
        computed_result=outcome.result,
        reasons=outcome.as_json(),
        not_asked=outcome.not_asked,
        catalogue_version=dataset.version if dataset else "",
        result=result,
        override_reason=override_reason if result != outcome.result else "",
        notes=(notes or "").strip(),
        decided_by=auditor.actor,
    )
    decision.full_clean()
    decision.save()
    auditor.log(
        "screening.decide",
        obj=decision,
        patient=patient,
        detail={
            "computed": outcome.result,
            "result": result,
            "override": result != outcome.result,
            "history_version": history.version,
        },
    )
    return decision


@transaction.atomic
def assessment_mark_entered_in_error(*, assessment: Assessment, auditor: Auditor, reason: str) -> Assessment:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the assessment was entered in error.")})
    assessment.entered_in_error = True
    assessment.entered_in_error_reason = reason
    assessment.save(update_fields=["entered_in_error", "entered_in_error_reason"])
    auditor.log(
        "assessment.entered_in_error", obj=assessment, patient=assessment.patient, detail={"reason": reason}
    )
    return assessment
