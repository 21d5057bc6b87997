"""Overlay images for clinicians: every detected hair drawn on the photo, coloured by class.

A count is only trusted when a person can see what was counted. Terminal hairs are drawn in
orange, vellus hairs in cyan (both readable on light and dark skin), the follicle-opening end of
each hair as a small ring, and a legend with the totals in the corner.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image, ImageDraw

from follicle.imaging.analysis import ImageResult

COLOURS = {"terminal": (255, 140, 0), "vellus": (0, 220, 255)}


def render_overlay(rgb: np.ndarray, result: ImageResult) -> Image.Image:
    """Return a PIL image of ``rgb`` with the hairs of ``result`` drawn on it."""
    im = Image.fromarray(np.asarray(rgb, np.uint8)).convert("RGB")
    draw = ImageDraw.Draw(im)
    lw = max(1, round(min(im.size) / 500))
    for hair in result.hairs:
        colour = COLOURS.get(hair.hair_class, (255, 0, 255))
        pts = [(x, y) for x, y in hair.centreline]
        if len(pts) >= 2:
            draw.line(pts, fill=colour, width=lw)
        bx, by = hair.base
        r = 2 * lw + 1
        draw.ellipse((bx - r, by - r, bx + r, by + r), outline=colour, width=1)
    text = (
        f"{result.hair_count} hairs  {result.density_per_cm2:.0f}/cm2  "
        f"mean {result.mean_thickness_um:.1f} um  vellus {100 * result.vellus_fraction:.0f}%"
    )
    box = draw.textbbox((6, 6), text)
    draw.rectangle((box[0] - 3, box[1] - 3, box[2] + 3, box[3] + 3), fill=(0, 0, 0))
    draw.text((6, 6), text, fill=(255, 255, 255))
    return im


def write_overlay(rgb: np.ndarray, result: ImageResult, path: str | os.PathLike) -> None:
    """Write the overlay of ``result`` on ``rgb`` as a PNG file."""
    render_overlay(rgb, result).save(path, format="PNG")
