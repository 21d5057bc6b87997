"""Writes for patients, their medical history and consents. One transaction, audited, each."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from follicle.core.audit import Auditor
from follicle.core.models import Clinic
from follicle.core.text import digits, search_text
from follicle.patients.models import (
    Consent,
    ConsentKind,
    ConsentText,
    MedicalHistory,
    Patient,
    PatientRevision,
)

DEMOGRAPHIC_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "language",
)


def _search_text(patient: Patient) -> str:
    phone = digits(patient.phone)
    return " ".join(
        [
            search_text(patient.first_name, patient.last_name),
            patient.record_number.lower(),
            phone,
            phone[-10:] if len(phone) > 10 else "",  # the number without its country code
            patient.date_of_birth.isoformat() if patient.date_of_birth else "",
            patient.email.lower(),
        ]
    )


def _plain(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def _next_record_number(clinic: Clinic) -> str:
    # Lock the clinic row so two registrations at once never take the same number.
    Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
    last = (
        Patient.objects.filter(clinic=clinic).order_by("-id").values_list("record_number", flat=True).first()
    )
    number = int(last.rsplit("-", 1)[-1]) + 1 if last else 1
    return f"P-{number:06d}"


def _check_dates(date_of_birth: dt.date) -> None:
    today = timezone.localdate()
    if date_of_birth > today:
        raise ValidationError({"date_of_birth": _("The date of birth is in the future.")})
    if date_of_birth.year < 1900:
        raise ValidationError({"date_of_birth": _("The date of birth is too far in the past.")})


@transaction.atomic
def patient_create(*, clinic: Clinic, auditor: Auditor, **fields) -> Patient:
    """Register a patient; the first revision records every field as set."""
    unknown = set(fields) - set(DEMOGRAPHIC_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    _check_dates(fields["date_of_birth"])
    patient = Patient(clinic=clinic, created_by=auditor.actor, **fields)
    patient.record_number = _next_record_number(clinic)
    patient.search_text = _search_text(patient)
    patient.full_clean()
    patient.save()
    PatientRevision.objects.create(
        patient=patient,
        changed_by=auditor.actor,
        changes={name: {"old": None, "new": _plain(getattr(patient, name))} for name in DEMOGRAPHIC_FIELDS},
    )
    auditor.log(
        "patient.create", obj=patient, patient=patient, detail={"record_number": patient.record_number}
    )
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, auditor: Auditor, **fields) -> Patient:
    """Change demographics or contact details; each changed field kept with its old value."""
    unknown = set(fields) - set(DEMOGRAPHIC_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if "date_of_birth" in fields:
        _check_dates(fields["date_of_birth"])
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    changes = {}
    for name, value in fields.items():
        old = getattr(patient, name)
        if old != value:
            changes[name] = {"old": _plain(old), "new": _plain(value)}
            setattr(patient, name, value)
    if not changes:
        return patient
    patient.search_text = _search_text(patient)
    patient.full_clean()
    patient.save()
    PatientRevision.objects.create(patient=patient, changed_by=auditor.actor, changes=changes)
    auditor.log("patient.update", obj=patient, patient=patient, detail={"fields": sorted(changes)})
    return patient


@transaction.atomic
def patient_mark_entered_in_error(*, patient: Patient, auditor: Auditor, reason: str) -> Patient:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the record was entered in error.")})
    patient.entered_in_error = True
    patient.entered_in_error_reason = reason
    patient.save(update_fields=["entered_in_error", "entered_in_error_reason"])
    PatientRevision.objects.create(
        patient=patient,
        changed_by=auditor.actor,
        changes={"entered_in_error": {"old": False, "new": True, "reason": reason}},
    )
    auditor.log("patient.entered_in_error", obj=patient, patient=patient, detail={"reason": reason})
    return patient


HISTORY_FIELDS = [
    *MedicalHistory.YES_NO_FIELDS,
    "allergy_ingredients",
    "allergies",
    "medications",
    "conditions",
    "notes",
]


@transaction.atomic
def history_record(*, patient: Patient, auditor: Auditor, **answers) -> MedicalHistory:
    """Record a new version of the medical history (the previous versions stay as they were)."""
    unknown = set(answers) - set(HISTORY_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    previous = patient.histories.order_by("-version").first()
    values = {name: getattr(previous, name) for name in HISTORY_FIELDS} if previous else {}
    values.update(answers)
    history = MedicalHistory(
        patient=patient,
        version=(previous.version + 1 if previous else 1),
        recorded_by=auditor.actor,
        **values,
    )
    history.full_clean()
    history.save()
    changed = sorted(
        name for name in HISTORY_FIELDS if previous is None or getattr(previous, name) != values.get(name)
    )
    auditor.log(
        "history.record",
        obj=history,
        patient=patient,
        detail={"version": history.version, "changed": changed},
    )
    return history


@transaction.atomic
def consent_text_publish(
    *, clinic: Clinic, auditor: Auditor, kind: str, language: str, title: str, body: str
) -> ConsentText:
    """Publish a new version of a consent text; patients sign whichever version is current."""
    if kind not in ConsentKind.values:
        raise ValidationError({"kind": _("Unknown consent kind.")})
    latest = (
        ConsentText.objects.select_for_update()
        .filter(clinic=clinic, kind=kind, language=language)
        .order_by("-version")
        .first()
    )
    if latest and latest.title == title.strip() and latest.body == body.strip():
        return latest
    text = ConsentText(
        clinic=clinic,
        kind=kind,
        language=language,
        version=(latest.version + 1 if latest else 1),
        title=title.strip(),
        body=body.strip(),
        created_by=auditor.actor,
    )
    text.full_clean()
    text.save()
    auditor.log(
        "consent_text.publish", obj=text, detail={"kind": kind, "language": language, "version": text.version}
    )
    return text


@transaction.atomic
def consent_sign(*, patient: Patient, auditor: Auditor, text: ConsentText, signed_name: str) -> Consent:
    """Record the patient's consent, signed in the clinic by typing their name."""
    if text.clinic_id != patient.clinic_id:
        raise ValidationError(_("This consent text belongs to another clinic."))
    latest = (
        ConsentText.objects.filter(clinic=text.clinic, kind=text.kind, language=text.language)
        .order_by("-version")
        .first()
    )
    if latest is None or latest.pk != text.pk:
        raise ValidationError(_("A newer version of this consent text exists: sign that one."))
    signed_name = " ".join((signed_name or "").split())
    if len(signed_name) < 3:
        raise ValidationError({"signed_name": _("Type the signer's full name.")})
    consent = Consent(
        patient=patient,
        text=text,
        kind=text.kind,
        signed_name=signed_name,
        signed_ip=auditor.ip,
        recorded_by=auditor.actor,
    )
    consent.full_clean()
    consent.save()
    auditor.log(
        "consent.sign", obj=consent, patient=patient, detail={"kind": text.kind, "text_version": text.version}
    )
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, auditor: Auditor, reason: str) -> Consent:
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is not None:
        raise ValidationError(_("This consent was already withdrawn."))
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = auditor.actor
    consent.withdrawal_reason = (reason or "").strip()
    consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    auditor.log("consent.withdraw", obj=consent, patient=consent.patient, detail={"kind": consent.kind})
    return consent
