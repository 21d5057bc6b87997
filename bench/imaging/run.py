"""Accuracy and speed benchmark of the trichoscopy engine on generated ground truth.

Generates clipped-hair fields across the three difficulty tiers and scales of 3-8 µm/px, writes
them as PNG or JPEG files (as a clinic would store them), decodes them with Pillow and analyses
them, then compares with the exact truth:

- count absolute percentage error, mean-thickness absolute error (µm), vellus-fraction absolute
  error, per image; anagen-fraction absolute error per two-visit pair;
- speed as images per second per core (decode + analysis in one process) and the ratio of
  analysis time to Pillow decoding time for the same files in the same run.

Prints mean / median / 95th percentile per tier and overall, then a Markdown table, and exits 1
when a target is missed. Usage::

    .venv/bin/python bench/imaging/run.py [--images 60] [--pairs 12] [--size 1600x1200]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from follicle.imaging import synth  # noqa: E402
from follicle.imaging.analysis import analyze_image  # noqa: E402
from follicle.imaging.pair import match_visits  # noqa: E402

TARGETS = {"count_ape_pct": 5.0, "thickness_err_um": 4.0, "vellus_err": 0.05, "anagen_err": 0.05}
SPEED_TARGET = 1.0  # images per second per core
RATIO_TARGET = 25.0  # analysis time / Pillow decode time
GOLDEN = 0.6180339887


def _scale(seed: int) -> float:
    return round(3.0 + 5.0 * ((seed * GOLDEN + 0.13) % 1.0), 2)


def _write(im: synth.SynthImage, path_stem: Path) -> Path:
    if im.encoded is not None:
        path = path_stem.with_suffix(im.suffix)
        path.write_bytes(im.encoded)
    else:
        path = path_stem.with_suffix(".png")
        Image.fromarray(im.rgb).save(path)
    return path


def _decode(path: Path) -> tuple[np.ndarray, float]:
    data = path.read_bytes()
    start = time.perf_counter()
    with Image.open(io.BytesIO(data)) as im:
        rgb = np.asarray(im.convert("RGB"))
    return rgb, time.perf_counter() - start


def _stats(values: list[float]) -> tuple[float, float, float]:
    a = np.asarray(values, float)
    if a.size == 0:
        return float("nan"), float("nan"), float("nan")
    return float(a.mean()), float(np.median(a)), float(np.percentile(a, 95))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=60, help="single images (split over tiers)")
    ap.add_argument("--pairs", type=int, default=12, help="two-visit pairs (split over tiers)")
    ap.add_argument("--size", default="1600x1200")
    ap.add_argument("--seed", type=int, default=1000)
    args = ap.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))

    rows: dict[str, dict[str, list[float]]] = {t: {k: [] for k in TARGETS} for t in synth.TIERS}
    t_decode = t_analyse = 0.0
    n_timed = 0
    with tempfile.TemporaryDirectory(prefix="follicle-bench-") as tmp:
        tmpdir = Path(tmp)
        t0 = time.perf_counter()
        for k in range(args.images):
            tier = synth.TIERS[k % 3]
            seed = args.seed + k
            um = _scale(seed)
            im = synth.generate(seed, tier, um, width, height)
            path = _write(im, tmpdir / f"{tier}-{seed}")
            rgb, dt = _decode(path)
            start = time.perf_counter()
            res = analyze_image(rgb, um)
            ta = time.perf_counter() - start
            t_decode += dt
            t_analyse += ta
            n_timed += 1
            truth = im.truth
            n_true = max(truth["hair_count"], 1)
            rows[tier]["count_ape_pct"].append(100 * abs(res.hair_count - n_true) / n_true)
            rows[tier]["thickness_err_um"].append(abs(res.mean_thickness_um - truth["mean_thickness_um"]))
            rows[tier]["vellus_err"].append(abs(res.vellus_fraction - truth["vellus_fraction"]))
            print(
                f"{tier:9s} seed {seed} {um:4.2f} um/px {path.suffix:4s} hairs {n_true:4d} -> "
                f"{res.hair_count:4d}  mean {truth['mean_thickness_um']:5.1f} -> "
                f"{res.mean_thickness_um:5.1f} um  vellus {truth['vellus_fraction']:.2f} -> "
                f"{res.vellus_fraction:.2f}  {ta:.2f}s",
                flush=True,
            )
        for k in range(args.pairs):
            tier = synth.TIERS[k % 3]
            seed = args.seed + 5000 + k
            um = _scale(seed)
            day0, day2, truth = synth.generate_pair(seed, tier, um, width, height)
            results = []
            for tag, im in (("day0", day0), ("day2", day2)):
                rgb, dt = _decode(_write(im, tmpdir / f"{tier}-{seed}-{tag}"))
                start = time.perf_counter()
                results.append(analyze_image(rgb, um))
                t_analyse += time.perf_counter() - start
                t_decode += dt
                n_timed += 1
            pr = match_visits(results[0], results[1], um)
            rows[tier]["anagen_err"].append(abs(pr.anagen_fraction - truth["anagen_fraction"]))
            print(
                f"{tier:9s} pair {seed} {um:4.2f} um/px  anagen {truth['anagen_fraction']:.2f} "
                f"-> {pr.anagen_fraction:.2f} (matched {pr.matched}/{pr.day0_count})",
                flush=True,
            )
        wall = time.perf_counter() - t0

    speed = n_timed / (t_decode + t_analyse)
    ratio = t_analyse / t_decode
    names = {
        "count_ape_pct": "count APE (%)",
        "thickness_err_um": "mean thickness error (µm)",
        "vellus_err": "vellus fraction error",
        "anagen_err": "anagen fraction error",
    }
    print(f"\n{n_timed} images of {width}x{height} analysed, wall time {wall:.0f} s")
    lines = [
        "| metric | tier | mean | median | P95 | target (mean) | met |",
        "| --- | --- | ---: | ---: | ---: | ---: | :---: |",
    ]
    failed = []
    for key, label in names.items():
        for tier in (*synth.TIERS, "all"):
            vals = sum((rows[t][key] for t in synth.TIERS), []) if tier == "all" else rows[tier][key]
            mean, med, p95 = _stats(vals)
            ok = "" if tier != "all" else ("yes" if mean <= TARGETS[key] else "**no**")
            if tier == "all" and not mean <= TARGETS[key]:
                failed.append(label)
            target = f"≤ {TARGETS[key]:g}" if tier == "all" else ""
            lines.append(f"| {label} | {tier} | {mean:.3g} | {med:.3g} | {p95:.3g} | {target} | {ok} |")
    speed_ok = speed >= SPEED_TARGET
    ratio_ok = ratio <= RATIO_TARGET
    lines.append(
        f"| speed (images/s/core, {width}x{height}) | all | {speed:.2f} | | | "
        f"≥ {SPEED_TARGET:g} | {'yes' if speed_ok else '**no**'} |"
    )
    lines.append(
        f"| analysis time / Pillow decode time | all | {ratio:.1f}× | | | "
        f"≤ {RATIO_TARGET:g}× | {'yes' if ratio_ok else '**no**'} |"
    )
    if not speed_ok:
        failed.append("speed")
    if not ratio_ok:
        failed.append("decode ratio")
    print("\n".join(lines))
    if failed:
        print(f"\ntargets missed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
