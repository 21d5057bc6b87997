"""Deterministic synthetic phototrichograms with exact per-hair ground truth.

No public data set shows clipped hairs in follicular units with known widths, so the engine is
tested against scenes built here. The renderer aims to be physically honest rather than easy:

- a scene lives in *site* coordinates (µm on the scalp); each visit is a *view* (a rigid camera
  transform), so a second visit can be shifted and rotated while ostia stay fixed on the skin;
- skin has a Fitzpatrick-like base colour with mottling and fine texture; follicle openings are
  soft darker dots, some of them empty; dandruff flakes are whitish irregular blobs;
- every hair is a gently curved cylinder whose opacity follows Beer-Lambert absorption along the
  chord through the shaft (dark hairs are opaque, light and vellus hairs semi-transparent). It is
  rendered by area sampling at 1/3 pixel in the hair's own frame, so the drawn width equals the
  truth width exactly and the clipped tip is a flat cut;
- compositing happens in linear light, followed by illumination gradient and vignetting, Gaussian
  blur (optics), Poisson-Gaussian sensor noise, sRGB encoding and an optional JPEG round trip.

Tiers (``clean`` → ``realistic`` → ``hard``) widen every nuisance: darker skin, lighter and fainter
vellus hairs, more flakes and empty openings, more blur, noise and JPEG loss, stronger uneven light
and more deliberately crossing hairs. Everything is drawn from ``numpy.random.default_rng(seed)``,
so the same arguments always give the same image and truth.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from scipy import ndimage

TIERS = ("clean", "realistic", "hard")
DEFAULT_VELLUS_MAX_UM = 30.0
MIN_VISIBLE_UM = 100.0  # a hair counts when at least this much of it lies inside the field

# Fitzpatrick-like skin tones I..VI (sRGB) and natural hair colours (sRGB) with an absorption
# coefficient per µm of shaft: dark hair is nearly opaque at terminal width, blond and grey are not.
SKIN_SRGB = [(240, 212, 192), (228, 190, 165), (205, 160, 128), (172, 122, 90), (125, 85, 60), (82, 56, 42)]
HAIR_COLOURS = {
    "black": ((22, 19, 17), 0.060),
    "dark_brown": ((48, 34, 26), 0.050),
    "brown": ((92, 62, 42), 0.040),
    "light_brown": ((140, 100, 66), 0.032),
    "blond": ((190, 155, 105), 0.026),
    "grey": ((205, 202, 196), 0.030),
}


@dataclass(frozen=True)
class TierSpec:
    """Ranges of nuisance parameters for one difficulty tier."""

    skin_types: tuple[int, ...]
    hair_colours: tuple[str, ...]
    blur_px: tuple[float, float]
    read_noise: tuple[float, float]
    jpeg_probability: float
    jpeg_quality: tuple[int, int]
    gradient: float
    vignette: float
    flakes_per_cm2: tuple[float, float]
    empty_openings_per_cm2: tuple[float, float]
    vellus_pigment: tuple[float, float]
    fu_spread_deg: float
    crossing_fraction: float
    grey_hair_fraction: float


TIER_SPECS = {
    "clean": TierSpec(
        (0, 1, 2, 3),
        ("black", "dark_brown", "brown"),
        (0.5, 0.9),
        (0.002, 0.004),
        0.0,
        (95, 95),
        0.08,
        0.08,
        (0.0, 0.0),
        (0.0, 6.0),
        (0.75, 1.0),
        10.0,
        0.0,
        0.0,
    ),
    "realistic": TierSpec(
        (0, 1, 2, 3, 4),
        ("black", "dark_brown", "brown", "light_brown"),
        (0.8, 1.4),
        (0.003, 0.007),
        0.5,
        (85, 95),
        0.2,
        0.25,
        (3.0, 10.0),
        (5.0, 15.0),
        (0.5, 0.85),
        15.0,
        0.06,
        0.05,
    ),
    "hard": TierSpec(
        (0, 1, 2, 3, 4, 5, 5),
        ("black", "dark_brown", "brown", "light_brown", "blond"),
        (1.1, 1.9),
        (0.005, 0.010),
        0.8,
        (75, 92),
        0.35,
        0.35,
        (10.0, 25.0),
        (10.0, 25.0),
        (0.35, 0.65),
        22.0,
        0.15,
        0.12,
    ),
}


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] to linear light."""
    v = np.asarray(v, dtype=np.float64)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(v: np.ndarray) -> np.ndarray:
    """Linear light in [0, 1] to sRGB-encoded values."""
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * np.power(v, 1 / 2.4) - 0.055)


