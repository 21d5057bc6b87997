"""The measurements API: sites, trichoscopy upload → analysis → correction, files, pairs, manual
measurements; every role, another clinic's objects, validation."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from follicle.accounts.models import Membership
from follicle.accounts.services import token_create
from follicle.core.audit import Auditor
from follicle.core.models import AuditEvent
from follicle.imaging.synth import generate, generate_pair
from follicle.outcomes import measuring
from follicle.outcomes.models import AnalysisStatus, Device, Measurement, MeasurementSite, TrichoscopyImage

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def png(rgb) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="PNG")
    return out.getvalue()


def small_png(seed: int = 0) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (seed % 256, 120, 90)).save(out, format="PNG")
    return out.getvalue()


def api(personas, who: str) -> Client:
    membership = Membership.objects.get(user=personas[who])
    _token, key = token_create(membership=membership, auditor=Auditor.system())
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def send(client, method: str, path: str, payload=None):
    if payload is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(payload), content_type="application/json")


@pytest.fixture
def nurse(personas, clinic):
    return Auditor(actor=personas["nurse"], role="nurse", clinic=clinic)


@pytest.fixture
def patient(make_patient):
    return make_patient()


@pytest.fixture
def site(patient, nurse):
    return measuring.site_create(
        patient=patient, auditor=nurse, name="Vertex target", zone="vertex", landmark="crown whorl, midline"
    )


@pytest.fixture
def queued_image(site, nurse):
    """An image whose upload has not committed: no file yet, analysis queued."""
    return measuring.trichoscopy_upload(site=site, auditor=nurse, data=small_png(), um_per_px=5.0)


@pytest.fixture
def analysed(site, nurse, django_capture_on_commit_callbacks):
    field = generate(3, "clean", um_per_px=5.0, width=640, height=480)
    with django_capture_on_commit_callbacks(execute=True):
        image = measuring.trichoscopy_upload(site=site, auditor=nurse, data=png(field.rgb), um_per_px=5.0)
    image.refresh_from_db()
    assert image.status == AnalysisStatus.DONE, image.error
    return image


@pytest.fixture
def nurse_api(personas):
    return api(personas, "nurse")


@pytest.fixture
def doctor_api(personas):
    return api(personas, "practitioner")


def upload(client, site, data: bytes, name: str = "field.png", **fields):
    form = {"file": SimpleUploadedFile(name, data, content_type="image/png")} | {
        k: str(v) for k, v in ({"um_per_px": 5.0} | fields).items() if v is not None
    }
    return client.post(f"/api/v1/measurement-sites/{site.uuid}/images", form)


# --------------------------------------------------------------------------- sites
class TestSites:
    def test_create_list_get_patch(self, patient, nurse_api):
        base = f"/api/v1/patients/{patient.uuid}/measurement-sites"
        created = send(
            nurse_api,
            "post",
            base,
            {"name": "Frontal", "zone": "frontal", "landmark": "1 cm behind the hairline"},
        )
        assert created.status_code == 201, created.content
        body = created.json()
        assert (
            body["name"] == "Frontal"
            and body["zone"] == "frontal"
            and body["patient_id"] == str(patient.uuid)
        )
        assert body["created_by"] == "nurse.athens" and body["reference_image_id"] is None
        send(
            nurse_api,
            "post",
            base,
            {"name": "Occipital", "zone": "occipital", "landmark": "x", "is_reference": True},
        )
        page = nurse_api.get(base + "?limit=1").json()
        assert page["count"] == 2 and [s["name"] for s in page["items"]] == ["Frontal"]
        assert AuditEvent.objects.filter(action="site.list", patient_uuid=patient.uuid).exists()
        site_url = f"/api/v1/measurement-sites/{body['id']}"
        assert nurse_api.get(site_url).json()["landmark"] == "1 cm behind the hairline"
        assert AuditEvent.objects.filter(action="site.view", object_id=body["id"]).exists()
        patched = send(nurse_api, "patch", site_url, {"landmark": "tattoo dot", "is_archived": True})
        assert patched.status_code == 200
        assert patched.json()["landmark"] == "tattoo dot" and patched.json()["is_archived"] is True
        assert nurse_api.get(base).json()["items"][-1]["name"] == "Frontal", "archived sites come last"

    def test_validation(self, site, nurse_api):
        base = f"/api/v1/patients/{site.patient.uuid}/measurement-sites"
        assert (
            send(nurse_api, "post", base, {"name": "A", "zone": "neck", "landmark": "x"}).status_code == 422
        )
        assert (
            send(nurse_api, "post", base, {"name": "A", "zone": "vertex", "landmark": ""}).status_code == 422
        )
        clash = send(nurse_api, "post", base, {"name": "VERTEX target", "zone": "vertex", "landmark": "x"})
        assert clash.status_code == 422 and "name" in clash.json()["detail"]
        url = f"/api/v1/measurement-sites/{site.uuid}"
        assert send(nurse_api, "patch", url, {"name": None}).status_code == 422
        assert send(nurse_api, "patch", url, {"bogus": 1}).status_code == 200  # unknown keys are ignored

    def test_reference_image_must_be_of_the_site(self, site, queued_image, nurse, nurse_api):
        other = measuring.site_create(
            patient=site.patient, auditor=nurse, name="Frontal", zone="frontal", landmark="x"
        )
        url = f"/api/v1/measurement-sites/{other.uuid}"
        refused = send(nurse_api, "patch", url, {"reference_image": str(queued_image.uuid)})
        assert refused.status_code == 422 and "reference_image" in refused.json()["detail"]
        own = f"/api/v1/measurement-sites/{site.uuid}"
        assert send(nurse_api, "patch", own, {"reference_image": None}).json()["reference_image_id"] is None
        back = send(nurse_api, "patch", own, {"reference_image": str(queued_image.uuid)})
        assert back.json()["reference_image_id"] == str(queued_image.uuid)


# --------------------------------------------------------------------------- images
class TestUploadAndAnalysis:
    def test_upload_is_analysed_and_served(self, site, nurse_api, django_capture_on_commit_callbacks):
        field = generate(3, "clean", um_per_px=5.0, width=640, height=480)
        taken = TODAY() - dt.timedelta(days=1)
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(nurse_api, site, png(field.rgb), name="../../etc/field.png", taken_on=taken)
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["status"] == "queued" and body["taken_on"] == taken.isoformat()
        assert body["um_per_px"] == 5.0 and body["device"] is None and body["original_name"] == "field.png"
        assert (body["width"], body["height"]) == (640, 480) and body["site_id"] == str(site.uuid)
        detail = nurse_api.get(f"/api/v1/trichoscopy-images/{body['id']}").json()
        assert detail["status"] == "done", detail["error"]
        truth = field.truth["hair_count"]
        assert abs(detail["hair_count"] - truth) <= max(3, 0.25 * truth)
        assert detail["count_used"] == detail["hair_count"] and detail["correction"] is None
        assert detail["results"]["hair_count"] == detail["hair_count"] and detail["engine_version"]
        assert AuditEvent.objects.filter(action="trichoscopy.view", object_id=body["id"]).exists()
        for url, which in ((detail["file_url"], "image"), (detail["overlay_url"], "overlay")):
            served = nurse_api.get(url)
            assert served.status_code == 200 and served["Content-Type"] == "image/png"
            assert served["Cache-Control"] == "private, no-store"
            assert served["X-Content-Type-Options"] == "nosniff"
            assert served["Content-Disposition"].startswith("inline")
            assert Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (640, 480)
            assert AuditEvent.objects.filter(action="trichoscopy.file", detail__which=which).exists()
        listed = nurse_api.get(f"/api/v1/measurement-sites/{site.uuid}/images").json()
        assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
        assert "results" not in listed["items"][0]
        assert AuditEvent.objects.filter(action="trichoscopy.list").exists()
        site.refresh_from_db()
        assert str(site.reference_image.uuid) == body["id"]

    def test_device_by_name(self, site, clinic, other_clinic, nurse_api):
        Device.objects.create(clinic=clinic, name="Dermoscope 1", um_per_px=4.2)
        Device.objects.create(clinic=other_clinic, name="Theirs", um_per_px=3.0)
        response = upload(nurse_api, site, small_png(1), device="Dermoscope 1", um_per_px=None)
        assert response.status_code == 201
        assert response.json()["device"] == {"name": "Dermoscope 1", "um_per_px": 4.2}
        assert response.json()["um_per_px"] == 4.2
        refused = upload(nurse_api, site, small_png(2), device="Theirs", um_per_px=None)
        assert refused.status_code == 422 and "device" in refused.json()["detail"]

    def test_validation(self, site, nurse_api):
        url = f"/api/v1/measurement-sites/{site.uuid}/images"
        no_file = nurse_api.post(url, {"um_per_px": "5"})
        assert no_file.status_code == 422 and no_file.json()["detail"]
        no_scale = upload(nurse_api, site, small_png(), um_per_px=None)
        assert no_scale.status_code == 422 and "device" in no_scale.json()["detail"]
        bad_scale = upload(nurse_api, site, small_png(), um_per_px=500)
        assert bad_scale.status_code == 422 and "um_per_px" in bad_scale.json()["detail"]
        future = upload(nurse_api, site, small_png(), taken_on=TODAY() + dt.timedelta(days=1))
        assert future.status_code == 422 and "taken_on" in future.json()["detail"]
        assert upload(nurse_api, site, small_png(), taken_on="yesterday").status_code == 422
        assert upload(nurse_api, site, small_png()).status_code == 201
        again = upload(nurse_api, site, small_png())
        assert again.status_code == 422 and "already uploaded" in again.json()["detail"]["file"][0]
        assert TrichoscopyImage.objects.count() == 1

    def test_archived_site_takes_no_images(self, site, nurse, nurse_api):
        measuring.site_update(site=site, auditor=nurse, is_archived=True)
        assert upload(nurse_api, site, small_png()).status_code == 422

    def test_overlay_only_once_analysed(self, queued_image, nurse_api):
        detail = nurse_api.get(f"/api/v1/trichoscopy-images/{queued_image.uuid}").json()
        assert detail["status"] == "queued" and detail["overlay_url"] is None
        response = nurse_api.get(f"/api/v1/trichoscopy-images/{queued_image.uuid}/overlay")
        assert response.status_code == 404 and response.json() == {"detail": "Not found."}

    def test_reanalyse(self, analysed, nurse_api, django_capture_on_commit_callbacks):
        url = f"/api/v1/trichoscopy-images/{analysed.uuid}"
        with django_capture_on_commit_callbacks(execute=True):
            response = nurse_api.post(url + "/reanalyse")
        assert response.status_code == 200 and response.json()["status"] == "queued"
        assert nurse_api.get(url).json()["status"] == "done"

    def test_reanalyse_while_queued_is_422(self, queued_image, nurse_api):
        assert nurse_api.post(f"/api/v1/trichoscopy-images/{queued_image.uuid}/reanalyse").status_code == 422

    def test_entered_in_error(self, queued_image, nurse_api):
        url = f"/api/v1/trichoscopy-images/{queued_image.uuid}/entered-in-error"
        assert send(nurse_api, "post", url, {"reason": ""}).status_code == 422
        response = send(nurse_api, "post", url, {"reason": "wrong patient"})
        assert response.status_code == 200
        assert response.json()["entered_in_error"] is True
        assert response.json()["entered_in_error_reason"] == "wrong patient"
        site = nurse_api.get(f"/api/v1/measurement-sites/{queued_image.site.uuid}").json()
        assert site["reference_image_id"] is None


class TestCorrection:
    def test_practitioner_corrects_with_attribution(self, analysed, nurse_api, doctor_api):
        url = f"/api/v1/trichoscopy-images/{analysed.uuid}/correction"
        engine = analysed.hair_count
        payload = {"count": engine + 4, "reason": "Four hairs hidden under a crossing"}
        assert send(nurse_api, "post", url, payload).status_code == 403
        assert send(doctor_api, "post", url, {"count": 3, "reason": ""}).status_code == 422
        assert send(doctor_api, "post", url, {"count": -1, "reason": "x"}).status_code == 422
        response = send(doctor_api, "post", url, payload)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["hair_count"] == engine and body["count_used"] == engine + 4
        correction = body["correction"]
        assert correction["count"] == engine + 4 and correction["engine_count"] == engine
        assert correction["by"] == "practitioner.athens" and correction["reason"] == payload["reason"]
        assert correction["at"]
        assert body["density_used"] == pytest.approx((engine + 4) / body["area_cm2"])
        withdrawn = send(doctor_api, "post", url, {"count": None, "reason": "engine was right"}).json()
        assert withdrawn["count_used"] == engine and withdrawn["correction"]["count"] is None
        assert AuditEvent.objects.filter(action="trichoscopy.correct").count() == 2

    def test_not_before_the_analysis(self, queued_image, doctor_api):
        url = f"/api/v1/trichoscopy-images/{queued_image.uuid}/correction"
        assert send(doctor_api, "post", url, {"count": 3, "reason": "x"}).status_code == 422


# --------------------------------------------------------------------------- pairs
class TestPairs:
    def test_pair_gives_the_anagen_share(self, site, nurse, nurse_api, django_capture_on_commit_callbacks):
        day0, day2, truth = generate_pair(5, "clean", um_per_px=5.0, width=640, height=480)
        with django_capture_on_commit_callbacks(execute=True):
            first = measuring.trichoscopy_upload(
                site=site,
                auditor=nurse,
                data=png(day0.rgb),
                um_per_px=5.0,
                taken_on=TODAY() - dt.timedelta(days=2),
            )
            second = measuring.trichoscopy_upload(site=site, auditor=nurse, data=png(day2.rgb), um_per_px=5.0)
        url = f"/api/v1/measurement-sites/{site.uuid}/pairs"
        with django_capture_on_commit_callbacks(execute=True):
            response = send(nurse_api, "post", url, {"day0": str(first.uuid), "day2": str(second.uuid)})
        assert response.status_code == 201, response.content
        assert response.json()["days"] == 2 and response.json()["status"] == "queued"
        pair = nurse_api.get(f"/api/v1/trichoscopy-pairs/{response.json()['id']}").json()
        assert pair["status"] == "done", pair["error"]
        assert abs(pair["anagen_fraction"] - truth["anagen_fraction"]) <= 0.2
        assert pair["day0_id"] == str(first.uuid) and pair["created_by"] == "nurse.athens"
        assert nurse_api.get(url).json()["count"] == 1
        again = send(nurse_api, "post", url, {"day0": str(first.uuid), "day2": str(second.uuid)})
        assert again.status_code == 422

    def test_rules(self, site, queued_image, nurse, nurse_api):
        url = f"/api/v1/measurement-sites/{site.uuid}/pairs"
        same_day = measuring.trichoscopy_upload(site=site, auditor=nurse, data=small_png(9), um_per_px=5.0)
        days = send(nurse_api, "post", url, {"day0": str(queued_image.uuid), "day2": str(same_day.uuid)})
        assert days.status_code == 422 and "days after" in str(days.json()["detail"])
        other = measuring.site_create(
            patient=site.patient, auditor=nurse, name="Frontal", zone="frontal", landmark="x"
        )
        elsewhere = measuring.trichoscopy_upload(site=other, auditor=nurse, data=small_png(7), um_per_px=5.0)
        wrong = send(nurse_api, "post", url, {"day0": str(elsewhere.uuid), "day2": str(same_day.uuid)})
        assert wrong.status_code == 422 and "day0" in wrong.json()["detail"]
        assert send(nurse_api, "post", url, {"day0": "nope", "day2": str(same_day.uuid)}).status_code == 422


# --------------------------------------------------------------------------- hand-entered
class TestMeasurements:
    def test_add_list_and_mark_in_error(self, site, nurse_api):
        base = f"/api/v1/patients/{site.patient.uuid}/measurements"
        payload = {
            "kind": "density_per_cm2",
            "value": 142.5,
            "measured_on": TODAY().isoformat(),
            "source": "TrichoScan report of 12/03",
            "site": str(site.uuid),
        }
        created = send(nurse_api, "post", base, payload)
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["site_id"] == str(site.uuid) and body["entered_by"] == "nurse.athens"
        send(nurse_api, "post", base, payload | {"kind": "mean_thickness_um", "value": 62, "site": None})
        assert nurse_api.get(base).json()["count"] == 2
        assert nurse_api.get(base + "?kind=mean_thickness_um").json()["count"] == 1
        assert nurse_api.get(base + f"?site={site.uuid}").json()["count"] == 1
        assert AuditEvent.objects.filter(action="measurement.list", patient_uuid=site.patient.uuid).exists()
        url = f"/api/v1/measurements/{body['id']}/entered-in-error"
        assert send(nurse_api, "post", url, {"reason": " "}).status_code == 422
        marked = send(nurse_api, "post", url, {"reason": "typo"})
        assert marked.status_code == 200 and marked.json()["entered_in_error"] is True
        assert nurse_api.get(base).json()["count"] == 1
        assert nurse_api.get(base + "?include_in_error=true").json()["count"] == 2

    def test_validation(self, site, nurse, make_patient, nurse_api):
        base = f"/api/v1/patients/{site.patient.uuid}/measurements"
        good = {"kind": "vellus_fraction", "value": 0.2, "measured_on": TODAY().isoformat(), "source": "lab"}
        assert send(nurse_api, "post", base, good).status_code == 201
        assert send(nurse_api, "post", base, good | {"value": 1.5}).status_code == 422
        assert send(nurse_api, "post", base, good | {"kind": "weight"}).status_code == 422
        assert send(nurse_api, "post", base, good | {"source": ""}).status_code == 422
        future = (TODAY() + dt.timedelta(days=3)).isoformat()
        assert send(nurse_api, "post", base, good | {"measured_on": future}).status_code == 422
        someone_else = make_patient(first_name="Άλλη")
        theirs = measuring.site_create(
            patient=someone_else, auditor=nurse, name="V", zone="vertex", landmark="x"
        )
        refused = send(nurse_api, "post", base, good | {"site": str(theirs.uuid)})
        assert refused.status_code == 422 and "site" in refused.json()["detail"]
        assert Measurement.objects.count() == 1


# --------------------------------------------------------------------------- who may
def _endpoints(world) -> list[tuple[str, str, dict | None]]:
    p, s, i, pr, m = (world[k] for k in ("patient", "site", "image", "pair", "measurement"))
    return [
        ("get", f"/api/v1/patients/{p}/measurement-sites", None),
        (
            "post",
            f"/api/v1/patients/{p}/measurement-sites",
            {"name": "New", "zone": "frontal", "landmark": "x"},
        ),
        ("get", f"/api/v1/measurement-sites/{s}", None),
        ("patch", f"/api/v1/measurement-sites/{s}", {"landmark": "y"}),
        ("get", f"/api/v1/measurement-sites/{s}/images", None),
        ("upload", f"/api/v1/measurement-sites/{s}/images", None),
        ("get", f"/api/v1/trichoscopy-images/{i}", None),
        ("get", f"/api/v1/trichoscopy-images/{i}/file", None),
        ("get", f"/api/v1/trichoscopy-images/{i}/overlay", None),
        ("post", f"/api/v1/trichoscopy-images/{i}/correction", {"count": 1, "reason": "x"}),
        ("post", f"/api/v1/trichoscopy-images/{i}/reanalyse", None),
        ("post", f"/api/v1/trichoscopy-images/{i}/entered-in-error", {"reason": "x"}),
        ("get", f"/api/v1/measurement-sites/{s}/pairs", None),
        ("post", f"/api/v1/measurement-sites/{s}/pairs", {"day0": str(i), "day2": str(i)}),
        ("get", f"/api/v1/trichoscopy-pairs/{pr}", None),
        ("get", f"/api/v1/patients/{p}/measurements", None),
        (
            "post",
            f"/api/v1/patients/{p}/measurements",
            {"kind": "hair_count", "value": 1, "measured_on": "2024-01-01", "source": "x"},
        ),
        ("post", f"/api/v1/measurements/{m}/entered-in-error", {"reason": "x"}),
    ]


@pytest.fixture
def world(analysed, nurse, django_capture_on_commit_callbacks):
    site = analysed.site
    with django_capture_on_commit_callbacks(execute=True):
        earlier = measuring.trichoscopy_upload(
            site=site,
            auditor=nurse,
            data=small_png(3),
            um_per_px=5.0,
            taken_on=TODAY() - dt.timedelta(days=2),
        )
        pair = measuring.pair_create(day0=earlier, day2=analysed, auditor=nurse)
    measurement = measuring.measurement_add(
        patient=site.patient, auditor=nurse, kind="hair_count", value=3, measured_on=TODAY(), source="x"
    )
    return {
        "patient": site.patient.uuid,
        "site": site.uuid,
        "image": analysed.uuid,
        "pair": pair.uuid,
        "measurement": measurement.uuid,
    }


def _call(client, method, path, payload):
    if method == "upload":
        return client.post(path, {"file": SimpleUploadedFile("x.png", small_png(77)), "um_per_px": "5"})
    response = send(client, method, path, payload)
    if response.streaming:
        b"".join(response.streaming_content)  # read to the end, which closes the file
    return response


@pytest.mark.parametrize("role", ["admin", "receptionist"])
def test_admin_and_reception_are_refused_everything(role, personas, world):
    client = api(personas, role)
    for method, path, payload in _endpoints(world):
        response = _call(client, method, path, payload)
        assert response.status_code == 403, (method, path)
        assert set(response.json()) == {"detail"}
    assert MeasurementSite.objects.count() == 1 and Measurement.objects.count() == 1


@pytest.mark.parametrize("role", ["other_practitioner", "other_admin"])
def test_another_clinic_finds_nothing(role, personas, world):
    client = api(personas, role)
    for method, path, payload in _endpoints(world):
        response = _call(client, method, path, payload)
        expected = 404 if role == "other_practitioner" else 403
        assert response.status_code == expected, (method, path, response.content[:200])
        assert set(response.json()) == {"detail"}
        assert b"Vertex" not in response.content
    assert TrichoscopyImage.objects.count() == 2


@pytest.mark.parametrize("role", ["nurse", "practitioner"])
def test_clinical_roles_may(role, personas, world, django_capture_on_commit_callbacks):
    client = api(personas, role)
    expected = {"post": {"measurement-sites": 201, "measurements": 201, "pairs": 422}}
    for method, path, payload in _endpoints(world):
        if path.endswith("/correction") and role == "nurse":
            assert _call(client, method, path, payload).status_code == 403
            continue
        with django_capture_on_commit_callbacks(execute=False):
            response = _call(client, method, path, payload)
        last = path.rsplit("/", 1)[-1]
        ok = 201 if method == "upload" else expected.get(method, {}).get(last, 200)
        assert response.status_code == ok, (method, path, response.content[:300])
