import numpy as np
import pytest
from PIL import Image

from follicle.imaging.io import ImageLoadError, load_image


def test_loads_rgb(tmp_path):
    p = tmp_path / "a.png"
    Image.fromarray(np.zeros((10, 12), np.uint8)).save(p)
    a = load_image(p)
    assert a.shape == (10, 12, 3) and a.dtype == np.uint8


def test_not_an_image(bad_file):
    with pytest.raises(ImageLoadError):
        load_image(bad_file)


def test_missing_and_directory(tmp_path):
    with pytest.raises(ImageLoadError):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ImageLoadError):
        load_image(tmp_path)


def test_truncated(tmp_path):
    p = tmp_path / "t.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(p)
    p.write_bytes(p.read_bytes()[:200])
    with pytest.raises(ImageLoadError):
        load_image(p)


def test_pixel_limit(tmp_path):
    p = tmp_path / "big.png"
    Image.fromarray(np.zeros((100, 100, 3), np.uint8)).save(p)
    with pytest.raises(ImageLoadError, match="too large"):
        load_image(p, max_pixels=5000)
