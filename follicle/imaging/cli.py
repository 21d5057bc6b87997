"""Command-line front ends of the imaging engine, as pure functions.

The ``follicle`` Django management command wraps these: it passes ``argv`` (without the command
name) and, for clinic devices, a ``device_resolver(name) -> µm per pixel`` or a
``device_saver(name, um_per_px)``. Keeping the parsing and output here means the engine can be
driven and tested without Django.

Exit codes: 0 success, 1 at least one image could not be read or analysed (the others are still
reported), 2 bad arguments (argparse convention, message on stderr).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tqdm import tqdm

from follicle.imaging.analysis import DEFAULT_VELLUS_MAX_UM, analyze_image
from follicle.imaging.calibration import CalibrationError, scale_from_ruler
from follicle.imaging.io import ImageLoadError, load_image

DeviceResolver = Callable[[str], float]
DeviceSaver = Callable[[str, float], None]

RESULT_KEYS = (
    "image",
    "hair_count",
    "area_cm2",
    "density_per_cm2",
    "mean_thickness_um",
    "median_thickness_um",
    "vellus_fraction",
    "terminal_fraction",
    "follicular_units",
    "hairs_per_unit",
    "thickness_um",
    "seconds",
)


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors become a return code instead of ``sys.exit``."""

    def exit(self, status: int = 0, message: str | None = None):
        if message:
            sys.stderr.write(message)
        raise _Exit(status)