@dataclass
class HairSpec:
    """One hair in site coordinates (µm). ``length_um`` is the projected length on day 0."""

    id: int
    unit: int
    base: tuple[float, float]
    angle: float
    curvature: float  # rad per µm along the shaft
    length_um: float
    width_um: float
    colour: tuple[float, float, float]  # linear RGB of the pigment
    absorption: float  # per µm of chord through the shaft
    phase: str  # "anagen" or "telogen"
    growth_um_per_day: float  # projected growth (0 for telogen)

    def centreline(self, length_um: float, step_um: float) -> np.ndarray:
        """Points along the shaft from the base, ``step_um`` apart, shape (n, 2) in µm."""
        n = max(2, int(math.ceil(length_um / step_um)) + 1)
        u = np.linspace(0.0, length_um, n)
        theta = self.angle + self.curvature * u
        du = np.diff(u, prepend=0.0)
        x = self.base[0] + np.cumsum(np.cos(theta) * du)
        y = self.base[1] + np.cumsum(np.sin(theta) * du)
        return np.stack([x, y], axis=1)


@dataclass
class Blob:
    """A soft round or irregular spot (follicle opening or flake) in site coordinates."""

    centre: tuple[float, float]
    radius_um: float
    colour: tuple[float, float, float]
    opacity: float
    aspect: float = 1.0
    angle: float = 0.0
    irregular: bool = False
    seed: int = 0


@dataclass
class Scene:
    """Everything on the skin of one site; visits are rendered from it with a view transform."""

    um_per_px: float
    width: int
    height: int
    tier: str
    seed: int
    skin_rgb: tuple[float, float, float]
    skin_type: int
    texture_seed: int
    mottling: float
    hairs: list[HairSpec]
    ostia: list[Blob]
    empty_openings: list[Blob]
    vellus_max_um: float = DEFAULT_VELLUS_MAX_UM


@dataclass
class Visit:
    """Camera and acquisition parameters of one image of a scene."""

    rotation: float = 0.0  # rad, site -> image
    shift_px: tuple[float, float] = (0.0, 0.0)
    days: float = 0.0  # growth time since the clipping visit
    blur_px: float = 1.0
    read_noise: float = 0.004
    shot_noise: float = 2e-4
    exposure: float = 1.0
    gradient: tuple[float, float] = (0.0, 0.0)
    vignette: float = 0.0
    jpeg_quality: int | None = None
    flakes: list[Blob] = field(default_factory=list)
    noise_seed: int = 0


@dataclass
class SynthImage:
    """A rendered image (uint8 RGB), its ground truth and, when encoded, the file bytes."""

    rgb: np.ndarray
    truth: dict
    encoded: bytes | None = None
    suffix: str = ".png"


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def _poisson_disc(
    rng: np.random.Generator, n: int, box: tuple[float, float, float, float], min_dist: float
) -> np.ndarray:
    """About ``n`` points in ``box`` (x0, y0, x1, y1) no closer than ``min_dist`` (dart throwing)."""
    x0, y0, x1, y1 = box
    cand = np.column_stack([rng.uniform(x0, x1, 4 * n + 8), rng.uniform(y0, y1, 4 * n + 8)])
    kept: list[np.ndarray] = []
    for p in cand:
        if len(kept) >= n:
            break
        if not kept or np.min(np.hypot(*(np.asarray(kept) - p).T)) >= min_dist:
            kept.append(p)
    return np.asarray(kept).reshape(-1, 2)


