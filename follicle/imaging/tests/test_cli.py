import json

import pytest

from follicle.imaging import synth
from follicle.imaging.cli import RESULT_KEYS, analyze_main, analyze_pair_main, calibrate_main, synth_main


def _json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_json_keys_and_order(image_files, capsys):
    paths = [p for p, _ in image_files][::-1]
    assert analyze_main(["--json", "--um-per-px", "6", *paths]) == 0
    rows = _json_lines(capsys.readouterr().out)
    assert [r["image"] for r in rows] == paths
    for r in rows:
        assert set(RESULT_KEYS) <= set(r)
        assert len(r["thickness_um"]) == r["hair_count"]


def test_table_output(image_files, capsys):
    path = image_files[0][0]
    assert analyze_main(["--um-per-px", "6", path]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("image") and "hairs" in out[0]
    assert out[1].startswith(path)


def test_bad_file_reported_after_others(image_files, bad_file, capsys):
    good = image_files[0][0]
    code = analyze_main(["--json", "--um-per-px", "6", bad_file, good, "/no/such.png"])
    assert code == 1
    rows = _json_lines(capsys.readouterr().out)
    assert [r["image"] for r in rows] == [bad_file, good, "/no/such.png"]
    assert set(rows[0]) == {"image", "error"} and "hair_count" in rows[1]
    assert "error" in rows[2]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["x.png"],
        ["--um-per-px", "0", "x.png"],
        ["--um-per-px", "abc", "x.png"],
        ["--um-per-px", "5", "--device", "cam", "x.png"],
        ["--um-per-px", "5", "--jobs", "0", "x.png"],
        ["--um-per-px", "5", "--vellus-max-um", "-3", "x.png"],
        ["--um-per-px", "5", "--bogus", "x.png"],
    ],
)
def test_bad_arguments_exit_2(argv, capsys):
    assert analyze_main(argv) == 2
    assert "follicle analyze" in capsys.readouterr().err


def test_device_needs_resolver(image_files, capsys):
    path = image_files[0][0]
    assert analyze_main(["--device", "cam", path]) == 2
    assert "--device" in capsys.readouterr().err

    def resolver(name):
        if name != "cam":
            raise KeyError(name)
        return 6.0

    assert analyze_main(["--json", "--device", "cam", path], device_resolver=resolver) == 0
    with_device = _json_lines(capsys.readouterr().out)[0]
    assert analyze_main(["--json", "--um-per-px", "6", path]) == 0
    direct = _json_lines(capsys.readouterr().out)[0]
    assert with_device["hair_count"] == direct["hair_count"]
    assert analyze_main(["--device", "other", path], device_resolver=resolver) == 2
    assert "unknown device" in capsys.readouterr().err


def test_overlay_written(image_files, tmp_path, capsys):
    paths = [p for p, _ in image_files[:2]]
    out = tmp_path / "ov"
    assert analyze_main(["--json", "--um-per-px", "6", "--overlay", str(out), *paths]) == 0
    capsys.readouterr()
    files = sorted(p.name for p in out.iterdir())
    assert files == ["field1.png", "field2.png"]
    assert (out / "field1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_jobs_2_matches_jobs_1(image_files, capsys):
    paths = [p for p, _ in image_files]
    assert analyze_main(["--json", "--um-per-px", "6", "--jobs", "1", *paths]) == 0
    one = _json_lines(capsys.readouterr().out)
    assert analyze_main(["--json", "--um-per-px", "6", "--jobs", "2", *paths]) == 0
    two = _json_lines(capsys.readouterr().out)
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in one]
    assert strip == [{k: v for k, v in r.items() if k != "seconds"} for r in two]


def test_progress_bar_on_stderr(image_files, capsys):
    paths = [p for p, _ in image_files]
    analyze_main(["--json", "--um-per-px", "6", *paths])
    captured = capsys.readouterr()
    assert "image" in captured.err and "{" not in captured.err


def test_analyze_pair_cli(tmp_path, capsys):
    day0, day2, _ = synth.generate_pair(3, "clean", 6.0, 480, 360)
    from PIL import Image

    p0, p2 = tmp_path / "d0.png", tmp_path / "d2.png"
    Image.fromarray(day0.rgb).save(p0)
    Image.fromarray(day2.rgb).save(p2)
    assert analyze_pair_main(["--json", "--um-per-px", "6", str(p0), str(p2)]) == 0
    r = json.loads(capsys.readouterr().out)
    for k in (
        "day0_count",
        "day2_count",
        "matched",
        "grown",
        "not_grown",
        "anagen_fraction",
        "telogen_fraction",
        "seconds",
    ):
        assert k in r
    assert analyze_pair_main(["--um-per-px", "6", str(p0), str(tmp_path / "nope.png")]) == 1
    assert analyze_pair_main(["--um-per-px", "6", str(p0)]) == 2
    assert analyze_pair_main(["--device", "x", str(p0), str(p2)]) == 2


def test_calibrate_cli(tmp_path, capsys):
    from PIL import Image

    rgb, _ = synth.generate_ruler(1, 0.1, 4.0, 640, 480)
    path = tmp_path / "ruler.png"
    Image.fromarray(rgb).save(path)
    assert calibrate_main([str(path), "--spacing-mm", "0.1"]) == 0
    value = float(capsys.readouterr().out.split()[0])
    assert value == pytest.approx(4.0, rel=0.01)
    saved = {}
    assert (
        calibrate_main([str(path), "--spacing-mm", "0.1", "--save", "scope"], device_saver=saved.__setitem__)
        == 0
    )
    assert saved["scope"] == pytest.approx(4.0, rel=0.01)
    assert calibrate_main([str(path), "--spacing-mm", "0.1", "--save", "scope"]) == 2
    assert calibrate_main([str(path)]) == 2
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), (200, 200, 200)).save(blank)
    assert calibrate_main([str(blank), "--spacing-mm", "0.1"]) == 1


def test_synth_cli(tmp_path, capsys):
    out = tmp_path / "s"
    assert (
        synth_main([str(out), "--count", "2", "--tier", "clean", "--size", "200x150", "--um-per-px", "5"])
        == 0
    )
    names = sorted(p.name for p in out.iterdir())
    assert names == ["clean-0000.json", "clean-0000.png", "clean-0001.json", "clean-0001.png"]
    truth = json.loads((out / "clean-0000.json").read_text())
    assert truth["um_per_px"] == 5.0 and "hairs" in truth
    assert synth_main([str(tmp_path / "p"), "--pairs", "--size", "200x150"]) == 0
    assert synth_main([str(out), "--size", "big"]) == 2