class _Exit(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _add_scale(parser: argparse.ArgumentParser) -> None:
    scale = parser.add_mutually_exclusive_group(required=True)
    scale.add_argument(
        "--um-per-px", type=_positive, metavar="F", help="image scale in micrometres per pixel"
    )
    scale.add_argument("--device", metavar="NAME", help="use the saved scale of a clinic device")


def _resolve_scale(parser: _Parser, args: argparse.Namespace, resolver: DeviceResolver | None) -> float:
    if args.um_per_px is not None:
        return args.um_per_px
    if resolver is None:
        parser.error("--device is not available here; give --um-per-px")
    try:
        value = float(resolver(args.device))
    except (KeyError, LookupError, ValueError) as exc:
        parser.error(f"unknown device {args.device!r}: {exc}")
    if not (value > 0 and math.isfinite(value)):
        parser.error(f"device {args.device!r} has no valid scale")
    return value


def _analyze_path(job: tuple[str, float, float, str | None, str | None]) -> dict:
    """Analyse one file (runs in a worker process when --jobs > 1)."""
    path, um, vellus, overlay_dir, overlay_name = job
    start = time.perf_counter()
    try:
        rgb = load_image(path)
        result = analyze_image(rgb, um, vellus)
    except ImageLoadError as exc:
        return {"image": path, "error": str(exc)}
    except ValueError as exc:
        return {"image": path, "error": f"cannot analyse image: {exc}"}
    d = result.to_dict()
    out = {k: d[k] for k in RESULT_KEYS if k in d}
    out["image"] = path
    if overlay_dir is not None and overlay_name is not None:
        from follicle.imaging.overlay import write_overlay

        target = os.path.join(overlay_dir, overlay_name)
        write_overlay(rgb, result, target)
        out["overlay"] = target
    out["seconds"] = round(time.perf_counter() - start, 3)
    return {k: out[k] for k in (*RESULT_KEYS, "overlay") if k in out}


def _overlay_names(paths: Sequence[str]) -> list[str]:
    used: set[str] = set()
    names = []
    for p in paths:
        stem = Path(p).stem or "image"
        name, n = f"{stem}.png", 2
        while name in used:
            name, n = f"{stem}-{n}.png", n + 1
        used.add(name)
        names.append(name)
    return names


def _table_row(r: dict) -> str:
    if "error" in r:
        return f"{r['image']}  ERROR: {r['error']}"
    return (
        f"{r['image']}  {r['hair_count']:6d} {r['density_per_cm2']:9.1f} "
        f"{r['mean_thickness_um']:7.1f} {r['median_thickness_um']:7.1f} "
        f"{100 * r['vellus_fraction']:6.1f} {r['follicular_units']:5d} "
        f"{r['hairs_per_unit']:5.2f} {r['seconds']:6.2f}"
    )


def analyze_main(argv: Sequence[str], *, device_resolver: DeviceResolver | None = None) -> int:
    """``follicle analyze``: analyse images; results in the order given."""
    parser = _Parser(
        prog="follicle analyze", description="Count and measure hairs in clipped-hair trichoscopy images."
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line per image")
    _add_scale(parser)
    parser.add_argument(
        "--vellus-max-um",
        type=_positive,
        default=DEFAULT_VELLUS_MAX_UM,
        metavar="F",
        help="hairs thinner than this are vellus (default 30)",
    )
    parser.add_argument("--overlay", metavar="DIR", help="write an overlay PNG per image here")
    parser.add_argument(
        "--jobs", type=_positive_int, default=1, metavar="N", help="number of worker processes"
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    try:
        args = parser.parse_args(list(argv))
        um = _resolve_scale(parser, args, device_resolver)
        if args.overlay is not None:
            try:
                os.makedirs(args.overlay, exist_ok=True)
            except OSError as exc:
                parser.error(f"cannot create overlay directory: {exc}")
    except _Exit as exc:
        return exc.status
    names = _overlay_names(args.images) if args.overlay else [None] * len(args.images)
    jobs = [(p, um, args.vellus_max_um, args.overlay, n) for p, n in zip(args.images, names, strict=True)]
    progress = tqdm(total=len(jobs), file=sys.stderr, disable=len(jobs) <= 1, unit="image")
    failed = False
    if not args.json:
        print(
            f"{'image'}  {'hairs':>6} {'per cm2':>9} {'mean um':>7} {'med um':>7} "
            f"{'vel %':>6} {'FU':>5} {'h/FU':>5} {'sec':>6}"
        )
    workers = min(args.jobs, len(jobs))
    with ProcessPoolExecutor(workers) if workers > 1 else _Serial() as pool:
        for r in pool.map(_analyze_path, jobs):
            failed |= "error" in r
            print(json.dumps(r) if args.json else _table_row(r), flush=True)
            progress.update()
    progress.close()
    return 1 if failed else 0


class _Serial:
    """Stand-in for an executor when one process is enough."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @staticmethod
    def map(fn, items):
        return map(fn, items)


def analyze_pair_main(argv: Sequence[str], *, device_resolver: DeviceResolver | None = None) -> int:
    """``follicle analyze-pair``: anagen/telogen from two visits of one clipped site."""
    from follicle.imaging.pair import analyze_pair

    parser = _Parser(
        prog="follicle analyze-pair",
        description="Compare two images of one clipped site taken 2-3 days apart.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    _add_scale(parser)
    parser.add_argument("--vellus-max-um", type=_positive, default=DEFAULT_VELLUS_MAX_UM, metavar="F")
    parser.add_argument("day0", metavar="DAY0")
    parser.add_argument("day2", metavar="DAY2")
    try:
        args = parser.parse_args(list(argv))
        um = _resolve_scale(parser, args, device_resolver)
    except _Exit as exc:
        return exc.status
    start = time.perf_counter()
    images = []
    for path in (args.day0, args.day2):
        try:
            images.append(load_image(path))
        except ImageLoadError as exc:
            err = {"image": path, "error": str(exc)}
            print(json.dumps(err) if args.json else f"{path}  ERROR: {exc}")
            return 1
    result = analyze_pair(images[0], images[1], um, args.vellus_max_um)
    out = {"day0": args.day0, "day2": args.day2}
    d = result.to_dict()
    for k in (
        "day0_count",
        "day2_count",
        "matched",
        "grown",
        "not_grown",
        "anagen_fraction",
        "telogen_fraction",
    ):
        out[k] = d[k]
    out["seconds"] = round(time.perf_counter() - start, 3)
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:18s} {v}")
    return 0


def calibrate_main(argv: Sequence[str], *, device_saver: DeviceSaver | None = None) -> int:
    """``follicle calibrate``: µm per pixel from a ruler or stage-micrometer image."""
    parser = _Parser(
        prog="follicle calibrate", description="Measure the image scale from a ruler or stage micrometer."
    )
    parser.add_argument("image", metavar="IMAGE")
    parser.add_argument(
        "--spacing-mm",
        type=_positive,
        required=True,
        metavar="S",
        help="distance between graduations in millimetres",
    )
    parser.add_argument("--save", metavar="NAME", help="store the scale as a named device")
    try:
        args = parser.parse_args(list(argv))
        if args.save is not None and device_saver is None:
            parser.error("--save is not available here")
    except _Exit as exc:
        return exc.status
    try:
        um = scale_from_ruler(load_image(args.image), args.spacing_mm)
    except (ImageLoadError, CalibrationError) as exc:
        sys.stderr.write(f"follicle calibrate: {args.image}: {exc}\n")
        return 1
    print(f"{um:.4f} µm/px")
    if args.save is not None:
        device_saver(args.save, um)
        print(f"saved as device {args.save!r}")
    return 0


def synth_main(argv: Sequence[str]) -> int:
    """``follicle synth``: write synthetic images with per-hair truth JSON (deterministic)."""
    from follicle.imaging import synth

    parser = _Parser(
        prog="follicle synth", description="Generate synthetic clipped-hair images with ground truth."
    )
    parser.add_argument("outdir", metavar="OUTDIR")
    parser.add_argument("--count", type=_positive_int, default=1, metavar="N")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tier", choices=synth.TIERS, default="realistic")
    parser.add_argument(
        "--um-per-px",
        type=_positive,
        default=None,
        metavar="F",
        help="scale; default: drawn from 3-8 µm/px per image",
    )
    parser.add_argument("--size", default="1600x1200", metavar="WxH")
    parser.add_argument("--pairs", action="store_true", help="day-0 and day-2 image pairs")
    try:
        args = parser.parse_args(list(argv))
        try:
            width, height = (int(v) for v in args.size.lower().split("x"))
            if width < 64 or height < 64:
                raise ValueError
        except ValueError:
            parser.error(f"--size must look like 1600x1200, got {args.size!r}")
    except _Exit as exc:
        return exc.status
    os.makedirs(args.outdir, exist_ok=True)
    for i in range(args.count):
        seed = args.seed + i
        um = args.um_per_px or round(3.0 + 5.0 * ((seed * 0.6180339887) % 1.0), 2)
        stem = os.path.join(args.outdir, f"{args.tier}-{seed:04d}")
        if args.pairs:
            day0, day2, truth = synth.generate_pair(seed, args.tier, um, width, height)
            for tag, im in (("day0", day0), ("day2", day2)):
                _write_synth(f"{stem}-{tag}", im)
            with open(f"{stem}-pair.json", "w") as fh:
                json.dump(truth, fh, indent=1)
        else:
            _write_synth(stem, synth.generate(seed, args.tier, um, width, height))
        print(stem)
    return 0


def _write_synth(stem: str, im) -> None:
    from PIL import Image

    if im.encoded is not None:
        with open(stem + im.suffix, "wb") as fh:
            fh.write(im.encoded)
    else:
        Image.fromarray(im.rgb).save(stem + ".png")
    with open(stem + ".json", "w") as fh:
        json.dump(im.truth, fh, indent=1)
