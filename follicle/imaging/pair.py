"""Two-visit anagen/telogen analysis of one clipped site (phototrichogram protocol).

The site is clipped, imaged (day 0) and imaged again 2-3 days later. Growing (anagen) hairs are
then 0.5-1 mm longer; resting (telogen) hairs are not. The steps:

1. analyse both images independently;
2. register day 2 onto day 0 with a rigid transform: a coarse translation from phase correlation
   of the hair masks, refined by trimmed iterative closest points on the hair centre lines. Hair
   shafts are good landmarks here because a telogen hair is unchanged and an anagen hair still
   covers its day-0 extent;
3. match each day-0 hair to the day-2 hair whose centre line covers it best (Hungarian
   assignment with a distance and direction gate);
4. a matched hair has grown when its length increased by more than ``min_growth_um``; hairs
   leaving the day-2 field or without a match are reported as unmatched, not as telogen.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree
from skimage.registration import phase_cross_correlation

from follicle.imaging.analysis import DEFAULT_VELLUS_MAX_UM, ImageResult, analyze_image

MIN_GROWTH_UM = 120.0


@dataclass
class PairResult:
    day0_count: int
    day2_count: int
    matched: int
    grown: int
    not_grown: int
    anagen_fraction: float
    telogen_fraction: float
    rotation_deg: float
    shift_px: tuple[float, float]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["anagen_fraction"] = round(self.anagen_fraction, 4)
        d["telogen_fraction"] = round(self.telogen_fraction, 4)
        d["rotation_deg"] = round(self.rotation_deg, 3)
        d["shift_px"] = [round(v, 2) for v in self.shift_px]
        return d


def _densify(line: np.ndarray, step: float) -> np.ndarray:
    seg = np.linalg.norm(np.diff(line, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    s = np.arange(0.0, cum[-1] + 1e-9, step) if cum[-1] > 0 else np.zeros(1)
    return np.column_stack([np.interp(s, cum, line[:, 0]), np.interp(s, cum, line[:, 1])])


def _hair_points(res: ImageResult, step: float) -> tuple[np.ndarray, np.ndarray]:
    pts, owner = [], []
    for i, hair in enumerate(res.hairs):
        d = _densify(np.asarray(hair.centreline, float), step)
        pts.append(d)
        owner.append(np.full(len(d), i))
    if not pts:
        return np.zeros((0, 2)), np.zeros(0, int)
    return np.vstack(pts), np.concatenate(owner)


def _raster(pts: np.ndarray, shape: tuple[int, int], f: int) -> np.ndarray:
    img = np.zeros((shape[0] // f + 1, shape[1] // f + 1), np.float32)
    r = np.clip((pts[:, 1] / f).astype(int), 0, img.shape[0] - 1)
    c = np.clip((pts[:, 0] / f).astype(int), 0, img.shape[1] - 1)
    img[r, c] = 1.0
    return img


def _rigid_fit(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares rotation R and translation t with R @ a + t ~= b."""
    ca, cb = a.mean(axis=0), b.mean(axis=0)
    u, _, vt = np.linalg.svd((a - ca).T @ (b - cb))
    d = np.sign(np.linalg.det(vt.T @ u.T))
    r = vt.T @ np.diag([1.0, d]) @ u.T
    return r, cb - r @ ca


