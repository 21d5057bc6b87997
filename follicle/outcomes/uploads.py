"""Checking and cleaning uploaded images before anything is stored.

Uploads are judged by their content, never their name or declared type: the bytes must be one of
the raster formats we accept (JPEG, PNG, WebP, TIFF, HEIF is not supported by Pillow without a
plugin and is refused), within a byte size and a pixel count (decompression bombs), decodable to
the end, and with nothing hidden after the image's own end (polyglots: an image that is also a
ZIP, HTML or script). Accepted images are decoded, turned upright by their EXIF orientation and
re-encoded from the pixels alone, so no EXIF, GPS, XMP, IPTC or comment survives, and the stored
file is a fresh JPEG (photographs) or PNG (trichoscopy images, which are analysed and must not
lose detail to compression).

Where an image ends is read from its structure (JPEG segments and entropy-coded data, PNG chunks,
the RIFF size of WebP), never by searching for an end marker that an appended file could carry
too. What phones append after a JPEG is allowed: Samsung's SEFT metadata trailer and a motion
photo's short MP4 (both are dropped by the re-encoding). Markup is searched for in metadata and
trailing bytes only, never in compressed pixel data, where short byte strings occur by chance.

`clean_image(data, purpose=...)` returns a `CleanImage` or raises `UploadRejected` with a message
for the user; nothing is written to disk here.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "TIFF", "MPO"}  # MPO: multi-picture JPEG from phones
PHOTO, TRICHOSCOPY = "photo", "trichoscopy"
MIN_SIDE, MAX_SIDE = 16, 20_000  # pixels; a longer side is a strip or a bomb, never a photograph
TOLERATED_TRAILER = 64  # bytes after the image's end that some encoders leave (searched for markup)
SCANNED_PHONE_TRAILER = 64 * 1024  # a bigger Samsung trailer carries a motion photo's video

# Markup or code that has no business in an image's metadata (comments, EXIF, XMP, text chunks) or
# after its end: a file that carries it is an attempt to smuggle something past the check (a
# polyglot), whatever its pixels look like.
MARKUP = re.compile(
    rb"<\?php|<script|<html|<!doctype|<iframe|<svg[\s/>]|<body|<object|<embed|javascript:|vbscript:"
    rb"|\bon(?:error|load)\s*=",
    re.IGNORECASE,
)


class UploadRejected(Exception):
    """The file is refused; the message says why, for the person who uploaded it."""


@dataclass(frozen=True)
class CleanImage:
    content: bytes  # the re-encoded file
    extension: str  # "jpg" or "png"
    content_type: str
    width: int
    height: int
    sha256: str  # of the re-encoded file
    original_sha256: str  # of the upload as received (for duplicate detection)
    original_format: str


def limits() -> tuple[int, int]:
    """(max bytes, max pixels) from settings."""
    return settings.FOLLICLE_UPLOAD_MAX_BYTES, settings.FOLLICLE_UPLOAD_MAX_PIXELS


# --------------------------------------------------------------------------- structure
class _Damaged(Exception):
    """The file's structure is broken: truncated, or lengths that do not add up."""


@dataclass
class _Layout:
    end: int | None  # where the image's own data ends (None: the format does not say, e.g. TIFF)
    pixels: list[tuple[int, int]]  # byte ranges of compressed pixel data (not searched for markup)