def make_scene(
    seed: int, tier: str = "realistic", um_per_px: float = 5.0, width: int = 1600, height: int = 1200
) -> Scene:
    """Draw a random clipped-hair site; all randomness comes from ``seed``."""
    if tier not in TIER_SPECS:
        raise ValueError(f"unknown tier {tier!r}; choose from {', '.join(TIERS)}")
    spec = TIER_SPECS[tier]
    rng = np.random.default_rng([seed, TIERS.index(tier), int(round(um_per_px * 1000))])
    field_w, field_h = width * um_per_px, height * um_per_px
    margin = 1600.0
    box = (-margin, -margin, field_w + margin, field_h + margin)
    area_cm2 = (box[2] - box[0]) * (box[3] - box[1]) / 1e8

    skin_type = int(rng.choice(spec.skin_types))
    skin = np.asarray(SKIN_SRGB[skin_type], float) / 255 * rng.uniform(0.93, 1.05, 3)
    skin_lin = tuple(float(c) for c in srgb_to_linear(np.clip(skin, 0, 1)))

    fu_density = rng.uniform(45.0, 100.0)
    centres = _poisson_disc(rng, int(fu_density * area_cm2), box, 0.45 / math.sqrt(fu_density) * 1e4)
    stream = rng.uniform(0, 2 * math.pi)
    stream_bend = rng.normal(0, 0.08, 2) / 1e3  # rad per µm across the field: a slow whorl
    vellus_share = rng.uniform(0.05, 0.35)
    anagen_share = rng.uniform(0.7, 0.92)
    colour_name = str(rng.choice(spec.hair_colours))
    rgb_srgb, absorption = HAIR_COLOURS[colour_name]
    hair_lin = srgb_to_linear(np.asarray(rgb_srgb) / 255)
    grey_lin = srgb_to_linear(np.asarray(HAIR_COLOURS["grey"][0]) / 255)

    hairs: list[HairSpec] = []
    ostia: list[Blob] = []
    n_per_unit = rng.choice([1, 2, 3, 4], size=len(centres), p=[0.3, 0.4, 0.25, 0.05])
    for unit, (c, n_hairs) in enumerate(zip(centres, n_per_unit, strict=True)):
        unit_angle = stream + stream_bend @ (c - np.array([field_w, field_h]) / 2) + rng.normal(0, 0.25)
        widths = []
        for _ in range(int(n_hairs)):
            vellus = rng.random() < vellus_share
            w = float(
                np.clip(rng.normal(22, 5.5), 10, 42) if vellus else np.clip(rng.normal(66, 13), 32, 115)
            )
            widths.append(w)
            angle = unit_angle + math.radians(rng.normal(0, spec.fu_spread_deg))
            if rng.random() < spec.crossing_fraction:
                angle = rng.uniform(0, 2 * math.pi)
            elevation = math.radians(rng.uniform(25, 60))
            clip_len = rng.uniform(300, 1500)
            anagen = rng.random() < anagen_share
            colour, mu = hair_lin, absorption
            if rng.random() < spec.grey_hair_fraction:
                colour, mu = grey_lin, HAIR_COLOURS["grey"][1]
            if w < 35:  # vellus hairs carry less pigment: lighter and more transparent
                pigment = rng.uniform(*spec.vellus_pigment)
                colour = colour + (1 - pigment) * 0.6 * (np.asarray(skin_lin) - colour)
                mu = mu * pigment
            jitter = rng.normal(0, 6, 2)
            hairs.append(
                HairSpec(
                    id=len(hairs),
                    unit=unit,
                    base=(float(c[0] + jitter[0]), float(c[1] + jitter[1])),
                    angle=float(angle),
                    curvature=float(rng.normal(0, 0.12) / 1e3),
                    length_um=float(clip_len * math.cos(elevation)),
                    width_um=w,
                    colour=tuple(float(v) for v in colour),
                    absorption=float(mu),
                    phase="anagen" if anagen else "telogen",
                    growth_um_per_day=float(np.clip(rng.normal(350, 50), 220, 480) * math.cos(elevation))
                    if anagen
                    else 0.0,
                )
            )
        ostium_colour = tuple(float(v) for v in np.asarray(skin_lin) * rng.uniform(0.45, 0.7))
        ostia.append(
            Blob(
                (float(c[0]), float(c[1])),
                0.5 * max(widths) + rng.uniform(8, 25),
                ostium_colour,
                rng.uniform(0.2, 0.45),
            )
        )

    n_empty = int(rng.uniform(*spec.empty_openings_per_cm2) * area_cm2)
    empty = [
        Blob(
            (float(rng.uniform(box[0], box[2])), float(rng.uniform(box[1], box[3]))),
            rng.uniform(18, 45),
            tuple(float(v) for v in np.asarray(skin_lin) * rng.uniform(0.35, 0.65)),
            rng.uniform(0.35, 0.7),
        )
        for _ in range(n_empty)
    ]
    return Scene(
        um_per_px,
        width,
        height,
        tier,
        seed,
        skin_lin,
        skin_type,
        int(rng.integers(1 << 30)),
        rng.uniform(0.04, 0.1),
        hairs,
        ostia,
        empty,
    )


