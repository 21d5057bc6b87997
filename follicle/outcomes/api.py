"""API: measurement sites, trichoscopy images (upload, analysis, correction, files), two-visit pairs
and hand-entered measurements.

Practitioners and nurses read and write ("measurements" rw); only a practitioner corrects a hair
count ("clinical_signoff"). Admins and receptionists get a 403 throughout; another clinic's patient,
site, image, pair or measurement is a 404. The same services as the pages.

An upload (POST /measurement-sites/{id}/images) is multipart: the image as `file`, and `taken_on`,
`device` (a calibrated device of the clinic, by name) or `um_per_px`. It is checked by content and
re-encoded (outcomes.uploads): a refused file is a 422 with the reason under `detail.file`, a file
over the size limit a 413; nothing is stored. It answers 201 with the image, its analysis `queued`:
the worker analyses it, and GET /trichoscopy-images/{id} shows the status and the results. The
stored image and its overlay are served by /file and /overlay, never from a public URL.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from pydantic import Field

from follicle.api.schemas import Detail, Page, PageParams, paginate
from follicle.core.access import get_for_clinic, require
from follicle.core.audit import Auditor
from follicle.outcomes import measuring
from follicle.outcomes.models import (
    Device,
    Measurement,
    MeasurementKind,
    MeasurementSite,
    TrichoscopyImage,
    TrichoscopyPair,
)
from follicle.outcomes.storage import private_storage
from follicle.patients.access import get_patient
from follicle.treatments.models import Zone

router = Router(tags=["measurements"])


# --------------------------------------------------------------------------- shapes
class SiteOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    patient_id: uuid_module.UUID
    name: str
    zone: str
    landmark: str = Field(description="how to find the site again")
    is_reference: bool = Field(description="an untreated reference site")
    is_archived: bool = Field(description="no longer measured")
    reference_image_id: uuid_module.UUID | None = Field(description="the image to line new ones up with")
    created_by: str
    created_at: dt.datetime

    @staticmethod
    def resolve_patient_id(obj):
        return obj.patient.uuid

    @staticmethod
    def resolve_reference_image_id(obj):
        return obj.reference_image.uuid if obj.reference_image_id else None

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username


class SiteIn(Schema):
    name: str = Field(min_length=1, max_length=80)
    zone: Zone
    landmark: str = Field(min_length=1, description="e.g. 2 cm in front of the crown whorl, midline")
    is_reference: bool = False


class SitePatch(Schema):
    """A field left out is unchanged; `reference_image` null clears it."""

    name: str | None = Field(None, min_length=1, max_length=80)
    zone: Zone | None = None
    landmark: str | None = Field(None, min_length=1)
    is_reference: bool | None = None
    is_archived: bool | None = None
    reference_image: uuid_module.UUID | None = Field(None, description="an image of this site")


class TrichoscopyDeviceOut(Schema):
    name: str
    um_per_px: float


class TrichoscopyCorrectionOut(Schema):
    count: int | None = Field(description="the corrected count (null: the correction was withdrawn)")
    engine_count: int | None
    by: str
    at: dt.datetime
    reason: str


class TrichoscopyImageOut(Schema):
    """An image in a list: its analysis summary and the count used (corrected or the engine's)."""

    id: uuid_module.UUID
    site_id: uuid_module.UUID
    patient_id: uuid_module.UUID
    plan_id: uuid_module.UUID | None
    taken_on: dt.date
    device: TrichoscopyDeviceOut | None
    um_per_px: float
    width: int
    height: int
    original_name: str
    uploaded_by: str
    uploaded_at: dt.datetime
    status: str = Field(description="queued, running, done or failed")
    status_changed_at: dt.datetime
    error: str = Field(description="why the analysis failed")
    hair_count: int | None = Field(description="the engine's count")
    count_used: int | None = Field(description="the corrected count when there is one, else the engine's")
    area_cm2: float | None
    density_per_cm2: float | None = Field(description="the engine's density")
    density_used: float | None = Field(description="from the count used")
    mean_thickness_um: float | None
    median_thickness_um: float | None
    vellus_fraction: float | None
    terminal_fraction: float | None
    follicular_units: int | None
    hairs_per_unit: float | None
    correction: TrichoscopyCorrectionOut | None
    entered_in_error: bool
    entered_in_error_reason: str
    file_url: str
    overlay_url: str | None = Field(description="once analysed")


class TrichoscopyImageDetailOut(TrichoscopyImageOut):
    engine_version: str
    results: dict[str, Any] = Field(description="the imaging engine's full results")


class TrichoscopyCorrectionIn(Schema):
    count: int | None = Field(
        description="the corrected count; null withdraws the correction", ge=0, le=100_000
    )
    reason: str = Field(min_length=1)


class OutcomeReasonIn(Schema):
    reason: str = Field(min_length=1)


class TrichoscopyUploadForm(Schema):
    taken_on: dt.date | None = Field(None, description="default: today")
    device: str | None = Field(None, description="a calibrated device of the clinic, by name")
    um_per_px: float | None = Field(None, description="the scale, when no device is named")


class TrichoscopyPairIn(Schema):
    day0: uuid_module.UUID = Field(description="the image of the clipped site")
    day2: uuid_module.UUID = Field(description="the image 1–5 days later")


class TrichoscopyPairOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    site_id: uuid_module.UUID
    patient_id: uuid_module.UUID
    day0_id: uuid_module.UUID
    day2_id: uuid_module.UUID
    days: int
    status: str
    status_changed_at: dt.datetime
    error: str
    anagen_fraction: float | None
    telogen_fraction: float | None
    results: dict[str, Any]
    created_by: str
    created_at: dt.datetime

    @staticmethod
    def resolve_site_id(obj):
        return obj.site.uuid

    @staticmethod
    def resolve_patient_id(obj):
        return obj.patient.uuid

    @staticmethod
    def resolve_day0_id(obj):
        return obj.day0.uuid

    @staticmethod
    def resolve_day2_id(obj):
        return obj.day2.uuid

    @staticmethod
    def resolve_days(obj):
        return (obj.day2.taken_on - obj.day0.taken_on).days

    @staticmethod
    def resolve_created_by(obj):
        return obj.created_by.username


class MeasurementOut(Schema):
    id: uuid_module.UUID = Field(alias="uuid")
    patient_id: uuid_module.UUID
    site_id: uuid_module.UUID | None
    measured_on: dt.date
    kind: str
    value: float
    source: str = Field(description="where the figure comes from")
    entered_by: str
    entered_at: dt.datetime
    entered_in_error: bool
    entered_in_error_reason: str

    @staticmethod
    def resolve_patient_id(obj):
        return obj.patient.uuid

    @staticmethod
    def resolve_site_id(obj):
        return obj.site.uuid if obj.site_id else None

    @staticmethod
    def resolve_entered_by(obj):
        return obj.entered_by.username


class MeasurementIn(Schema):
    kind: MeasurementKind
    value: float
    measured_on: dt.date
    source: str = Field(min_length=1, max_length=300, description="device and software, or the report")
    site: uuid_module.UUID | None = Field(None, description="one of the patient's sites")


class MeasurementFilters(Schema):
    kind: MeasurementKind | None = None
    site: uuid_module.UUID | None = None
    include_in_error: bool = False


# --------------------------------------------------------------------------- loading
def _site(request, uuid) -> MeasurementSite:
    return get_for_clinic(
        request, MeasurementSite.objects.select_related("patient", "reference_image", "created_by"), uuid=uuid
    )


def _image(request, uuid) -> TrichoscopyImage:
    return get_for_clinic(
        request,
        TrichoscopyImage.objects.select_related(
            "site", "patient", "plan", "device", "uploaded_by", "corrected_by"
        ),
        uuid=uuid,
    )


def _pair(request, uuid) -> TrichoscopyPair:
    return get_for_clinic(
        request,
        TrichoscopyPair.objects.select_related("site", "patient", "day0", "day2", "created_by"),
        uuid=uuid,
    )


def _image_out(image: TrichoscopyImage, *, detail: bool = False) -> dict:
    correction = None
    if image.corrected_at is not None:
        correction = {
            "count": image.corrected_count,
            "engine_count": image.hair_count,
            "by": image.corrected_by.username if image.corrected_by_id else "",
            "at": image.corrected_at,
            "reason": image.correction_reason,
        }
    base = f"/api/v1/trichoscopy-images/{image.uuid}"
    out = {
        "id": image.uuid,
        "site_id": image.site.uuid,
        "patient_id": image.patient.uuid,
        "plan_id": image.plan.uuid if image.plan_id else None,
        "taken_on": image.taken_on,
        "device": {"name": image.device.name, "um_per_px": image.device.um_per_px}
        if image.device_id
        else None,
        "um_per_px": image.um_per_px,
        "width": image.width,
        "height": image.height,
        "original_name": image.original_name,
        "uploaded_by": image.uploaded_by.username,
        "uploaded_at": image.uploaded_at,
        "status": image.status,
        "status_changed_at": image.status_changed_at,
        "error": image.error,
        "hair_count": image.hair_count,
        "count_used": image.count_used,
        "area_cm2": image.area_cm2,
        "density_per_cm2": image.density_per_cm2,
        "density_used": image.density_used,
        "mean_thickness_um": image.mean_thickness_um,
        "median_thickness_um": image.median_thickness_um,
        "vellus_fraction": image.vellus_fraction,
        "terminal_fraction": image.terminal_fraction,
        "follicular_units": image.follicular_units,
        "hairs_per_unit": image.hairs_per_unit,
        "correction": correction,
        "entered_in_error": image.entered_in_error,
        "entered_in_error_reason": image.entered_in_error_reason,
        "file_url": f"{base}/file",
        "overlay_url": f"{base}/overlay" if image.overlay else None,
    }
    if detail:
        out |= {"engine_version": image.engine_version, "results": image.results or {}}
    return out


def _image_reloaded(request, image: TrichoscopyImage) -> dict:
    return _image_out(_image(request, image.uuid), detail=True)


# --------------------------------------------------------------------------- sites
@router.get(
    "/patients/{patient_id}/measurement-sites", response={200: Page[SiteOut], 403: Detail, 404: Detail}
)
def site_list(request, patient_id: uuid_module.UUID, params: Query[PageParams]):
    """The patient's sites, those still measured first."""
    require(request, "measurements", "r")
    patient = get_patient(request, patient_id)
    rows = (
        MeasurementSite.objects.filter(clinic=request.clinic, patient=patient)
        .select_related("patient", "reference_image", "created_by")
        .order_by("is_archived", "name", "id")
    )
    page = paginate(rows, params)
    Auditor.from_request(request).log_list(
        "site.list", query={"offset": params.offset}, count=page["count"], patient=patient
    )
    return page


@router.post(
    "/patients/{patient_id}/measurement-sites",
    response={201: SiteOut, 403: Detail, 404: Detail, 422: Detail},
)
def site_create(request, patient_id: uuid_module.UUID, payload: SiteIn):
    require(request, "measurements", "w")
    patient = get_patient(request, patient_id)
    site = measuring.site_create(
        patient=patient,
        auditor=Auditor.from_request(request),
        name=payload.name,
        zone=str(payload.zone),
        landmark=payload.landmark,
        is_reference=payload.is_reference,
    )
    return Status(201, _site(request, site.uuid))


@router.get("/measurement-sites/{site_id}", response={200: SiteOut, 403: Detail, 404: Detail})
def site_get(request, site_id: uuid_module.UUID):
    require(request, "measurements", "r")
    site = _site(request, site_id)
    Auditor.from_request(request).log("site.view", obj=site, patient=site.patient)
    return site


@router.patch("/measurement-sites/{site_id}", response={200: SiteOut, 403: Detail, 404: Detail, 422: Detail})
def site_update(request, site_id: uuid_module.UUID, payload: SitePatch):
    require(request, "measurements", "w")
    site = _site(request, site_id)
    fields = payload.dict(exclude_unset=True)
    for name in ("name", "zone", "landmark", "is_reference", "is_archived"):
        if name in fields and fields[name] is None:
            raise ValidationError({name: [_("This field cannot be empty.")]})
    if "zone" in fields:
        fields["zone"] = str(fields["zone"])
    if fields.get("reference_image") is not None:
        image = TrichoscopyImage.objects.filter(
            clinic=request.clinic, site=site, uuid=fields["reference_image"]
        ).first()
        if image is None:
            raise ValidationError({"reference_image": [_("Choose an image of this site.")]})
        fields["reference_image"] = image
    measuring.site_update(site=site, auditor=Auditor.from_request(request), **fields)
    return _site(request, site.uuid)


# --------------------------------------------------------------------------- images
@router.get(
    "/measurement-sites/{site_id}/images",
    response={200: Page[TrichoscopyImageOut], 403: Detail, 404: Detail},
)
def image_list(request, site_id: uuid_module.UUID, params: Query[PageParams]):
    """The site's images, newest first; those entered in error are included and marked."""
    require(request, "measurements", "r")
    site = _site(request, site_id)
    rows = (
        TrichoscopyImage.objects.filter(clinic=request.clinic, site=site)
        .select_related("site", "patient", "plan", "device", "uploaded_by", "corrected_by")
        .order_by("-taken_on", "-id")
    )
    page = paginate(rows, params)
    Auditor.from_request(request).log_list(
        "trichoscopy.list",
        query={"site": str(site.uuid), "offset": params.offset},
        count=page["count"],
        patient=site.patient,
    )
    return {"items": [_image_out(image) for image in page["items"]], "count": page["count"]}


def _too_large() -> Status:
    max_bytes = settings.FOLLICLE_UPLOAD_MAX_BYTES
    message = _("The file is too large (at most %(max)s MB).") % {"max": round(max_bytes / 1_000_000, 1)}
    return Status(413, {"detail": {"file": [message]}})


@router.post(
    "/measurement-sites/{site_id}/images",
    response={201: TrichoscopyImageDetailOut, 403: Detail, 404: Detail, 413: Detail, 422: Detail},
)
def image_upload(
    request,
    site_id: uuid_module.UUID,
    file: File[UploadedFile],
    form: Form[TrichoscopyUploadForm],
):
    """Upload one trichoscopy image of the site (multipart); its analysis is queued."""
    require(request, "measurements", "w")
    site = _site(request, site_id)
    max_bytes = settings.FOLLICLE_UPLOAD_MAX_BYTES
    if file.size is not None and file.size > max_bytes:
        return _too_large()
    data = file.read(max_bytes + 1)  # never more than the limit into memory
    if len(data) > max_bytes:
        return _too_large()
    device = None
    if form.device:
        device = Device.objects.filter(clinic=request.clinic, name=form.device).first()
        if device is None:
            raise ValidationError({"device": [_("No device of this name in this clinic.")]})
    image = measuring.trichoscopy_upload(
        site=site,
        auditor=Auditor.from_request(request),
        data=data,
        filename=file.name or "",
        taken_on=form.taken_on,
        device=device,
        um_per_px=form.um_per_px,
    )
    return Status(201, _image_reloaded(request, image))


@router.get(
    "/trichoscopy-images/{image_id}", response={200: TrichoscopyImageDetailOut, 403: Detail, 404: Detail}
)
def image_get(request, image_id: uuid_module.UUID):
    require(request, "measurements", "r")
    image = _image(request, image_id)
    Auditor.from_request(request).log("trichoscopy.view", obj=image, patient=image.patient)
    return _image_out(image, detail=True)


BINARY = {
    "responses": {
        200: {
            "description": "the image (PNG), sent only after the permission check",
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _send(request, image: TrichoscopyImage, field, which: str) -> FileResponse:
    if not field or not private_storage.exists(field.name):
        raise Http404
    Auditor.from_request(request).log(
        "trichoscopy.file", obj=image, patient=image.patient, detail={"which": which}
    )
    extension = field.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(
        private_storage.open(field.name, "rb"),
        content_type="image/jpeg" if extension in ("jpg", "jpeg") else "image/png",
    )
    response["Content-Disposition"] = f'inline; filename="{image.uuid}-{which}.{extension}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@router.get("/trichoscopy-images/{image_id}/file", response={403: Detail, 404: Detail}, openapi_extra=BINARY)
def image_file(request, image_id: uuid_module.UUID):
    """The stored (re-encoded, metadata-free) image."""
    require(request, "measurements", "r")
    image = _image(request, image_id)
    return _send(request, image, image.file, "image")


@router.get(
    "/trichoscopy-images/{image_id}/overlay", response={403: Detail, 404: Detail}, openapi_extra=BINARY
)
def image_overlay(request, image_id: uuid_module.UUID):
    """The analysis overlay (404 until the image is analysed)."""
    require(request, "measurements", "r")
    image = _image(request, image_id)
    return _send(request, image, image.overlay, "overlay")


@router.post(
    "/trichoscopy-images/{image_id}/correction",
    response={200: TrichoscopyImageDetailOut, 403: Detail, 404: Detail, 422: Detail},
)
def image_correct(request, image_id: uuid_module.UUID, payload: TrichoscopyCorrectionIn):
    """A practitioner corrects the engine's count (both kept, the corrected one used), with why."""
    require(request, "clinical_signoff", "w")
    image = _image(request, image_id)
    measuring.trichoscopy_correct_count(
        image=image, auditor=Auditor.from_request(request), count=payload.count, reason=payload.reason
    )
    return _image_reloaded(request, image)


@router.post(
    "/trichoscopy-images/{image_id}/reanalyse",
    response={200: TrichoscopyImageDetailOut, 403: Detail, 404: Detail, 422: Detail},
)
def image_reanalyse(request, image_id: uuid_module.UUID):
    """Queue the analysis again (after a failure, or with a newer engine); a correction stays."""
    require(request, "measurements", "w")
    image = _image(request, image_id)
    measuring.trichoscopy_reanalyse(image=image, auditor=Auditor.from_request(request))
    return _image_reloaded(request, image)


@router.post(
    "/trichoscopy-images/{image_id}/entered-in-error",
    response={200: TrichoscopyImageDetailOut, 403: Detail, 404: Detail, 422: Detail},
)
def image_mark_in_error(request, image_id: uuid_module.UUID, payload: OutcomeReasonIn):
    """The image is kept but no longer used (nor as the site's reference)."""
    require(request, "measurements", "w")
    image = _image(request, image_id)
    measuring.trichoscopy_mark_in_error(
        image=image, auditor=Auditor.from_request(request), reason=payload.reason
    )
    return _image_reloaded(request, image)


# --------------------------------------------------------------------------- pairs
@router.get(
    "/measurement-sites/{site_id}/pairs", response={200: Page[TrichoscopyPairOut], 403: Detail, 404: Detail}
)
def pair_list(request, site_id: uuid_module.UUID, params: Query[PageParams]):
    require(request, "measurements", "r")
    site = _site(request, site_id)
    rows = (
        TrichoscopyPair.objects.filter(clinic=request.clinic, site=site)
        .select_related("site", "patient", "day0", "day2", "created_by")
        .order_by("-created_at", "-id")
    )
    page = paginate(rows, params)
    Auditor.from_request(request).log_list(
        "pair.list",
        query={"site": str(site.uuid), "offset": params.offset},
        count=page["count"],
        patient=site.patient,
    )
    return page


@router.post(
    "/measurement-sites/{site_id}/pairs",
    response={201: TrichoscopyPairOut, 403: Detail, 404: Detail, 422: Detail},
)
def pair_create(request, site_id: uuid_module.UUID, payload: TrichoscopyPairIn):
    """Two images of the clipped site 1–5 days apart; the anagen share is computed in the worker."""
    require(request, "measurements", "w")
    site = _site(request, site_id)
    images = {}
    for name in ("day0", "day2"):
        images[name] = TrichoscopyImage.objects.filter(
            clinic=request.clinic, site=site, uuid=getattr(payload, name)
        ).first()
        if images[name] is None:
            raise ValidationError({name: [_("Choose an image of this site.")]})
    pair = measuring.pair_create(
        day0=images["day0"], day2=images["day2"], auditor=Auditor.from_request(request)
    )
    return Status(201, _pair(request, pair.uuid))


@router.get("/trichoscopy-pairs/{pair_id}", response={200: TrichoscopyPairOut, 403: Detail, 404: Detail})
def pair_get(request, pair_id: uuid_module.UUID):
    require(request, "measurements", "r")
    pair = _pair(request, pair_id)
    Auditor.from_request(request).log("pair.view", obj=pair, patient=pair.patient)
    return pair


# --------------------------------------------------------------------------- hand-entered
@router.get(
    "/patients/{patient_id}/measurements", response={200: Page[MeasurementOut], 403: Detail, 404: Detail}
)
def measurement_list(
    request, patient_id: uuid_module.UUID, filters: Query[MeasurementFilters], params: Query[PageParams]
):
    """The patient's hand-entered measurements, newest first (those entered in error on request)."""
    require(request, "measurements", "r")
    patient = get_patient(request, patient_id)
    rows = Measurement.objects.filter(clinic=request.clinic, patient=patient)
    if not filters.include_in_error:
        rows = rows.filter(entered_in_error=False)
    if filters.kind:
        rows = rows.filter(kind=str(filters.kind))
    if filters.site:
        rows = rows.filter(site__uuid=filters.site)
    rows = rows.select_related("patient", "site", "entered_by").order_by("-measured_on", "-id")
    page = paginate(rows, params)
    Auditor.from_request(request).log_list(
        "measurement.list",
        query={k: str(v) for k, v in filters.dict().items() if v} | {"offset": params.offset},
        count=page["count"],
        patient=patient,
    )
    return page


@router.post(
    "/patients/{patient_id}/measurements",
    response={201: MeasurementOut, 403: Detail, 404: Detail, 422: Detail},
)
def measurement_add(request, patient_id: uuid_module.UUID, payload: MeasurementIn):
    """A measurement from another device, a lab or a report, with its source."""
    require(request, "measurements", "w")
    patient = get_patient(request, patient_id)
    site = None
    if payload.site is not None:
        site = MeasurementSite.objects.filter(
            clinic=request.clinic, patient=patient, uuid=payload.site
        ).first()
        if site is None:
            raise ValidationError({"site": [_("Choose one of this patient's sites.")]})
    measurement = measuring.measurement_add(
        patient=patient,
        auditor=Auditor.from_request(request),
        kind=str(payload.kind),
        value=payload.value,
        measured_on=payload.measured_on,
        source=payload.source,
        site=site,
    )
    return Status(201, measurement)


@router.post(
    "/measurements/{measurement_id}/entered-in-error",
    response={200: MeasurementOut, 403: Detail, 404: Detail, 422: Detail},
)
def measurement_mark_in_error(request, measurement_id: uuid_module.UUID, payload: OutcomeReasonIn):
    require(request, "measurements", "w")
    measurement = get_for_clinic(
        request, Measurement.objects.select_related("patient", "site", "entered_by"), uuid=measurement_id
    )
    return measuring.measurement_mark_in_error(
        measurement=measurement, auditor=Auditor.from_request(request), reason=payload.reason
    )
