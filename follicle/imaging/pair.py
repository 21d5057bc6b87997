"""Two-visit anagen/telogen analysis of one clipped site (phototrichogram protocol).

The site is clipped, imaged (day 0) and imaged again 2-3 days later. Growing (anagen) hairs are
then 0.5-1 mm longer; resting (telogen) hairs are not. The steps:

1. analyse both images independently;
2. register day 2 onto day 0 with a rigid transform: a coarse translation from phase correlation
   of the hair masks, refined by trimmed iterative closest points on the hair centre lines. Hair
   shafts are good landmarks here because a telogen hair is unchanged and an anagen hair still
   covers its day-0 extent;
3. growth is read at the tips rather than by matching segments: for each day-0 hair still present
   on day 2 (not cut by the frame), walk outwards from both of its ends, up to ~0.4 mm, along
   its own line (a strip half a width wide that opens by 4 degrees, as new shaft may curve a
   little) and sum the day-2 shaft running the same way where day 0 had no hair; stretches
   over another day-0 hair (a crossing) are neutral, a gap ends the walk. This is indifferent
   to day 2 seeing the hair in pieces or crossed by another hair. Which end is the tip need not
   be known: the opening end does not grow. The strip is narrow on purpose: a sibling from the
   same opening grows in almost the same direction and must not lend its growth;
4. a hair has grown when that new shaft reaches ``min_growth_um`` (60 µm: about one terminal
   hair width plus the uncertainty of a tip position, far below 2 days of anagen growth).
   Hairs whose look-out window leaves either field are not judged.

Registration uses the hair end points (openings do not move): see :func:`register`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy.spatial import cKDTree
from skimage.registration import phase_cross_correlation

from follicle.imaging.analysis import DEFAULT_VELLUS_MAX_UM, ImageResult, analyze_image

MIN_GROWTH_UM = 60.0
CONE_DEG = 4.0  # half-angle of the look-out cone beyond a hair end (new shaft may curve a little)
GATE_W = 0.5  # ... and its half-width at the end, in hair widths (+ 3 px)
LOOK_UM = 400.0  # how far beyond the end to look: about a day of anagen growth, projected


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


def _ends(res: ImageResult) -> np.ndarray:
    if not res.hairs:
        return np.zeros((0, 2))
    return np.array([p for h in res.hairs for p in (h.centreline[0], h.centreline[-1])], float)


def _vote(e0: np.ndarray, e2: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray] | None:
    """Coarse rigid transform from hair end points by Hough voting over rotation and shift.

    Openings do not move between visits and resting hairs keep their tips, so most end points
    recur; the vote finds the rotation and shift that bring the most of them together.
    Centre lines alone cannot do this: hairs of one scalp run nearly parallel, and a transform
    sliding along that common direction fits the shafts almost as well.
    """
    if len(e0) < 6 or len(e2) < 6:
        return None
    h, w = shape
    c = np.array([w / 2, h / 2])
    reach = 0.15 * max(h, w)
    bin_px = 4.0
    tree0 = cKDTree(e0)
    best = (0.0, None)
    for deg in np.arange(-5.0, 5.01, 0.25):
        a = math.radians(deg)
        r = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        moved = (e2 - c) @ r.T + c
        pairs = tree0.query_ball_point(moved, reach)
        i2 = np.repeat(np.arange(len(moved)), [len(p) for p in pairs])
        if not len(i2):
            continue
        i0 = np.concatenate([np.asarray(p, int) for p in pairs])
        d = e0[i0] - moved[i2]
        q = np.floor((d + reach) / bin_px).astype(int)
        nb = int(2 * reach / bin_px) + 2
        votes = np.bincount(q[:, 0] * nb + q[:, 1], minlength=nb * nb).reshape(nb, nb).astype(float)
        # a shift near a bin edge splits its votes: count 2x2 neighbourhoods
        votes = votes[:-1, :-1] + votes[1:, :-1] + votes[:-1, 1:] + votes[1:, 1:]
        k = int(np.argmax(votes))
        if votes.flat[k] > best[0]:
            qx, qy = divmod(k, nb - 1)
            sel = (q[:, 0] >= qx) & (q[:, 0] <= qx + 1) & (q[:, 1] >= qy) & (q[:, 1] <= qy + 1)
            shift = np.median(d[sel], axis=0)
            best = (float(votes.flat[k]), (r, c - r @ c + shift))
    return best[1]


def register(res0: ImageResult, res2: ImageResult) -> tuple[np.ndarray, np.ndarray]:
    """Rigid transform (R, t) mapping day-2 pixel coordinates (x, y) onto day 0.

    Coarse: a vote on the hair end points (see :func:`_vote`), or phase correlation of the hair
    masks when there are too few hairs. Fine: trimmed iterative closest points on the centre
    lines, then on the end points alone (the shafts do not constrain sliding along them).
    """
    p0, _ = _hair_points(res0, 2.0)
    p2, _ = _hair_points(res2, 2.0)
    if len(p0) < 10 or len(p2) < 10:
        return np.eye(2), np.zeros(2)
    e0, e2 = _ends(res0), _ends(res2)
    shape = (res0.height, res0.width)
    coarse = _vote(e0, e2, shape)
    if coarse is not None:
        r, t = coarse
        gate = 20.0
    else:
        f = 4
        ras0, ras2 = _raster(p0, shape, f), _raster(p2, shape, f)
        shift, _, _ = phase_cross_correlation(ras0, ras2, normalization=None)
        r, t = np.eye(2), np.array([shift[1], shift[0]]) * f
        gate = 60.0
    r, t = _icp(p2, p0, r, t, gate, 80)
    if len(e0) >= 6 and len(e2) >= 6:
        # growing tips move: keep only the better half of the end-point matches
        r, t = _icp(e2, e0, r, t, 10.0, 50)
    return r, t


def _icp(
    src: np.ndarray, dst: np.ndarray, r: np.ndarray, t: np.ndarray, gate: float, keep_pct: float
) -> tuple[np.ndarray, np.ndarray]:
    tree = cKDTree(dst)
    for _ in range(30):
        moved = src @ r.T + t
        dist, idx = tree.query(moved, distance_upper_bound=gate)
        ok = np.isfinite(dist)
        if ok.sum() < 6:
            break
        keep = ok & (dist <= np.percentile(dist[ok], keep_pct))
        if keep.sum() < 3:
            break
        r_new, t_new = _rigid_fit(src[keep], dst[idx[keep]])
        change = np.abs(r_new - r).max() * 1000 + np.abs(t_new - t).max()
        r, t = r_new, t_new
        gate = max(4.0, gate * 0.7)
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


def _end_directions(line: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Outward unit directions at the first and last point of a polyline (chord over ``reach``)."""
    line = _densify(line, 1.0)
    seg = np.linalg.norm(np.diff(line, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    reach = min(reach, 0.5 * cum[-1])
    a = line[0] - line[min(int(np.searchsorted(cum, reach)), len(line) - 1)]
    b = line[-1] - line[min(int(np.searchsorted(cum, cum[-1] - reach)), len(line) - 2)]
    return a / max(float(np.linalg.norm(a)), 1e-9), b / max(float(np.linalg.norm(b)), 1e-9)


def _with_tangents(res: ImageResult, step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Densified centre-line points of all hairs, unit tangents there and the owning hair."""
    pts, tan, owner = [], [], []
    for i, hair in enumerate(res.hairs):
        d = _densify(np.asarray(hair.centreline, float), step)
        t = np.gradient(d, axis=0) if len(d) > 1 else np.array([[1.0, 0.0]])
        t /= np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-9)
        pts.append(d)
        tan.append(t)
        owner.append(np.full(len(d), i))
    if not pts:
        return np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0, int)
    return np.vstack(pts), np.vstack(tan), np.concatenate(owner)


def _needed_growth_um(width_um: float, min_growth_um: float) -> float:
    """Growth that counts. A constant: a width-dependent allowance for tip-position noise (1.5
    widths) was tried and lost more growing hairs than it saved resting ones."""
    return min_growth_um


def hair_growth(
    res0: ImageResult,
    res2: ImageResult,
    um_per_px: float,
    r: np.ndarray,
    t: np.ndarray,
    min_growth_um: float = MIN_GROWTH_UM,
) -> list[float | None]:
    """New shaft (µm) beyond the day-0 extent of each day-0 hair, or None when not judged.

    ``r``, ``t`` map day-2 pixel coordinates onto day 0 (see :func:`register`).
    """
    step = 2.0
    p2, t2, _ = _with_tangents(res2, step)
    if len(p2):
        p2, t2 = p2 @ r.T + t, t2 @ r.T
    p0, _, own0 = _with_tangents(res0, step)
    out: list[float | None] = [None] * len(res0.hairs)
    if len(p2) and len(p0):
        tree2, tree0 = cKDTree(p2), cKDTree(p0)
        rinv = r.T
        h, w = res0.height, res0.width
        for hi, hair in enumerate(res0.hairs):
            line = np.asarray(hair.centreline, float)
            if _touches_border(hair.centreline, res0):
                continue
            wpx = hair.width_um / um_per_px
            gate = GATE_W * wpx + 3.0
            need = _needed_growth_um(hair.width_um, min_growth_um) / um_per_px
            look = need + LOOK_UM / um_per_px + 8.0
            own = _densify(line, step)
            d, _ = tree2.query(own, distance_upper_bound=gate)
            if np.mean(np.isfinite(d)) < 0.5:
                continue  # not found on day 2 (or not a hair): no verdict
            best = 0.0
            seen_all = True
            for e, dvec in zip((line[0], line[-1]), _end_directions(line, max(6.0, 3 * wpx)), strict=True):
                s = np.arange(1.0, look + step, step)
                q = e[None, :] + s[:, None] * dvec[None, :]
                q2 = (q - t) @ rinv.T  # the same points in day-2 pixels
                inside = (
                    (q[:, 0] >= 2)
                    & (q[:, 1] >= 2)
                    & (q[:, 0] < w - 2)
                    & (q[:, 1] < h - 2)
                    & (q2[:, 0] >= 2)
                    & (q2[:, 1] >= 2)
                    & (q2[:, 0] < w - 2)
                    & (q2[:, 1] < h - 2)
                )
                # a cone rather than a strip: the day-0 centre line of a hair next to a sibling,
                # and the direction read from it, are a little off; new shaft may curve slightly
                cone = gate + s * math.tan(math.radians(CONE_DEG))
                dist2, idx2 = tree2.query(q, distance_upper_bound=float(cone.max()))
                ok2 = np.isfinite(dist2) & (dist2 <= cone)
                par = np.zeros(len(q), bool)
                par[ok2] = np.abs(t2[idx2[ok2]] @ dvec) >= math.cos(math.radians(20.0))
                new2 = ok2 & par
                # where another day-0 hair lies, day-2 shaft is not new (a fragment, a crossing)
                dist0, idx0 = tree0.query(q, distance_upper_bound=0.5 * wpx + 3.0)
                old = np.isfinite(dist0)
                old[old] = own0[idx0[old]] != hi
                # walk outwards: new shaft adds, old shaft (a crossing) is neutral, a gap ends it
                grow, miss = 0.0, 0
                for k in range(len(q)):
                    if not inside[k]:
                        break
                    if new2[k] and not old[k]:
                        grow += step
                        miss = 0
                    elif not (old[k] and ok2[k]):
                        miss += 1
                        if miss > max(2, int(wpx / step)):
                            break
                best = max(best, grow)
                seen_all &= bool(inside[: int(need / step) + 1].all())
            # a verdict needs growth seen, or both look-out windows inside both fields (the tip
            # end may be either one)
            if best < need and not seen_all:
                continue
            out[hi] = best * um_per_px
    return out


def match_visits(
    res0: ImageResult, res2: ImageResult, um_per_px: float, min_growth_um: float = MIN_GROWTH_UM
) -> PairResult:
    """Growth classification from two already analysed visits.

    Growth is read at the tip, not from a segment-to-segment match: clipped hairs grow out of
    a fixed opening, so a growing hair shows new shaft beyond one end of its day-0 extent, in its
    own direction, where day 0 had no hair. This does not care whether day 2 detected the hair as
    one piece, several, or merged with a sibling. A hair counts when it is still present on day 2
    and the stretch needed to see ``min_growth_um`` lies inside both fields.
    """
    r, t = register(res0, res2)
    growth = hair_growth(res0, res2, um_per_px, r, t, min_growth_um)
    judged = [(g, h.width_um) for g, h in zip(growth, res0.hairs, strict=True) if g is not None]
    matched = len(judged)
    grown = sum(g >= _needed_growth_um(w, min_growth_um) for g, w in judged)
    ana = grown / matched if matched else 0.0
    return PairResult(
        day0_count=len(res0.hairs),
        day2_count=len(res2.hairs),
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
