"""What happens in the treatment room: the same-day safety check and the session record.

A session of a treatment plan is opened from its appointment. First a `SafetyCheck` for that
appointment, on the day: the system's checks (consent, screening, plan, the formulation's
contraindications) and the same-day questions; any hard stop blocks the session, cautions need a
practitioner's acknowledgement. Then the `SessionRecord`: the lot of each product used
(`SessionLot`, stock taken from the lot), injections per scalp zone (`InjectionZone`), the
delivery details, pain, times, combined therapies confirmed (`TherapyConfirmation`). A
practitioner signs it; a signed record is locked and corrections are `SessionAddendum` rows.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from follicle.core.models import Clinic
from follicle.formulations.models import FormulationVersion, Lot, Product
from follicle.patients.models import Patient
from follicle.scheduling.models import Appointment
from follicle.treatments.models import CombinedTherapy, PlannedSession, Technique, TreatmentPlan, Zone


class SameDay(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    NOT_APPLICABLE = "na", _("Not applicable")


class CheckResult(models.TextChoices):
    CLEAR = "clear", _("Clear")
    CAUTION = "caution", _("Cautions to acknowledge")
    BLOCKED = "blocked", _("Blocked")


class SafetyCheck(models.Model):
    """The pre-session check of one appointment, on its day. A new check replaces an earlier one."""

    # The same-day questions, in the order they are asked (data/same_day_rules.yaml maps answers
    # to the reference catalogue's contraindications).
    QUESTIONS = (
        "pregnant_or_breastfeeding",
        "new_anticoagulant",
        "new_medicines",
        "feeling_unwell",
        "scalp_infection_or_wound",
        "previous_effects_resolved",
    )

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="safety_checks")
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="safety_checks")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="+")
    pregnant_or_breastfeeding = models.CharField(
        _("pregnant or breastfeeding, or could be pregnant"), max_length=3, choices=SameDay.choices
    )
    new_anticoagulant = models.CharField(
        _("started a blood thinner (anticoagulant or antiplatelet) since the last visit"),
        max_length=3,
        choices=SameDay.choices,
    )
    new_medicines = models.CharField(
        _("any other new medicine or supplement since the last visit"), max_length=3, choices=SameDay.choices
    )
    medicines_detail = models.TextField(_("which medicines"), blank=True)
    feeling_unwell = models.CharField(
        _("feeling unwell today (fever, infection)"), max_length=3, choices=SameDay.choices
    )
    scalp_infection_or_wound = models.CharField(
        _("scalp infection, wound or flare since the last visit"), max_length=3, choices=SameDay.choices
    )
    previous_effects_resolved = models.CharField(
        _("side effects of the previous session have resolved"), max_length=3, choices=SameDay.choices
    )
    notes = models.TextField(_("notes"), blank=True)
    hard_stops = models.JSONField(default=list, blank=True)  # [{code, title, detail, sources}]
    cautions = models.JSONField(default=list, blank=True)
    result = models.CharField(max_length=8, choices=CheckResult.choices)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.TextField(_("acknowledgement note"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["appointment", "-recorded_at", "-id"]
        verbose_name = _("pre-session safety check")

    def __str__(self) -> str:
        return f"{self.appointment_id} {self.result}"

    @property
    def passed(self) -> bool:
        """No hard stop, and every caution acknowledged by a practitioner."""
        if self.result == CheckResult.BLOCKED:
            return False
        return self.result == CheckResult.CLEAR or self.acknowledged_at is not None

    @property
    def needs_acknowledgement(self) -> bool:
        return self.result == CheckResult.CAUTION and self.acknowledged_at is None

    def answer_rows(self) -> list[tuple[str, str]]:
        return [
            (str(self._meta.get_field(name).verbose_name), self.get_field_display_for(name))
            for name in self.QUESTIONS
        ]

    def get_field_display_for(self, name: str) -> str:
        return str(dict(SameDay.choices).get(getattr(self, name), getattr(self, name)))


class RecordStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")
    ENTERED_IN_ERROR = "in_error", _("Entered in error")


class SessionRecord(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="session_records")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="session_records")
    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="session_record")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="session_records")
    planned_session = models.ForeignKey(
        PlannedSession, on_delete=models.PROTECT, related_name="records", null=True, blank=True
    )
    safety_check = models.ForeignKey(SafetyCheck, on_delete=models.PROTECT, related_name="+")
    formulation_version = models.ForeignKey(FormulationVersion, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    technique = models.CharField(_("technique"), max_length=20, choices=Technique.choices, blank=True)
    needle_gauge = models.PositiveSmallIntegerField(
        _("needle gauge (G)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(18), MaxValueValidator(34)],
    )
    needle_length_mm = models.DecimalField(
        _("needle length (mm)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(40)],
    )
    depth_mm = models.DecimalField(
        _("depth (mm)"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    prepared_volume_ml = models.DecimalField(
        _("volume prepared (mL)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    topical_anaesthetic = models.BooleanField(_("topical anaesthetic used"), default=False)
    anaesthetic_detail = models.CharField(
        _("anaesthetic (product, minutes applied)"), max_length=200, blank=True
    )
    pain_score = models.PositiveSmallIntegerField(
        _("pain score (0–10)"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(max_length=10, choices=RecordStatus.choices, default=RecordStatus.DRAFT)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_hash = models.CharField(max_length=64, blank=True)  # SHA-256 of the content as signed
    entered_in_error_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["clinic", "status"], name="record_clinic_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(started_at__isnull=True)
                | models.Q(ended_at__gt=models.F("started_at")),
                name="record_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="signed") | models.Q(signed_at__isnull=False),
                name="record_signed_has_time",
            ),
        ]
        verbose_name = _("session record")

    def __str__(self) -> str:
        return f"{self.patient_id} {self.created_at:%Y-%m-%d}"

    @property
    def is_locked(self) -> bool:
        return self.status != RecordStatus.DRAFT

    @property
    def minutes(self) -> int | None:
        if self.started_at and self.ended_at:
            return int((self.ended_at - self.started_at).total_seconds() // 60)
        return None

    def clean(self) -> None:
        if self.started_at and self.ended_at and self.ended_at <= self.started_at:
            raise ValidationError({"ended_at": _("The end is not after the start.")})


class SessionLot(models.Model):
    """The lot one product of the formulation came from in this session, and the vials taken."""

    record = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="lots")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="session_uses")
    vials = models.PositiveSmallIntegerField(_("vials"), default=1, validators=[MinValueValidator(1)])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["record", "product__name", "id"]
        constraints = [models.UniqueConstraint(fields=["record", "product"], name="one_lot_per_product")]

    def __str__(self) -> str:
        return f"{self.lot_id} ×{self.vials}"


class InjectionZone(models.Model):
    record = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="zones")
    zone = models.CharField(_("zone"), max_length=20, choices=Zone.choices)
    points = models.PositiveSmallIntegerField(
        _("injection points"), validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    volume_ml = models.DecimalField(
        _("volume (mL)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0.01), MaxValueValidator(50)],
    )

    class Meta:
        ordering = ["record", "id"]
        constraints = [models.UniqueConstraint(fields=["record", "zone"], name="one_row_per_zone")]

    def __str__(self) -> str:
        return f"{self.zone} {self.points} × {self.volume_ml} mL"


class TherapyStatus(models.TextChoices):
    TAKING = "taking", _("Taking as planned")
    IRREGULAR = "irregular", _("Taking irregularly")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")


class TherapyConfirmation(models.Model):
    """At a session: is the patient keeping to each combined therapy of the plan?"""

    record = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="therapies")
    therapy = models.ForeignKey(CombinedTherapy, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=TherapyStatus.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["record", "id"]
        constraints = [
            models.UniqueConstraint(fields=["record", "therapy"], name="one_confirmation_per_therapy")
        ]

    def __str__(self) -> str:
        return f"{self.therapy_id} {self.status}"


class SessionAddendum(models.Model):
    """A correction or addition to a signed record: the record itself never changes after signing."""

    record = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField(_("addendum"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["record", "at", "id"]
        verbose_name = _("addendum")

    def __str__(self) -> str:
        return f"{self.record_id} {self.at:%Y-%m-%d %H:%M}"
