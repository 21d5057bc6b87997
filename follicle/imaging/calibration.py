"""Scale calibration from an image of a ruler or stage micrometer.

Density scales with the inverse square of the scale, so a 2 % scale error is a 4 % density error:
the scale must be measured per device from a graduated scale, never taken from a nominal
magnification. The method uses every graduation, not two hand-picked ones:

1. the graduation direction comes from the strongest peak of the windowed 2-D spectrum (every
   harmonic of a periodic ruler points the same way), refined by maximising the contrast of the
   projected profile;
2. the image is projected along the graduations into a 1-D profile at quarter-pixel resolution;
3. the fundamental period comes from the first strong autocorrelation peak (robust to long
   every-fifth/tenth graduations and to harmonics);
4. each graduation is located to sub-pixel precision and a straight line (position versus
   graduation index) is fitted; its slope is the period in pixels.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage, signal

from follicle.imaging.analysis import _luminance


class CalibrationError(ValueError):
    """No regular graduations could be found in the calibration image."""


def _profile(hp: np.ndarray, theta: float, bin_px: float) -> np.ndarray:
    h, w = hp.shape
    yy, xx = np.mgrid[0:h, 0:w]
    u = xx * math.cos(theta) + yy * math.sin(theta)
    idx = ((u - u.min()) / bin_px).astype(np.int64).ravel()
    s = np.bincount(idx, weights=hp.ravel())
    c = np.bincount(idx)
    # ends of a tilted image are covered by few pixels: keep the well-sampled middle
    cover = ndimage.uniform_filter1d(c.astype(float), max(1, int(round(2 / bin_px))))
    keep = cover > 0.25 * cover.max()
    first, last = np.argmax(keep), len(keep) - np.argmax(keep[::-1])
    s, c = s[first:last], c[first:last]
    filled = c > 0
    x = np.arange(len(c))
    # an axis-aligned image fills only every 1/bin_px-th bin: interpolate the empty ones
    prof = np.interp(x, x[filled], s[filled] / c[filled])
    return ndimage.gaussian_filter1d(prof, 0.5 / bin_px)


def scale_from_ruler(rgb: np.ndarray, spacing_mm: float) -> float:
    """µm per pixel from an image of graduations ``spacing_mm`` apart.

    Raises :class:`CalibrationError` when the image shows no regular graduations.
    """
    if not spacing_mm > 0 or not math.isfinite(spacing_mm):
        raise ValueError("spacing_mm must be a positive number")
    lum = _luminance(rgb).astype(np.float64)
    h, w = lum.shape
    if min(h, w) < 32:
        raise CalibrationError("calibration image is too small")
    f = max(1, int(max(h, w) // 1024))
    if f > 1:
        lum = lum[: h // f * f, : w // f * f].reshape(h // f, f, w // f, f).mean(axis=(1, 3))
    hp = lum - ndimage.gaussian_filter(lum, min(lum.shape) / 16)
    if hp.std() < 1e-4:
        raise CalibrationError("calibration image is blank")

    win = np.outer(np.hanning(hp.shape[0]), np.hanning(hp.shape[1]))
    spec = np.abs(np.fft.fftshift(np.fft.fft2(hp * win)))
    cy, cx = spec.shape[0] // 2, spec.shape[1] // 2
    fy, fx = np.mgrid[0 : spec.shape[0], 0 : spec.shape[1]]
    fy = (fy - cy) / spec.shape[0]
    fx = (fx - cx) / spec.shape[1]
    spec[np.hypot(fx, fy) < 4.0 / min(spec.shape)] = 0
    k = int(np.argmax(spec))
    theta0 = math.atan2(fy.flat[k], fx.flat[k])

    def contrast(theta: float) -> float:
        return float(np.std(_profile(hp, theta, 1.0)))

    candidates = theta0 + np.radians(np.linspace(-1.5, 1.5, 13))
    theta = float(max(candidates, key=contrast))
    fine = theta + np.radians(np.linspace(-0.25, 0.25, 11))
    theta = float(max(fine, key=contrast))

    bin_px = 0.25
    prof = _profile(hp, theta, bin_px)
    prof = prof - prof.mean()
    if np.abs(prof.min()) < np.abs(prof.max()):
        prof = -prof  # graduations lighter than the background: make them dips like dark ones
    ac = np.correlate(prof, prof, "full")[len(prof) - 1 :]
    ac /= max(ac[0], 1e-12)
    peaks, _ = signal.find_peaks(ac, height=0.2, distance=max(1, int(2 / bin_px)))
    peaks = peaks[peaks * bin_px >= 2.0]
    if len(peaks) == 0:
        raise CalibrationError("no regular graduations found")
    period_est = float(peaks[0])  # in bins
    dips, _ = signal.find_peaks(
        -ndimage.gaussian_filter1d(prof, 1.0),
        distance=max(1, int(0.6 * period_est)),
        prominence=0.3 * float(np.ptp(prof)),
    )
    if len(dips) < 4:
        raise CalibrationError("fewer than four graduations found")
    pos = dips + _subsample(-prof, dips)
    index = np.round((pos - pos[0]) / period_est)
    slope, intercept = np.polyfit(index, pos, 1)
    resid = pos - (slope * index + intercept)
    if np.std(resid) > 0.15 * slope or len(np.unique(index)) < 4:
        raise CalibrationError("graduations are not evenly spaced")
    period_px = slope * bin_px * f
    return spacing_mm * 1000.0 / period_px


def _subsample(y: np.ndarray, i: np.ndarray) -> np.ndarray:
    """Centroid refinement of peak positions over +-2 samples."""
    out = np.zeros(len(i))
    for n, k in enumerate(i):
        a, b = max(0, k - 2), min(len(y), k + 3)
        seg = y[a:b] - y[a:b].min()
        if seg.sum() > 0:
            out[n] = float((np.arange(a, b) * seg).sum() / seg.sum()) - k
    return out
