"""Measurement sites, trichoscopy upload → background analysis → correction, pairs, manual entry."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from PIL import Image

from follicle.core.audit import Auditor
from follicle.core.models import AuditEvent
from follicle.imaging.synth import generate, generate_pair
from follicle.outcomes import measuring
from follicle.outcomes.models import AnalysisStatus, Device, MeasurementSite, TrichoscopyImage
from follicle.outcomes.storage import private_storage


def png(rgb) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def nurse(personas, clinic):
    return Auditor(actor=personas["nurse"], role="nurse", clinic=clinic)


@pytest.fixture
def doctor(personas, clinic):
    return Auditor(actor=personas["practitioner"], role="practitioner", clinic=clinic)


@pytest.fixture
def site(make_patient, nurse):
    return measuring.site_create(
        patient=make_patient(),
        auditor=nurse,
        name="Vertex target",
        zone="vertex",
        landmark="2 cm in front of the crown whorl, midline",
    )


@pytest.fixture
def field_image():
    """A small realistic synthetic field with its truth."""
    return generate(3, "clean", um_per_px=5.0, width=640, height=480)


def upload(site, auditor, data, capture, **kwargs):
    with capture(execute=True):
        return measuring.trichoscopy_upload(
            site=site, auditor=auditor, data=data, **({"um_per_px": 5.0} | kwargs)
        )


class TestSites:
    def test_names_are_unique_per_patient(self, site, nurse):
        with pytest.raises(ValidationError):
            measuring.site_create(
                patient=site.patient, auditor=nurse, name="vertex TARGET", zone="vertex", landmark="x"
            )

    def test_zone_and_landmark_required(self, make_patient, nurse):
        with pytest.raises(ValidationError):
            measuring.site_create(patient=make_patient(), auditor=nurse, name="A", zone="neck", landmark="")


class TestUploadAndAnalysis:
    def test_upload_is_analysed_in_the_background(
        self, site, nurse, field_image, django_capture_on_commit_callbacks
    ):
        image = upload(
            site, nurse, png(field_image.rgb), django_capture_on_commit_callbacks, filename="../../x.png"
        )
        image.refresh_from_db()
        assert image.status == AnalysisStatus.DONE, image.error
        truth = field_image.truth["hair_count"]
        assert abs(image.hair_count - truth) <= max(3, 0.25 * truth)
        assert image.density_per_cm2 == pytest.approx(image.hair_count / image.area_cm2, rel=1e-3)
        assert image.overlay and private_storage.exists(image.overlay.name)
        assert private_storage.exists(image.file.name)
        assert image.original_name == "x.png"
        site.refresh_from_db()
        assert site.reference_image == image, "the first image becomes the site's reference"
        assert AuditEvent.objects.filter(action="trichoscopy.analysed", object_id=str(image.uuid)).exists()

    def test_device_scale_is_used(self, site, nurse, field_image, clinic, django_capture_on_commit_callbacks):
        device = Device.objects.create(clinic=clinic, name="Dermoscope 1", um_per_px=4.2)
        image = upload(
            site,
            nurse,
            png(field_image.rgb),
            django_capture_on_commit_callbacks,
            device=device,
            um_per_px=None,
        )
        assert image.um_per_px == 4.2 and image.device == device

    def test_stored_file_has_no_metadata(self, site, nurse, field_image, django_capture_on_commit_callbacks):
        raw = io.BytesIO()
        exif = Image.Exif()
        exif[0x010F] = "CameraMaker"  # Make
        exif[0x8825] = {1: "N", 2: (37.0, 58.0, 0.0)}  # GPS IFD
        Image.fromarray(field_image.rgb).save(raw, format="JPEG", exif=exif, quality=95)
        image = upload(site, nurse, raw.getvalue(), django_capture_on_commit_callbacks)
        with private_storage.open(image.file.name) as handle:
            stored = handle.read()
        assert b"CameraMaker" not in stored and b"Exif" not in stored
        assert Image.open(io.BytesIO(stored)).format == "PNG"

    def test_bad_file_stores_nothing(self, site, nurse, django_capture_on_commit_callbacks):
        with pytest.raises(ValidationError) as exc:
            upload(site, nurse, b"<svg><script>alert(1)</script></svg>", django_capture_on_commit_callbacks)
        assert "file" in exc.value.message_dict
        assert not TrichoscopyImage.objects.exists()

    def test_same_file_twice_is_refused(self, site, nurse, field_image, django_capture_on_commit_callbacks):
        data = png(field_image.rgb)
        upload(site, nurse, data, django_capture_on_commit_callbacks)
        with pytest.raises(ValidationError, match="already uploaded"):
            upload(site, nurse, data, django_capture_on_commit_callbacks)

    def test_future_date_and_missing_scale_refused(
        self, site, nurse, field_image, django_capture_on_commit_callbacks
    ):
        with pytest.raises(ValidationError):
            upload(
                site,
                nurse,
                png(field_image.rgb),
                django_capture_on_commit_callbacks,
                taken_on=timezone.localdate() + dt.timedelta(days=1),
            )
        with pytest.raises(ValidationError):
            upload(site, nurse, png(field_image.rgb), django_capture_on_commit_callbacks, um_per_px=None)

    def test_failed_analysis_is_shown(self, site, nurse, field_image, django_capture_on_commit_callbacks):
        image = upload(site, nurse, png(field_image.rgb), django_capture_on_commit_callbacks)
        private_storage.delete(image.file.name)
        with django_capture_on_commit_callbacks(execute=True):
            measuring.trichoscopy_reanalyse(image=image, auditor=nurse)  # the worker logs the error
        image.refresh_from_db()
        assert image.status == AnalysisStatus.FAILED and image.error


class TestCorrection:
    def test_practitioner_corrects_both_kept(
        self, site, nurse, doctor, field_image, django_capture_on_commit_callbacks
    ):
        image = upload(site, nurse, png(field_image.rgb), django_capture_on_commit_callbacks)
        image.refresh_from_db()
        with pytest.raises(PermissionDenied):
            measuring.trichoscopy_correct_count(image=image, auditor=nurse, count=10, reason="x")
        with pytest.raises(ValidationError):
            measuring.trichoscopy_correct_count(image=image, auditor=doctor, count=10, reason=" ")
        engine = image.hair_count
        image = measuring.trichoscopy_correct_count(
            image=image, auditor=doctor, count=engine + 4, reason="Four hairs hidden under a crossing"
        )
        assert image.hair_count == engine and image.count_used == engine + 4
        assert image.corrected_by == doctor.actor and image.corrected_at is not None
        assert image.density_used == pytest.approx((engine + 4) / image.area_cm2)
        event = AuditEvent.objects.get(action="trichoscopy.correct")
        assert event.detail["engine"] == engine and event.detail["new"] == engine + 4


class TestPairs:
    def test_pair_gives_the_anagen_share(self, site, nurse, django_capture_on_commit_callbacks):
        day0, day2, truth = generate_pair(5, "clean", um_per_px=5.0, width=640, height=480)
        first = upload(
            site,
            nurse,
            png(day0.rgb),
            django_capture_on_commit_callbacks,
            taken_on=timezone.localdate() - dt.timedelta(days=2),
        )
        second = upload(site, nurse, png(day2.rgb), django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            pair = measuring.pair_create(day0=first, day2=second, auditor=nurse)
        pair.refresh_from_db()
        assert pair.status == AnalysisStatus.DONE, pair.error
        assert abs(pair.anagen_fraction - truth["anagen_fraction"]) <= 0.2

    def test_pair_rules(self, site, nurse, make_patient, field_image, django_capture_on_commit_callbacks):
        today = timezone.localdate()
        a = upload(
            site,
            nurse,
            png(field_image.rgb),
            django_capture_on_commit_callbacks,
            taken_on=today - dt.timedelta(days=9),
        )
        b = upload(
            site, nurse, png(generate(4, "clean", 5.0, 640, 480).rgb), django_capture_on_commit_callbacks
        )
        with pytest.raises(ValidationError, match="days after"):
            measuring.pair_create(day0=a, day2=b, auditor=nurse)
        other = MeasurementSite.objects.create(
            clinic=site.clinic,
            patient=site.patient,
            name="Occipital",
            zone="occipital",
            landmark="x",
            created_by=nurse.actor,
        )
        c = upload(
            other,
            nurse,
            png(generate(6, "clean", 5.0, 640, 480).rgb),
            django_capture_on_commit_callbacks,
            taken_on=today - dt.timedelta(days=2),
        )
        with pytest.raises(ValidationError, match="same site"):
            measuring.pair_create(day0=c, day2=b, auditor=nurse)


class TestManual:
    def test_measurement_with_source_and_range(self, site, nurse):
        m = measuring.measurement_add(
            patient=site.patient,
            auditor=nurse,
            kind="density_per_cm2",
            value=142.5,
            measured_on=timezone.localdate(),
            source="TrichoScan report of 12/03",
            site=site,
        )
        assert m.site == site and m.source.startswith("TrichoScan")
        with pytest.raises(ValidationError):
            measuring.measurement_add(
                patient=site.patient,
                auditor=nurse,
                kind="vellus_fraction",
                value=1.5,
                measured_on=timezone.localdate(),
                source="x",
            )
        with pytest.raises(ValidationError):
            measuring.measurement_add(
                patient=site.patient,
                auditor=nurse,
                kind="density_per_cm2",
                value=100,
                measured_on=timezone.localdate(),
                source="",
            )
