"""Trichoscopy image analysis for Follicle (pure library, no Django).

The engine measures the clipped-hair field of a phototrichogram: it counts hairs, measures their
width to sub-pixel precision, classifies vellus and terminal hairs, groups hairs into follicular
units and, from two visits a few days apart, tells growing (anagen) from resting (telogen) hairs.

Entry points:

- :func:`follicle.imaging.analysis.analyze_image` — one RGB image and its scale in µm per pixel.
- :func:`follicle.imaging.pair.analyze_pair` — the same clipped site imaged twice.
- :func:`follicle.imaging.calibration.scale_from_ruler` — µm per pixel from a ruler image.
- :mod:`follicle.imaging.synth` — deterministic synthetic images with exact per-hair truth.
- :mod:`follicle.imaging.cli` — argument parsing and output for the ``follicle`` commands.
"""

from follicle.imaging.analysis import Hair, ImageResult, analyze_image
from follicle.imaging.calibration import CalibrationError, scale_from_ruler
from follicle.imaging.io import ImageLoadError, load_image
from follicle.imaging.pair import PairResult, analyze_pair

__all__ = [
    "CalibrationError",
    "Hair",
    "ImageLoadError",
    "ImageResult",
    "PairResult",
    "analyze_image",
    "analyze_pair",
    "load_image",
    "scale_from_ruler",
]
