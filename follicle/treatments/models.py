"""Protocol templates, treatment plans (a snapshot of a template), planned sessions and checkpoints.

A clinic keeps protocol templates: ordered phases (count × interval) with default technique,
depth, needle, volume and zones, and the published protocols they derive from. A plan copies a
template's phases at creation, so editing the template later never changes a plan that uses it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from follicle.assessments.models import Assessment
from follicle.core.models import Clinic
from follicle.formulations.models import FormulationVersion
from follicle.patients.models import Patient


class Zone(models.TextChoices):
    FRONTAL = "frontal", _("Frontal")
    MID_SCALP = "mid_scalp", _("Mid-scalp")
    VERTEX = "vertex", _("Vertex")
    TEMPORAL_LEFT = "temporal_left", _("Temporal, left")
    TEMPORAL_RIGHT = "temporal_right", _("Temporal, right")
    OCCIPITAL = "occipital", _("Occipital")


class Technique(models.TextChoices):
    """Keys of the reference catalogue's injection techniques (kind "injection_technique")."""

    NAPPAGE = "nappage", _("Nappage")
    PAPULE = "papule", _("Papule / micro-papule")
    POINT_BY_POINT = "point_by_point", _("Point-by-point")
    MESOGUN = "mesogun", _("Injector gun (mesogun)")


def _check_zones(value) -> None:
    if not isinstance(value, list) or any(z not in Zone.values for z in value):
        raise ValidationError(_("Choose zones from the list."))


def _check_months(value) -> None:
    if not isinstance(value, list) or any(not isinstance(m, int) or not 0 <= m <= 120 for m in value):
        raise ValidationError(_("Give whole months from 0 to 120."))


