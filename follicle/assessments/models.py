"""Hair-loss assessments and suitability-screening decisions."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from follicle.patients.models import MedicalHistory, Patient


class Severity(models.IntegerChoices):
    NONE = 0, _("None")
    MILD = 1, _("Mild")
    MODERATE = 2, _("Moderate")
    SEVERE = 3, _("Severe")


class PullTest(models.TextChoices):
    NOT_DONE = "not_done", _("Not done")
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")


class Assessment(models.Model):
    """A practitioner's assessment: diagnosis and stage on the scale that fits it, scalp condition."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessments")
    assessed_at = models.DateTimeField(_("assessed at"), default=timezone.now)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    diagnosis = models.CharField(_("diagnosis"), max_length=60)  # reference catalogue key
    scale = models.CharField(_("scale"), max_length=60, blank=True)  # reference catalogue key
    grade = models.CharField(_("grade"), max_length=40, blank=True)
    pull_test = models.CharField(
        _("hair pull test"), max_length=10, choices=PullTest.choices, default=PullTest.NOT_DONE
    )
    pull_test_hairs = models.PositiveSmallIntegerField(
        _("hairs pulled out"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    sebum = models.PositiveSmallIntegerField(
        _("sebum (oiliness)"), choices=Severity.choices, default=Severity.NONE
    )
    scaling = models.PositiveSmallIntegerField(
        _("scaling / dandruff"), choices=Severity.choices, default=Severity.NONE
    )
    erythema = models.PositiveSmallIntegerField(
        _("erythema"), choices=Severity.choices, default=Severity.NONE
    )
    inflammation = models.PositiveSmallIntegerField(
        _("inflammation"), choices=Severity.choices, default=Severity.NONE
    )
    trichoscopy_findings = models.JSONField(_("trichoscopy findings"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    entered_in_error = models.BooleanField(default=False)
    entered_in_error_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-assessed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sebum__lte=3, scaling__lte=3, erythema__lte=3, inflammation__lte=3),
                name="scalp_scores_0_to_3",
            ),
        ]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self) -> str:
        return f"{self.diagnosis} {self.scale} {self.grade} ({self.assessed_at:%Y-%m-%d})"


class ScreeningResult(models.TextChoices):
    SUITABLE = "suitable", _("Suitable")
    CAUTION = "caution", _("Caution")
    NOT_SUITABLE = "not_suitable", _("Not suitable")


class ScreeningDecision(models.Model):
    """The practitioner's suitability decision, with what the rules computed at the time.

    It records the history version and assessment it was based on: when either changes, the
    decision is out of date until someone reviews it.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    history = models.ForeignKey(MedicalHistory, on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    computed_result = models.CharField(max_length=15, choices=ScreeningResult.choices)
    reasons = models.JSONField(default=list, blank=True)  # what the rules found, each with its sources
    not_asked = models.JSONField(default=list, blank=True)  # unanswered questions that could hide a hard stop
    catalogue_version = models.CharField(max_length=64, blank=True)
    result = models.CharField(_("decision"), max_length=15, choices=ScreeningResult.choices)
    override_reason = models.TextField(_("reason for differing from the computed result"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(result=models.F("computed_result")) | ~models.Q(override_reason=""),
                name="override_needs_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.result} ({self.decided_at:%Y-%m-%d})"

    @property
    def is_override(self) -> bool:
        return self.result != self.computed_result
