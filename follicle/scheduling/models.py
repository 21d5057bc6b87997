"""Rooms, practitioners' hours, appointment types, appointments (never double-booked), reminders.

No practitioner and no room is ever booked twice for overlapping active appointments: on
PostgreSQL an exclusion constraint (btree_gist) refuses it in the database; on SQLite the booking
service checks for overlaps inside an IMMEDIATE transaction, which holds the database's write lock,
so two bookings cannot interleave (migration 0002 and services.py).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from follicle.core.models import Clinic, OpeningHours
from follicle.patients.models import Patient


class Room(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(_("name"), max_length=80)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["clinic", "name"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="one_room_name_per_clinic")]

    def __str__(self) -> str:
        return self.name


class PractitionerHours(models.Model):
    """When a practitioner works in a clinic on a weekday (within the clinic's opening hours)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="practitioner_hours")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=OpeningHours.Weekday.choices)
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))

    class Meta:
        ordering = ["clinic", "practitioner", "weekday"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "practitioner", "weekday"], name="one_hours_row_per_weekday"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="hours_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.practitioner_id} {self.get_weekday_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"
        )


class PractitionerAbsence(models.Model):
    """Days off: holidays, training, sick leave."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="practitioner_absences")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences"
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until (inclusive)"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        ordering = ["clinic", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="absence_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practitioner_id} {self.start_date}–{self.end_date}"


class AppointmentType(models.Model):
    class Code(models.TextChoices):
        CONSULTATION = "consultation", _("Consultation")
        SESSION = "session", _("Mesotherapy session")
        FOLLOW_UP = "follow_up", _("Follow-up")
        PHOTO = "photo", _("Photo / trichoscopy visit")

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="appointment_types")
    code = models.CharField(_("kind"), max_length=20, choices=Code.choices)
    name = models.CharField(_("name"), max_length=80)
    default_minutes = models.PositiveSmallIntegerField(
        _("default length (minutes)"), validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    needs_room = models.BooleanField(_("needs a treatment room"), default=True)

    class Meta:
        ordering = ["clinic", "code"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "code"], name="one_appointment_type_per_code")
        ]

    def __str__(self) -> str:
        return self.name


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    DONE = "done", _("Done")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")


# Statuses that hold the practitioner's and the room's time.
ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.DONE)


class Appointment(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, related_name="appointments", null=True, blank=True
    )
    type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="appointments")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    status_reason = models.TextField(_("reason"), blank=True)
    # The plan session this appointment is for (mesotherapy sessions of a treatment plan).
    planned_session = models.ForeignKey(
        "treatments.PlannedSession",
        on_delete=models.PROTECT,
        related_name="appointments",
        null=True,
        blank=True,
    )
    notes = models.TextField(_("notes for the front desk"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["clinic", "starts_at"], name="appointment_clinic_start"),
            models.Index(fields=["practitioner", "starts_at"], name="appointment_practitioner_start"),
            models.Index(fields=["room", "starts_at"], name="appointment_room_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} {self.starts_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def plan_moved_to(self):
        """The plan session's new date when the plan was shifted after this appointment was booked."""
        session = self.planned_session
        if session is None or self.status != AppointmentStatus.BOOKED or session.status != "planned":
            return None
        booked_on = timezone.localtime(self.starts_at).date()
        return session.planned_date if session.planned_date != booked_on else None


class AppointmentStatusChange(models.Model):
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=AppointmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=AppointmentStatus.choices)
    reason = models.TextField(blank=True)
    # A move keeps its old and new times here.
    old_starts_at = models.DateTimeField(null=True, blank=True)
    new_starts_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["appointment", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.from_status} → {self.to_status}"


class SchedulingSettings(models.Model):
    """Clinic policy (not evidence), shown as such: how far ahead reminders go out, slot grid."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="scheduling_settings")
    reminder_hours_before = models.PositiveSmallIntegerField(
        _("send reminders this many hours before"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(336)],
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot grid (minutes)"), default=15, validators=[MinValueValidator(5), MaxValueValidator(60)]
    )

    def __str__(self) -> str:
        return f"scheduling settings of {self.clinic_id}"


class Reminder(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    send_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["send_at", "id"]

    def __str__(self) -> str:
        return f"reminder {self.appointment_id} {self.status}"


class CalendarFeed(models.Model):
    """A practitioner's secret iCalendar feed URL; only a hash of its token is kept."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="calendar_feeds")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "practitioner"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_feed_per_practitioner",
            )
        ]

    def __str__(self) -> str:
        return f"feed {self.practitioner_id}@{self.clinic_id}"
