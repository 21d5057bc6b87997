"""Pages of measurement sites and trichoscopy visits: who sees what, upload → analysis → results,
refused files, the private file views, polling, correction, pairs and hand-entered measurements."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image

from conftest import client_for
from follicle.core.audit import Auditor
from follicle.core.models import AuditEvent
from follicle.imaging.synth import generate, generate_pair
from follicle.outcomes import measuring
from follicle.outcomes.models import (
    AnalysisStatus,
    Device,
    Measurement,
    MeasurementSite,
    TrichoscopyImage,
    TrichoscopyPair,
)
from follicle.outcomes.storage import private_storage
from follicle.outcomes.views import thickness_histogram

CLINICAL = ("practitioner", "nurse")
NOT_CLINICAL = ("receptionist", "admin")


def png(rgb) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="PNG")
    return out.getvalue()


def small_png(colour=(120, 80, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="PNG")
    return out.getvalue()


def _text(response) -> str:
    return response.content.decode()


def stored_files() -> list[Path]:
    root = Path(private_storage.location)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def nurse(personas, clinic):
    return Auditor(actor=personas["nurse"], role="nurse", clinic=clinic)


@pytest.fixture
def site(make_patient, nurse):
    return measuring.site_create(
        patient=make_patient(),
        auditor=nurse,
        name="Vertex target",
        zone="vertex",
        landmark="2 cm in front of the crown whorl, midline",
    )


RESULTS = {
    "hair_count": 42,
    "area_cm2": 0.25,
    "density_per_cm2": 168.0,
    "mean_thickness_um": 61.5,
    "median_thickness_um": 63.0,
    "vellus_fraction": 0.19,
    "terminal_fraction": 0.81,
    "follicular_units": 20,
    "hairs_per_unit": 2.1,
}


@pytest.fixture
def make_image(site, personas):
    """An image row as the worker leaves it (analysed, with its files), without running the engine."""

    def make(status=AnalysisStatus.DONE, taken_on=None, colour=(120, 80, 60), **fields):
        data = small_png(colour)
        image = TrichoscopyImage(
            clinic=site.clinic,
            patient=site.patient,
            site=site,
            taken_on=taken_on or timezone.localdate(),
            um_per_px=5.0,
            width=64,
            height=48,
            sha256=hashlib.sha256(data).hexdigest(),
            original_sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=personas["nurse"],
            status=status,
        )
        if status == AnalysisStatus.DONE:
            for name, value in RESULTS.items():
                setattr(image, name, value)
            image.engine_version = "follicle-imaging 1"
            image.results = {
                "vellus_max_um": 30.0,
                "thickness_histogram": {
                    "edges_um": [float(v) for v in range(0, 161, 10)],
                    "counts": [0, 2, 6, 0, 3, 9, 12, 6, 3, 1, 0, 0, 0, 0, 0, 0],
                    "above": 0,
                },
            }
        for name, value in fields.items():
            setattr(image, name, value)
        image.file.save("image.png", ContentFile(data), save=False)
        if status == AnalysisStatus.DONE:
            image.overlay.save("overlay.png", ContentFile(small_png((200, 140, 0))), save=False)
        image.save()
        return image

    return make


@pytest.fixture
def image(make_image):
    return make_image()


@pytest.fixture
def pair(site, make_image, personas):
    day0 = make_image(taken_on=timezone.localdate() - dt.timedelta(days=2), colour=(10, 10, 10))
    day2 = make_image(colour=(20, 20, 20))
    return TrichoscopyPair.objects.create(
        clinic=site.clinic,
        patient=site.patient,
        site=site,
        day0=day0,
        day2=day2,
        created_by=personas["nurse"],
        status=AnalysisStatus.DONE,
        anagen_fraction=0.8,
        telogen_fraction=0.2,
        results={"day0_count": 40, "day2_count": 41, "matched": 38, "grown": 30, "not_grown": 8},
    )


def pages(site, image, pair) -> list[str]:
    return [
        f"/outcomes/patient/{site.patient.uuid}/sites/",
        f"/outcomes/sites/{site.uuid}/",
        f"/outcomes/images/{image.uuid}/",
        f"/outcomes/images/{image.uuid}/file",
        f"/outcomes/images/{image.uuid}/overlay",
        f"/outcomes/pairs/{pair.uuid}/",
    ]


def posts(site, image) -> list[tuple[str, dict]]:
    return [
        (f"/outcomes/patient/{site.patient.uuid}/sites/", {"name": "X", "zone": "vertex", "landmark": "x"}),
        (f"/outcomes/patient/{site.patient.uuid}/measurements/", {"kind": "hair_count", "value": "1"}),
        (f"/outcomes/sites/{site.uuid}/edit/", {"name": "Y", "zone": "vertex", "landmark": "x"}),
        (f"/outcomes/sites/{site.uuid}/upload/", {"um_per_px": "5"}),
        (f"/outcomes/sites/{site.uuid}/reference/", {"image": str(image.uuid)}),
        (f"/outcomes/sites/{site.uuid}/pairs/", {}),
        (f"/outcomes/images/{image.uuid}/analyse/", {}),
        (f"/outcomes/images/{image.uuid}/correct/", {"count": "1", "reason": "x"}),
        (f"/outcomes/images/{image.uuid}/entered-in-error/", {"reason": "x"}),
    ]


# --------------------------------------------------------------------------- who sees what
@pytest.mark.django_db
class TestWhoSeesWhat:
    @pytest.mark.parametrize("role", CLINICAL)
    def test_every_page_renders_for_clinical_staff(self, site, image, pair, personas, role):
        client = client_for(personas[role])
        for url in pages(site, image, pair):
            response = client.get(url)
            assert response.status_code == 200, url
        sites = _text(client.get(pages(site, image, pair)[0]))
        assert "Vertex target" in sites and "168/cm²" in sites and 'role="img"' in sites
        chart = _text(client.get(f"/patients/{site.patient.uuid}/"))
        assert 'data-testid="measurement-sites-card"' in chart and "168/cm²" in chart

    @pytest.mark.parametrize("role", NOT_CLINICAL)
    def test_other_roles_are_refused(self, site, image, pair, personas, role):
        client = client_for(personas[role])
        for url in pages(site, image, pair):
            assert client.get(url).status_code == 403, url
        for url, data in posts(site, image):
            assert client.post(url, data).status_code == 403, url
        chart = client.get(f"/patients/{site.patient.uuid}/")
        assert chart.status_code == 200 and 'data-testid="measurement-sites-card"' not in _text(chart)
        assert not AuditEvent.objects.filter(action__startswith="trichoscopy.file").exists()

    @pytest.mark.parametrize("persona", ("other_practitioner", "other_admin"))
    def test_another_clinic_sees_nothing(self, site, image, pair, personas, persona):
        client = client_for(personas[persona])
        expected = 404 if persona == "other_practitioner" else 403
        for url in pages(site, image, pair):
            assert client.get(url).status_code == expected, url
        if persona == "other_practitioner":
            for url, data in posts(site, image):
                if url.endswith("/correct/"):
                    continue  # a practitioner, but not of this clinic
                assert client.post(url, data).status_code == 404, url
            assert client.post(f"/outcomes/images/{image.uuid}/correct/", {"reason": "x"}).status_code == 404
        assert MeasurementSite.objects.count() == 1 and TrichoscopyImage.objects.count() == 3

    def test_page_reads_are_audited(self, site, image, personas):
        client = client_for(personas["nurse"])
        client.get(f"/outcomes/patient/{site.patient.uuid}/sites/")
        client.get(f"/outcomes/sites/{site.uuid}/")
        client.get(f"/outcomes/images/{image.uuid}/")
        assert AuditEvent.objects.filter(action="site.list", patient_uuid=site.patient.uuid).count() == 1
        assert AuditEvent.objects.filter(action="site.view", object_id=str(site.uuid)).count() == 1
        assert AuditEvent.objects.filter(action="trichoscopy.view", object_id=str(image.uuid)).count() == 1


# --------------------------------------------------------------------------- sites
@pytest.mark.django_db
class TestSites:
    def test_empty_states(self, make_patient, personas):
        patient = make_patient()
        client = client_for(personas["nurse"])
        text = _text(client.get(f"/outcomes/patient/{patient.uuid}/sites/"))
        assert "No measurement site yet" in text and 'data-testid="no-measurements"' in text
        assert 'data-testid="site-form"' in text and 'data-testid="measurement-form"' in text

    def test_add_a_site_then_a_duplicate_is_422(self, make_patient, personas):
        patient = make_patient()
        client = client_for(personas["nurse"])
        url = f"/outcomes/patient/{patient.uuid}/sites/"
        data = {
            "name": "Frontal",
            "zone": "frontal",
            "landmark": "1 cm behind the hairline",
            "is_reference": "",
        }
        response = client.post(url, data)
        site = MeasurementSite.objects.get(patient=patient)
        assert response.status_code == 302 and response["Location"] == f"/outcomes/sites/{site.uuid}/"
        page = _text(client.get(response["Location"]))
        assert "1 cm behind the hairline" in page and "This is the site's first image" in page
        again = client.post(url, data | {"name": "frontal"})
        assert again.status_code == 422 and "already has a site called" in _text(again)
        missing = client.post(url, {"name": "Vertex", "zone": "", "landmark": ""})
        assert missing.status_code == 422 and MeasurementSite.objects.count() == 1

    def test_edit_and_archive(self, site, personas):
        client = client_for(personas["practitioner"])
        data = {"name": "Vertex", "zone": "vertex", "landmark": "crown", "is_archived": "on"}
        assert client.post(f"/outcomes/sites/{site.uuid}/edit/", data).status_code == 302
        site.refresh_from_db()
        assert site.name == "Vertex" and site.is_archived
        text = _text(client.get(f"/outcomes/sites/{site.uuid}/"))
        assert "No longer measured" in text and 'data-testid="upload-form"' not in text
        upload = client.post(
            f"/outcomes/sites/{site.uuid}/upload/",
            {"file": SimpleUploadedFile("a.png", small_png()), "um_per_px": "5"},
            follow=True,
        )
        assert "This site is no longer measured." in _text(upload) and not TrichoscopyImage.objects.exists()
        bad = client.post(f"/outcomes/sites/{site.uuid}/edit/", data | {"landmark": ""})
        assert bad.status_code == 422 and '<details class="mt-3" open data-testid="site-edit">' in _text(bad)

    def test_site_page_lines_the_new_image_up(self, site, make_image, personas):
        old = make_image(taken_on=timezone.localdate() - dt.timedelta(days=30), colour=(1, 2, 3))
        new = make_image(colour=(4, 5, 6))
        site.reference_image = old
        site.save()
        text = _text(client_for(personas["nurse"]).get(f"/outcomes/sites/{site.uuid}/"))
        assert 'data-testid="line-up-reference"' in text and 'data-testid="line-up-previous"' in text
        assert f"/outcomes/images/{old.uuid}/file" in text and f"/outcomes/images/{new.uuid}/file" in text
        assert 'accept="image/*"' in text and 'capture="environment"' in text
        date = old.taken_on.strftime("%d/%m/%Y")
        assert f'alt="Trichoscopy image of Vertex target, {date}"' in text

    def test_choose_the_reference_image(self, site, make_image, personas):
        first = make_image(taken_on=timezone.localdate() - dt.timedelta(days=30), colour=(1, 2, 3))
        second = make_image(colour=(4, 5, 6))
        site.reference_image = first
        site.save()
        client = client_for(personas["nurse"])
        response = client.post(f"/outcomes/sites/{site.uuid}/reference/", {"image": str(second.uuid)})
        assert response.status_code == 302
        site.refresh_from_db()
        assert site.reference_image == second
        other_site = MeasurementSite.objects.create(
            clinic=site.clinic,
            patient=site.patient,
            name="Occipital",
            zone="occipital",
            landmark="x",
            created_by=personas["nurse"],
        )
        foreign = client.post(f"/outcomes/sites/{other_site.uuid}/reference/", {"image": str(second.uuid)})
        assert foreign.status_code == 404


# --------------------------------------------------------------------------- upload and analysis
@pytest.mark.django_db
class TestUpload:
    def test_upload_is_analysed_and_shown(self, site, personas, clinic, django_capture_on_commit_callbacks):
        field = generate(3, "clean", um_per_px=5.0, width=640, height=480)
        device = Device.objects.create(clinic=clinic, name="Dermoscope 1", um_per_px=5.0)
        client = client_for(personas["nurse"])
        upload = SimpleUploadedFile("vertex.png", png(field.rgb), content_type="image/png")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/outcomes/sites/{site.uuid}/upload/",
                {"file": upload, "taken_on": timezone.localdate().isoformat(), "device": device.pk},
            )
        image = TrichoscopyImage.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/outcomes/images/{image.uuid}/"
        image.refresh_from_db()
        assert image.status == AnalysisStatus.DONE, image.error
        assert image.device == device and image.um_per_px == 5.0
        page = client.get(response["Location"])
        text = _text(page)
        assert page.status_code == 200
        assert 'data-testid="result-engine-count"' in text and f">{image.hair_count}<" in text
        assert 'data-testid="overlay"' in text and 'data-testid="histogram"' in text
        assert "Dermoscope 1" in text and 'aria-live="polite"' in text
        assert 'hx-trigger="every 2s"' not in text, "nothing to wait for"
        listing = _text(client.get(f"/outcomes/sites/{site.uuid}/"))
        assert 'data-testid="image-row"' in listing and 'data-testid="is-reference"' in listing

    @pytest.mark.parametrize(
        ("name", "data", "message"),
        [
            ("x.png", b"Not an image at all, just some text.\n" * 20, "This is not an image file"),
            ("x.png", small_png() + b"PK\x03\x04" + b"\x00" * 200, "data hidden after the image"),
            ("x.png", b"", "The submitted file is empty."),
        ],
    )
    def test_refused_files_store_nothing(
        self, site, personas, django_capture_on_commit_callbacks, name, data, message
    ):
        client = client_for(personas["nurse"])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/outcomes/sites/{site.uuid}/upload/",
                {
                    "file": SimpleUploadedFile(name, data, content_type="image/png"),
                    "taken_on": timezone.localdate().isoformat(),
                    "um_per_px": "5",
                },
            )
        text = _text(response)
        assert response.status_code == 422
        assert message in text and 'id="id_file_error"' in text
        assert not TrichoscopyImage.objects.exists()
        assert stored_files() == []
        assert not AuditEvent.objects.filter(action="trichoscopy.upload").exists()

    def test_too_large_is_refused_before_reading(self, site, personas, settings):
        settings.FOLLICLE_UPLOAD_MAX_BYTES = 1000
        response = client_for(personas["nurse"]).post(
            f"/outcomes/sites/{site.uuid}/upload/",
            {
                "file": SimpleUploadedFile("big.png", b"\x89PNG" + b"\x00" * 2000),
                "taken_on": timezone.localdate().isoformat(),
                "um_per_px": "5",
            },
        )
        assert response.status_code == 422 and "The file is too large" in _text(response)
        assert not TrichoscopyImage.objects.exists()

    def test_missing_scale_and_future_date_are_422(self, site, personas):
        client = client_for(personas["nurse"])
        url = f"/outcomes/sites/{site.uuid}/upload/"
        no_scale = client.post(
            url,
            {"file": SimpleUploadedFile("a.png", small_png()), "taken_on": timezone.localdate().isoformat()},
        )
        assert no_scale.status_code == 422 and "give the scale in µm per pixel" in _text(no_scale)
        future = client.post(
            url,
            {
                "file": SimpleUploadedFile("a.png", small_png()),
                "taken_on": (timezone.localdate() + dt.timedelta(days=1)).isoformat(),
                "um_per_px": "5",
            },
        )
        assert future.status_code == 422 and "cannot be in the future" in _text(future)
        assert not TrichoscopyImage.objects.exists()


# --------------------------------------------------------------------------- private files
@pytest.mark.django_db
class TestFiles:
    def test_nurse_gets_the_files_with_private_headers(self, image, personas):
        client = client_for(personas["nurse"])
        for url, kind in (
            (f"/outcomes/images/{image.uuid}/file", "image"),
            (f"/outcomes/images/{image.uuid}/overlay", "overlay"),
        ):
            response = client.get(url)
            assert response.status_code == 200
            assert response["Content-Type"] == "image/png"
            assert response["Cache-Control"] == "private, no-store"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response["Content-Disposition"].startswith("inline")
            body = b"".join(response.streaming_content)
            assert Image.open(io.BytesIO(body)).format == "PNG"
            assert AuditEvent.objects.filter(
                action="trichoscopy.file", object_id=str(image.uuid), detail__file=kind
            ).exists()

    def test_no_overlay_before_the_analysis(self, make_image, personas):
        queued = make_image(status=AnalysisStatus.QUEUED)
        assert client_for(personas["nurse"]).get(f"/outcomes/images/{queued.uuid}/overlay").status_code == 404

    def test_receptionist_403_other_clinic_404(self, image, personas):
        url = f"/outcomes/images/{image.uuid}/file"
        assert client_for(personas["receptionist"]).get(url).status_code == 403
        assert client_for(personas["other_practitioner"]).get(url).status_code == 404
        assert client_for(personas["nurse"]).get("/outcomes/images/not-a-uuid/file").status_code == 404


# --------------------------------------------------------------------------- polling
@pytest.mark.django_db
class TestPolling:
    def test_waiting_image_polls_and_the_poll_is_not_audited(self, make_image, personas):
        queued = make_image(status=AnalysisStatus.QUEUED)
        client = client_for(personas["nurse"])
        page = _text(client.get(f"/outcomes/images/{queued.uuid}/"))
        assert 'hx-trigger="every 2s"' in page and 'aria-live="polite"' in page
        assert "Waiting for analysis" in page and 'data-testid="results"' not in page
        before = AuditEvent.objects.filter(action="trichoscopy.view").count()
        poll = client.get(f"/outcomes/images/{queued.uuid}/", headers={"HX-Request": "true"})
        text = _text(poll)
        assert poll.status_code == 200 and "HX-Request" in poll["Vary"]
        assert 'data-status="queued"' in text and 'hx-trigger="every 2s"' in text
        assert "<html" not in text and "hx-swap-oob" not in text
        assert AuditEvent.objects.filter(action="trichoscopy.view").count() == before

    def test_finished_poll_stops_and_brings_the_results(self, image, personas):
        client = client_for(personas["nurse"])
        poll = client.get(f"/outcomes/images/{image.uuid}/", headers={"HX-Request": "true"})
        text = _text(poll)
        assert 'data-status="done"' in text and 'hx-trigger="every 2s"' not in text
        assert 'id="analysis-results" hx-swap-oob="true"' in text and 'data-testid="result-density"' in text
        assert AuditEvent.objects.filter(action="trichoscopy.view", object_id=str(image.uuid)).count() == 1

    def test_failed_analysis_shows_the_error_and_analyses_again(
        self, make_image, personas, django_capture_on_commit_callbacks
    ):
        failed = make_image(status=AnalysisStatus.FAILED, error="ValueError: no hairs to see")
        client = client_for(personas["nurse"])
        text = _text(client.get(f"/outcomes/images/{failed.uuid}/", headers={"HX-Request": "true"}))
        assert "no hairs to see" in text and 'data-testid="reanalyse"' in text
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/outcomes/images/{failed.uuid}/analyse/")
        assert response.status_code == 302
        failed.refresh_from_db()
        # The stored file is a plain 64 × 48 field: the worker analyses it (no hairs or a few).
        assert failed.status in (AnalysisStatus.DONE, AnalysisStatus.FAILED)
        assert AuditEvent.objects.filter(action="trichoscopy.reanalyse").exists()

    def test_site_lists_poll_while_waiting(self, site, make_image, personas):
        make_image(status=AnalysisStatus.RUNNING)
        client = client_for(personas["nurse"])
        page = _text(client.get(f"/outcomes/sites/{site.uuid}/"))
        assert f'hx-get="/outcomes/sites/{site.uuid}/?part=images"' in page
        part = client.get(f"/outcomes/sites/{site.uuid}/?part=images", headers={"HX-Request": "true"})
        assert 'id="image-list"' in _text(part) and "Being analysed" in _text(part)
        assert "<html" not in _text(part)


# --------------------------------------------------------------------------- correction
@pytest.mark.django_db
class TestCorrection:
    def test_nurse_may_not_correct(self, image, personas):
        client = client_for(personas["nurse"])
        assert 'data-testid="correction-form"' not in _text(client.get(f"/outcomes/images/{image.uuid}/"))
        response = client.post(f"/outcomes/images/{image.uuid}/correct/", {"count": "50", "reason": "x"})
        assert response.status_code == 403
        image.refresh_from_db()
        assert image.corrected_count is None

    def test_practitioner_correction_is_shown_with_who_and_why(self, image, personas):
        doctor = personas["practitioner"]
        client = client_for(doctor)
        url = f"/outcomes/images/{image.uuid}/correct/"
        assert 'data-testid="correction-form"' in _text(client.get(f"/outcomes/images/{image.uuid}/"))
        missing = client.post(url, {"count": "50", "reason": " "})
        assert missing.status_code == 422 and "This field is required." in _text(missing)
        response = client.post(url, {"count": "50", "reason": "Eight hairs hidden under a crossing"})
        assert response.status_code == 302
        image.refresh_from_db()
        assert image.hair_count == 42 and image.count_used == 50 and image.corrected_by == doctor
        text = _text(client.get(f"/outcomes/images/{image.uuid}/"))
        assert 'data-testid="result-corrected-count"' in text and ">50<" in text and ">42<" in text
        assert doctor.display_name in text and "Eight hairs hidden under a crossing" in text
        assert "200.0" in text, "the density follows the corrected count (50 / 0.25)"
        listing = _text(client_for(personas["nurse"]).get(f"/outcomes/sites/{image.site.uuid}/"))
        assert '50 <span class="badge text-bg-warning">corrected</span>' in listing


# --------------------------------------------------------------------------- in error
@pytest.mark.django_db
class TestInError:
    def test_image_marked_in_error_leaves_the_figures(self, site, image, personas):
        client = client_for(personas["nurse"])
        bad = client.post(f"/outcomes/images/{image.uuid}/entered-in-error/", {"reason": ""})
        assert bad.status_code == 422
        ok = client.post(f"/outcomes/images/{image.uuid}/entered-in-error/", {"reason": "Wrong patient"})
        assert ok.status_code == 302
        text = _text(client.get(f"/outcomes/images/{image.uuid}/"))
        assert 'data-testid="in-error"' in text and "Wrong patient" in text
        sites = _text(client.get(f"/outcomes/patient/{site.patient.uuid}/sites/"))
        assert "168/cm²" not in sites


# --------------------------------------------------------------------------- pairs
@pytest.mark.django_db
class TestPairs:
    def test_pair_form_gives_the_anagen_share(
        self, site, nurse, personas, django_capture_on_commit_callbacks
    ):
        day0, day2, truth = generate_pair(5, "clean", um_per_px=5.0, width=640, height=480)
        with django_capture_on_commit_callbacks(execute=True):
            first = measuring.trichoscopy_upload(
                site=site,
                auditor=nurse,
                data=png(day0.rgb),
                um_per_px=5.0,
                taken_on=timezone.localdate() - dt.timedelta(days=2),
            )
        with django_capture_on_commit_callbacks(execute=True):
            second = measuring.trichoscopy_upload(site=site, auditor=nurse, data=png(day2.rgb), um_per_px=5.0)
        client = client_for(personas["nurse"])
        assert 'data-testid="pair-form"' in _text(client.get(f"/outcomes/sites/{site.uuid}/"))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/outcomes/sites/{site.uuid}/pairs/", {"day0": str(first.uuid), "day2": str(second.uuid)}
            )
        pair = TrichoscopyPair.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/outcomes/pairs/{pair.uuid}/"
        pair.refresh_from_db()
        assert pair.status == AnalysisStatus.DONE, pair.error
        share = f"{round(100 * pair.anagen_fraction)} %"
        page = _text(client.get(response["Location"]))
        assert 'data-testid="pair-anagen"' in page and share in page
        listing = _text(client.get(f"/outcomes/sites/{site.uuid}/"))
        assert share in listing

    def test_pair_rules_are_422(self, site, make_image, personas):
        a = make_image(taken_on=timezone.localdate() - dt.timedelta(days=9), colour=(1, 1, 1))
        b = make_image(colour=(2, 2, 2))
        client = client_for(personas["nurse"])
        url = f"/outcomes/sites/{site.uuid}/pairs/"
        same = client.post(url, {"day0": str(a.uuid), "day2": str(a.uuid)})
        assert same.status_code == 422 and "Choose two different images." in _text(same)
        far = client.post(url, {"day0": str(a.uuid), "day2": str(b.uuid)})
        assert far.status_code == 422 and "days after the first" in _text(far)
        assert not TrichoscopyPair.objects.exists()

    def test_waiting_pair_polls(self, pair, personas):
        TrichoscopyPair.objects.filter(pk=pair.pk).update(status=AnalysisStatus.QUEUED, anagen_fraction=None)
        client = client_for(personas["nurse"])
        page = _text(client.get(f"/outcomes/pairs/{pair.uuid}/"))
        assert 'hx-trigger="every 2s"' in page and 'aria-live="polite"' in page
        poll = _text(client.get(f"/outcomes/pairs/{pair.uuid}/", headers={"HX-Request": "true"}))
        assert 'data-status="queued"' in poll and "<html" not in poll


# --------------------------------------------------------------------------- hand-entered measurements
@pytest.mark.django_db
class TestManual:
    def test_missing_source_is_422(self, site, personas):
        client = client_for(personas["nurse"])
        url = f"/outcomes/patient/{site.patient.uuid}/measurements/"
        data = {"kind": "density_per_cm2", "value": "142.5", "measured_on": timezone.localdate().isoformat()}
        response = client.post(url, data | {"source": ""})
        assert response.status_code == 422 and 'id="id_source_error"' in _text(response)
        assert not Measurement.objects.exists()
        out_of_range = client.post(url, data | {"value": "5000", "source": "TrichoScan"})
        assert out_of_range.status_code == 422 and "Give a value from 0 to 1000" in _text(out_of_range)

    def test_measurement_with_its_source_and_marked_in_error(self, site, personas):
        client = client_for(personas["nurse"])
        url = f"/outcomes/patient/{site.patient.uuid}/measurements/"
        response = client.post(
            url,
            {
                "kind": "density_per_cm2",
                "value": "142.5",
                "measured_on": timezone.localdate().isoformat(),
                "site": str(site.uuid),
                "source": "TrichoScan report of 12/03",
            },
        )
        assert response.status_code == 302
        measurement = Measurement.objects.get()
        assert measurement.site == site and measurement.entered_by == personas["nurse"]
        text = _text(client.get(f"/outcomes/patient/{site.patient.uuid}/sites/"))
        assert "TrichoScan report of 12/03" in text and "142.5" in text
        client.post(f"/outcomes/measurements/{measurement.uuid}/entered-in-error/", {"reason": "Typo"})
        measurement.refresh_from_db()
        assert measurement.entered_in_error and measurement.entered_in_error_reason == "Typo"
        other = client_for(personas["other_practitioner"])
        assert (
            other.post(
                f"/outcomes/measurements/{measurement.uuid}/entered-in-error/", {"reason": "x"}
            ).status_code
            == 404
        )


# --------------------------------------------------------------------------- in Greek
@pytest.mark.django_db
def test_image_page_in_greek_keeps_svg_numbers(image, personas):
    nurse = personas["nurse"]
    nurse.language = "el"
    nurse.save()
    # The user's language is activated for the request's thread: put the previous one back after.
    with translation.override(None):
        text = _text(client_for(nurse).get(f"/outcomes/images/{image.uuid}/"))
    assert 'lang="el"' in text and ">61,5<" in text, "figures the Greek way (mean thickness 61.5 µm)"
    svg = text[
        text.index('<svg class="histogram"') : text.index("</svg>", text.index('<svg class="histogram"'))
    ]
    assert 'width="19.24"' in svg and not re.search(r'="[0-9.]*,[0-9]', svg), "SVG numbers keep the dot"


# --------------------------------------------------------------------------- the histogram
class TestHistogram:
    def test_bars_and_rows_from_the_engine_histogram(self):
        drawn = thickness_histogram(
            {
                "vellus_max_um": 30.0,
                "thickness_histogram": {
                    "edges_um": [0.0, 10.0, 20.0, 30.0, 40.0],
                    "counts": [1, 3, 0, 4],
                    "above": 2,
                },
            }
        )
        assert [b["count"] for b in drawn["bins"]] == [1, 3, 0, 4, 2]
        assert [b["label"] for b in drawn["bins"]][-1] == "≥ 40"
        assert [b["vellus"] for b in drawn["bins"]] == [True, True, True, False, False]
        assert drawn["total"] == 10 and drawn["bins"][3]["share"] == "40 %"
        assert all("," not in b["x"] and "," not in b["h"] for b in drawn["bins"]), (
            "SVG numbers, any language"
        )
        assert thickness_histogram({}) is None
