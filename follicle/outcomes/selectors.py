"""Reads of measurement sites, trichoscopy images, pairs and hand-entered measurements.

Every read is scoped by construction: by the clinic (for an object named by its UUID) or by a
patient or site already loaded through an access helper. An object of another clinic is simply
not found.
"""

from __future__ import annotations

from django.db.models import Prefetch

from follicle.core.models import Clinic
from follicle.outcomes.models import (
    AnalysisStatus,
    Device,
    Measurement,
    MeasurementSite,
    TrichoscopyImage,
    TrichoscopyPair,
)
from follicle.patients.models import Patient

PENDING = (AnalysisStatus.QUEUED, AnalysisStatus.RUNNING)


def _visible_images():
    return TrichoscopyImage.objects.filter(entered_in_error=False).order_by("-taken_on", "-id")


# --------------------------------------------------------------------------- sites
def site_list(*, patient: Patient) -> list[MeasurementSite]:
    """The patient's sites, current first, each with `visible` (its images not entered in error,
    newest first), `last` (the newest of them) and `last_done` (the newest analysed one)."""
    sites = list(
        MeasurementSite.objects.filter(patient=patient, clinic=patient.clinic)
        .select_related("reference_image")
        .prefetch_related(Prefetch("images", queryset=_visible_images(), to_attr="visible"))
        .order_by("is_archived", "name", "id")
    )
    for site in sites:
        site.last = site.visible[0] if site.visible else None
        site.last_done = next((i for i in site.visible if i.status == AnalysisStatus.DONE), None)
    return sites


def site_get(*, clinic: Clinic, uuid) -> MeasurementSite:
    """One site of the clinic (MeasurementSite.DoesNotExist otherwise)."""
    return MeasurementSite.objects.select_related("patient", "reference_image").get(clinic=clinic, uuid=uuid)


def site_images(*, site: MeasurementSite) -> list[TrichoscopyImage]:
    """All the site's images, newest first, those entered in error included (they are marked)."""
    return list(
        TrichoscopyImage.objects.filter(site=site, clinic=site.clinic)
        .select_related("device", "corrected_by", "uploaded_by")
        .order_by("-taken_on", "-id")
    )


def image_previous(*, site: MeasurementSite) -> TrichoscopyImage | None:
    """The site's latest usable image: the one to line the next one up with."""
    return _visible_images().filter(site=site, clinic=site.clinic).first()


def image_get(*, clinic: Clinic, uuid) -> TrichoscopyImage:
    """One image of the clinic (TrichoscopyImage.DoesNotExist otherwise)."""
    return TrichoscopyImage.objects.select_related(
        "site", "patient", "device", "corrected_by", "uploaded_by"
    ).get(clinic=clinic, uuid=uuid)


def image_for_site(*, site: MeasurementSite, uuid) -> TrichoscopyImage:
    """One of the site's images (TrichoscopyImage.DoesNotExist otherwise)."""
    return TrichoscopyImage.objects.get(site=site, clinic=site.clinic, uuid=uuid)


# --------------------------------------------------------------------------- pairs
def pair_list(*, site: MeasurementSite) -> list[TrichoscopyPair]:
    return list(
        TrichoscopyPair.objects.filter(site=site, clinic=site.clinic)
        .select_related("day0", "day2", "created_by")
        .order_by("-created_at", "-id")
    )


def pair_get(*, clinic: Clinic, uuid) -> TrichoscopyPair:
    return TrichoscopyPair.objects.select_related("site", "patient", "day0", "day2", "created_by").get(
        clinic=clinic, uuid=uuid
    )


def pairs_pending(*, site: MeasurementSite) -> bool:
    return TrichoscopyPair.objects.filter(site=site, status__in=PENDING).exists()


# --------------------------------------------------------------------------- hand-entered measurements
def measurement_list(*, patient: Patient):
    return (
        Measurement.objects.filter(patient=patient, clinic=patient.clinic)
        .select_related("site", "entered_by")
        .order_by("entered_in_error", "-measured_on", "-id")
    )


def measurement_get(*, clinic: Clinic, uuid) -> Measurement:
    return Measurement.objects.select_related("patient", "site").get(clinic=clinic, uuid=uuid)


# --------------------------------------------------------------------------- devices and the chart
def device_list(*, clinic: Clinic):
    return Device.objects.filter(clinic=clinic).order_by("name")


def sites_for_chart(*, patient: Patient) -> list[MeasurementSite]:
    """The patient's current sites with their latest analysed image, for the chart's card."""
    return [site for site in site_list(patient=patient) if not site.is_archived]


def measurement_count(*, patient: Patient) -> int:
    return Measurement.objects.filter(patient=patient, clinic=patient.clinic, entered_in_error=False).count()
