"""Writes for measurement devices."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from follicle.core.audit import Auditor
from follicle.core.models import Clinic
from follicle.outcomes.models import Device


@transaction.atomic
def device_calibrate(*, clinic: Clinic, auditor: Auditor, name: str, um_per_px: float) -> Device:
    """Store (or update) a named device's scale; every calibration is audited."""
    device = Device.objects.select_for_update().filter(clinic=clinic, name=name).first()
    old = device.um_per_px if device else None
    if device is None:
        device = Device(clinic=clinic, name=name, um_per_px=um_per_px)
    device.um_per_px = um_per_px
    device.calibrated_at = timezone.now()
    device.calibrated_by = auditor.actor
    device.full_clean()
    device.save()
    auditor.log(
        "device.calibrate",
        obj=device,
        clinic=clinic,
        detail={"name": name, "um_per_px": round(um_per_px, 5), "previous": old},
    )
    return device
