import numpy as np

from follicle.imaging import synth


def test_generate_is_deterministic():
    a = synth.generate(5, "realistic", 5.0, 320, 240)
    b = synth.generate(5, "realistic", 5.0, 320, 240)
    assert np.array_equal(a.rgb, b.rgb)
    assert a.truth == b.truth
    c = synth.generate(6, "realistic", 5.0, 320, 240)
    assert not np.array_equal(a.rgb, c.rgb)


def test_truth_is_consistent():
    im = synth.generate(3, "hard", 7.0, 400, 300)
    t = im.truth
    assert im.rgb.shape == (300, 400, 3) and im.rgb.dtype == np.uint8
    counted = [h for h in t["hairs"] if h["counted"]]
    assert t["hair_count"] == len(counted) > 0
    assert abs(t["area_cm2"] - 400 * 300 * 49 / 1e8) < 1e-9
    assert t["vellus_fraction"] + t["terminal_fraction"] == 1.0
    for h in counted:
        assert h["class"] == ("vellus" if h["width_um"] < 30 else "terminal")
        assert h["visible_length_um"] >= synth.MIN_VISIBLE_UM
        assert h["phase"] in ("anagen", "telogen")


def test_tiers_differ_in_difficulty():
    clean = [synth.generate(s, "clean", 8.0, 480, 360).truth for s in range(4)]
    hard = [synth.generate(s, "hard", 8.0, 480, 360).truth for s in range(4)]
    assert max(t["blur_px"] for t in clean) < min(t["blur_px"] for t in hard)
    assert sum(t["flakes"] for t in hard) > sum(t["flakes"] for t in clean)


def test_rendered_width_is_exact():
    """The absorbed light of an opaque hair equals its width times its length."""
    scene = synth.make_scene(1, "clean", 5.0, 200, 200)
    hair = synth.HairSpec(0, 0, (300.0, 500.0), 0.0, 0.0, 400.0, 50.0, (0.0, 0.0, 0.0), 10.0, "anagen", 0.0)
    view = synth._View(scene, synth.Visit())
    img = np.ones((200, 200, 3), np.float32)
    synth._render_hair(img, hair, hair.length_um, view)
    covered = float((1 - img[..., 0]).sum()) * 25.0
    assert abs(covered - 50.0 * 400.0) / (50.0 * 400.0) < 0.01


def test_pair_grows_only_anagen_hairs():
    day0, day2, truth = synth.generate_pair(4, "clean", 6.0, 400, 300)
    assert 2.0 <= truth["days"] <= 3.0
    assert 0 < truth["anagen_fraction"] <= 1
    len0 = {h["id"]: h["length_um"] for h in day0.truth["hairs"]}
    for h in day2.truth["hairs"]:
        if h["id"] in len0:
            grown = h["length_um"] - len0[h["id"]]
            assert (grown > 100) == (h["phase"] == "anagen")


def test_ruler_is_deterministic():
    a, ta = synth.generate_ruler(2, 0.1, 5.0, 300, 200)
    b, _ = synth.generate_ruler(2, 0.1, 5.0, 300, 200)
    assert np.array_equal(a, b) and ta["um_per_px"] == 5.0
