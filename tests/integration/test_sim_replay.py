"""A tiny simulated world replayed through the import service and the sweep; the CLI around it."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest

from portal.cli import main
from portal.sim.evaluate import evaluate
from portal.sim.factory import simulate
from portal.sim.replay import replay
from tests.unit.test_sim_factory import EXACT, world


def test_a_replay_feeds_the_portal_what_was_posted_and_snapshots_its_forecasts(sqlite_url: str) -> None:
    # Line 1 runs exactly to plan; line 2 loses 4 days of material, and its supplier says so late.
    truth = simulate(world([{}, {}], outages=[(1, 2, 4)]), EXACT)
    result = replay(truth, weeks=5, step_days=7, database_url=sqlite_url)

    assert [d.isoformat() for d in result.days[:2]] == ["2026-01-12", "2026-01-19"]
    snaps = result.snapshots
    first = snaps[snaps["po_number"] == "SIM-0001"].set_index("as_of")
    # Reports come the same day and match the plan: the portal's p50 is the real arrival each day.
    assert (first["arrival_p50"] == truth.lines.loc[0, "arrival_date"]).all()
    assert (first["supplier_arrival"] == truth.lines.loc[0, "arrival_date"]).all()
    # Received on Wed 28 Jan: the line is no longer open in the sweep of Mon 2 Feb.
    assert list(first.index) == [
        pd.Timestamp("2026-01-12"),
        pd.Timestamp("2026-01-19"),
        pd.Timestamp("2026-01-26"),
    ]

    second = snaps[snaps["po_number"] == "SIM-0002"].set_index("as_of")
    # On Mon 19 Jan the outage (Wed 14 - Mon 19) has cost 4 days: the forecast has moved, the
    # supplier's date (revised only near its end, Fri 23 Jan) has moved too by then.
    assert second.loc[pd.Timestamp("2026-01-19"), "arrival_p50"] > pd.Timestamp("2026-01-28")
    late_line_alerts = result.alerts[result.alerts["po_number"] == "SIM-0002"]
    assert {"BEHIND_PLAN", "DATE_SLIPPED"} <= set(late_line_alerts["rule"])

    scored = evaluate(truth.lines, snaps, result.alerts, result.days[-1])
    assert scored.lines == 2
    assert scored.calibration["pairs"] == len(snaps)
    assert 0.0 <= scored.calibration["p90_coverage"] <= 1.0


def test_the_cli_evaluates_a_small_world_and_writes_the_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    out = tmp_path / "figures.json"
    args = [
        "evaluate",
        "--seed",
        "5",
        "--suppliers",
        "2",
        "--lines",
        "8",
        "--weeks",
        "6",
        "--step-days",
        "14",
    ]
    chart = tmp_path / "figures.svg"
    assert main([*args, "--json", str(out), "--plot", str(chart)]) == 0
    text = capsys.readouterr().out
    assert "Calibration: arrival_p50 covered" in text and "Alert load:" in text
    figures = json.loads(out.read_text())
    assert figures["lines"] == 8
    assert figures["parameters"]["world"]["seed"] == 5
    assert figures["replay"]["steps"] == 3
    assert set(figures["calibration"]) == {"pairs", "p50_coverage", "p90_coverage", "p90_coverage_se"}
    # The chart draws the figures of this run: its p90 coverage, as the JSON gives it.
    svg = ElementTree.fromstring(chart.read_text(encoding="utf-8"))
    texts = [node.text or "" for node in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "python -m portal evaluate --seed 5" in texts
    coverage = figures["calibration"]["p90_coverage"]
    assert any(t.startswith(("n/a" if coverage is None else f"{coverage:.1%}") + " (") for t in texts)


def test_the_cli_refuses_impossible_parameters_saying_which(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["evaluate", "--lines", "0", "--outage-rate", "-0.2", "--weeks", "4", "--step-days", "40"])
    err = capsys.readouterr().err
    assert code == 1
    assert "lines must be 1 or more (got 0)" in err
    assert "outage_rate must be 0 or more (got -0.2)" in err
    assert "step_days (40) is past the replay horizon of 4 weeks" in err
