"""A corpus of hostile and broken "image" uploads, generated (no binary files in the repository).

`bad_files()` returns `BadFile(name, data, why)` rows: each must be refused by
`follicle.outcomes.uploads.clean_image` with a message for the user, and nothing may be stored.
The files are small; the decompression bombs *declare* huge pixel counts in a few kilobytes.
`MAX_BYTES` is the byte limit the tests set (so the over-the-limit file stays small).

`good_files()` returns real-world shaped images that must be accepted.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import zipfile
import zlib
from typing import NamedTuple

from PIL import Image

MAX_BYTES = 1_000_000  # FOLLICLE_UPLOAD_MAX_BYTES while the corpus is checked


class BadFile(NamedTuple):
    name: str  # the file name it is uploaded under (the name lies)
    data: bytes
    why: str  # what it is, and why it must be refused


class GoodFile(NamedTuple):
    name: str
    data: bytes
    why: str


# --------------------------------------------------------------------------- building blocks
def _pattern(width: int = 64, height: int = 48, mode: str = "RGB") -> Image.Image:
    """A small image with some structure (gradients), so encoders do real work."""
    image = Image.new("RGB", (width, height))
    image.putdata(
        [((x * 4) % 256, (y * 5) % 256, ((x + y) * 3) % 256) for y in range(height) for x in range(width)]
    )
    return image.convert(mode) if mode != "RGB" else image


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def jpeg(width: int = 64, height: int = 48, **options) -> bytes:
    return _save(_pattern(width, height), "JPEG", quality=90, **options)


def png(width: int = 64, height: int = 48, **options) -> bytes:
    return _save(_pattern(width, height), "PNG", **options)


def webp(width: int = 64, height: int = 48, **options) -> bytes:
    return _save(_pattern(width, height), "WEBP", **options)


def tiff(width: int = 64, height: int = 48, **options) -> bytes:
    return _save(_pattern(width, height), "TIFF", **options)


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with its CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_declaring(width: int, height: int, *, bit_depth: int = 1, colour_type: int = 0) -> bytes:
    """A valid, fully decodable PNG of all-zero pixels with the given size, built with zlib row by
    row: a 1-bit greyscale image of billions of pixels compresses to a few kilobytes."""
    bits_per_pixel = bit_depth * {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    row = b"\x00" + b"\x00" * ((width * bits_per_pixel + 7) // 8)  # filter byte + pixels
    compressor = zlib.compressobj(9)
    parts = []
    block = row * max(1, 1_000_000 // len(row))
    rows_per_block = len(block) // len(row)
    left = height
    while left > 0:
        take = min(left, rows_per_block)
        parts.append(compressor.compress(block if take == rows_per_block else row * take))
        left -= take
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return PNG_SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, data) chunks of a PNG."""
    chunks, i = [], 8
    while i < len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        chunks.append((data[i + 4 : i + 8], data[i + 8 : i + 8 + length]))
        i += 12 + length
    return chunks


def png_from_chunks(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return PNG_SIGNATURE + b"".join(chunk(kind, data) for kind, data in chunks)


def png_with_chunk(kind: bytes, data: bytes, base: bytes | None = None) -> bytes:
    """A PNG with one more chunk just before its first IDAT."""
    chunks = png_chunks(base or png())
    at = next(i for i, (k, _d) in enumerate(chunks) if k == b"IDAT")
    return png_from_chunks([*chunks[:at], (kind, data), *chunks[at:]])


def jpeg_with_segment(marker: int, payload: bytes, base: bytes | None = None) -> bytes:
    """A JPEG with one more marker segment (e.g. COM 0xFE, APP1 0xE1) right after SOI."""
    base = base or jpeg()
    segment = bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload
    return base[:2] + segment + base[2:]


def jpeg_with_size(width: int, height: int) -> bytes:
    """A small JPEG whose frame header (SOF0) claims another size."""
    data = bytearray(jpeg())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def zip_archive(files: dict[str, bytes] | None = None, comment: bytes = b"") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, content in (files or {"payload.sh": b"#!/bin/sh\necho owned\n"}).items():
            archive.writestr(name, content)
        archive.comment = comment
    return out.getvalue()


def _frames(fmt: str, count: int = 3, **options) -> bytes:
    frames = [_pattern(32, 32).rotate(90 * i) for i in range(count)]
    return _save(frames[0], fmt, save_all=True, append_images=frames[1:], **options)


def _noise_png(width: int, height: int, seed: int = 7) -> bytes:
    """Incompressible pixels: a PNG of about width × height × 3 bytes."""
    noise = random.Random(seed).randbytes(width * height * 3)
    return _save(Image.frombytes("RGB", (width, height), noise), "PNG", compress_level=1)


def _zip_in_png_chunk() -> bytes:
    """A PNG with a private chunk holding a ZIP whose comment covers the rest of the file, so that a
    ZIP reader (which starts from the end) finds it: a PNG/ZIP polyglot with nothing after IEND."""
    archive = bytearray(zip_archive())
    tail = 4 + 12  # the chunk's CRC, then the IEND chunk
    struct.pack_into("<H", archive, len(archive) - 2, tail)  # end-of-central-directory comment length
    chunks = png_chunks(png())
    return png_from_chunks([*chunks[:-1], (b"zzZp", bytes(archive)), chunks[-1]])


SVG_SCRIPT = (
    b'<?xml version="1.0" standalone="no"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">\n'
    b'  <rect width="100" height="100" fill="red"/>\n'
    b'  <script type="text/javascript">fetch("/api/v1/patients").then(r => r.text()).then(alert)</script>\n'
    b"</svg>\n"
)
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>x</title></head>"
    b"<body><script>alert(document.cookie)</script></body></html>\n"
)


