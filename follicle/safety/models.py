"""Adverse events: reported on a session (later also by the patient), graded, followed to resolution.

The term is a key of the reference catalogue's adverse events, or "other" with a description.
Severity is graded 1–5 after the general grade definitions of the NCI Common Terminology Criteria
for Adverse Events (CTCAE v5.0); seriousness follows the ICH E2A criteria. How long an open event
of a given term may last before it is *overdue* is the clinic's policy (`OverduePolicy`, defaults
in data/overdue_defaults.yaml), not evidence; a periodic task flags overdue events.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from follicle.core.models import Clinic
from follicle.formulations.models import Lot
from follicle.patients.models import Patient
from follicle.procedures.models import SessionRecord

OTHER = "other"

GRADING_SOURCE = (
    "National Cancer Institute. Common Terminology Criteria for Adverse Events (CTCAE) v5.0, "
    "27 Nov 2017: general grade definitions."
)
SERIOUSNESS_SOURCE = (
    "ICH E2A: Clinical Safety Data Management — Definitions and Standards for Expedited Reporting (1994)."
)


class Grade(models.IntegerChoices):
    MILD = 1, _("Grade 1 — mild: no or mild symptoms; observation only, no intervention needed")
    MODERATE = 2, _("Grade 2 — moderate: minimal, local or non-invasive intervention needed")
    SEVERE = 3, _("Grade 3 — severe or medically significant, not immediately life-threatening")
    LIFE_THREATENING = 4, _("Grade 4 — life-threatening: urgent intervention needed")
    DEATH = 5, _("Grade 5 — death related to the event")


GRADE_SHORT = {
    1: _("mild"),
    2: _("moderate"),
    3: _("severe"),
    4: _("life-threatening"),
    5: _("death"),
}


class Seriousness(models.TextChoices):
    DEATH = "death", _("Resulted in death")
    LIFE_THREATENING = "life_threatening", _("Life-threatening")
    HOSPITALISATION = "hospitalisation", _("Required or prolonged hospitalisation")
    DISABILITY = "disability", _("Persistent or significant disability or incapacity")
    CONGENITAL = "congenital", _("Congenital anomaly or birth defect")
    MEDICALLY_IMPORTANT = "medically_important", _("Other medically important event")


def _check_criteria(value) -> None:
    if not isinstance(value, list) or any(v not in Seriousness.values for v in value):
        raise ValidationError(_("Choose seriousness criteria from the list."))


class EventStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("adverse event status", "Open")
    RESOLVED = "resolved", pgettext_lazy("adverse event status", "Resolved")
    ENTERED_IN_ERROR = "in_error", _("Entered in error")


class Outcome(models.TextChoices):
    """The outcome at resolution (the FHIR AdverseEvent outcome value set)."""

    RECOVERED = "recovered", _("Recovered / resolved")
    RECOVERED_WITH_SEQUELAE = "sequelae", _("Recovered with lasting effects")
    NOT_RECOVERED = "not_recovered", _("Not recovered, no further follow-up")
    FATAL = "fatal", _("Fatal")
    UNKNOWN = "unknown", _("Unknown (lost to follow-up)")


class Source(models.TextChoices):
    STAFF = "staff", _("Staff")
    PATIENT = "patient", _("Patient")


class AdverseEvent(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="adverse_events")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="adverse_events")
    session = models.ForeignKey(
        SessionRecord, on_delete=models.PROTECT, related_name="adverse_events", null=True, blank=True
    )
    term = models.CharField(_("term"), max_length=60)  # reference catalogue key, or "other"
    term_name = models.CharField(max_length=300)  # the term's name when reported
    description = models.TextField(_("description"), blank=True)
    grade = models.PositiveSmallIntegerField(_("severity grade"), choices=Grade.choices)
    serious = models.BooleanField(_("serious"), default=False)
    seriousness_criteria = models.JSONField(
        _("seriousness criteria"), default=list, blank=True, validators=[_check_criteria]
    )
    onset_date = models.DateField(_("onset"))
    action_taken = models.TextField(_("action taken"), blank=True)
    lots = models.ManyToManyField(Lot, through="AdverseEventLot", related_name="adverse_events", blank=True)
    status = models.CharField(max_length=10, choices=EventStatus.choices, default=EventStatus.OPEN)
    status_changed_at = models.DateTimeField(default=timezone.now)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("outcome note"), blank=True)
    overdue_since = models.DateField(null=True, blank=True)  # set by the periodic overdue check
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.STAFF)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-onset_date", "-id"]
        indexes = [
            models.Index(fields=["clinic", "status"], name="ae_clinic_status"),
            models.Index(fields=["clinic", "onset_date"], name="ae_clinic_onset"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="resolved")
                | (models.Q(resolved_on__isnull=False) & ~models.Q(outcome="")),
                name="ae_resolved_has_date_and_outcome",
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_on__isnull=True)
                | models.Q(resolved_on__gte=models.F("onset_date")),
                name="ae_resolved_after_onset",
            ),
            models.CheckConstraint(
                condition=models.Q(grade__gte=1) & models.Q(grade__lte=5), name="ae_grade_range"
            ),
        ]
        verbose_name = _("adverse event")
        verbose_name_plural = _("adverse events")

    def __str__(self) -> str:
        return f"{self.term_label} ({self.onset_date})"

    @property
    def is_open(self) -> bool:
        return self.status == EventStatus.OPEN

    @property
    def term_label(self) -> str:
        """The term as shown: the catalogue's name, or "Other" in the reader's language."""
        return str(_("Other")) if self.term == OTHER else self.term_name

    @property
    def grade_short(self) -> str:
        return str(GRADE_SHORT.get(self.grade, ""))

    def days_open(self, today: dt.date | None = None) -> int:
        end = self.resolved_on or today or timezone.localdate()
        return (end - self.onset_date).days

    def clean(self) -> None:
        if self.serious and not self.seriousness_criteria:
            raise ValidationError({"seriousness_criteria": _("Say why the event is serious.")})
        if self.seriousness_criteria and not self.serious:
            raise ValidationError({"serious": _("An event that meets a seriousness criterion is serious.")})
        if self.term == OTHER and not self.description.strip():
            raise ValidationError({"description": _("Describe an event reported as “other”.")})


class AdverseEventLot(models.Model):
    """A product lot suspected in the event."""

    event = models.ForeignKey(AdverseEvent, on_delete=models.CASCADE, related_name="lot_links")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "lot"], name="one_link_per_lot")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.lot_id}"


class Trend(models.TextChoices):
    IMPROVING = "improving", _("Improving")
    UNCHANGED = "unchanged", _("Unchanged")
    WORSE = "worse", _("Worse")


class FollowUp(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="follow_ups")
    at = models.DateTimeField(_("when"), default=timezone.now)
    trend = models.CharField(_("since last time"), max_length=10, choices=Trend.choices)
    note = models.TextField(_("note"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["event", "at", "id"]
        verbose_name = _("follow-up")

    def __str__(self) -> str:
        return f"{self.event_id} {self.at:%Y-%m-%d}"


class EventStatusChange(models.Model):
    event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=EventStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=EventStatus.choices)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["event", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.from_status}→{self.to_status}"


class OverduePolicy(models.Model):
    """Clinic policy: an open event of `term` is overdue `days` days after its onset."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="overdue_policies")
    term = models.CharField(_("term"), max_length=60)  # reference key or "other"
    days = models.PositiveSmallIntegerField(
        _("overdue after (days)"), validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["clinic", "term"]
        constraints = [models.UniqueConstraint(fields=["clinic", "term"], name="one_policy_per_term")]
        verbose_name = _("overdue policy")

    def __str__(self) -> str:
        return f"{self.term}: {self.days} d"
