import numpy as np
import pytest

from follicle.imaging import synth
from follicle.imaging.calibration import CalibrationError, scale_from_ruler


@pytest.mark.parametrize(
    ("seed", "spacing", "um"), [(1, 0.1, 3.0), (2, 0.1, 5.0), (3, 0.1, 8.0), (4, 0.05, 4.0), (5, 0.2, 7.0)]
)
def test_scale_within_one_percent(seed, spacing, um):
    rgb, _ = synth.generate_ruler(seed, spacing, um, 640, 480)
    assert scale_from_ruler(rgb, spacing) == pytest.approx(um, rel=0.01)


def test_blank_image_raises():
    with pytest.raises(CalibrationError):
        scale_from_ruler(np.full((200, 300, 3), 128, np.uint8), 0.1)


def test_noise_image_raises():
    rng = np.random.default_rng(0)
    with pytest.raises(CalibrationError):
        scale_from_ruler(rng.integers(0, 255, (200, 300, 3), dtype=np.uint8), 0.1)


def test_bad_spacing():
    rgb, _ = synth.generate_ruler(1, 0.1, 5.0, 200, 200)
    with pytest.raises(ValueError):
        scale_from_ruler(rgb, 0)
