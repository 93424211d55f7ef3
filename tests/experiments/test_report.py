"""The evaluation report: its statements carry the evaluation's own numbers."""

import json

import pytest

from acoustics.scene import default_scene, living_room_scene
from design.chain import design_chain
from experiments.report import write_report


@pytest.fixture(scope="module")
def free_field_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report_ff")
    scene = default_scene()
    write_report(
        design_chain(scene), scene, out, zone_grid=([1.9, 2.1], [-0.1, 0.1]), progress=False
    )
    return out


def test_report_explains_segments_and_states_numbers(free_field_report):
    out = free_field_report
    text = (out / "report.md").read_text()
    metrics = json.loads((out / "metrics.json").read_text())
    assert "## How it is measured" in text and "*direct*" in text and "*early*" in text
    assert "raised-cosine fades" in text
    chain = metrics["systems"]["chain"]["ctc_separation"]
    for seg in ("direct", "early", "full"):
        assert f"{chain[seg]['median_db']:.1f} dB" in text, seg
    width = metrics["systems"]["chain"]["width_deg"]
    assert f"the chain's image spans {width:.1f} deg" in text
    areas = {k: z["sweet_spot_area_m2"][0] for k, z in metrics["zones"].items()}
    assert f"stereo pair {areas['stereo_pair']:.2f} m^2" in text
    for name in ("eval_segments.png", "eval_zones.png", "eval_depth.png"):
        assert (out / name).is_file() and f"]({name})" in text


def test_free_field_report_makes_no_drr_or_c50_claims(free_field_report):
    text = (free_field_report / "report.md").read_text()
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert not any("DRR" in line or "C50" in line for line in table)
    assert "no reverberant part" in text
    assert "changes DRR" not in text
    metrics = json.loads((free_field_report / "metrics.json").read_text())
    assert metrics["systems"]["chain"]["depth"]["centre"]["drr_db"] is None


def test_room_report_states_drr_and_early_limit(tmp_path):
    scene = living_room_scene(max_order=2)
    write_report(design_chain(scene), scene, tmp_path, zone_grid=False, progress=False)
    text = (tmp_path / "report.md").read_text()
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    chain, mm = metrics["systems"]["chain"], metrics["systems"]["matrix_mixing"]
    gain = chain["depth"]["centre"]["drr_db"] - mm["depth"]["centre"]["drr_db"]
    assert f"changes DRR by {gain:+.1f} dB" in text
    assert "| DRR, phantom centre (dB) |" in text
    assert f"| early limit (ms after onset) | {chain['early_limit_ms']:.2f} |" in text