def make_visit(scene: Scene, rng: np.random.Generator, *, days: float = 0.0, moved: bool = False) -> Visit:
    """Acquisition parameters for one image of ``scene`` (a fresh camera pose when ``moved``)."""
    spec = TIER_SPECS[scene.tier]
    field_um = scene.width * scene.height * scene.um_per_px**2
    flakes = []
    for _ in range(int(rng.poisson(rng.uniform(*spec.flakes_per_cm2) * field_um / 1e8))):
        flakes.append(
            Blob(
                (
                    float(rng.uniform(0, scene.width * scene.um_per_px)),
                    float(rng.uniform(0, scene.height * scene.um_per_px)),
                ),
                rng.uniform(50, 200),
                (0.82, 0.82, 0.78),
                rng.uniform(0.35, 0.8),
                rng.uniform(1.0, 2.5),
                rng.uniform(0, math.pi),
                True,
                int(rng.integers(1 << 30)),
            )
        )
    jpeg = (
        int(rng.integers(spec.jpeg_quality[0], spec.jpeg_quality[1] + 1))
        if rng.random() < spec.jpeg_probability
        else None
    )
    return Visit(
        rotation=math.radians(rng.uniform(-4, 4)) if moved else 0.0,
        shift_px=(
            float(rng.uniform(-0.06, 0.06) * scene.width),
            float(rng.uniform(-0.06, 0.06) * scene.height),
        )
        if moved
        else (0.0, 0.0),
        days=days,
        blur_px=_uniform(rng, spec.blur_px),
        read_noise=_uniform(rng, spec.read_noise),
        shot_noise=float(rng.uniform(1e-4, 4e-4)),
        exposure=float(rng.uniform(0.9, 1.05)),
        gradient=(float(rng.uniform(-1, 1) * spec.gradient), float(rng.uniform(-1, 1) * spec.gradient)),
        vignette=float(rng.uniform(0, spec.vignette)),
        jpeg_quality=jpeg,
        flakes=flakes,
        noise_seed=int(rng.integers(1 << 30)),
    )