@functools.cache
def bad_files() -> tuple[BadFile, ...]:
    small_png = png()
    small_jpeg = jpeg()
    cut_png = bytearray(small_png)
    idat = cut_png.find(b"IDAT")
    damaged_idat = bytearray(small_png)
    damaged_idat[idat + 4 : idat + 40] = bytes(36)  # zeroed compressed data, CRC left as it was
    broken_ihdr_crc = bytearray(small_png)
    broken_ihdr_crc[29] ^= 0xFF  # the IHDR chunk's CRC (8 signature + 4 + 4 + 13 data)
    files = [
        BadFile("notes.jpg", b"Patient notes\n" * 40, "plain text named .jpg"),
        BadFile("photo.png", HTML_PAGE, "an HTML page with a script, named .png"),
        BadFile(
            "scan.jpg", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n", "a PDF named .jpg"
        ),
        BadFile("image.jpg", zip_archive(), "a ZIP archive named .jpg"),
        BadFile("image.png", b"\x7fELF\x02\x01\x01" + bytes(120), "a Linux executable (ELF) named .png"),
        BadFile(
            "setup.jpg",
            b"MZ\x90\x00\x03" + bytes(58) + b"PE\x00\x00" + bytes(200),
            "a Windows executable named .jpg",
        ),
        BadFile("data.png", b'{"patient": "x", "hairs": 120}', "JSON named .png"),
        BadFile("empty.jpg", b"", "an empty file"),
        BadFile("half.jpg", small_jpeg[: len(small_jpeg) // 2], "a JPEG cut off halfway"),
        BadFile("cut.png", bytes(cut_png[: idat + 30]), "a PNG cut off inside its pixel data"),
        BadFile("no-iend.png", small_png[:-12], "a PNG without its end chunk"),
        BadFile("zeroed-idat.png", bytes(damaged_idat), "a PNG whose compressed pixels are corrupt"),
        BadFile("bad-crc.png", bytes(broken_ihdr_crc), "a PNG whose header chunk fails its checksum"),
        BadFile("bomb.png", png_declaring(30_000, 30_000), "decompression bomb: 900 megapixels in a few KB"),
        BadFile("just-over.png", png_declaring(6_400, 6_400), "41 megapixels, just over the 40 MP limit"),
        BadFile("bomb.jpg", jpeg_with_size(60_000, 60_000), "a JPEG whose header claims 60000 × 60000"),
        BadFile("wide.png", png_declaring(100_000, 1), "100000 × 1 pixels"),
        BadFile("long.png", png_declaring(40, 30_000), "30000 pixels high, a strip, not a photograph"),
        BadFile("dot.png", png(1, 1), "a 1 × 1 pixel image (a tracking pixel, not a photograph)"),
        BadFile("big.png", _noise_png(700, 700), "a real image over the byte limit (the tests set 1 MB)"),
        BadFile("photo.gif", _save(_pattern(), "GIF"), "a GIF: not an accepted format"),
        BadFile("moving.gif", _frames("GIF"), "an animated GIF"),
        BadFile("moving.png", _frames("PNG"), "an animated PNG (APNG)"),
        BadFile("moving.webp", _frames("WEBP"), "an animated WebP"),
        BadFile("pages.tif", _frames("TIFF"), "a multi-page TIFF"),
        BadFile("photo.bmp", _save(_pattern(), "BMP"), "a BMP: not an accepted format"),
        BadFile("favicon.png", _save(_pattern(32, 32), "ICO"), "an ICO named .png"),
        BadFile("image.ppm", _save(_pattern(), "PPM"), "a netpbm image: not an accepted format"),
        BadFile("vector.svg", SVG_SCRIPT, "an SVG with a script"),
        BadFile("vector.png", SVG_SCRIPT, "an SVG with a script, named .png"),
        BadFile("bom.png", b"\xef\xbb\xbf" + SVG_SCRIPT, "an SVG with a byte-order mark, named .png"),
        BadFile("photo-zip.jpg", small_jpeg + zip_archive(), "JPEG + ZIP polyglot (a ZIP appended)"),
        BadFile(
            "photo-zip-eoi.jpg",
            small_jpeg + zip_archive(comment=b"\xff\xd9"),
            "JPEG + ZIP polyglot whose ZIP comment ends with a JPEG end marker",
        ),
        BadFile(
            "photo-zip-iend.png",
            small_png + zip_archive(comment=b"IEND\xaeB`\x82"),
            "PNG + ZIP polyglot whose ZIP comment ends like a PNG",
        ),
        BadFile(
            "photo-zip-chunk.png", _zip_in_png_chunk(), "a ZIP hidden in a PNG chunk, readable from the end"
        ),
        BadFile("page.png", small_png + HTML_PAGE, "PNG with an HTML page appended"),
        BadFile("page.jpg", small_jpeg + HTML_PAGE, "JPEG with an HTML page appended"),
        BadFile(
            "photo-elf.jpg", small_jpeg + b"\x7fELF\x02\x01\x01" + bytes(300), "JPEG with a program appended"
        ),
        BadFile(
            "tail-php.jpg", small_jpeg + b"<?php system($_GET[1]);?>", "JPEG with 25 bytes of PHP appended"
        ),
        BadFile(
            "fake-samsung.jpg",
            small_jpeg + b"<?php system($_GET[1]);?>" + _samsung_trailer(),
            "PHP hidden in what looks like a Samsung phone trailer",
        ),
        BadFile(
            "fake-motion.jpg",
            small_jpeg + _motion_photo_video(zip_archive()),
            "a ZIP hidden in what looks like a motion photo's video",
        ),
        BadFile("photo-html.webp", webp() + HTML_PAGE, "WebP with an HTML page appended"),
        BadFile("photo-zip.webp", webp() + zip_archive(), "WebP + ZIP polyglot"),
        BadFile("scan-zip.tif", tiff() + zip_archive(), "TIFF + ZIP polyglot"),
        BadFile(
            "gifar.jpg",
            _save(_pattern(), "GIF") + zip_archive({"Evil.class": b"\xca\xfe\xba\xbe"}),
            "a GIFAR",
        ),
        BadFile(
            "comment.jpg",
            jpeg_with_segment(0xFE, b'<script src="https://evil.example/x.js"></script>'),
            "a JPEG with a script in its comment (COM) segment",
        ),
        BadFile(
            "exif-php.jpg",
            _save(_pattern(), "JPEG", exif=_exif_with(0x010E, "<?php system($_GET['c']); ?>")),
            "PHP code in the EXIF image description",
        ),
        BadFile(
            "xmp-svg.jpg",
            jpeg_with_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<svg/onload=alert(1)>"),
            "markup with an event handler in the XMP segment",
        ),
        BadFile(
            "text.png",
            png_with_chunk(b"tEXt", b"Comment\x00<script>alert(1)</script>"),
            "a PNG with a script in a tEXt chunk",
        ),
        BadFile(
            "ztext.png",
            png_with_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"<html><body onload=alert(1)>")),
            "a PNG with compressed markup in a zTXt chunk",
        ),
        BadFile(
            "description.tif",
            tiff(description='<iframe src="javascript:alert(1)">'),
            "a TIFF with markup in its image description tag",
        ),
        BadFile(
            "pdf-head.jpg",
            jpeg_with_segment(0xFE, b"%PDF-1.5\n1 0 obj<<>>endobj"),
            "a JPEG that a PDF reader also opens (PDF header within the first kilobyte)",
        ),
        BadFile(
            "text-bomb.png",
            png_with_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * 50_000_000, 9)),
            "a PNG with a zTXt chunk that inflates to 50 MB",
        ),
    ]
    names = [f.name for f in files]
    assert len(names) == len(set(names)), "corpus names must be unique (they are the test ids)"
    return tuple(files)


