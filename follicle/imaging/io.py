"""Safe image loading with Pillow.

Uploaded files are untrusted: a tiny compressed file can claim billions of pixels (a
decompression bomb), a truncated file can decode half-way, and anything can be renamed ``.jpg``.
Every failure becomes one :class:`ImageLoadError` with a readable message, so callers (CLI,
background tasks) can report it per image and carry on with the others.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 60_000_000  # far above any dermatoscope sensor, far below a bomb


class ImageLoadError(Exception):
    """The file is missing, unreadable, not an image, or too large to decode safely."""


def load_image(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode ``path`` to an (H, W, 3) uint8 RGB array or raise :class:`ImageLoadError`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
                if w * h > max_pixels:
                    raise ImageLoadError(f"image too large: {w}x{h} pixels (limit {max_pixels})")
                im.load()
                if im.mode != "RGB":
                    im = im.convert("RGB")
                return np.asarray(im)
    except ImageLoadError:
        raise
    except FileNotFoundError as exc:
        raise ImageLoadError(f"no such file: {os.fspath(path)}") from exc
    except IsADirectoryError as exc:
        raise ImageLoadError(f"is a directory: {os.fspath(path)}") from exc
    except UnidentifiedImageError as exc:
        raise ImageLoadError("not a recognised image file") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageLoadError("image too large (decompression bomb limit)") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageLoadError(f"cannot decode image: {exc}") from exc
