"""The evaluation chart and the targets table, on hand-made figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from portal.sim.plots import evaluation_svg, main, target_table, targets_met

SVG = "{http://www.w3.org/2000/svg}"


def figures(
    p90: float = 0.9, ratio: float | None = 0.5, warned: float = 0.95, precision: float = 0.9
) -> dict[str, Any]:
    return {
        "calibration": {"pairs": 10, "p50_coverage": 0.5, "p90_coverage": p90},
        "accuracy": {"pairs": 10, "ratio": ratio},
        "warning": {
            "portal": {"late_lines": 20, "warned_share": warned, "median_warning_days": 30.0},
            "supplier": {"late_lines": 20, "warned_share": 0.8, "median_warning_days": 12.0},
        },
        "precision": {
            "portal": {"flagged_lines": 20, "precision": precision},
            "supplier": {"flagged_lines": 20, "precision": 0.7},
        },
        "alert_load": {"PROJECTED_LATE": 0.4, "BEHIND_PLAN": 0.7, "total": 1.1},
        "parameters": {"world": {"seed": 4}},
    }


def texts(svg: str) -> list[str]:
    return [node.text or "" for node in ElementTree.fromstring(svg).iter(f"{SVG}text")]


def test_each_target_is_met_only_inside_its_band() -> None:
    assert targets_met(figures()) == {
        "p90_coverage": True,
        "p50_error_ratio": True,
        "warned_share": True,
        "precision": True,
    }
    assert targets_met(figures(p90=0.9306, ratio=0.71, warned=0.89, precision=0.849)) == {
        "p90_coverage": False,
        "p50_error_ratio": False,
        "warned_share": False,
        "precision": False,
    }
    assert targets_met(figures(p90=0.86))["p90_coverage"] is False
    assert targets_met(figures(ratio=None))["p50_error_ratio"] is None


def test_the_chart_shows_each_figure_with_its_verdict_and_every_rule_of_the_alert_load() -> None:
    shown = texts(evaluation_svg(figures(p90=0.95), "seed 4"))
    assert "seed 4" in shown
    assert "95.0% (not met)" in shown
    assert "0.50x (met)" in shown
    assert {"PROJECTED_LATE", "BEHIND_PLAN", "0.40", "0.70"} <= set(shown)


def test_the_table_says_which_targets_each_run_meets() -> None:
    table = target_table([("seed 1", figures()), ("seed 2", figures(p90=0.9306))])
    rows = table.splitlines()
    assert rows[2].startswith("| seed 1 | 90.0% met |")
    assert rows[3].startswith("| seed 2 | 93.1% NOT met | 0.50x met |")


def test_charts_are_redrawn_from_saved_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "seed4.json"
    run.write_text(json.dumps(figures(precision=0.8)), encoding="utf-8")
    assert main([str(run), "--out", str(tmp_path / "img")]) == 0
    chart = (tmp_path / "img" / "evaluation-seed4.svg").read_text(encoding="utf-8")
    assert "80.0% (not met)" in texts(chart)
    assert "| seed 4 |" in capsys.readouterr().out
