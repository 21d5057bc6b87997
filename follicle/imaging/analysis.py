"""Hair detection, counting and sub-pixel width measurement on one phototrichogram field.

Pipeline (each step chosen for robustness to conditions we cannot see in advance):

1. **Hairness.** Luminance, lightly smoothed. Uneven light and vignetting are removed by a
   morphological background: a grey closing (for dark hairs) and opening (for light, grey or
   vellus hairs on dark skin) wider than the thickest hair. The two responses are normalised by
   their robust noise level, so thresholds mean "standard deviations above skin texture" on any
   skin tone, exposure or sensor. A second, smoother scale (~20 µm) normalised by the skin's own
   response spread catches faint wide hairs that sensor noise hides at pixel scale (dark skin,
   JPEG, light-brown hair).
2. **Segmentation.** Hysteresis thresholding keeps faint vellus hairs that touch a confident seed;
   small specks are dropped.
3. **Centre lines → graph.** The mask is skeletonised and cut into branches at junctions. Short
   spurs are pruned; junction clusters joined by a very short bridge (two hairs crossing at a
   shallow angle) are contracted into one node.
4. **Crossings and follicular units.** At every junction the branches are re-paired by direction
   continuity (a hair goes straight through a crossing). Unpaired branches end there: that is
   where several hairs leave one follicular opening. An unpaired arm that nearly continues a
   paired stem is a sibling whose mask merged with the other near the opening: it is traced
   back along the shared stem, so a fork counts two hairs. Clipped hairs are nearly straight,
   so a sharp corner in a chain also separates two hairs (a "V" from one opening).
5. **Rejection by appearance and shape.** A hair must differ from the skin, stand out from the
   skin texture by more than a short candidate could by chance (the required contrast falls
   with the square root of the length, as the median profile averages texture along it), and
   soft-edged low-contrast candidates are skin mottle: a hair's edges are as sharp as the
   optics allow. Flakes, empty openings and texture are also too short, too wide for their
   length, too crooked or too weak along their length. Candidates lying inside a longer hair
   are dropped unless they have a free tip of their own.
6. **Width.** Perpendicular profiles along the middle of each hair (away from ostium and tip) are
   re-centred and median-combined. The distance between the two steepest-gradient points (the
   edges) is a contrast-free width estimate; blur pushes the edges apart for thin hairs, so it is
   inverted through the exact edge distance of a box blurred by a Gaussian, with one blur sigma
   per image read from its strongest, longest edges (a contrast x length weighted median, so
   weak candidates cannot drag it). No threshold or FWHM is involved.
7. **Hairs side by side.** Counting is by tips: two siblings lying alongside each other from one
   opening make one mask, but the shorter one's flat-cut tip leaves a step in the mask width.
   A hair 1.45-2.6 times wider over one end part than over the rest is split into the longer
   hair and a sibling over the wide part, and both are given the width measured on the narrow
   part. A second step inside the wide part is a third, shorter sibling.
8. **Follicular units.** Each hair's proximal end is the end nearest another hair's end; hairs
   whose proximal ends lie within ~120 µm share a unit.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree
from skimage.filters import apply_hysteresis_threshold
from skimage.morphology import remove_small_holes, skeletonize

DEFAULT_VELLUS_MAX_UM = 30.0
HISTOGRAM_EDGES_UM = tuple(float(v) for v in range(0, 161, 10))


@dataclass(frozen=True)
class Params:
    """Tunable constants of the pipeline, in physical units so they hold at every scale."""

    work_um_per_px: float = 6.0  # detection runs at about this resolution (or finer)
    max_hair_width_um: float = 130.0  # background structuring element is wider than this
    coarse_um: float = 20.0  # second, smoother hairness scale for faint wide hairs (0: off)
    low_z: float = 2.2  # hysteresis thresholds in robust noise units
    high_z: float = 4.5
    min_length_um: float = 100.0  # shorter segments are not counted as hairs
    min_inner_length_um: float = 150.0  # ... nor shorter ones that are not cut by the frame
    min_elongation: float = 2.5  # length / width
    min_mean_z: float = 3.0  # mean hairness along the centre line
    min_straightness: float = 0.85  # chord / path length: clipped hairs are nearly straight
    min_contrast: float = 0.05  # relative darkening (or brightening) of the hair centre
    texture_factor: float = 5.0  # ... and at least this many times the skin texture level
    texture_length_um: float = 300.0  # ... for a candidate this long (sqrt-scaled with length)
    corner_deg: float = 38.0  # a sharper turn separates two hairs
    pair_tolerance_deg: float = 40.0  # branches this close to collinear continue across a node
    unit_radius_um: float = 120.0  # proximal ends closer than this share a follicular unit
    max_edge_blur: float = 1.45  # edge blur of a hair relative to the image's optical blur
    # pieces this close to collinear, end to end, are joined into one hair. Off (0) by default: on
    # generated fields it also joined a hair whose tip lies on the next unit's opening to a hair
    # of that unit (net loss); crossings are already resolved at skeleton junctions
    join_deg: float = 0.0
    fork_deg: float = 35.0  # an unpaired arm this close to continuing a paired stem shares it


@dataclass
class Hair:
    """One detected hair. Coordinates are (x, y) in pixels of the input image."""

    centreline: list[tuple[float, float]]
    length_um: float
    width_um: float
    hair_class: str  # "vellus" or "terminal"
    unit: int
    base: tuple[float, float]  # the end taken as the follicle opening
    polarity: str  # "dark" or "light" relative to the skin

    def to_dict(self) -> dict:
        d = asdict(self)
        d["centreline"] = [[round(x, 2), round(y, 2)] for x, y in self.centreline]
        d["base"] = [round(v, 2) for v in self.base]
        d["length_um"] = round(self.length_um, 2)
        d["width_um"] = round(self.width_um, 2)
        return d


@dataclass
class ImageResult:
    """Per-image metrics plus the per-hair list."""

    width: int
    height: int
    um_per_px: float
    vellus_max_um: float
    hair_count: int
    area_cm2: float
    density_per_cm2: float
    mean_thickness_um: float
    median_thickness_um: float
    thickness_histogram: dict
    vellus_fraction: float
    terminal_fraction: float
    follicular_units: int
    hairs_per_unit: float
    blur_sigma_px: float
    hairs: list[Hair] = field(default_factory=list)

    @property
    def thickness_um(self) -> list[float]:
        return [h.width_um for h in self.hairs]

    def to_dict(self, include_hairs: bool = False) -> dict:
        """JSON-ready summary; ``thickness_um`` lists per-hair widths, rounded to 0.01 µm."""
        d = {k: v for k, v in asdict(self).items() if k != "hairs"}
        for k in (
            "area_cm2",
            "density_per_cm2",
            "mean_thickness_um",
            "median_thickness_um",
            "vellus_fraction",
            "terminal_fraction",
            "hairs_per_unit",
            "blur_sigma_px",
        ):
            d[k] = round(float(d[k]), 6 if k == "area_cm2" else 4)
        d["thickness_um"] = [round(w, 2) for w in self.thickness_um]
        if include_hairs:
            d["hairs"] = [h.to_dict() for h in self.hairs]
        return d


# ----------------------------------------------------------------------------------------------
# Width model: edge distance of a box of width w blurred by a unit Gaussian.


def _edge_distance_table() -> tuple[np.ndarray, np.ndarray]:
    """D(u): distance between the gradient extrema of box(width u) * N(0, 1), for u >= 0."""
    u = np.concatenate([np.linspace(0.0, 8.0, 321), np.linspace(8.05, 40.0, 100)])
    x = np.linspace(0.0, 25.0, 25001)
    d = np.empty_like(u)
    for i, w in enumerate(u):
        # derivative of the profile for x >= 0 (symmetric): phi(x - w/2) - phi(x + w/2) < 0
        g = np.exp(-0.5 * (x - w / 2) ** 2) - np.exp(-0.5 * (x + w / 2) ** 2)
        d[i] = 2 * x[np.argmax(g)] if w > 0 else 2.0
    return u, np.maximum.accumulate(d)


_TABLE_U, _TABLE_D = _edge_distance_table()


def width_from_edges(edge_distance: np.ndarray, sigma: float) -> np.ndarray:
    """Invert the blurred-box edge distance to the true width (pixels)."""
    ratio = np.asarray(edge_distance, float) / sigma
    return sigma * np.interp(ratio, _TABLE_D, _TABLE_U, left=0.0, right=None)


# ----------------------------------------------------------------------------------------------
# Image preparation


def _luminance(rgb: np.ndarray) -> np.ndarray:
    """sRGB-encoded luminance in [0, 1] as float32."""
    a = np.asarray(rgb)
    if a.ndim == 2:
        out = a.astype(np.float32)
    elif a.ndim == 3 and a.shape[2] in (3, 4):
        a = a[..., :3].astype(np.float32)
        out = 0.299 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2]
    else:
        raise ValueError(f"expected an RGB image (H, W, 3), got shape {a.shape}")
    if np.issubdtype(np.asarray(rgb).dtype, np.integer):
        out /= 255.0
    return out


def _to_linear(lum: np.ndarray) -> np.ndarray:
    """Undo the sRGB curve: blur and hair absorption act on linear light, so widths do too."""
    return np.where(lum <= 0.04045, lum / 12.92, ((lum + 0.055) / 1.055) ** 2.4).astype(np.float32)


def _block_mean(a: np.ndarray, f: int) -> np.ndarray:
    h, w = (a.shape[0] // f) * f, (a.shape[1] // f) * f
    a = a[:h, :w]
    # strided sums are several times faster than a mean over non-adjacent axes
    out = np.zeros((h // f, w // f), np.float32 if a.dtype != np.float64 else np.float64)
    for i in range(f):
        for j in range(f):
            out += a[i::f, j::f]
    out /= f * f
    return out


def _noise_level(g: np.ndarray) -> float:
    """Robust standard deviation of fine-scale variation (sensor noise plus skin texture)."""
    h, w = g.shape
    if min(h, w) >= 400:  # the central 60 % of the field is plenty, at a third of the cost
        g = g[h // 5 : h - h // 5, w // 5 : w - w // 5]
    sample = (g - ndimage.gaussian_filter(g, 2.0))[::3, ::3]
    med = float(np.median(sample))
    return max(float(np.median(np.abs(sample - med))) * 1.4826, 1e-4)


def _hairness(g: np.ndarray, k: int, coarse_sigma: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Robust z-scores of dark and light line-like structures narrower than ``k`` pixels.

    The morphological background is computed at half or quarter resolution (it is smooth by
    construction, and the element stays >= 6 px there) and interpolated back, which keeps the
    step cheap on large fields.
    """
    f = 4 if min(g.shape) >= 400 and k >= 24 else 2 if min(g.shape) >= 200 and k >= 9 else 1
    small = _block_mean(g, f) if f > 1 else g
    ks = max(3, k // f) | 1
    # alternating filters: remove the other polarity first, or the skin between two close dark
    # hairs would look like a light line (and the gap between light hairs like a dark one)
    close = ndimage.grey_closing(ndimage.grey_opening(small, size=(ks, ks)), size=(ks, ks))
    open_ = ndimage.grey_opening(ndimage.grey_closing(small, size=(ks, ks)), size=(ks, ks))
    coarse = []
    if coarse_sigma > 1.0:
        # faint wide hairs on a noisy sensor or dark skin: smoothing over a fraction of a hair
        # width raises their signal-to-noise ratio several times. Fine noise is gone at that
        # scale, so the unit is the spread of the skin's own response (texture, mottle). The
        # smoothing is wider than the blocks, so it is done at the background's resolution.
        gc = ndimage.gaussian_filter(small, math.sqrt(max(coarse_sigma**2 - (f * f - 1) / 12, 0.25)) / f)
        for r in (close - gc, gc - open_):
            sample = r[::2, ::2]
            med = float(np.median(sample))
            mad = max(float(np.median(np.abs(sample - med))) * 1.4826, 1e-4)
            coarse.append((r - med) / mad)
    if f > 1:
        close = _upsample(close, f, g.shape)
        open_ = _upsample(open_, f, g.shape)
        coarse = [_upsample(c, f, g.shape) for c in coarse]
    noise = _noise_level(g)
    z_dark, z_light = np.maximum(close - g, 0) / noise, np.maximum(g - open_, 0) / noise
    for c, z in zip(coarse, (z_dark, z_light), strict=False):
        np.maximum(z, c, out=z)
    return z_dark, z_light


def _texture_level(g: np.ndarray, mask: np.ndarray, k: int) -> float:
    """Relative skin variation at hair scale (linear light), measured away from hairs.

    A candidate must stand out from this: skin mottling, pores and sensor noise differ between
    skin types and devices, so a fixed contrast threshold would be wrong for most images.
    """
    smooth = ndimage.gaussian_filter(g, max(2.0, k / 3))
    # band-pass at hair scale: pixel noise averages out along a hair, skin texture does not
    rel = (ndimage.gaussian_filter(g, max(1.0, k / 10)) - smooth) / np.maximum(smooth, 1e-3)
    away = ~ndimage.binary_dilation(mask, iterations=max(1, k // 4))
    vals = rel[::2, ::2][away[::2, ::2]]
    if vals.size < 100:
        return 0.0
    # d(linear)/linear is about 2.2 d(sRGB)/sRGB for small variations
    return 2.2 * 1.4826 * float(np.median(np.abs(vals - np.median(vals))))


def _skin_level(lin: np.ndarray, um_per_px: float):
    """Local skin brightness: a median over ~1 mm, which hairs and flakes cannot shift."""
    f = max(2, int(150.0 / um_per_px))  # ~150 µm cells
    coarse = _block_mean(lin, f) if min(lin.shape) >= 4 * f else lin
    f = f if coarse is not lin else 1
    size = max(3, int(1000.0 / (um_per_px * f)) | 1)
    med = ndimage.median_filter(coarse, size=size, mode="nearest")

    def at(rc: np.ndarray) -> float:
        r = min(int(rc[0] / f), med.shape[0] - 1)
        c = min(int(rc[1] / f), med.shape[1] - 1)
        return float(med[max(r, 0), max(c, 0)])

    return at


def _near_border(line: np.ndarray, h: int, w: int, margin: float) -> bool:
    return bool(
        (line.min(axis=0) < margin).any()
        or line[:, 0].max() > h - 1 - margin
        or line[:, 1].max() > w - 1 - margin
    )


def _drop_redundant(
    keep: list[int], lines: list[np.ndarray], width_px: np.ndarray, polarity: np.ndarray
) -> list[int]:
    """Drop candidates lying mostly inside the body of a longer hair (skeleton fragments), and
    light candidates running alongside dark hairs (the skin gap between two close dark hairs)."""
    if len(keep) < 2:
        return keep
    pts, owner = [], []
    for i in keep:
        d, _ = _resample(lines[i], 2.0)
        pts.append(d)
        owner.append(np.full(len(d), i))
    allp, allo = np.vstack(pts), np.concatenate(owner)
    length = np.zeros(len(lines))
    length[keep] = [_path_length(lines[i]) for i in keep]
    tree = cKDTree(allp)
    kk = min(12, len(allp))
    out = []
    for i, d in zip(keep, pts, strict=True):
        dist, idx = tree.query(d, k=kk)
        own = allo[idx]
        longer = length[own] > length[i]
        cover = (own != i) & longer & (dist <= 0.5 * width_px[own] + 1.0)
        cov = cover.any(axis=1)
        if cov.mean() >= 0.7 and _free_run(cov) < max(1.5 * float(width_px[i]), 6.0) / 2.0:
            # inside a longer hair, and no free tip of its own (a forked sibling has one)
            continue
        if polarity[i] < 0:
            beside = (polarity[own] > 0) & (dist <= 0.5 * width_px[own] + width_px[i] + 2.0)
            if beside.any(axis=1).mean() >= 0.5:
                continue
        out.append(i)
    return out


def _free_run(covered: np.ndarray) -> int:
    """Number of uncovered samples at the better end of a sampled line."""
    n = len(covered)
    first = int(np.argmax(covered)) if covered.any() else n
    last = int(np.argmax(covered[::-1])) if covered.any() else n
    return max(first, last)


def _upsample(a: np.ndarray, f: int, shape: tuple[int, int]) -> np.ndarray:
    """Upsampling of a smooth map by an integer factor: replicate, then a box of the same size
    (box * box = tent, i.e. linear interpolation between the block centres)."""
    up = ndimage.uniform_filter1d(np.repeat(a, f, axis=0), f, axis=0, mode="nearest")
    up = ndimage.uniform_filter1d(np.repeat(up, f, axis=1), f, axis=1, mode="nearest")
    return _fit_shape(up, shape)


def _fit_shape(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    out = np.empty(shape, a.dtype)
    h, w = min(shape[0], a.shape[0]), min(shape[1], a.shape[1])
    out[:h, :w] = a[:h, :w]
    out[h:, :w] = a[h - 1 : h, :w]
    out[:, w:] = out[:, w - 1 : w]
    return out


# ----------------------------------------------------------------------------------------------
# Skeleton graph


@dataclass
class _Branch:
    pts: np.ndarray  # ordered (row, col) pixels, float
    ends: list[int]  # junction id at start / end, -1 for a free end
    alive: bool = True


def _skeleton_branches(skel: np.ndarray) -> tuple[list[_Branch], np.ndarray, int]:
    """Cut a skeleton into simple branches between junction clusters.

    Returns the branches, the junction-cluster centroids (row, col) and their count. Ordering of
    each branch's pixels comes from one shortest-path sweep over all branches at once.
    """
    sk = skel.astype(np.uint8)
    nb = ndimage.convolve(sk, np.ones((3, 3), np.uint8), mode="constant") - sk
    junction = skel & (nb >= 3)
    jzone = ndimage.binary_dilation(junction, np.ones((3, 3), bool)) & skel
    jlab, n_j = ndimage.label(jzone, np.ones((3, 3)))
    jr, jc = np.nonzero(jlab)
    jl = jlab[jr, jc]
    cnt = np.maximum(np.bincount(jl, minlength=n_j + 1)[1:], 1)
    centroids = np.column_stack(
        [np.bincount(jl, jr, minlength=n_j + 1)[1:] / cnt, np.bincount(jl, jc, minlength=n_j + 1)[1:] / cnt]
    ).reshape(-1, 2)
    body = skel & ~jzone
    blab, n_b = ndimage.label(body, np.ones((3, 3)))
    if n_b == 0:
        return [], centroids, n_j
    rr, cc = np.nonzero(body)
    index = -np.ones(skel.shape, np.int64)
    index[rr, cc] = np.arange(len(rr))
    h, w = skel.shape
    src, dst, wt = [], [], []
    for dr, dc, cost in ((0, 1, 1.0), (1, 0, 1.0), (1, 1, math.sqrt(2)), (1, -1, math.sqrt(2))):
        r2, c2 = rr + dr, cc + dc
        ok = (r2 < h) & (c2 >= 0) & (c2 < w)
        ok[ok] &= index[r2[ok], c2[ok]] >= 0
        src.append(index[rr[ok], cc[ok]])
        dst.append(index[r2[ok], c2[ok]])
        wt.append(np.full(int(ok.sum()), cost))
    src_a, dst_a, wt_a = np.concatenate(src), np.concatenate(dst), np.concatenate(wt)
    graph = sparse.coo_matrix((wt_a, (src_a, dst_a)), shape=(len(rr), len(rr))).tocsr()
    degree = np.bincount(src_a, minlength=len(rr)) + np.bincount(dst_a, minlength=len(rr))
    labels = blab[rr, cc]
    order = np.lexsort((degree, labels))  # per label, a pixel of lowest degree (an end) first
    first = order[np.unique(labels[order], return_index=True)[1]]
    dist = csgraph.dijkstra(graph, directed=False, indices=first, min_only=True)
    order = np.lexsort((dist, labels))
    bounds = np.searchsorted(labels[order], np.arange(1, n_b + 2))
    jdil = ndimage.grey_dilation(jlab, size=(3, 3))
    branches = []
    for b in range(n_b):
        idx = order[bounds[b] : bounds[b + 1]]
        if len(idx) == 0:
            continue
        pts = np.column_stack([rr[idx], cc[idx]]).astype(float)
        ends = [int(jdil[rr[idx[0]], cc[idx[0]]]) - 1, int(jdil[rr[idx[-1]], cc[idx[-1]]]) - 1]
        branches.append(_Branch(pts, ends))
    return branches, centroids, n_j


def _path_length(pts: np.ndarray) -> float:
    if len(pts) < 2:
        return 0.0
    d = pts[1:] - pts[:-1]
    return float(np.hypot(d[:, 0], d[:, 1]).sum())


def _direction_from(pts: np.ndarray, reach: float) -> np.ndarray:
    """Unit vector from the first point of ``pts`` towards the point ``reach`` along it."""
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    k = int(np.searchsorted(cum, reach))
    v = pts[min(k, len(pts) - 1)] - pts[0]
    n = np.linalg.norm(v)
    return v / n if n > 0 else np.zeros(2)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def _trace_hairs(
    branches: list[_Branch],
    centroids: np.ndarray,
    n_j: int,
    halfwidth: np.ndarray,
    p: Params,
    min_len_px: float = 0.0,
) -> list[np.ndarray]:
    """Turn skeleton branches into hair centre lines (row, col polylines at detection scale)."""
    # 1. contract short bridges between junction clusters (shallow crossings, thick FU bases)
    uf = _UnionFind(max(n_j, 1))
    for br in branches:
        a, b = br.ends
        if a >= 0 and b >= 0:
            hw = max(halfwidth[int(br.pts[len(br.pts) // 2, 0]), int(br.pts[len(br.pts) // 2, 1])], 1)
            if a == b or _path_length(br.pts) <= 2.5 * hw + 2:
                uf.union(a, b)
                br.alive = False
    for br in branches:
        br.ends = [uf.find(e) if e >= 0 else -1 for e in br.ends]
    node_pts: dict[int, list[np.ndarray]] = {}
    for j in range(n_j):
        node_pts.setdefault(uf.find(j), []).append(centroids[j])
    node_xy = {k: np.mean(v, axis=0) for k, v in node_pts.items()}

    # 2. prune spurs: short branches with a free end hanging off a junction
    for br in branches:
        if not br.alive:
            continue
        free = [e < 0 for e in br.ends]
        if free[0] != free[1]:
            j = br.ends[1] if free[0] else br.ends[0]
            hw = max(halfwidth[int(node_xy[j][0]), int(node_xy[j][1])], 1.0)
            if _path_length(br.pts) <= 1.8 * hw + 2:
                br.alive = False

    # 3. at each node, pair branch ends by direction continuity
    incident: dict[int, list[tuple[int, int]]] = {}
    for i, br in enumerate(branches):
        if br.alive:
            for side, j in enumerate(br.ends):
                if j >= 0:
                    incident.setdefault(j, []).append((i, side))
    link: dict[tuple[int, int], tuple[int, int]] = {}
    stem: dict[tuple[int, int], tuple[int, int]] = {}
    cos_tol = -math.cos(math.radians(p.pair_tolerance_deg))
    for j, ends in incident.items():
        hw = max(halfwidth[int(node_xy[j][0]), int(node_xy[j][1])], 1.0)
        reach = 3 * hw + 6
        dirs = []
        for i, side in ends:
            pts = branches[i].pts if side == 0 else branches[i].pts[::-1]
            dirs.append(_direction_from(np.vstack([node_xy[j], pts]), reach))
        cand = []
        for a in range(len(ends)):
            for b in range(a + 1, len(ends)):
                c = float(dirs[a] @ dirs[b])
                if c <= cos_tol and ends[a][0] != ends[b][0]:
                    cand.append((c, a, b))
        used: set[int] = set()
        for _, a, b in sorted(cand):
            if a not in used and b not in used:
                used.update((a, b))
                link[ends[a]] = ends[b]
                link[ends[b]] = ends[a]
        # hairs of one follicular unit leave the opening almost parallel, so their masks merge
        # near the opening and the skeleton forks: one arm continues the common stem, the other
        # is left unpaired. That arm is a hair of its own and shares the stem.
        for a in range(len(ends)):
            if a in used:
                continue
            best, best_c = -1, -math.cos(math.radians(p.fork_deg))
            for b in used:
                c = float(dirs[a] @ dirs[b])
                if c <= best_c and ends[a][0] != ends[b][0]:
                    best, best_c = b, c
            if best >= 0:
                stem[ends[a]] = ends[best]

    def walk(i: int, from_side: int, seen_: set[int]) -> tuple[list[np.ndarray], tuple[int, int]]:
        """Follow linked branches from branch ``i`` entered at ``from_side``."""
        pieces: list[np.ndarray] = []
        while True:
            seen_.add(i)
            pts = branches[i].pts if from_side == 0 else branches[i].pts[::-1]
            j = branches[i].ends[from_side]
            if j >= 0 and not pieces:
                pieces.append(node_xy[j][None, :])
            pieces.append(pts)
            out_side = 1 - from_side
            j_out = branches[i].ends[out_side]
            if j_out >= 0:
                pieces.append(node_xy[j_out][None, :])
            nxt = link.get((i, out_side))
            if nxt is None or nxt[0] in seen_:
                return pieces, (i, out_side)
            i, from_side = nxt

    # 4. walk chains of linked branches into polylines
    seen: set[int] = set()
    chains: list[np.ndarray] = []
    for start, br in enumerate(branches):
        if not br.alive or start in seen:
            continue
        # go backwards to the chain start
        i, side = start, 0
        hops = 0
        while (i, side) in link and hops < len(branches):
            i, other = link[(i, side)]
            side = 1 - other
            hops += 1
            if i == start:
                break
        pieces, last = walk(i, side, seen)
        if (i, side) in stem:
            pre, _ = walk(*stem[(i, side)], set())
            pieces = [np.vstack(pre)[::-1], *pieces]
        if last in stem:
            post, _ = walk(*stem[last], set())
            pieces = [*pieces, np.vstack(post)]
        chains.append(np.vstack(pieces))

    # 5. split chains at sharp corners: clipped hairs are nearly straight
    hairs: list[np.ndarray] = []
    for chain in chains:
        # a chain too short to be a hair as a whole only gets shorter when split (most of these
        # are skin texture): leave it out here, before the costly corner search
        if min_len_px > 0 and _path_length(chain) + 2 * _mid_halfwidth(chain, halfwidth) + 2 < min_len_px:
            continue
        hairs.extend(_split_corners(chain, p.corner_deg, halfwidth))
    return hairs


def _mid_halfwidth(chain: np.ndarray, halfwidth: np.ndarray) -> float:
    mid = chain[len(chain) // 2]
    r = min(max(int(mid[0]), 0), halfwidth.shape[0] - 1)
    c = min(max(int(mid[1]), 0), halfwidth.shape[1] - 1)
    return float(halfwidth[r, c])


def _simplify(pts: np.ndarray, eps: float) -> np.ndarray:
    """Indices of a Douglas-Peucker simplification of ``pts``."""
    keep = np.zeros(len(pts), bool)
    keep[[0, -1]] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        d = pts[b] - pts[a]
        n = np.linalg.norm(d)
        seg = pts[a + 1 : b] - pts[a]
        dist = np.abs(seg[:, 0] * d[1] - seg[:, 1] * d[0]) / n if n > 0 else np.linalg.norm(seg, axis=1)
        k = int(np.argmax(dist))
        if dist[k] > eps:
            keep[a + 1 + k] = True
            stack.extend([(a, a + 1 + k), (a + 1 + k, b)])
    return np.nonzero(keep)[0]


def _split_corners(chain: np.ndarray, corner_deg: float, halfwidth: np.ndarray) -> list[np.ndarray]:
    if len(chain) < 5:
        return [chain]
    mid = chain[len(chain) // 2].astype(int)
    hw = max(float(halfwidth[mid[0], mid[1]]), 1.0)
    keep = _simplify(chain, max(1.5, 0.6 * hw))
    if len(keep) < 3:
        return [chain]
    v = np.diff(chain[keep], axis=0)
    seglen = np.linalg.norm(v, axis=1)
    v = v / np.maximum(seglen, 1e-9)[:, None]
    turn = np.degrees(np.arccos(np.clip(np.sum(v[:-1] * v[1:], axis=1), -1, 1)))
    cuts = [int(keep[i + 1]) for i in range(len(turn)) if turn[i] > corner_deg]
    if not cuts:
        return [chain]
    out, start = [], 0
    for c in cuts:
        out.append(chain[start : c + 1])
        start = c
    out.append(chain[start:])
    return [c for c in out if len(c) >= 2]


# ----------------------------------------------------------------------------------------------
# Width measurement on the full-resolution image


def _resample(line: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``step`` along a polyline and unit tangents there."""
    seg = np.diff(line, axis=0)
    seglen = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seglen)])
    total = cum[-1]
    s = np.arange(0.0, total + 1e-9, step) if total > 0 else np.array([0.0])
    x = np.interp(s, cum, line[:, 0])
    y = np.interp(s, cum, line[:, 1])
    pts = np.column_stack([x, y])
    n = len(pts)
    if n < 2:
        return pts, np.array([[1.0, 0.0]])
    # tangent: chord over about +-4 px, which ignores the pixel staircase of skeleton lines
    r = max(1, int(round(4.0 / step)))
    i = np.arange(n)
    t = pts[np.minimum(i + r, n - 1)] - pts[np.maximum(i - r, 0)]
    t /= np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-9)[:, None]
    return pts, t


@dataclass
class _Measure:
    width_px: np.ndarray
    edge_px: np.ndarray
    sigma_px: float
    polarity: np.ndarray
    contrast: np.ndarray
    base: np.ndarray
    edge_sigma: np.ndarray  # per hair: blur implied by its own edge slope


def _profiles(
    img: np.ndarray, centres: np.ndarray, normals: np.ndarray, half: np.ndarray, k: int
) -> np.ndarray:
    """Sample ``k`` points across each centre along its normal over [-half, half]."""
    t = np.linspace(-1.0, 1.0, k)
    off = half[:, None] * t[None, :]
    r = centres[:, 0:1] + normals[:, 0:1] * off
    c = centres[:, 1:2] + normals[:, 1:2] * off
    return ndimage.map_coordinates(img, [r.ravel(), c.ravel()], order=1, mode="nearest").reshape(-1, k)


def _measure_widths(
    lin: np.ndarray,
    lines: list[np.ndarray],
    rough_w: np.ndarray,
    max_profiles: int = 32,
    k: int = 49,
    sigma: float | None = None,
) -> _Measure:
    """Sub-pixel widths from median cross-section profiles (see module docstring, step 6)."""
    n = len(lines)
    cen_l, nrm_l, half_l, owner_l, s_l = [], [], [], [], []
    for i, line in enumerate(lines):
        pts, tan = _resample(line, 1.0)
        m = len(pts)
        margin = int(min(0.3 * m, max(0.12 * m, 1.2 * rough_w[i])))
        sel = np.arange(margin, m - margin) if m - 2 * margin >= 3 else np.arange(m)
        if len(sel) > max_profiles:
            sel = sel[np.linspace(0, len(sel) - 1, max_profiles).round().astype(int)]
        cen_l.append(pts[sel])
        nrm_l.append(np.column_stack([-tan[sel, 1], tan[sel, 0]]))
        half_l.append(np.full(len(sel), 1.1 * rough_w[i] + 6.0))
        owner_l.append(np.full(len(sel), i))
        s_l.append(sel.astype(float))
    cen, nrm, half = np.vstack(cen_l), np.vstack(nrm_l), np.concatenate(half_l)
    owner, s_along = np.concatenate(owner_l), np.concatenate(s_l)
    t = np.linspace(-1.0, 1.0, k)

    # pass 1: re-centre each profile on its hair (skeletons of thick hairs wander by a pixel)
    prof = _profiles(lin, cen, nrm, half, k)
    base = 0.5 * (np.median(prof[:, :6], axis=1) + np.median(prof[:, -6:], axis=1))
    centre_val = prof[:, k // 2 - 2 : k // 2 + 3].mean(axis=1)
    pol = np.sign(np.bincount(owner, weights=base - centre_val, minlength=n))
    pol[pol == 0] = 1
    bump = np.maximum((base[:, None] - prof) * pol[owner][:, None], 0)
    core = np.abs(t)[None, :] < 0.8
    wsum = (bump * core).sum(axis=1)
    offset = np.where(wsum > 0, (bump * core * t[None, :]).sum(axis=1) / np.maximum(wsum, 1e-12), 0)
    offset = np.clip(offset, -0.3, 0.3) * half
    # smooth the offsets along each hair with a line fit, so noise does not bend the centre line
    fitted = np.zeros_like(offset)
    for i in range(n):
        m = owner == i
        if m.sum() >= 3:
            coef = np.polyfit(s_along[m], offset[m], 1)
            fitted[m] = np.polyval(coef, s_along[m])
        else:
            fitted[m] = np.median(offset[m]) if m.any() else 0.0
    cen = cen + nrm * fitted[:, None]

    # pass 2: median profile per hair on the re-centred samples
    prof = _profiles(lin, cen, nrm, half, k)
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(n + 1))
    med = np.empty((n, k))
    for i in range(n):
        med[i] = np.median(prof[order[bounds[i] : bounds[i + 1]]], axis=0)
    step = (2 * half[order[bounds[:-1]]]) / (k - 1)  # px per sample, per hair
    tails = np.concatenate([med[:, :5], med[:, -5:]], axis=1)
    base = np.median(tails, axis=1)
    bump = (base[:, None] - med) * pol[:, None]
    bump = ndimage.gaussian_filter1d(bump, 0.7, axis=1)
    grad = np.gradient(bump, axis=1)
    centre = k // 2
    # the edges: steepest rise left of the centre and steepest fall right of it
    search = np.abs(np.arange(k) - centre)
    left_zone = (np.arange(k) <= centre)[None, :] & (search < k // 2 - 3)[None, :]
    right_zone = (np.arange(k) >= centre)[None, :] & (search < k // 2 - 3)[None, :]
    gl = np.where(left_zone, grad, -np.inf)
    gr = np.where(right_zone, -grad, -np.inf)
    il, ir = np.argmax(gl, axis=1), np.argmax(gr, axis=1)
    xl = il + _parabola_peak(grad, il)
    xr = ir + _parabola_peak(-grad, ir)
    edge = (xr - xl) * step
    amp = np.max(bump[:, centre - 2 : centre + 3], axis=1)
    slope = 0.5 * (grad[np.arange(n), il] - grad[np.arange(n), ir]) / step
    # blur sigma from resolved hairs: for a blurred step the steepest slope is A / (sigma sqrt(2 pi))
    with np.errstate(divide="ignore", invalid="ignore"):
        sig = amp / (slope * math.sqrt(2 * math.pi))
    contrast = amp / np.maximum(base, 1e-3)
    good = (edge > 4 * np.nan_to_num(sig, nan=99)) & (contrast > 0.15) & np.isfinite(sig) & (sig > 0.3)
    # one optical blur per image, read from the strongest and longest edges: weak candidates
    # (skin texture, noise on dark skin) have soft "edges" of their own and must not vote much
    weight = contrast * np.array([_path_length(ln) for ln in lines])
    if sigma is None:
        sigma = _weighted_median(sig[good], weight[good]) if good.any() else 1.0
        sigma = float(np.clip(sigma, 0.5, 4.0))
    width = width_from_edges(edge, sigma)
    return _Measure(width, edge, sigma, pol, contrast, base, np.nan_to_num(sig, nan=99.0))


def _width_step(
    line: np.ndarray, hw_map: np.ndarray, f: int, width_px: float, min_len_px: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """Split a hair whose mask is much wider over one end part: two hairs side by side there.

    Returns (wide part, narrow part) as full-resolution polylines, or None. The wide part must
    start at an end (the common opening), be long enough to be a clipped hair of its own, and
    be 1.45 to 2.6 times as wide as the rest.
    """
    pts, _ = _resample(line, 1.0)
    n = len(pts)
    det = (pts - (f - 1) / 2) / f
    r = np.clip(det[:, 0].round().astype(int), 0, hw_map.shape[0] - 1)
    c = np.clip(det[:, 1].round().astype(int), 0, hw_map.shape[1] - 1)
    wid = 2.0 * hw_map[r, c] * f  # full-resolution mask width along the centre line
    w_single = max(width_px, 2.0)
    # the wide part is the shorter sibling (a hair of its own: long), the narrow part the rest of
    # the longer one (a clear step is enough)
    min_wide = int(max(3.0 * w_single, min_len_px))
    min_narrow = int(max(1.5 * w_single, 6.0))
    if n < min_wide + min_narrow or wid.max() < 4.0:
        return None
    wid = ndimage.median_filter(wid, size=max(3, int(w_single)) | 1, mode="nearest")
    cum = np.concatenate([[0.0], np.cumsum(wid)])
    best = None
    for side in (0, 1):  # side 0: wide part at the start
        k = np.arange(min_wide, n - min_narrow + 1) if side == 0 else np.arange(min_narrow, n - min_wide + 1)
        head = cum[k] / k
        tail = (cum[-1] - cum[k]) / (n - k)
        a, b = (head, tail) if side == 0 else (tail, head)
        j = int(np.argmax(a - b))
        ratio = a[j] / max(b[j], 1e-6)
        if 1.45 <= ratio <= 2.6 and (best is None or a[j] - b[j] > best[0]):
            best = (a[j] - b[j], side, int(k[j]))
    if best is None:
        return None
    _, side, kk = best
    wide = pts[: kk + 1] if side == 0 else pts[kk:]
    narrow = pts[kk:] if side == 0 else pts[: kk + 1]
    return wide, narrow


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, 0.5 * cum[-1])])


def _parabola_peak(y: np.ndarray, i: np.ndarray) -> np.ndarray:
    """Sub-sample offset of the peak at index ``i`` in each row of ``y`` (parabolic fit)."""
    k = y.shape[1]
    j = np.clip(i, 1, k - 2)
    rows = np.arange(len(j))
    a, b, c = y[rows, j - 1], y[rows, j], y[rows, j + 1]
    den = a - 2 * b + c
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.where(np.abs(den) > 1e-12, 0.5 * (a - c) / den, 0.0)
    return np.clip(off, -1, 1) + (j - i)


# ----------------------------------------------------------------------------------------------


def _units(ends: np.ndarray, radius_px: float) -> tuple[np.ndarray, np.ndarray]:
    """Follicular units from hair end points (n, 2, 2): returns unit ids and base-end choice."""
    n = len(ends)
    if n == 0:
        return np.zeros(0, int), np.zeros(0, int)
    flat = ends.reshape(-1, 2)
    tree = cKDTree(flat)
    dist, idx = tree.query(flat, k=min(len(flat), 6))
    dist = np.atleast_2d(dist)
    idx = np.atleast_2d(idx)
    owner = np.repeat(np.arange(n), 2)
    other = owner[idx] != owner[:, None]
    nearest = np.where(other, dist, np.inf).min(axis=1).reshape(n, 2)
    base_end = np.argmin(nearest, axis=1)
    bases = ends[np.arange(n), base_end]
    uf = _UnionFind(n)
    for a, b in cKDTree(bases).query_pairs(radius_px):
        uf.union(a, b)
    roots = np.array([uf.find(i) for i in range(n)])
    _, unit = np.unique(roots, return_inverse=True)
    return unit, base_end


def _end_direction(line: np.ndarray, at_start: bool, reach: float) -> np.ndarray:
    """Outward unit direction at one end of a polyline, from a chord over ``reach`` pixels."""
    pts = line if at_start else line[::-1]
    v = pts[0] - pts[min(len(pts) - 1, max(1, _index_at(pts, reach)))]
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else np.zeros(2)


def _index_at(pts: np.ndarray, reach: float) -> int:
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    return int(np.searchsorted(cum, reach))


def _merge_collinear(
    idx: list[int],
    lines: list[np.ndarray],
    width_px: np.ndarray,
    polarity: np.ndarray,
    join_deg: float = 0.0,
) -> list[list[int]]:
    """Group pieces that continue each other end to end (same direction, width and polarity).

    A crossing hair, a junction with a neighbour or a dip in contrast cuts one straight hair into
    pieces. Two ends are joined when the gap between them is short, both outward directions are
    opposite within ``join_deg`` and each end lies on the other piece's line. Each end joins at
    most once (the best candidate first), so chains are simple.
    """
    if len(idx) < 2 or join_deg <= 0:
        return [[i] for i in idx]
    ends, dirs, owner = [], [], []
    for i in idx:
        reach = max(6.0, 3.0 * float(width_px[i]))
        for at_start in (True, False):
            ends.append(lines[i][0] if at_start else lines[i][-1])
            dirs.append(_end_direction(lines[i], at_start, reach))
            owner.append(i)
    ends_a, dirs_a, owner_a = np.asarray(ends), np.asarray(dirs), np.asarray(owner)
    wmax = float(np.max(width_px[idx]))
    tree = cKDTree(ends_a)
    cos_tol = math.cos(math.radians(join_deg))
    cand = []
    for a, b in tree.query_pairs(max(3.0 * wmax, 15.0)):
        i, j = owner_a[a], owner_a[b]
        if i == j or polarity[i] != polarity[j]:
            continue
        wi, wj = float(width_px[i]), float(width_px[j])
        gap_max = max(2.5 * max(wi, wj), 10.0)
        g = ends_a[b] - ends_a[a]
        dist = float(np.linalg.norm(g))
        if dist > gap_max or abs(wi - wj) > 0.35 * max(wi, wj) + 1.5:
            continue
        c = -float(dirs_a[a] @ dirs_a[b])
        if c < cos_tol:
            continue
        # the gap runs along both pieces: lateral offset within half a width
        tol = 0.5 * max(wi, wj) + 1.5
        lat_a = abs(dirs_a[a][0] * g[1] - dirs_a[a][1] * g[0])
        lat_b = abs(dirs_a[b][0] * g[1] - dirs_a[b][1] * g[0])
        along = float(dirs_a[a] @ g)
        if max(lat_a, lat_b) > tol or along < -0.5 * max(wi, wj):
            continue
        cand.append((dist / gap_max + (1 - c) * 10, a, b))
    used: set[int] = set()
    uf = _UnionFind(len(lines))
    for _, a, b in sorted(cand):
        i, j = owner_a[a], owner_a[b]
        if a in used or b in used or uf.find(i) == uf.find(j):
            continue
        used.update((a, b))
        uf.union(i, j)
    groups: dict[int, list[int]] = {}
    for i in idx:
        groups.setdefault(uf.find(i), []).append(i)
    return [_order_chain(g, lines) for g in groups.values()]


def _order_chain(grp: list[int], lines: list[np.ndarray]) -> list[int]:
    """Order the pieces of one hair along its main direction."""
    if len(grp) == 1:
        return grp
    pts = np.vstack([lines[i] for i in grp])
    centre = pts.mean(axis=0)
    _, _, vt = np.linalg.svd(pts - centre, full_matrices=False)
    proj = [float((lines[i].mean(axis=0) - centre) @ vt[0]) for i in grp]
    return [grp[k] for k in np.argsort(proj)]


def _join_pieces(pieces: list[np.ndarray]) -> np.ndarray:
    """Concatenate ordered pieces into one polyline, each piece oriented along the chain."""
    if len(pieces) == 1:
        return pieces[0]
    axis = pieces[-1].mean(axis=0) - pieces[0].mean(axis=0)
    out = []
    for pc in pieces:
        out.append(pc if float((pc[-1] - pc[0]) @ axis) >= 0 else pc[::-1])
    return np.vstack(out)


def analyze_image(
    rgb: np.ndarray,
    um_per_px: float,
    vellus_max_um: float = DEFAULT_VELLUS_MAX_UM,
    *,
    params: Params | None = None,
) -> ImageResult:
    """Count and measure the hairs of one clipped-hair field.

    ``rgb`` is an (H, W, 3) array (uint8 or float in [0, 1]); ``um_per_px`` the calibrated scale.
    """
    if not um_per_px > 0 or not math.isfinite(um_per_px):
        raise ValueError("um_per_px must be a positive number")
    if not vellus_max_um > 0:
        raise ValueError("vellus_max_um must be positive")
    p = params or Params()
    lum = _luminance(rgb)
    h, w = lum.shape
    if h < 16 or w < 16:
        raise ValueError("image is too small to analyse")
    f = max(1, int(p.work_um_per_px // um_per_px))
    small = _block_mean(lum, f) if f > 1 else lum
    um_w = um_per_px * f
    g = ndimage.gaussian_filter(small, 0.8)
    k = int(math.ceil(p.max_hair_width_um / um_w)) | 1
    z_dark, z_light = _hairness(g, k, p.coarse_um / um_w)
    z = np.maximum(z_dark, z_light)
    # half of the local peak response: each hair's mask follows its own half-depth edges, so
    # skin texture and the gaps between diverging hairs stay out whatever the contrast
    local_peak = ndimage.maximum_filter(z, size=max(3, k // 2) | 1)
    mask = apply_hysteresis_threshold(z, p.low_z, p.high_z) & (z >= 0.5 * local_peak)
    mask = remove_small_holes(mask, max_size=max(4, int((40.0 / um_w) ** 2)))
    lab, n_lab = ndimage.label(mask, np.ones((3, 3)))
    if n_lab:
        area = np.bincount(lab.ravel())
        min_area = max(4.0, 0.5 * (p.min_length_um / um_w) * (10.0 / um_w))
        mask &= (area >= min_area)[lab]
    halfwidth = ndimage.distance_transform_cdt(mask, "chessboard").astype(np.float32)
    # skin texture is smooth at hair scale: half resolution reads it as well, at a quarter of the cost
    texture = (
        _texture_level(_block_mean(g, 2), _block_mean(mask.astype(np.float32), 2) > 0, max(3, k // 2))
        if min(g.shape) >= 64
        else _texture_level(g, mask, k)
    )
    skel = skeletonize(mask)
    branches, centroids, n_j = _skeleton_branches(skel)
    lines = _trace_hairs(branches, centroids, n_j, halfwidth, p, p.min_length_um / um_w)

    # candidates: rough features at detection scale
    cands = []
    for line in lines:
        length = _path_length(line)
        rr = np.clip(line[:, 0].round().astype(int), 0, mask.shape[0] - 1)
        cc = np.clip(line[:, 1].round().astype(int), 0, mask.shape[1] - 1)
        hw = float(np.median(halfwidth[rr, cc]))
        zline = float(np.mean(z[rr, cc]))
        rough_w = max(2 * hw - 1, 1.0)
        # (pieces are not joined later, so what is too short here stays too short; 2 px spare
        # for the difference between the rough and the measured width)
        if (length + rough_w + 2) * um_w < p.min_length_um or zline < 0.7 * p.min_mean_z:
            continue
        cands.append((line, rough_w, zline))
    if not cands:
        return _result(
            [],
            [],
            [],
            np.zeros(0, int),
            np.zeros((0, 2, 2)),
            np.zeros(0, int),
            h,
            w,
            um_per_px,
            vellus_max_um,
            1.0,
            p,
        )

    # full-resolution coordinates: detection pixel (r, c) covers input pixels f*r .. f*r + f - 1
    full_lines = [(c[0] * f + (f - 1) / 2) for c in cands]
    rough = np.array([c[1] * f for c in cands])
    lin = _to_linear(lum)
    meas = _measure_widths(lin, full_lines, rough)
    skin = _skin_level(lin, um_per_px)

    # appearance first: a hair is darker (or lighter) than the skin, stands out from the skin
    # texture, and its edges are as sharp as the optics allow (skin mottling is not)
    ok = []
    for i in range(len(cands)):
        wpx = float(meas.width_px[i])
        if not np.isfinite(wpx) or wpx <= 0:
            continue
        # the median profile averages skin texture along the candidate, so a short one needs more
        # contrast than a long one to stand out from it (texture decorrelates over ~50 µm)
        length_um = (_path_length(full_lines[i]) + wpx) * um_per_px
        along = math.sqrt(p.texture_length_um / max(length_um, 50.0))
        need = max(p.min_contrast, p.texture_factor * texture * along)
        if meas.contrast[i] < need:
            continue
        # soft edges and modest contrast: a fold or mottle of the skin (a wedge of two merged
        # siblings also has soft edges in its median profile, but the contrast of hair)
        if meas.edge_sigma[i] > p.max_edge_blur * meas.sigma_px and meas.contrast[i] < 3 * need:
            continue
        # the hair must differ from the skin itself, not only from what borders it: skin seen
        # through a notch or gap of a flake is "dark" next to the flake but equals the skin
        mid = full_lines[i][len(full_lines[i]) // 2]
        centre = meas.base[i] * (1 - meas.polarity[i] * meas.contrast[i])
        if (skin(mid) - centre) * meas.polarity[i] < 0.5 * meas.contrast[i] * meas.base[i]:
            continue
        ok.append(i)
    # pieces of one hair cut apart by a crossing hair or a junction are joined again
    groups = _merge_collinear(ok, full_lines, meas.width_px, meas.polarity, p.join_deg)
    m_lines, m_width, m_z, m_pol = [], [], [], []
    for grp in groups:
        line = _join_pieces([full_lines[i] for i in grp])
        lens = np.array([_path_length(full_lines[i]) + 1.0 for i in grp])
        m_lines.append(line)
        m_width.append(float(np.average(meas.width_px[grp], weights=lens)))
        m_z.append(float(np.average([cands[i][2] for i in grp], weights=lens)))
        m_pol.append(meas.polarity[grp[0]])

    keep = []
    for i, line in enumerate(m_lines):
        wpx = m_width[i]
        path = _path_length(line)
        length_px = path + wpx
        # clipped hairs are >= 0.3 mm long, so a short isolated segment is skin texture; only
        # hairs cut by the frame may be shorter
        at_border = _near_border(line, h, w, 0.5 * wpx + 2)
        min_len = p.min_length_um if at_border else p.min_inner_length_um
        if length_px * um_per_px < min_len:
            continue
        if length_px < p.min_elongation * wpx or m_z[i] < p.min_mean_z:
            continue
        chord = float(np.linalg.norm(line[-1] - line[0]))
        if chord < p.min_straightness * path:
            continue
        keep.append(i)
    m_width_a, m_pol_a = np.asarray(m_width), np.asarray(m_pol)
    keep = _drop_redundant(keep, m_lines, m_width_a, m_pol_a)
    lines_k = [m_lines[i] for i in keep]
    width_px = [float(m_width_a[i]) for i in keep]
    pols = [m_pol_a[i] for i in keep]

    # a sibling lying alongside a longer hair from the same opening merges with it completely;
    # its flat-cut tip remains as a step in the width of the pair (count by tips, not by masks)
    hw_map = halfwidth  # chessboard: too wide across diagonals, but the split test is a ratio
    narrow, sibs = [], []
    for n_i, line in enumerate(lines_k):
        step = _width_step(line, hw_map, f, width_px[n_i], p.min_inner_length_um / um_per_px)
        if step is not None:
            wide_part, narrow_part = step
            narrow.append(n_i)
            # a third sibling, shorter still, leaves a second step inside the wide part
            inner = _width_step(wide_part, hw_map, f, width_px[n_i], p.min_inner_length_um / um_per_px)
            extra = [wide_part] if inner is None else [wide_part, inner[0]]
            sibs.append((n_i, extra, narrow_part))
    if sibs:
        remeas = _measure_widths(
            lin,
            [sb[2] for sb in sibs],
            np.array([width_px[sb[0]] for sb in sibs]),
            sigma=meas.sigma_px,
        )
        for (n_i, extra, _), wpx in zip(sibs, remeas.width_px, strict=True):
            if not (np.isfinite(wpx) and 0 < wpx < width_px[n_i]):
                continue
            width_px[n_i] = float(wpx)
            for wide_part in extra:
                lines_k.append(wide_part)
                width_px.append(float(wpx))
                pols.append(pols[n_i])
    widths = [wp * um_per_px for wp in width_px]
    lengths = [(_path_length(ln) + wp) * um_per_px for ln, wp in zip(lines_k, width_px, strict=True)]
    ends = np.array([[ln[0], ln[-1]] for ln in lines_k]).reshape(-1, 2, 2)
    unit, base_end = _units(ends, p.unit_radius_um / um_per_px)
    return _result(
        lines_k, widths, lengths, pols, ends, unit, h, w, um_per_px, vellus_max_um, meas.sigma_px, p, base_end
    )


def _result(
    lines, widths, lengths, pols, ends, unit, h, w, um_per_px, vellus_max_um, sigma, p, base_end=None
) -> ImageResult:
    hairs = []
    for i, line in enumerate(lines):
        simp = line[_simplify(line, 1.0)]
        b = ends[i, base_end[i]] if base_end is not None else line[0]
        hairs.append(
            Hair(
                centreline=[(float(c), float(r)) for r, c in simp],
                length_um=float(lengths[i]),
                width_um=float(widths[i]),
                hair_class="vellus" if widths[i] < vellus_max_um else "terminal",
                unit=int(unit[i]),
                base=(float(b[1]), float(b[0])),
                polarity="dark" if pols[i] > 0 else "light",
            )
        )
    n = len(hairs)
    wa = np.asarray(widths, float)
    area = h * w * um_per_px**2 / 1e8
    counts, _ = np.histogram(wa, bins=HISTOGRAM_EDGES_UM)
    over = int(np.sum(wa >= HISTOGRAM_EDGES_UM[-1]))
    vellus = int(np.sum(wa < vellus_max_um))
    n_units = int(len(np.unique(unit))) if n else 0
    return ImageResult(
        width=w,
        height=h,
        um_per_px=um_per_px,
        vellus_max_um=vellus_max_um,
        hair_count=n,
        area_cm2=area,
        density_per_cm2=n / area,
        mean_thickness_um=float(wa.mean()) if n else 0.0,
        median_thickness_um=float(np.median(wa)) if n else 0.0,
        thickness_histogram={
            "edges_um": list(HISTOGRAM_EDGES_UM),
            "counts": [int(c) for c in counts],
            "above": over,
        },
        vellus_fraction=vellus / n if n else 0.0,
        terminal_fraction=(n - vellus) / n if n else 0.0,
        follicular_units=n_units,
        hairs_per_unit=n / n_units if n_units else 0.0,
        blur_sigma_px=float(sigma),
        hairs=hairs,
    )
