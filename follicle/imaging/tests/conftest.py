"""Shared fixtures: small generated images written to disk once per session."""

from __future__ import annotations

import pytest
from PIL import Image

from follicle.imaging import synth


@pytest.fixture(scope="session")
def image_files(tmp_path_factory):
    """Three small clean fields as PNG files plus their truth."""
    d = tmp_path_factory.mktemp("imgs")
    out = []
    for seed in (1, 2, 3):
        im = synth.generate(seed, "clean", 6.0, 480, 360)
        path = d / f"field{seed}.png"
        Image.fromarray(im.rgb).save(path)
        out.append((str(path), im.truth))
    return out


@pytest.fixture(scope="session")
def bad_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("bad") / "notes.jpg"
    path.write_text("this is not an image")
    return str(path)
