"""Writes of measurement sites, trichoscopy images (upload, analysis, correction), pairs and
hand-entered measurements. One transaction each, explicit audit; analysis runs in the worker
(outcomes.tasks) after the upload commits.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from follicle.core.audit import Auditor
from follicle.core.tasks import enqueue_tracked
from follicle.outcomes.models import (
    AnalysisStatus,
    Device,
    Measurement,
    MeasurementKind,
    MeasurementSite,
    TrichoscopyImage,
    TrichoscopyPair,
    _image_path,
)
from follicle.outcomes.storage import private_storage
from follicle.outcomes.uploads import TRICHOSCOPY, UploadRejected, clean_image
from follicle.patients.models import Patient
from follicle.scheduling.selectors import is_practitioner
from follicle.treatments.selectors import plan_current

PAIR_MIN_DAYS, PAIR_MAX_DAYS = 1, 5  # a phototrichogram's second visit: 2–3 days, some leeway


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", (name or "image").rsplit("/", 1)[-1])[:60].strip("-.")
    return stem or "image"


# --------------------------------------------------------------------------- sites
@transaction.atomic
def site_create(
    *, patient: Patient, auditor: Auditor, name: str, zone: str, landmark: str, is_reference: bool = False
) -> MeasurementSite:
    name = (name or "").strip()
    if MeasurementSite.objects.filter(patient=patient, name__iexact=name).exists():
        raise ValidationError(
            {"name": _("This patient already has a site called “%(name)s”.") % {"name": name}}
        )
    site = MeasurementSite(
        clinic=patient.clinic,
        patient=patient,
        name=name,
        zone=zone,
        landmark=(landmark or "").strip(),
        is_reference=bool(is_reference),
        created_by=auditor.actor,
    )
    site.full_clean()
    site.save()
    auditor.log("site.create", obj=site, patient=patient, detail={"name": name, "zone": zone})
    return site


@transaction.atomic
def site_update(*, site: MeasurementSite, auditor: Auditor, **fields) -> MeasurementSite:
    site = MeasurementSite.objects.select_for_update().get(pk=site.pk)
    allowed = {"name", "zone", "landmark", "is_reference", "is_archived", "reference_image"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    image = fields.get("reference_image")
    if image is not None and (image.site_id != site.pk or image.entered_in_error):
        raise ValidationError({"reference_image": _("Choose an image of this site.")})
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        clash = MeasurementSite.objects.filter(patient=site.patient, name__iexact=fields["name"]).exclude(
            pk=site.pk
        )
        if clash.exists():
            raise ValidationError(
                {"name": _("This patient already has a site called “%(name)s”.") % {"name": fields["name"]}}
            )
    changes = {}
    for name, value in fields.items():
        old = getattr(site, name)
        if old != value:
            changes[name] = {
                "old": str(old) if old is not None else None,
                "new": str(value) if value is not None else None,
            }
            setattr(site, name, value)
    site.full_clean()
    site.save()
    if changes:
        auditor.log("site.update", obj=site, patient=site.patient, detail={"changes": changes})
    return site


# --------------------------------------------------------------------------- trichoscopy images
def _scale(site: MeasurementSite, device: Device | None, um_per_px: float | None) -> float:
    if device is not None:
        if device.clinic_id != site.clinic_id:
            raise ValidationError({"device": _("Choose a device of this clinic.")})
        return device.um_per_px
    if um_per_px is None:
        raise ValidationError(
            {"device": _("Choose the calibrated device, or give the scale in µm per pixel.")}
        )
    if not 0.5 <= float(um_per_px) <= 50:
        raise ValidationError({"um_per_px": _("A scale of 0.5 to 50 µm per pixel is expected.")})
    return float(um_per_px)


@transaction.atomic
def trichoscopy_upload(
    *,
    site: MeasurementSite,
    auditor: Auditor,
    data: bytes,
    filename: str = "",
    taken_on: dt.date | None = None,
    device: Device | None = None,
    um_per_px: float | None = None,
) -> TrichoscopyImage:
    """Check, clean and store one image of a site, then queue its analysis (after commit)."""
    if site.is_archived:
        raise ValidationError(_("This site is no longer measured."))
    taken_on = taken_on or timezone.localdate()
    if taken_on > timezone.localdate():
        raise ValidationError({"taken_on": _("The date cannot be in the future.")})
    scale = _scale(site, device, um_per_px)
    try:
        clean = clean_image(data, purpose=TRICHOSCOPY)
    except UploadRejected as exc:
        raise ValidationError({"file": str(exc)}) from exc
    duplicate = TrichoscopyImage.objects.filter(
        site=site, original_sha256=clean.original_sha256, entered_in_error=False
    ).first()
    if duplicate is not None:
        raise ValidationError(
            {
                "file": _("This file was already uploaded for this site on %(date)s.")
                % {"date": duplicate.taken_on.strftime("%d/%m/%Y")}
            }
        )
    image = TrichoscopyImage(
        clinic=site.clinic,
        patient=site.patient,
        site=site,
        plan=plan_current(patient=site.patient),
        taken_on=taken_on,
        device=device,
        um_per_px=scale,
        width=clean.width,
        height=clean.height,
        sha256=clean.sha256,
        original_sha256=clean.original_sha256,
        original_name=_safe_name(filename),
        uploaded_by=auditor.actor,
    )
    # The file is written once the row is committed (a refused or rolled-back upload leaves no
    # file behind); the analysis, queued after it, finds it there.
    image.file.name = _image_path(image, f"image.{clean.extension}")
    image.full_clean(exclude=["file", "overlay"])
    image.save()
    transaction.on_commit(lambda: _write(image.file.name, clean.content))
    if site.reference_image_id is None:
        site.reference_image = image
        site.save(update_fields=["reference_image"])
    auditor.log(
        "trichoscopy.upload",
        obj=image,
        patient=site.patient,
        detail={
            "site": site.name,
            "taken_on": taken_on.isoformat(),
            "um_per_px": scale,
            "sha256": clean.sha256,
        },
    )
    _queue_analysis(image)
    return image


def _write(name: str, content: bytes) -> None:
    saved = private_storage.save(name, ContentFile(content))
    if saved != name:  # names carry the image's UUID: a clash means something is badly wrong
        private_storage.delete(saved)
        raise RuntimeError(f"private file {name} already exists")


def _queue_analysis(image: TrichoscopyImage) -> None:
    from follicle.outcomes.tasks import analyse_trichoscopy

    enqueue_tracked(
        analyse_trichoscopy,
        image.pk,
        label=_("Trichoscopy analysis"),
        clinic=image.clinic,
        requested_by=None,
    )


@transaction.atomic
def trichoscopy_reanalyse(*, image: TrichoscopyImage, auditor: Auditor) -> TrichoscopyImage:
    """Analyse again (after a failure, or with a newer engine); the correction, if any, stays."""
    image = TrichoscopyImage.objects.select_for_update().get(pk=image.pk)
    if image.status in (AnalysisStatus.QUEUED, AnalysisStatus.RUNNING):
        raise ValidationError(_("The analysis is already waiting or running."))
    image.status = AnalysisStatus.QUEUED
    image.status_changed_at = timezone.now()
    image.error = ""
    image.save(update_fields=["status", "status_changed_at", "error"])
    auditor.log("trichoscopy.reanalyse", obj=image, patient=image.patient)
    _queue_analysis(image)
    return image


@transaction.atomic
def trichoscopy_correct_count(
    *, image: TrichoscopyImage, auditor: Auditor, count: int | None, reason: str
) -> TrichoscopyImage:
    """A practitioner corrects the engine's count (or removes the correction with count=None)."""
    image = TrichoscopyImage.objects.select_for_update().get(pk=image.pk)
    if auditor.actor is None or not is_practitioner(clinic=image.clinic, user=auditor.actor):
        raise PermissionDenied(_("Only a practitioner may correct a hair count."))
    if image.entered_in_error:
        raise ValidationError(_("This image was entered in error."))
    if image.status != AnalysisStatus.DONE:
        raise ValidationError(_("The image has not been analysed yet."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the count is corrected.")})
    if count is not None and not 0 <= int(count) <= 100_000:
        raise ValidationError({"count": _("Give a count from 0 to 100 000.")})
    old = image.corrected_count
    image.corrected_count = None if count is None else int(count)
    image.corrected_by = auditor.actor
    image.corrected_at = timezone.now()
    image.correction_reason = reason
    image.save(update_fields=["corrected_count", "corrected_by", "corrected_at", "correction_reason"])
    auditor.log(
        "trichoscopy.correct",
        obj=image,
        patient=image.patient,
        detail={"engine": image.hair_count, "old": old, "new": image.corrected_count, "reason": reason},
    )
    return image


@transaction.atomic
def trichoscopy_mark_in_error(*, image: TrichoscopyImage, auditor: Auditor, reason: str) -> TrichoscopyImage:
    image = TrichoscopyImage.objects.select_for_update().get(pk=image.pk)
    if image.entered_in_error:
        raise ValidationError(_("This image is already marked entered in error."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    image.entered_in_error = True
    image.entered_in_error_reason = reason
    image.save(update_fields=["entered_in_error", "entered_in_error_reason"])
    site = image.site
    if site.reference_image_id == image.pk:
        site.reference_image = None
        site.save(update_fields=["reference_image"])
    auditor.log("trichoscopy.in_error", obj=image, patient=image.patient, detail={"reason": reason})
    return image


# --------------------------------------------------------------------------- pairs
@transaction.atomic
def pair_create(*, day0: TrichoscopyImage, day2: TrichoscopyImage, auditor: Auditor) -> TrichoscopyPair:
    """Two images of one clipped site 1–5 days apart; the anagen share is computed in the worker."""
    if day0.site_id != day2.site_id:
        raise ValidationError(_("Both images must be of the same site."))
    if day0.entered_in_error or day2.entered_in_error:
        raise ValidationError(_("An image entered in error cannot be used."))
    gap = (day2.taken_on - day0.taken_on).days
    if not PAIR_MIN_DAYS <= gap <= PAIR_MAX_DAYS:
        raise ValidationError(
            _("The second image must be taken %(min)s to %(max)s days after the first (here: %(gap)s).")
            % {"min": PAIR_MIN_DAYS, "max": PAIR_MAX_DAYS, "gap": gap}
        )
    if abs(day0.um_per_px - day2.um_per_px) / day0.um_per_px > 0.05:
        raise ValidationError(_("The two images have different scales; use the same device."))
    if TrichoscopyPair.objects.filter(day0=day0, day2=day2).exists():
        raise ValidationError(_("These two images are already a pair."))
    pair = TrichoscopyPair(
        clinic=day0.clinic,
        patient=day0.patient,
        site=day0.site,
        day0=day0,
        day2=day2,
        created_by=auditor.actor,
    )
    pair.full_clean()
    pair.save()
    auditor.log(
        "trichoscopy.pair",
        obj=pair,
        patient=day0.patient,
        detail={"day0": str(day0.uuid), "day2": str(day2.uuid), "days": gap},
    )
    from follicle.outcomes.tasks import analyse_pair

    enqueue_tracked(analyse_pair, pair.pk, label=_("Anagen analysis of two visits"), clinic=pair.clinic)
    return pair


# --------------------------------------------------------------------------- hand-entered
RANGES = {
    MeasurementKind.DENSITY: (0, 1000),
    MeasurementKind.COUNT: (0, 100_000),
    MeasurementKind.THICKNESS: (1, 200),
    MeasurementKind.VELLUS: (0, 1),
    MeasurementKind.ANAGEN: (0, 1),
}


@transaction.atomic
def measurement_add(
    *,
    patient: Patient,
    auditor: Auditor,
    kind: str,
    value: float,
    measured_on: dt.date,
    source: str,
    site: MeasurementSite | None = None,
) -> Measurement:
    if kind not in MeasurementKind.values:
        raise ValidationError({"kind": _("Choose what was measured.")})
    low, high = RANGES[kind]
    if value is None or not low <= float(value) <= high:
        raise ValidationError(
            {"value": _("Give a value from %(low)s to %(high)s.") % {"low": low, "high": high}}
        )
    if measured_on > timezone.localdate():
        raise ValidationError({"measured_on": _("The date cannot be in the future.")})
    if site is not None and site.patient_id != patient.pk:
        raise ValidationError({"site": _("Choose one of this patient's sites.")})
    measurement = Measurement(
        clinic=patient.clinic,
        patient=patient,
        site=site,
        kind=kind,
        value=float(value),
        measured_on=measured_on,
        source=(source or "").strip(),
        entered_by=auditor.actor,
    )
    measurement.full_clean()
    measurement.save()
    auditor.log(
        "measurement.add",
        obj=measurement,
        patient=patient,
        detail={
            "kind": kind,
            "value": value,
            "site": site.name if site else None,
            "source": measurement.source,
        },
    )
    return measurement


@transaction.atomic
def measurement_mark_in_error(*, measurement: Measurement, auditor: Auditor, reason: str) -> Measurement:
    measurement = Measurement.objects.select_for_update().get(pk=measurement.pk)
    if measurement.entered_in_error:
        raise ValidationError(_("This measurement is already marked entered in error."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    measurement.entered_in_error = True
    measurement.entered_in_error_reason = reason
    measurement.save(update_fields=["entered_in_error", "entered_in_error_reason"])
    auditor.log(
        "measurement.in_error", obj=measurement, patient=measurement.patient, detail={"reason": reason}
    )
    return measurement


# --------------------------------------------------------------------------- clinic policy
@transaction.atomic
def outcome_settings_update(*, clinic, auditor: Auditor, **fields):
    """Set the clinic's response policy (what density change names a responder, and so on)."""
    from follicle.outcomes.models import OutcomeSettings
    from follicle.outcomes.progress import default_policy

    allowed = {"responder_pct", "partial_pct", "worse_pct", "window_days"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))})
    row = OutcomeSettings.objects.select_for_update().filter(clinic=clinic).first()
    if row is None:
        base = default_policy()
        row = OutcomeSettings(
            clinic=clinic,
            responder_pct=base.responder_pct,
            partial_pct=base.partial_pct,
            worse_pct=base.worse_pct,
            window_days=base.window_days,
        )
    changes = {}
    for name, value in fields.items():
        if getattr(row, name) != value:
            changes[name] = {"old": getattr(row, name), "new": value}
            setattr(row, name, value)
    row.updated_at = timezone.now()
    row.updated_by = auditor.actor
    row.full_clean()
    row.save()
    if changes:
        auditor.log("outcomes.policy", clinic=clinic, detail={"changes": changes})
    return row