def _exif_with(tag: int, value: str) -> bytes:
    exif = Image.Exif()
    exif[tag] = value
    return exif.tobytes()


# --------------------------------------------------------------------------- must be accepted
def _exif_photo(width: int = 80, height: int = 60, orientation: int = 6) -> bytes:
    """A phone photo: landscape pixels with EXIF orientation 6 (rotate 90° clockwise to view),
    camera make, a GPS position and an XMP packet."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (37.0, 58.0, 12.5), 3: "E", 4: (23.0, 43.0, 5.0)})
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="37,58.2N"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    image = _pattern(width, height)
    # A bright marker in the top-left corner, to check where it ends up after rotation.
    image.paste((255, 255, 255), (0, 0, 10, 10))
    return _save(image, "JPEG", quality=92, exif=exif.tobytes(), xmp=xmp)


def _samsung_trailer() -> bytes:
    """What Samsung phones append after a JPEG's end: SEFH … SEFT metadata records."""
    record = b"\x00\x00\x01\x0a" + struct.pack("<I", 14) + b"Image_UTC_Data" + b"1716212345678"
    directory = (
        b"SEFH"
        + struct.pack("<II", 101, 1)
        + b"\x00\x00\x01\x0a"
        + struct.pack("<II", len(record) + 12, len(record))
    )
    return record + directory + struct.pack("<I", len(directory)) + b"SEFT"