def register(res0: ImageResult, res2: ImageResult) -> tuple[np.ndarray, np.ndarray]:
    """Rigid transform (R, t) mapping day-2 pixel coordinates (x, y) onto day 0."""
    p0, _ = _hair_points(res0, 2.0)
    p2, _ = _hair_points(res2, 2.0)
    if len(p0) < 10 or len(p2) < 10:
        return np.eye(2), np.zeros(2)
    f = 4
    shape = (res0.height, res0.width)
    shift, _, _ = phase_cross_correlation(_raster(p0, shape, f), _raster(p2, shape, f), normalization=None)
    r, t = np.eye(2), np.array([shift[1], shift[0]]) * f
    tree0 = cKDTree(p0)
    gate = 60.0
    for _ in range(30):
        moved = p2 @ r.T + t
        dist, idx = tree0.query(moved, distance_upper_bound=gate)
        ok = np.isfinite(dist)
        if ok.sum() < 10:
            break
        keep = ok & (dist <= np.percentile(dist[ok], 80))
        r_new, t_new = _rigid_fit(p2[keep], p0[idx[keep]])
        change = np.abs(r_new - r).max() * 1000 + np.abs(t_new - t).max()
        r, t = r_new, t_new
        gate = max(6.0, gate * 0.7)
        if change < 0.01:
            break
    return r, t


def analyze_pair(
    day0: np.ndarray,
    day2: np.ndarray,
    um_per_px: float,
    vellus_max_um: float = DEFAULT_VELLUS_MAX_UM,
    min_growth_um: float = MIN_GROWTH_UM,
) -> PairResult:
    """Register two visits of one clipped site, match hairs and count the grown ones."""
    res0 = analyze_image(day0, um_per_px, vellus_max_um)
    res2 = analyze_image(day2, um_per_px, vellus_max_um)
    return match_visits(res0, res2, um_per_px, min_growth_um)


def match_visits(
    res0: ImageResult, res2: ImageResult, um_per_px: float, min_growth_um: float = MIN_GROWTH_UM
) -> PairResult:
    """Growth classification from two already analysed visits."""
    r, t = register(res0, res2)
    step = 2.0
    p2, own2 = _hair_points(res2, step)
    p2 = p2 @ r.T + t if len(p2) else p2
    n0, n2 = len(res0.hairs), len(res2.hairs)
    cost = np.full((n0, n2), np.inf)
    if n0 and n2:
        tree2 = cKDTree(p2)
        for i, hair in enumerate(res0.hairs):
            pts = _densify(np.asarray(hair.centreline, float), step)
            gate = max(4.0, 0.6 * hair.width_um / um_per_px + 2.0)
            hits = tree2.query_ball_point(pts, gate)
            cand = {int(own2[k]) for h in hits for k in h}
            for j in cand:
                mine = own2 == j
                d, _ = cKDTree(p2[mine]).query(pts)
                covered = float(np.mean(d <= gate))
                if covered >= 0.7:
                    cost[i, j] = float(np.mean(np.minimum(d, 3 * gate))) + (1 - covered) * gate
    matched = grown = 0
    if n0 and n2:
        big = 1e6
        rows, cols = linear_sum_assignment(np.where(np.isfinite(cost), cost, big))
        for i, j in zip(rows, cols, strict=True):
            if not np.isfinite(cost[i, j]):
                continue
            growth = res2.hairs[j].length_um - res0.hairs[i].length_um
            if growth < min_growth_um and (
                _touches_border(res0.hairs[i].centreline, res0)
                or _touches_border(res2.hairs[j].centreline, res2)
            ):
                continue  # cut by the frame: its growth may lie outside the image
            matched += 1
            grown += growth >= min_growth_um
    ana = grown / matched if matched else 0.0
    return PairResult(
        day0_count=n0,
        day2_count=n2,
        matched=matched,
        grown=grown,
        not_grown=matched - grown,
        anagen_fraction=ana,
        telogen_fraction=1 - ana if matched else 0.0,
        rotation_deg=math.degrees(math.atan2(r[1, 0], r[0, 0])),
        shift_px=(float(t[0]), float(t[1])),
    )


def _touches_border(line: list[tuple[float, float]], res: ImageResult, margin: float = 3.0) -> bool:
    a = np.asarray(line, float)
    return bool(
        (a[:, 0] < margin).any()
        or (a[:, 1] < margin).any()
        or (a[:, 0] > res.width - 1 - margin).any()
        or (a[:, 1] > res.height - 1 - margin).any()
    )