def _jpeg_layout(data: bytes, start: int, pixels: list[tuple[int, int]]) -> int:
    """Walk one JPEG from its SOI at `start` to its EOI; return the offset just after the EOI."""
    n = len(data)
    if data[start : start + 2] != b"\xff\xd8":
        raise _Damaged
    i = start + 2
    while True:
        i = data.find(b"\xff", i)  # (bytes before a marker are junk that decoders skip too)
        if i < 0:
            raise _Damaged
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            raise _Damaged
        marker = data[i]
        i += 1
        if marker == 0xD9:  # EOI
            return i
        if marker == 0x00 or marker == 0x01 or 0xD0 <= marker <= 0xD7:  # no length
            continue
        if i + 2 > n:
            raise _Damaged
        (length,) = struct.unpack(">H", data[i : i + 2])
        if length < 2 or i + length > n:
            raise _Damaged
        i += length
        if marker == 0xDA:  # SOS: entropy-coded data up to the next marker
            begin = i
            while True:
                i = data.find(b"\xff", i)
                if i < 0 or i + 1 >= n:
                    raise _Damaged
                following = data[i + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:  # stuffed byte, restart marker
                    i += 2
                elif following == 0xFF:  # fill byte before a marker
                    i += 1
                else:
                    pixels.append((begin, i))
                    break


def _png_layout(data: bytes) -> _Layout:
    pixels, i, n = [], 8, len(data)
    while True:
        if i + 12 > n:
            raise _Damaged
        length, kind = struct.unpack(">I4s", data[i : i + 8])
        if i + 12 + length > n:
            raise _Damaged
        if kind in (b"IDAT", b"fdAT"):
            pixels.append((i + 8, i + 8 + length))
        i += 12 + length
        if kind == b"IEND":
            return _Layout(i, pixels)


def _webp_layout(data: bytes) -> _Layout:
    (size,) = struct.unpack("<I", data[4:8])
    end = 8 + size
    if end > len(data):
        raise _Damaged
    pixels, i = [], 12
    while i < end:
        if i + 8 > end:
            raise _Damaged
        kind, length = struct.unpack("<4sI", data[i : i + 8])
        if i + 8 + length > end:
            raise _Damaged
        if kind in (b"VP8 ", b"VP8L", b"ALPH", b"ANMF"):
            pixels.append((i + 8, i + 8 + length))
        i += 8 + length + (length & 1)
    return _Layout(end, pixels)


def _tiff_layout(probe: Image.Image) -> _Layout:
    tags = getattr(probe, "tag_v2", {})
    pixels = []
    for offsets_tag, counts_tag in ((273, 279), (324, 325)):  # strips, tiles
        offsets, counts = tags.get(offsets_tag) or (), tags.get(counts_tag) or ()
        if isinstance(offsets, int):
            offsets, counts = (offsets,), (counts,)
        pixels += [(int(o), int(o) + int(c)) for o, c in zip(offsets, counts, strict=False)]
    return _Layout(None, pixels)


def _layout(data: bytes, fmt: str, probe: Image.Image) -> _Layout:
    if fmt in ("JPEG", "MPO"):
        pixels: list[tuple[int, int]] = []
        end = _jpeg_layout(data, 0, pixels)
        while data[end : end + 3] == b"\xff\xd8\xff":  # the further pictures of an MPO file
            end = _jpeg_layout(data, end, pixels)
        return _Layout(end, pixels)
    if fmt == "PNG":
        return _png_layout(data)
    if fmt == "WEBP":
        return _webp_layout(data)
    return _tiff_layout(probe)


def _is_mp4(trailer: bytes) -> bool:
    """A motion photo's video: MP4 boxes from an ftyp box exactly to the end of the file."""
    if trailer[4:8] != b"ftyp":
        return False
    i, n = 0, len(trailer)
    while i < n:
        if i + 8 > n:
            return False
        size, kind = struct.unpack(">I4s", trailer[i : i + 8])
        if size == 1 and i + 16 <= n:
            (size,) = struct.unpack(">Q", trailer[i + 8 : i + 16])
        elif size == 0:
            size = n - i
        if size < 8 or not all(0x20 <= c < 0x7F for c in kind):
            return False
        i += size
    return i == n


def _phone_trailer(trailer: bytes) -> str:
    """What a phone appends after a JPEG: "samsung" (SEFT metadata), "video" (motion photo) or ""."""
    if trailer.endswith(b"SEFT") and b"SEFH" in trailer[-1024:]:
        return "samsung"
    return "video" if _is_mp4(trailer) else ""


def _ends_with_zip(data: bytes) -> bool:
    """Whether a ZIP reader (which starts from the end) would open the file: an end-of-central-
    directory record whose comment reaches exactly to the end of the file."""
    floor = max(0, len(data) - 22 - 0xFFFF)
    at = data.rfind(b"PK\x05\x06", floor)
    while at >= 0:
        if at + 22 <= len(data):
            (comment,) = struct.unpack("<H", data[at + 20 : at + 22])
            if at + 22 + comment == len(data):
                return True
        at = data.rfind(b"PK\x05\x06", floor, at)
    return False


def _outside(data: bytes, ranges: list[tuple[int, int]], end: int):
    """The byte strings of data[:end] that are not in `ranges` (metadata, headers)."""
    at = 0
    for begin, stop in sorted(ranges):
        if begin > at:
            yield data[at:begin]
        at = max(at, stop)
    if at < end:
        yield data[at:end]


# --------------------------------------------------------------------------- the check
def _not_an_image() -> str:
    return _("This is not an image file (JPEG, PNG, WebP or TIFF).")


def clean_image(data: bytes, *, purpose: str = PHOTO) -> CleanImage:
    max_bytes, max_pixels = limits()
    if not data:
        raise UploadRejected(_("The file is empty."))
    if len(data) > max_bytes:
        raise UploadRejected(
            _("The file is too large (%(size)s MB; at most %(max)s MB).")
            % {"size": round(len(data) / 1_000_000, 1), "max": round(max_bytes / 1_000_000, 1)}
        )
    head = data[:4096].lower()
    if head.lstrip().startswith((b"<", b"{", b"%pdf", b"pk\x03\x04")):
        raise UploadRejected(_not_an_image())
    if b"%pdf-" in head[:1024] or _ends_with_zip(data):  # a PDF or ZIP reader would open it too
        raise UploadRejected(_("The file is also an archive or a document, not just an image."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format
            width, height = probe.size
            frames = getattr(probe, "n_frames", 1)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise UploadRejected(_("The image has too many pixels to be opened safely.")) from exc
    except Exception as exc:  # a decoder may raise almost anything on crafted input: a refusal
        raise UploadRejected(_not_an_image()) from exc
    if fmt not in ACCEPTED_FORMATS:
        raise UploadRejected(
            _("Images of type %(format)s are not accepted; use JPEG, PNG, WebP or TIFF.") % {"format": fmt}
        )
    if width * height > max_pixels:
        raise UploadRejected(
            _("The image is too large (%(w)s × %(h)s pixels; at most %(max)s megapixels).")
            % {"w": width, "h": height, "max": round(max_pixels / 1_000_000)}
        )
    if max(width, height) > MAX_SIDE:
        raise UploadRejected(
            _("The image is too large (%(w)s × %(h)s pixels; at most %(max)s pixels a side).")
            % {"w": width, "h": height, "max": MAX_SIDE}
        )
    if width < MIN_SIDE or height < MIN_SIDE:
        raise UploadRejected(_("The image is too small (%(w)s × %(h)s pixels).") % {"w": width, "h": height})
    if frames > 1 and fmt != "MPO":
        raise UploadRejected(_("Animated or multi-page images are not accepted."))
    damaged = _("The image is damaged or incomplete and cannot be read.")
    try:
        layout = _layout(data, fmt, probe)
    except (_Damaged, struct.error) as exc:
        raise UploadRejected(damaged) from exc
    searched = list(_outside(data, layout.pixels, layout.end or len(data)))
    if layout.end is not None and layout.end < len(data):
        trailer = data[layout.end :]
        phone = _phone_trailer(trailer) if fmt in ("JPEG", "MPO") else ""
        if not phone and len(trailer) > TOLERATED_TRAILER and trailer.strip(b"\x00\xff"):
            raise UploadRejected(_("The file has data hidden after the image; it is refused."))
        if phone != "video" and len(trailer) <= SCANNED_PHONE_TRAILER:
            searched.append(trailer)
    if fmt == "TIFF":  # tag values as Pillow reads them, wherever their bytes lie
        tags = getattr(probe, "tag_v2", {})
        searched += [
            v if isinstance(v, bytes) else v.encode("utf-8", "replace")
            for v in tags.values()
            if isinstance(v, str | bytes)
        ]
    if any(MARKUP.search(part) for part in searched):
        raise UploadRejected(_("The file contains code or markup, not just an image."))
    try:
        # Pillow's ImageFile.LOAD_TRUNCATED_IMAGES stays False (its default; Follicle never sets
        # it), so a truncated or corrupt file fails in load().
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()  # decodes every byte
        # Text chunks that were compressed (PNG zTXt, iTXt) are searched once inflated.
        texts = [v.encode("utf-8", "replace") if isinstance(v, str) else v for v in image.info.values()]
        if any(MARKUP.search(value) for value in texts if isinstance(value, bytes)):
            raise UploadRejected(_("The file contains code or markup, not just an image."))
        fresh = _upright_rgb(image)
    except UploadRejected:
        raise
    except Exception as exc:  # truncated, corrupt, or a mode that cannot be converted: a refusal
        raise UploadRejected(damaged) from exc
    out = io.BytesIO()
    if purpose == TRICHOSCOPY:
        fresh.save(out, format="PNG", optimize=False, compress_level=6)
        extension, content_type = "png", "image/png"
    else:
        fresh.save(out, format="JPEG", quality=90, optimize=True)
        extension, content_type = "jpg", "image/jpeg"
    content = out.getvalue()
    return CleanImage(
        content=content,
        extension=extension,
        content_type=content_type,
        width=fresh.width,
        height=fresh.height,
        sha256=hashlib.sha256(content).hexdigest(),
        original_sha256=hashlib.sha256(data).hexdigest(),
        original_format=fmt,
    )


def _upright_rgb(image: Image.Image) -> Image.Image:
    """The pixels only, upright, as 8-bit RGB: no info dict, EXIF, ICC profile or text chunks."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        # 16-bit (or 12-bit) grey from a microscope camera: scale to 8 bits instead of clipping.
        high = image.getextrema()[1] or 1
        scale = 255 / high if high > 255 else 1
        image = (image if image.mode == "F" else image.convert("I")).point(lambda v: v * scale).convert("L")
    if image.mode == "P":  # a palette may carry transparency
        image = image.convert("RGBA")
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGBA").convert("RGB") if "A" in image.mode else image.convert("RGB")
    if image.mode == "L":
        image = image.convert("RGB")
    fresh = Image.new("RGB", image.size)
    fresh.paste(image)
    return fresh