def _motion_photo_video(payload: bytes | None = None) -> bytes:
    """A minimal MP4 as appended by phones' motion photos: ftyp, then an mdat box."""
    payload = random.Random(3).randbytes(3000) if payload is None else payload
    ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isommp41"
    mdat = struct.pack(">I", 8 + len(payload)) + b"mdat" + payload
    return ftyp + mdat


@functools.cache
def good_files() -> tuple[GoodFile, ...]:
    cmyk = _save(_pattern(64, 48, "CMYK"), "JPEG", quality=90)
    return (
        GoodFile("photo.jpg", jpeg(120, 90), "a plain JPEG"),
        GoodFile("progressive.jpg", jpeg(120, 90, progressive=True), "a progressive JPEG"),
        GoodFile("scan.png", png(120, 90), "a PNG"),
        GoodFile("grey16.png", _save(_pattern(64, 48, "L").convert("I;16"), "PNG"), "a 16-bit greyscale PNG"),
        GoodFile("palette.png", _save(_pattern(64, 48).convert("P"), "PNG"), "a palette PNG"),
        GoodFile("alpha.png", _save(_pattern(64, 48, "RGBA"), "PNG"), "a PNG with transparency"),
        GoodFile("photo.webp", webp(120, 90), "a WebP"),
        GoodFile("lossless.webp", webp(120, 90, lossless=True), "a lossless WebP"),
        GoodFile("dermoscope.tif", tiff(120, 90), "an uncompressed TIFF"),
        GoodFile("dermoscope-lzw.tif", tiff(120, 90, compression="tiff_lzw"), "an LZW TIFF"),
        GoodFile("print.jpg", cmyk, "a CMYK JPEG (converted to RGB)"),
        GoodFile("phone.jpg", _exif_photo(), "a phone photo with EXIF orientation 6, GPS and XMP"),
        GoodFile("samsung.jpg", jpeg(120, 90) + _samsung_trailer(), "a Samsung photo with its SEFT trailer"),
        GoodFile(
            "motion.jpg", jpeg(120, 90) + _motion_photo_video(), "a motion photo (a short MP4 appended)"
        ),
        GoodFile("padded.jpg", jpeg(120, 90) + bytes(300), "a JPEG padded with zero bytes after its end"),
        GoodFile("mpo.jpg", _frames("MPO", 2), "a multi-picture (MPO) phone JPEG"),
    )


def exif_photo(**kwargs) -> bytes:
    return _exif_photo(**kwargs)