class _View:
    """Rigid map from site µm to image pixels (pixel i covers [i - 0.5, i + 0.5))."""

    def __init__(self, scene: Scene, visit: Visit):
        self.s = scene.um_per_px
        self.cx, self.cy = scene.width / 2, scene.height / 2
        c, s = math.cos(visit.rotation), math.sin(visit.rotation)
        self.rot = np.array([[c, -s], [s, c]])
        self.shift = np.asarray(visit.shift_px, float)

    def to_px(self, pts_um: np.ndarray) -> np.ndarray:
        p = np.asarray(pts_um, float) / self.s - [self.cx, self.cy]
        return p @ self.rot.T + [self.cx, self.cy] + self.shift - 0.5

    def to_um(self, pts_px: np.ndarray) -> np.ndarray:
        p = np.asarray(pts_px, float) + 0.5 - self.shift - [self.cx, self.cy]
        return (p @ self.rot + [self.cx, self.cy]) * self.s


def _smooth_noise(seed: int, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Zero-mean, unit-variance smooth noise on a grid."""
    n = ndimage.gaussian_filter(np.random.default_rng(seed).standard_normal(shape), sigma, mode="wrap")
    return (n - n.mean()) / (n.std() + 1e-12)


def _skin(scene: Scene, view: _View) -> np.ndarray:
    """Skin colour with mottling, redness and fine texture, fixed to the site (moves with it)."""
    h, w = scene.height, scene.width
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    site = view.to_um(np.stack([xx.ravel(), yy.ravel()], axis=1))
    grid_um = 12.0
    origin = -2500.0
    gw = int((w * scene.um_per_px + 5000) / grid_um) + 2
    gh = int((h * scene.um_per_px + 5000) / grid_um) + 2
    coords = np.stack([(site[:, 1] - origin) / grid_um, (site[:, 0] - origin) / grid_um])

    def layer(k: int, sigma_um: float) -> np.ndarray:
        noise = _smooth_noise(scene.texture_seed + k, (gh, gw), sigma_um / grid_um)
        return ndimage.map_coordinates(noise, coords, order=1, mode="nearest").reshape(h, w)

    mott = 1 + scene.mottling * layer(1, 400.0) + 0.35 * scene.mottling * layer(2, 35.0)
    red = 0.04 * layer(3, 900.0)
    img = np.empty((h, w, 3), np.float32)
    for ch, gain in enumerate((1 + red, 1 - 0.5 * red, 1 - 0.5 * red)):
        img[..., ch] = scene.skin_rgb[ch] * mott * gain
    return img


def _composite(
    img: np.ndarray, rows: np.ndarray, cols: np.ndarray, alpha: np.ndarray, colour: tuple[float, float, float]
) -> None:
    """Accumulate alphas per pixel and alpha-blend ``colour`` over ``img`` in place."""
    h, w = img.shape[:2]
    ok = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    if not ok.any():
        return
    flat = rows[ok] * w + cols[ok]
    idx, inv = np.unique(flat, return_inverse=True)
    a = np.minimum(np.bincount(inv, weights=alpha[ok]), 1.0).astype(np.float32)
    pix = img.reshape(-1, 3)
    pix[idx] = pix[idx] * (1 - a[:, None]) + np.asarray(colour, np.float32) * a[:, None]


def _splat(img: np.ndarray, px: np.ndarray, weight: np.ndarray, colour: tuple[float, float, float]) -> None:
    """Bilinear (tent-filter) splatting of area samples: no moire, area exactly conserved."""
    x0 = np.floor(px[:, 0]).astype(np.int64)
    y0 = np.floor(px[:, 1]).astype(np.int64)
    fx = px[:, 0] - x0
    fy = px[:, 1] - y0
    rows = np.concatenate([y0, y0, y0 + 1, y0 + 1])
    cols = np.concatenate([x0, x0 + 1, x0, x0 + 1])
    wts = np.concatenate([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy]) * np.tile(weight, 4)
    _composite(img, rows, cols, wts, colour)


def _render_hair(img: np.ndarray, hair: HairSpec, length_um: float, view: _View) -> np.ndarray:
    """Area-sample one hair into ``img``; returns its centre line in image pixels."""
    s = view.s
    step = s / 3
    line = hair.centreline(length_um, step)
    seg = np.diff(line, axis=0)
    tangent = np.vstack([seg, seg[-1:]])
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    r = hair.width_um / 2
    n_across = max(3, int(math.ceil(hair.width_um / step)))
    dd = hair.width_um / n_across
    d = -r + (np.arange(n_across) + 0.5) * dd
    alpha_d = 1 - np.exp(-hair.absorption * 2 * np.sqrt(np.maximum(r * r - d * d, 0)))
    # samples at the middle of each along-shaft interval so the total length is exact
    mid = 0.5 * (line[:-1] + line[1:])
    ds = np.linalg.norm(seg, axis=1)
    nrm = 0.5 * (normal[:-1] + normal[1:])
    pts = mid[:, None, :] + d[None, :, None] * nrm[:, None, :]
    px = view.to_px(pts.reshape(-1, 2))
    weight = (ds[:, None] * dd / (s * s)) * alpha_d[None, :]
    _splat(img, px, weight.ravel(), hair.colour)
    return view.to_px(line)


def _render_blob(img: np.ndarray, blob: Blob, view: _View) -> None:
    """Soft-edged spot; irregular blobs (flakes) get a noisy outline."""
    s = view.s
    c = view.to_px(np.asarray([blob.centre]))[0]
    rad_px = blob.radius_um * max(blob.aspect, 1.0) / s + 3
    r0, r1 = int(c[1] - rad_px), int(c[1] + rad_px) + 2
    c0, c1 = int(c[0] - rad_px), int(c[0] + rad_px) + 2
    h, w = img.shape[:2]
    if r1 <= 0 or c1 <= 0 or r0 >= h or c0 >= w:
        return
    yy, xx = np.mgrid[r0:r1, c0:c1].astype(float)
    dx, dy = xx - c[0], yy - c[1]
    ca, sa = math.cos(blob.angle), math.sin(blob.angle)
    u = (dx * ca + dy * sa) / blob.aspect
    v = -dx * sa + dy * ca
    rho = np.hypot(u, v) * s / blob.radius_um
    if blob.irregular:
        rho = rho + 0.35 * _smooth_noise(blob.seed, rho.shape, max(1.0, rad_px / 6))
    edge = 0.6 / max(blob.radius_um / s, 1.0)
    a = blob.opacity * np.clip((1 - rho) / edge + 0.5, 0, 1)
    rows, cols = np.nonzero(a > 0)
    _composite(img, rows + r0, cols + c0, a[rows, cols], blob.colour)


def _visible_length_um(line_px: np.ndarray, scene: Scene) -> float:
    mid = 0.5 * (line_px[:-1] + line_px[1:])
    inside = (
        (mid[:, 0] >= -0.5)
        & (mid[:, 0] < scene.width - 0.5)
        & (mid[:, 1] >= -0.5)
        & (mid[:, 1] < scene.height - 0.5)
    )
    return float(np.linalg.norm(np.diff(line_px, axis=0), axis=1)[inside].sum() * scene.um_per_px)


def render(scene: Scene, visit: Visit) -> SynthImage:
    """Render one visit of ``scene`` to uint8 RGB plus truth (and JPEG bytes when lossy)."""
    view = _View(scene, visit)
    img = _skin(scene, view)
    for blob in scene.ostia + scene.empty_openings:
        _render_blob(img, blob, view)
    records = []
    for hair in scene.hairs:
        length = hair.length_um + hair.growth_um_per_day * visit.days
        near = view.to_px(np.asarray([hair.base]))[0]
        reach = length / scene.um_per_px + 5
        if (
            near[0] < -reach
            or near[1] < -reach
            or near[0] > scene.width + reach
            or near[1] > scene.height + reach
        ):
            continue
        line = _render_hair(img, hair, length, view)
        visible = _visible_length_um(line, scene)
        if visible <= 0:
            continue
        pick = np.linspace(0, len(line) - 1, 9).round().astype(int)
        records.append(
            {
                "id": hair.id,
                "unit": hair.unit,
                "base": [round(float(v), 2) for v in line[0]],
                "tip": [round(float(v), 2) for v in line[-1]],
                "centreline": [[round(float(a), 2), round(float(b), 2)] for a, b in line[pick]],
                "length_um": round(length, 2),
                "visible_length_um": round(visible, 2),
                "width_um": round(hair.width_um, 3),
                "class": "vellus" if hair.width_um < scene.vellus_max_um else "terminal",
                "phase": hair.phase,
                "counted": visible >= MIN_VISIBLE_UM,
            }
        )
    for blob in visit.flakes:
        _render_blob(img, blob, view)

    h, w = scene.height, scene.width
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xn, yn = (xx - w / 2) / (w / 2), (yy - h / 2) / (h / 2)
    light = (
        visit.exposure
        * (1 + visit.gradient[0] * xn + visit.gradient[1] * yn)
        * (1 - visit.vignette * (xn**2 + yn**2) / 2)
    )
    img *= light[..., None]
    img = ndimage.gaussian_filter(img, (visit.blur_px, visit.blur_px, 0))
    nrng = np.random.default_rng(visit.noise_seed)
    sd = np.sqrt(visit.shot_noise * np.clip(img, 0, None) + visit.read_noise**2)
    img = img + sd * nrng.standard_normal(img.shape).astype(np.float32)
    rgb = np.round(linear_to_srgb(img) * 255).astype(np.uint8)
    encoded, suffix = None, ".png"
    if visit.jpeg_quality is not None:
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="JPEG", quality=visit.jpeg_quality)
        encoded, suffix = buf.getvalue(), ".jpg"
        rgb = np.asarray(Image.open(io.BytesIO(encoded)).convert("RGB"))
    return SynthImage(rgb, _truth(scene, visit, records), encoded, suffix)


def _truth(scene: Scene, visit: Visit, records: list[dict]) -> dict:
    counted = [r for r in records if r["counted"]]
    widths = np.array([r["width_um"] for r in counted])
    units = {r["unit"] for r in counted}
    area = scene.width * scene.height * scene.um_per_px**2 / 1e8
    n = len(counted)
    vellus = int(np.sum(widths < scene.vellus_max_um)) if n else 0
    return {
        "seed": scene.seed,
        "tier": scene.tier,
        "um_per_px": scene.um_per_px,
        "width": scene.width,
        "height": scene.height,
        "skin_type": scene.skin_type + 1,
        "area_cm2": area,
        "hair_count": n,
        "density_per_cm2": n / area,
        "mean_thickness_um": float(widths.mean()) if n else 0.0,
        "median_thickness_um": float(np.median(widths)) if n else 0.0,
        "vellus_max_um": scene.vellus_max_um,
        "vellus_fraction": vellus / n if n else 0.0,
        "terminal_fraction": (n - vellus) / n if n else 0.0,
        "follicular_units": len(units),
        "hairs_per_unit": n / len(units) if units else 0.0,
        "anagen_fraction": sum(r["phase"] == "anagen" for r in counted) / n if n else 0.0,
        "days": visit.days,
        "blur_px": visit.blur_px,
        "jpeg_quality": visit.jpeg_quality,
        "rotation_deg": math.degrees(visit.rotation),
        "shift_px": list(visit.shift_px),
        "flakes": len(visit.flakes),
        "hairs": records,
    }


def generate(
    seed: int, tier: str = "realistic", um_per_px: float = 5.0, width: int = 1600, height: int = 1200
) -> SynthImage:
    """One synthetic phototrichogram field with truth (deterministic in all arguments)."""
    scene = make_scene(seed, tier, um_per_px, width, height)
    rng = np.random.default_rng([seed, 7, TIERS.index(tier)])
    return render(scene, make_visit(scene, rng))


def generate_pair(
    seed: int, tier: str = "realistic", um_per_px: float = 5.0, width: int = 1600, height: int = 1200
) -> tuple[SynthImage, SynthImage, dict]:
    """Day-0 and day-2/3 images of one clipped site plus two-visit truth.

    On the second visit the camera is shifted and rotated a little, the light changes, flakes
    move, anagen hairs have grown by their daily rate (projected) and telogen hairs have not.
    """
    scene = make_scene(seed, tier, um_per_px, width, height)
    rng = np.random.default_rng([seed, 11, TIERS.index(tier)])
    day0 = render(scene, make_visit(scene, rng))
    days = float(rng.uniform(2.0, 3.0))
    day2 = render(scene, make_visit(scene, rng, days=days, moved=True))
    counted0 = [r for r in day0.truth["hairs"] if r["counted"]]
    anagen = sum(r["phase"] == "anagen" for r in counted0)
    n = len(counted0)
    truth = {
        "days": days,
        "day0_count": n,
        "day2_count": day2.truth["hair_count"],
        "anagen_fraction": anagen / n if n else 0.0,
        "telogen_fraction": (n - anagen) / n if n else 0.0,
        "rotation_deg": day2.truth["rotation_deg"],
        "shift_px": day2.truth["shift_px"],
    }
    return day0, day2, truth


def generate_ruler(
    seed: int, spacing_mm: float = 0.1, um_per_px: float = 5.0, width: int = 800, height: int = 600
) -> tuple[np.ndarray, dict]:
    """A stage-micrometer-like calibration image: dark graduations ``spacing_mm`` apart.

    The scale is tilted, unevenly lit, blurred and noisy; every fifth and tenth graduation is
    longer, as on a real micrometer slide.
    """
    rng = np.random.default_rng([seed, 99])
    angle = math.radians(rng.uniform(-12, 12)) + (math.pi / 2 if rng.random() < 0.3 else 0.0)
    period = spacing_mm * 1000 / um_per_px
    tick_w = max(0.8, rng.uniform(0.12, 0.2) * period)
    sub = 3
    yy, xx = np.mgrid[0 : height * sub, 0 : width * sub].astype(np.float32)
    xx = (xx + 0.5) / sub - width / 2
    yy = (yy + 0.5) / sub - height / 2
    u = xx * math.cos(angle) + yy * math.sin(angle) + rng.uniform(0, period)
    v = -xx * math.sin(angle) + yy * math.cos(angle)
    k = np.round(u / period)
    du = np.abs(u - k * period)
    tick_len = np.where(k % 10 == 0, 0.3, np.where(k % 5 == 0, 0.22, 0.15)) * height
    ink = (du < tick_w / 2) & (v > -0.1 * height) & (v < -0.1 * height + tick_len)
    ink |= (np.abs(v + 0.1 * height) < tick_w / 2) & (np.abs(u) < 0.45 * width)
    ink = ink.reshape(height, sub, width, sub).mean(axis=(1, 3))
    bg = rng.uniform(0.55, 0.85)
    yn, xn = np.mgrid[-1 : 1 : height * 1j, -1 : 1 : width * 1j]
    light = 1 + rng.uniform(-0.2, 0.2) * xn + rng.uniform(-0.2, 0.2) * yn - 0.15 * (xn**2 + yn**2)
    img = bg * light * (1 - 0.85 * ink)
    img = ndimage.gaussian_filter(img, rng.uniform(0.6, 1.4))
    img = img + rng.normal(0, 0.01, img.shape)
    tint = np.array([1.0, 0.97, 0.92])
    rgb = np.round(np.clip(linear_to_srgb(img[..., None] * tint), 0, 1) * 255).astype(np.uint8)
    return rgb, {
        "um_per_px": um_per_px,
        "spacing_mm": spacing_mm,
        "angle_deg": math.degrees(angle),
        "seed": seed,
    }