class TreatmentFields(models.Model):
    """The delivery defaults a template suggests and a plan copies."""

    technique = models.CharField(_("technique"), max_length=20, choices=Technique.choices, blank=True)
    depth_mm = models.DecimalField(
        _("depth (mm)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    needle = models.CharField(_("needle (gauge × length)"), max_length=60, blank=True)
    volume_ml = models.DecimalField(
        _("volume per session (mL)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    zones = models.JSONField(_("zones treated"), default=list, blank=True, validators=[_check_zones])
    checkpoints_months = models.JSONField(
        _("outcome checkpoints (months after start)"),
        default=list,
        blank=True,
        validators=[_check_months],
    )

    class Meta:
        abstract = True

    def zone_labels(self) -> list[str]:
        return [Zone(z).label for z in self.zones if z in Zone.values]


class ProtocolTemplate(TreatmentFields):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="protocol_templates")
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    # Which published protocols (reference catalogue keys) this derives from, and their citations.
    source_keys = models.JSONField(default=list, blank=True)
    source_citations = models.JSONField(default=list, blank=True)
    # field name -> {"protocol": key, "field": reference field, "value": text taken} for display.
    field_sources = models.JSONField(default=dict, blank=True)
    is_archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="one_protocol_template_name_per_clinic")
        ]
        verbose_name = _("protocol template")
        verbose_name_plural = _("protocol templates")

    def __str__(self) -> str:
        return self.name


class PhaseFields(models.Model):
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("phase"), max_length=80)
    # None: open-ended ("until stopped"), e.g. maintenance.
    sessions = models.PositiveSmallIntegerField(
        _("sessions"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    interval_days = models.PositiveSmallIntegerField(
        _("interval (days)"), validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    interval_max_days = models.PositiveSmallIntegerField(
        _("interval up to (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("For a range such as every 30–90 days; sessions are planned at the shorter interval."),
    )
    source = models.TextField(_("source"), blank=True)

    class Meta:
        abstract = True

    @property
    def open_ended(self) -> bool:
        return self.sessions is None

    def clean(self) -> None:
        if (
            self.interval_max_days is not None
            and self.interval_days
            and self.interval_max_days < self.interval_days
        ):
            raise ValidationError(
                {"interval_max_days": _("The longest interval is shorter than the interval.")}
            )


class ProtocolPhase(PhaseFields):
    template = models.ForeignKey(ProtocolTemplate, on_delete=models.CASCADE, related_name="phases")

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="one_protocol_phase_per_position"),
            models.CheckConstraint(
                condition=models.Q(interval_max_days__isnull=True)
                | models.Q(interval_max_days__gte=models.F("interval_days")),
                name="protocol_phase_interval_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template}: {self.name}"


class TreatmentSettings(models.Model):
    """Clinic policy where the literature gives no number (DESIGN.md): never shown as evidence."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="treatment_settings")
    base_minutes = models.PositiveSmallIntegerField(
        _("session length: base minutes"),
        default=20,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    minutes_per_zone = models.PositiveSmallIntegerField(
        _("session length: minutes per zone treated"),
        default=5,
        validators=[MaxValueValidator(60)],
    )
    horizon_months = models.PositiveSmallIntegerField(
        _("plan open-ended phases this many months ahead"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name = _("treatment settings")
        verbose_name_plural = _("treatment settings")

    def __str__(self) -> str:
        return f"{self.clinic}: {self.base_minutes} + {self.minutes_per_zone}/zone"

    def session_minutes(self, zones: int) -> int:
        return self.base_minutes + self.minutes_per_zone * max(zones, 1)


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")


class TreatmentPlan(TreatmentFields):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="treatment_plans")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="treatment_plans")
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="+")
    formulation_version = models.ForeignKey(FormulationVersion, on_delete=models.PROTECT, related_name="+")
    protocol = models.ForeignKey(
        ProtocolTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="plans"
    )
    # Snapshot of the template at creation.
    protocol_name = models.CharField(_("protocol"), max_length=150)
    source_keys = models.JSONField(default=list, blank=True)
    source_citations = models.JSONField(default=list, blank=True)
    goals = models.TextField(_("goals"), blank=True)
    start_date = models.DateField(_("start date"))
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    # How far open-ended phases have been planned (None when every phase has a count).
    scheduled_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="active"),
                name="one_active_plan_per_patient",
            )
        ]
        indexes = [models.Index(fields=["clinic", "status"], name="plan_clinic_status")]
        verbose_name = _("treatment plan")
        verbose_name_plural = _("treatment plans")

    def __str__(self) -> str:
        return f"{self.protocol_name} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.PAUSED)


class PlanPhase(PhaseFields):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="phases")

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="one_plan_phase_per_position"),
        ]

    def __str__(self) -> str:
        return self.name


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class PlannedSession(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="sessions")
    phase = models.ForeignKey(PlanPhase, on_delete=models.PROTECT, related_name="planned_sessions")
    number = models.PositiveSmallIntegerField()  # 1, 2, … across the plan
    planned_date = models.DateField(_("date"))
    original_date = models.DateField()  # as first generated, before any shift
    status = models.CharField(
        _("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.PLANNED
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_planned_session_number")]

    def __str__(self) -> str:
        return f"#{self.number} {self.planned_date:%Y-%m-%d} {self.status}"


class SessionDateChange(models.Model):
    """One row per date a session was moved from and to: the move itself or the shift it caused."""

    session = models.ForeignKey(PlannedSession, on_delete=models.CASCADE, related_name="date_changes")
    old_date = models.DateField()
    new_date = models.DateField()
    reason = models.CharField(max_length=20)  # "moved", "shifted", "missed"
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.old_date:%Y-%m-%d} → {self.new_date:%Y-%m-%d} ({self.reason})"


class OutcomeCheckpoint(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="checkpoints")
    months = models.PositiveSmallIntegerField()
    due_date = models.DateField()

    class Meta:
        ordering = ["plan", "months"]
        constraints = [models.UniqueConstraint(fields=["plan", "months"], name="one_checkpoint_per_month")]

    def __str__(self) -> str:
        return f"M{self.months} {self.due_date:%Y-%m-%d}"


class PlanStatusChange(models.Model):
    """Immutable history of a plan's status, written by the same service call as the change."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=PlanStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=PlanStatus.choices)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(to_status="stopped") | ~models.Q(reason=""), name="plan_stop_needs_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class TherapyKind(models.TextChoices):
    TOPICAL_MINOXIDIL = "topical_minoxidil", _("Topical minoxidil")
    ORAL_MINOXIDIL = "oral_minoxidil", _("Oral minoxidil")
    FINASTERIDE = "finasteride", _("Finasteride")
    DUTASTERIDE = "dutasteride", _("Dutasteride")
    LLLT = "lllt", _("Low-level laser")
    PRP = "prp", _("PRP")
    SHAMPOO = "shampoo", _("Shampoo")
    OTHER = "other", _("Other")


class CombinedTherapy(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="therapies")
    kind = models.CharField(_("kind"), max_length=20, choices=TherapyKind.choices)
    start = models.DateField(_("start"), null=True, blank=True)
    stop = models.DateField(_("stop"), null=True, blank=True)
    dose = models.CharField(_("dose"), max_length=120, blank=True)
    instructions = models.TextField(_("instructions"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["plan", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stop__isnull=True)
                | models.Q(start__isnull=True)
                | models.Q(stop__gte=models.F("start")),
                name="therapy_stop_after_start",
            )
        ]
        verbose_name = _("combined therapy")
        verbose_name_plural = _("combined therapies")

    def __str__(self) -> str:
        return self.get_kind_display()

    def clean(self) -> None:
        if self.start and self.stop and self.stop < self.start:
            raise ValidationError({"stop": _("The stop date is before the start date.")})


class PlanAcknowledgement(models.Model):
    """A practitioner acknowledged a caution of the patient check before activating the plan."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="acknowledgements")
    code = models.CharField(max_length=120)
    text = models.TextField()  # the caution as shown when it was acknowledged
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["plan", "at", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="one_acknowledgement_per_code")]

    def __str__(self) -> str:
        return self.code
