"""`follicle calibrate | analyze | analyze-pair | synth`: the engine's command line with clinic devices."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from follicle.core.tests.processes import process_env
from follicle.imaging import synth
from follicle.outcomes.models import Device

ROOT = Path(__file__).resolve().parents[3]


def follicle(*args: str) -> subprocess.CompletedProcess:
    env = process_env()
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "follicle", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def ruler(tmp_path) -> Path:
    image, _truth = synth.generate_ruler(3, spacing_mm=0.1, um_per_px=4.0, width=640, height=480)
    path = tmp_path / "ruler.png"
    Image.fromarray((np.clip(image, 0, 1) * 255).astype(np.uint8) if image.dtype != np.uint8 else image).save(
        path
    )
    return path


@pytest.mark.django_db(transaction=True)
def test_calibrate_saves_a_device_and_analyze_uses_it(clinic, ruler, tmp_path):
    result = follicle("calibrate", str(ruler), "--spacing-mm", "0.1", "--save", "dermoscope-1")
    assert result.returncode == 0, result.stderr
    device = Device.objects.get(clinic=clinic, name="dermoscope-1")
    assert device.um_per_px == pytest.approx(4.0, rel=0.03)

    made = follicle("synth", str(tmp_path / "imgs"), "--count", "2", "--size", "800x600", "--um-per-px", "4")
    assert made.returncode == 0, made.stderr
    images = sorted(str(p) for p in (tmp_path / "imgs").iterdir() if p.suffix in (".png", ".jpg"))
    assert len(images) == 2
    analysed = follicle("analyze", "--json", "--device", "dermoscope-1", *images)
    assert analysed.returncode == 0, analysed.stderr
    rows = [json.loads(line) for line in analysed.stdout.splitlines() if line.strip()]
    assert [r["image"] for r in rows] == images
    assert all(r["hair_count"] > 0 for r in rows)


@pytest.mark.django_db(transaction=True)
def test_unknown_device_or_clinic_is_exit_2(clinic, other_clinic, tmp_path):
    image = tmp_path / "x.png"
    Image.new("RGB", (64, 64), "white").save(image)
    result = follicle("analyze", "--device", "nope", "--clinic", "Athens", str(image))
    assert result.returncode == 2 and "nope" in result.stderr
    result = follicle("analyze", "--device", "nope", str(image))  # two clinics: which one?
    assert result.returncode == 2 and "--clinic" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_bad_file_is_reported_and_exit_1(clinic, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    result = follicle("analyze", "--json", "--um-per-px", "4", str(bad))
    assert result.returncode == 1
    assert json.loads(result.stdout.splitlines()[0])["image"] == str(bad)
