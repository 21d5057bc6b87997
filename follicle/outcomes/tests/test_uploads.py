"""Upload hardening: every file of the hostile corpus is refused with a clear message and leaves
nothing behind (in clean_image, through the service, through the API); real phone and dermoscope
images are accepted, turned upright and stored without any metadata."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from follicle.accounts.models import Membership
from follicle.accounts.services import token_create
from follicle.core.audit import Auditor
from follicle.outcomes import measuring, uploads
from follicle.outcomes.models import TrichoscopyImage
from follicle.outcomes.storage import private_storage
from follicle.outcomes.tests import corpus

BAD = corpus.bad_files()
GOOD = corpus.good_files()
METADATA_MARKERS = (b"Exif", b"GPS", b"<x:xmpmeta", b"PhoneMaker", b"xmp", b"SEFT", b"ftyp")


@pytest.fixture(autouse=True)
def _small_byte_limit(settings):
    settings.FOLLICLE_UPLOAD_MAX_BYTES = corpus.MAX_BYTES


def stored_files(settings) -> list[Path]:
    """Every file under MEDIA_ROOT and the private storage (conftest makes them per-test dirs)."""
    found = []
    for root in {Path(settings.MEDIA_ROOT), Path(private_storage.location)}:
        for folder, _dirs, names in os.walk(root):
            found += [Path(folder) / name for name in names]
    return found


def assert_user_message(message: str) -> None:
    assert message and message.strip() == message and message.endswith("."), repr(message)
    assert len(message) < 200
    for leak in ("Error", "Traceback", "PIL", "struct", "errno", "b'", "\\x"):
        assert leak not in message, f"a technical message reached the user: {message!r}"


def assert_no_metadata(content: bytes) -> None:
    for marker in METADATA_MARKERS:
        assert marker not in content, f"{marker!r} survived the re-encoding"
    image = Image.open(io.BytesIO(content))
    assert not dict(image.getexif()), "EXIF tags survived"
    assert not set(image.info) & {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "Comment"}


# --------------------------------------------------------------------------- the corpus itself
def test_the_corpus_covers_what_the_issue_names():
    assert len(BAD) >= 24
    whys = " ".join(f.why.lower() for f in BAD)
    for kind in ("named .jpg", "cut off", "bomb", "100000", "polyglot", "svg", "script", "animated", "gif"):
        assert kind in whys, kind
    assert all(f.data != b"" for f in BAD if f.name != "empty.jpg")


# --------------------------------------------------------------------------- (a) clean_image
@pytest.mark.parametrize("bad", BAD, ids=[f.name for f in BAD])
@pytest.mark.parametrize("purpose", [uploads.PHOTO, uploads.TRICHOSCOPY])
def test_clean_image_refuses(bad, purpose):
    with pytest.raises(uploads.UploadRejected) as refused:
        uploads.clean_image(bad.data, purpose=purpose)
    assert_user_message(str(refused.value))


@pytest.mark.parametrize("good", GOOD, ids=[f.name for f in GOOD])
@pytest.mark.parametrize("purpose", [uploads.PHOTO, uploads.TRICHOSCOPY])
def test_clean_image_accepts_real_images(good, purpose):
    clean = uploads.clean_image(good.data, purpose=purpose)
    stored = Image.open(io.BytesIO(clean.content))
    stored.load()
    assert stored.format == ("PNG" if purpose == uploads.TRICHOSCOPY else "JPEG")
    assert stored.mode == "RGB" and stored.size == (clean.width, clean.height)
    assert clean.content_type == f"image/{'png' if purpose == uploads.TRICHOSCOPY else 'jpeg'}"
    assert_no_metadata(clean.content)


def test_exif_orientation_is_applied_and_everything_else_dropped():
    data = corpus.exif_photo(width=80, height=60, orientation=6)
    original = Image.open(io.BytesIO(data))
    assert original.size == (80, 60) and original.getexif()[0x0112] == 6
    assert b"GPS" in data or original.getexif().get_ifd(0x8825), "the test photo carries a position"
    for purpose in (uploads.PHOTO, uploads.TRICHOSCOPY):
        clean = uploads.clean_image(data, purpose=purpose)
        assert (clean.width, clean.height) == (60, 80), "upright: width and height swapped"
        upright = Image.open(io.BytesIO(clean.content)).convert("L")
        # The white corner mark (top left of the sensor) is top right once turned 90° clockwise.
        assert upright.getpixel((clean.width - 4, 4)) > 200
        assert upright.getpixel((4, 4)) < 200
        assert_no_metadata(clean.content)
        assert not Image.open(io.BytesIO(clean.content)).getexif().get_ifd(0x8825)


def test_cmyk_jpeg_is_accepted_and_converted():
    data = next(f.data for f in GOOD if f.name == "print.jpg")
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    clean = uploads.clean_image(data)
    assert clean.original_format == "JPEG"
    assert Image.open(io.BytesIO(clean.content)).mode == "RGB"


def test_sixteen_bit_grey_is_scaled_not_clipped():
    width, height = 64, 32
    rows = b"".join(
        b"\x00" + b"".join(struct.pack(">H", x * 1000) for x in range(width)) for _y in range(height)
    )
    data = (
        corpus.PNG_SIGNATURE
        + corpus.chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 0, 0, 0, 0))
        + corpus.chunk(b"IDAT", zlib.compress(rows))
        + corpus.chunk(b"IEND", b"")
    )
    clean = uploads.clean_image(data, purpose=uploads.TRICHOSCOPY)
    grey = Image.open(io.BytesIO(clean.content)).convert("L")
    assert grey.getpixel((0, 0)) == 0 and grey.getpixel((width - 1, 0)) >= 254
    assert 100 < grey.getpixel((width // 2, 0)) < 160, "a gradient, not a white sheet"


def test_pixels_that_spell_markup_are_not_markup():
    """Compressed or raw pixel data is never searched: a picture whose bytes happen to read
    "<script" or "<?php" is still a picture."""
    row = b"<script><?php <svg onload=" * 4
    stored_png = (  # deflate level 0 and filter 0: the pixel bytes appear as they are
        corpus.PNG_SIGNATURE
        + corpus.chunk(b"IHDR", struct.pack(">IIBBBBB", len(row), 20, 8, 0, 0, 0, 0))
        + corpus.chunk(b"IDAT", zlib.compress((b"\x00" + row) * 20, 0))
        + corpus.chunk(b"IEND", b"")
    )
    out = io.BytesIO()
    Image.frombytes("L", (len(row), 20), row * 20).save(out, format="TIFF")
    for data in (stored_png, out.getvalue()):
        assert b"<script" in data and b"<?php" in data
        uploads.clean_image(data)


def test_every_limit_is_at_the_edge(settings):
    settings.FOLLICLE_UPLOAD_MAX_PIXELS = 64 * 48
    uploads.clean_image(corpus.png(64, 48))
    with pytest.raises(uploads.UploadRejected, match="too large"):
        uploads.clean_image(corpus.png(64, 49))
    data = corpus.png(64, 48)
    settings.FOLLICLE_UPLOAD_MAX_BYTES = len(data)
    uploads.clean_image(data)
    settings.FOLLICLE_UPLOAD_MAX_BYTES = len(data) - 1
    with pytest.raises(uploads.UploadRejected, match="too large"):
        uploads.clean_image(data)
    uploads.clean_image(corpus.png(16, 16))
    with pytest.raises(uploads.UploadRejected, match="too small"):
        uploads.clean_image(corpus.png(16, 15))


# --------------------------------------------------------------------------- (b) the service
@pytest.fixture
def nurse(personas, clinic):
    return Auditor(actor=personas["nurse"], role="nurse", clinic=clinic)


@pytest.fixture
def site(make_patient, nurse):
    return measuring.site_create(
        patient=make_patient(), auditor=nurse, name="Vertex", zone="vertex", landmark="crown whorl, midline"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BAD, ids=[f.name for f in BAD])
def test_service_refuses_and_stores_nothing(bad, site, nurse, settings, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError) as refused, django_capture_on_commit_callbacks(execute=True):
        measuring.trichoscopy_upload(
            site=site, auditor=nurse, data=bad.data, filename=bad.name, um_per_px=5.0
        )
    assert list(refused.value.message_dict) == ["file"]
    assert_user_message(refused.value.message_dict["file"][0])
    assert not TrichoscopyImage.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.django_db
def test_service_stores_a_phone_photo_without_gps(site, nurse, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = measuring.trichoscopy_upload(
            site=site, auditor=nurse, data=corpus.exif_photo(), filename="IMG_0001.JPG", um_per_px=5.0
        )
    files = stored_files(settings)
    assert Path(private_storage.path(image.file.name)) in files
    for path in files:  # the image and, once analysed, its overlay
        content = path.read_bytes()
        assert_no_metadata(content)
    assert (image.width, image.height) == (60, 80)


# --------------------------------------------------------------------------- (c) the API
@pytest.fixture
def nurse_api(personas):
    _token, key = token_create(
        membership=Membership.objects.get(user=personas["nurse"]), auditor=Auditor.system()
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def api_upload(client, site, name: str, data: bytes):
    return client.post(
        f"/api/v1/measurement-sites/{site.uuid}/images",
        {"file": SimpleUploadedFile(name, data, content_type="image/jpeg"), "um_per_px": "5"},
    )


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BAD, ids=[f.name for f in BAD])
def test_api_refuses_and_stores_nothing(bad, site, nurse_api, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_upload(nurse_api, site, bad.name, bad.data)
    too_large = len(bad.data) > corpus.MAX_BYTES
    assert response.status_code == (413 if too_large else 422), response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    detail = response.json()["detail"]
    assert list(detail) == ["file"]
    assert_user_message(detail["file"][0])
    assert not TrichoscopyImage.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.django_db
def test_api_refuses_one_byte_too_many_before_reading_it(site, nurse_api, settings):
    settings.FOLLICLE_UPLOAD_MAX_BYTES = 2000
    response = api_upload(nurse_api, site, "big.jpg", b"\xff\xd8\xff" + bytes(1998))
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]["file"][0]
    assert not TrichoscopyImage.objects.exists() and stored_files(settings) == []


@pytest.mark.django_db
def test_api_accepts_a_phone_photo(site, nurse_api, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_upload(nurse_api, site, "IMG_0001.JPG", corpus.exif_photo())
    assert response.status_code == 201, response.content[:300]
    body = response.json()
    assert (body["width"], body["height"]) == (60, 80) and body["original_name"] == "IMG_0001.JPG"
    served = nurse_api.get(body["file_url"])
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert_no_metadata(b"".join(served.streaming_content))
