"""Measurement devices, measurement sites, trichoscopy images and their analysis, measurements.

A patient's *measurement sites* are named scalp spots (on the scalp map's zones, with a landmark
description and a reference image) found again at every visit. Each visit's *trichoscopy image*
of a site is stored privately (outcomes.storage), analysed in the background by the imaging
library, and keeps the results and an overlay; a practitioner may correct the count (both kept,
the corrected one used). Two images of a clipped site a few days apart form a *pair* that gives
the anagen share. *Measurements* entered by hand (from another device or a report) name their
source.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from follicle.core.models import Clinic
from follicle.outcomes.storage import private_storage
from follicle.patients.models import Patient
from follicle.treatments.models import TreatmentPlan, Zone


class Device(models.Model):
    """A clinic's named imaging device and its scale, found from an image of a ruler."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="devices")
    name = models.CharField(_("name"), max_length=80)
    um_per_px = models.FloatField(_("µm per pixel"), validators=[MinValueValidator(0.01)])
    calibrated_at = models.DateTimeField(default=timezone.now)
    calibrated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["clinic", "name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="one_device_name_per_clinic")]

    def __str__(self) -> str:
        return f"{self.name} ({self.um_per_px:.3f} µm/px)"


class MeasurementSite(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="measurement_sites")
    name = models.CharField(_("name"), max_length=80)
    zone = models.CharField(_("zone"), max_length=20, choices=Zone.choices)
    landmark = models.TextField(
        _("how to find it again"),
        help_text=_("For example: 2 cm in front of the crown whorl, on the midline; tattoo dot."),
    )
    is_reference = models.BooleanField(
        _("untreated reference site"),
        default=False,
        help_text=_("A site outside the treated zones, to compare against (e.g. occipital)."),
    )
    reference_image = models.ForeignKey(
        "TrichoscopyImage", on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    is_archived = models.BooleanField(_("no longer measured"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["patient", "is_archived", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["patient", "name"], name="one_site_name_per_patient")]
        verbose_name = _("measurement site")

    def __str__(self) -> str:
        return self.name


class AnalysisStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for analysis")
    RUNNING = "running", _("Being analysed")
    DONE = "done", _("Analysed")
    FAILED = "failed", _("Analysis failed")


def _image_path(instance, filename: str) -> str:
    return f"trichoscopy/{instance.clinic_id}/{instance.patient_id}/{instance.uuid}-{filename}"


class TrichoscopyImage(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="trichoscopy_images")
    site = models.ForeignKey(MeasurementSite, on_delete=models.PROTECT, related_name="images")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    taken_on = models.DateField(_("taken on"))
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="images", null=True, blank=True)
    um_per_px = models.FloatField(
        _("scale (µm per pixel)"), validators=[MinValueValidator(0.5), MaxValueValidator(50)]
    )
    file = models.FileField(storage=private_storage, upload_to=_image_path, max_length=300)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    # The analysis (by the background task).
    status = models.CharField(max_length=8, choices=AnalysisStatus.choices, default=AnalysisStatus.QUEUED)
    status_changed_at = models.DateTimeField(default=timezone.now)
    error = models.TextField(blank=True)
    engine_version = models.CharField(max_length=40, blank=True)
    results = models.JSONField(default=dict, blank=True)
    overlay = models.FileField(storage=private_storage, upload_to=_image_path, max_length=300, blank=True)
    hair_count = models.PositiveIntegerField(null=True, blank=True)
    area_cm2 = models.FloatField(null=True, blank=True)
    density_per_cm2 = models.FloatField(null=True, blank=True)
    mean_thickness_um = models.FloatField(null=True, blank=True)
    median_thickness_um = models.FloatField(null=True, blank=True)
    vellus_fraction = models.FloatField(null=True, blank=True)
    terminal_fraction = models.FloatField(null=True, blank=True)
    follicular_units = models.PositiveIntegerField(null=True, blank=True)
    hairs_per_unit = models.FloatField(null=True, blank=True)
    # A practitioner's correction of the count: both kept, the corrected one used.
    corrected_count = models.PositiveIntegerField(_("corrected hair count"), null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    corrected_at = models.DateTimeField(null=True, blank=True)
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    entered_in_error = models.BooleanField(default=False)
    entered_in_error_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["site", "-taken_on", "-id"]
        indexes = [models.Index(fields=["patient", "taken_on"], name="trichoscopy_patient_date")]
        verbose_name = _("trichoscopy image")

    def __str__(self) -> str:
        return f"{self.site} {self.taken_on}"

    @property
    def count_used(self) -> int | None:
        """The corrected count when there is one, else the engine's."""
        return self.corrected_count if self.corrected_count is not None else self.hair_count

    @property
    def density_used(self) -> float | None:
        count = self.count_used
        if count is None or not self.area_cm2:
            return None
        return count / self.area_cm2


class TrichoscopyPair(models.Model):
    """Two images of one clipped site a few days apart: which hairs grew (anagen) and which did not."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="trichoscopy_pairs")
    site = models.ForeignKey(MeasurementSite, on_delete=models.PROTECT, related_name="pairs")
    day0 = models.ForeignKey(TrichoscopyImage, on_delete=models.PROTECT, related_name="+")
    day2 = models.ForeignKey(TrichoscopyImage, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=AnalysisStatus.choices, default=AnalysisStatus.QUEUED)
    status_changed_at = models.DateTimeField(default=timezone.now)
    error = models.TextField(blank=True)
    results = models.JSONField(default=dict, blank=True)
    anagen_fraction = models.FloatField(null=True, blank=True)
    telogen_fraction = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["site", "-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["day0", "day2"], name="one_pair_per_two_images")]

    def __str__(self) -> str:
        return f"{self.site} {self.day0_id}/{self.day2_id}"


class MeasurementKind(models.TextChoices):
    DENSITY = "density_per_cm2", _("Hair density (hairs/cm²)")
    COUNT = "hair_count", _("Hair count in the field")
    THICKNESS = "mean_thickness_um", _("Mean hair thickness (µm)")
    VELLUS = "vellus_fraction", _("Vellus share (0–1)")
    ANAGEN = "anagen_fraction", _("Anagen share (0–1)")


class Measurement(models.Model):
    """A measurement entered by hand (another device, a lab, a report), with its source."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="measurements")
    site = models.ForeignKey(
        MeasurementSite, on_delete=models.PROTECT, related_name="measurements", null=True, blank=True
    )
    measured_on = models.DateField(_("measured on"))
    kind = models.CharField(_("what"), max_length=20, choices=MeasurementKind.choices)
    value = models.FloatField(_("value"))
    source = models.CharField(
        _("source"),
        max_length=300,
        help_text=_("Where the figure comes from: device and software, or the report it was read from."),
    )
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)
    entered_in_error = models.BooleanField(default=False)
    entered_in_error_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["patient", "-measured_on", "-id"]
        verbose_name = _("measurement")

    def __str__(self) -> str:
        return f"{self.kind} {self.value} ({self.measured_on})"


class OutcomeSettings(models.Model):
    """Clinic policy for naming a response at a checkpoint (defaults in data/response_policy.yaml)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="outcome_settings")
    responder_pct = models.FloatField(
        _("responder: density change at least (%)"), validators=[MinValueValidator(0), MaxValueValidator(500)]
    )
    partial_pct = models.FloatField(
        _("partial response: density change at least (%)"),
        validators=[MinValueValidator(0), MaxValueValidator(500)],
    )
    worse_pct = models.FloatField(
        _("worse: density change at most (%)"), validators=[MinValueValidator(-100), MaxValueValidator(0)]
    )
    window_days = models.PositiveSmallIntegerField(
        _("a visit counts for a checkpoint within (days)"),
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name = _("outcome settings")

    def __str__(self) -> str:
        return f"{self.clinic_id}: ≥{self.responder_pct}%"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.partial_pct > self.responder_pct:
            raise ValidationError({"partial_pct": _("A partial response cannot need more than a full one.")})
