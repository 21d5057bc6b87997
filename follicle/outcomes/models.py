"""Measurement devices (dermoscopes with their calibrated scale); outcomes come in a later issue."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from follicle.core.models import Clinic


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
