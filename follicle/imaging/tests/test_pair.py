from follicle.imaging import synth
from follicle.imaging.pair import analyze_pair


def test_pair_anagen_fraction_loose():
    errs = []
    for seed in (1, 2):
        day0, day2, truth = synth.generate_pair(seed, "clean", 7.0, 800, 600)
        res = analyze_pair(day0.rgb, day2.rgb, 6.0)
        assert res.matched >= 0.3 * truth["day0_count"]
        assert res.grown + res.not_grown == res.matched
        assert abs(res.rotation_deg + truth["rotation_deg"]) < 1.5  # day 2 -> day 0 is the inverse
        errs.append(abs(res.anagen_fraction - truth["anagen_fraction"]))
    assert sum(errs) / len(errs) <= 0.2


def test_registration_recovers_the_camera_move():
    import math

    import numpy as np

    from follicle.imaging.analysis import analyze_image
    from follicle.imaging.pair import register

    day0, day2, truth = synth.generate_pair(3, "clean", 6.0, 800, 600)
    r, t = register(analyze_image(day0.rgb, 6.0), analyze_image(day2.rgb, 6.0))
    # day 2 = rotate about the centre, shift (synth._View); the map back is its inverse
    a = math.radians(truth["rotation_deg"])
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    c = np.array([400.0, 300.0])
    expected_t = (0.5 - c - np.asarray(truth["shift_px"])) @ rot + c - 0.5
    assert np.allclose(r, rot.T, atol=0.01)
    assert np.abs(t - expected_t).max() < 3.0
