"""The evaluation's metrics on hand-made frames: coverage, error, warning, precision, alert load."""

from __future__ import annotations

import pandas as pd
import pytest

from portal.sim.evaluate import (
    accuracy,
    alert_load,
    breakdown,
    calibration,
    coverage_standard_error,
    evaluate,
    format_text,
    precision,
    projected_late_flags,
    supplier_flags,
    warning,
)

T = pd.Timestamp


def truth(*rows: tuple[str, str, str]) -> pd.DataFrame:
    """Lines as (po_number, need_by_date, arrival_date)."""
    return pd.DataFrame(
        {
            "po_number": [r[0] for r in rows],
            "line": 1,
            "need_by_date": [T(r[1]) for r in rows],
            "arrival_date": [T(r[2]) for r in rows],
        }
    )


def snaps(*rows: tuple) -> pd.DataFrame:
    """(as_of, po_number, arrival_p50, arrival_p90, supplier_arrival) rows; None for a missing date."""
    return pd.DataFrame(
        {
            "as_of": [T(r[0]) for r in rows],
            "po_number": [r[1] for r in rows],
            "line": 1,
            "arrival_p50": pd.to_datetime([r[2] for r in rows]),
            "arrival_p90": pd.to_datetime([r[3] for r in rows]),
            "supplier_arrival": pd.to_datetime([r[4] for r in rows]),
        }
    )


def alerts(*rows: tuple[str, str, str | None]) -> pd.DataFrame:
    """(as_of, rule, po_number or None) rows."""
    return pd.DataFrame(
        {
            "as_of": [T(r[0]) for r in rows],
            "rule": [r[1] for r in rows],
            "po_number": [r[2] for r in rows],
            "line": [1 if r[2] else None for r in rows],
        }
    )


LINES = truth(("A", "2026-03-10", "2026-03-09"), ("B", "2026-03-10", "2026-03-20"))


def test_coverage_counts_arrivals_on_or_before_p50_and_p90_over_line_day_pairs() -> None:
    frame = snaps(
        ("2026-02-01", "A", "2026-03-09", "2026-03-09", None),  # on p50 and p90: both cover
        ("2026-02-08", "A", "2026-03-05", "2026-03-12", None),  # p90 covers only
        ("2026-02-01", "B", "2026-03-10", "2026-03-15", None),  # neither
        ("2026-02-08", "B", "2026-03-10", "2026-03-20", None),  # p90 covers only
        ("2026-02-15", "B", None, None, None),  # no forecast: not a pair
    )
    figures = calibration(frame, LINES)
    assert {k: figures[k] for k in ("pairs", "p50_coverage", "p90_coverage")} == {
        "pairs": 4,
        "p50_coverage": 0.25,
        "p90_coverage": 0.75,
    }
    # A covers both its pairs, B one of two: c = 3/4; residuals A: 2 - 1.5 =
    # 0.5, B: 1 - 1.5 = -0.5; var = 2/1 x (0.25 + 0.25) / 4^2 = 1/16.
    assert figures["p90_coverage_se"] == pytest.approx(0.25)


def test_the_standard_error_of_coverage_treats_a_line_s_pairs_as_one_cluster() -> None:
    covered = pd.Series([True, True, True, False, False, False])
    # Three pairs per line, all alike within a line: the share (1/2) is as uncertain as two
    # coin flips, not six: var = 2/1 x (1.5^2 + 1.5^2) / 6^2 = 1/4.
    assert coverage_standard_error(covered, pd.Series(["a", "a", "a", "b", "b", "b"])) == pytest.approx(0.5)
    # The same six pairs from six lines: var = 6/5 x 6 x 0.5^2 / 36 = 1/20.
    assert coverage_standard_error(covered, pd.Series(list("abcdef"))) == pytest.approx(0.05**0.5)
    # Every line covered as often as the whole: no spread between lines, no error.
    assert coverage_standard_error(pd.Series([True, False, True, False]), pd.Series(list("aabb"))) == 0.0
    assert coverage_standard_error(pd.Series([True, False]), pd.Series(["a", "a"])) is None
    assert coverage_standard_error(pd.Series([], dtype=bool), pd.Series([], dtype=str)) is None


def test_mean_absolute_error_compares_p50_and_the_supplier_date_on_the_same_pairs() -> None:
    frame = snaps(
        ("2026-02-01", "A", "2026-03-11", "2026-03-12", "2026-03-05"),  # p50 off 2, supplier off 4
        ("2026-02-01", "B", "2026-03-14", "2026-03-20", "2026-03-12"),  # p50 off 6, supplier off 8
        ("2026-02-08", "B", "2026-03-14", "2026-03-20", None),  # no supplier date: left out
    )
    result = accuracy(frame, LINES)
    assert result["pairs"] == 2
    assert result["p50_mae_days"] == pytest.approx(4.0)
    assert result["supplier_mae_days"] == pytest.approx(6.0)
    assert result["p50_bias_days"] == pytest.approx(-2.0)
    assert result["ratio"] == pytest.approx(4.0 / 6.0)


def test_warning_counts_late_lines_flagged_seven_days_ahead_and_the_median_lead() -> None:
    lines = truth(
        ("A", "2026-03-10", "2026-03-20"),  # late, flagged 9 days ahead
        ("B", "2026-03-10", "2026-03-20"),  # late, flagged 3 days ahead
        ("C", "2026-03-10", "2026-03-20"),  # late, never flagged: 0 days
        ("D", "2026-03-10", "2026-03-01"),  # on time: not counted here
        ("E", "2026-06-10", "2026-06-20"),  # late, but due after the replay: left out
    )
    flags = alerts(
        ("2026-03-01", "PROJECTED_LATE", "A"),
        ("2026-03-08", "PROJECTED_LATE", "A"),
        ("2026-03-07", "PROJECTED_LATE", "B"),
        ("2026-02-01", "PROJECTED_LATE", "D"),
        ("2026-02-01", "BEHIND_PLAN", "C"),
    )
    result = warning(projected_late_flags(flags), lines, last_day=T("2026-04-01"))
    assert result == {"late_lines": 3, "warned_share": pytest.approx(1 / 3), "median_warning_days": 3.0}


def test_precision_is_the_share_of_flagged_lines_that_were_really_late() -> None:
    lines = truth(
        ("A", "2026-03-10", "2026-03-20"),
        ("B", "2026-03-10", "2026-03-05"),
        ("C", "2026-03-10", "2026-03-11"),
        ("D", "2026-03-10", "2026-03-30"),
    )
    flags = alerts(
        ("2026-03-01", "PROJECTED_LATE", "A"),
        ("2026-03-08", "PROJECTED_LATE", "A"),
        ("2026-03-01", "PROJECTED_LATE", "B"),
        ("2026-03-01", "PROJECTED_LATE", "C"),
        ("2026-03-01", "AT_RISK", "D"),
    )
    assert precision(projected_late_flags(flags), lines) == {
        "flagged_lines": 3,
        "precision": pytest.approx(2 / 3),
    }


def test_the_supplier_flags_a_line_when_its_own_date_plus_transit_is_after_need_by() -> None:
    frame = snaps(
        ("2026-02-01", "A", None, None, "2026-03-10"),  # on need-by: not flagged
        ("2026-02-08", "A", None, None, "2026-03-11"),  # flagged
        ("2026-02-01", "B", None, None, None),  # no schedule: not flagged
    )
    flagged = supplier_flags(frame, LINES)
    assert flagged[["as_of", "po_number"]].values.tolist() == [[T("2026-02-08"), "A"]]


def test_alert_load_is_open_alerts_per_open_line_averaged_over_days_by_rule() -> None:
    frame = snaps(
        ("2026-02-01", "A", None, None, None),
        ("2026-02-01", "B", None, None, None),
        ("2026-02-08", "B", None, None, None),
    )
    open_alerts = alerts(
        ("2026-02-01", "BEHIND_PLAN", "A"),
        ("2026-02-01", "BEHIND_PLAN", "B"),
        ("2026-02-01", "CAPACITY_OVERLOAD", None),
        ("2026-02-08", "PROJECTED_LATE", "B"),
    )
    load = alert_load(open_alerts, frame)
    # Day 1: 2 lines, 2 BEHIND_PLAN and 1 capacity; day 2: 1 line, 1 PROJECTED_LATE.
    assert load == {
        "BEHIND_PLAN": pytest.approx(0.5),
        "CAPACITY_OVERLOAD": pytest.approx(0.25),
        "PROJECTED_LATE": pytest.approx(0.5),
        "total": pytest.approx(1.25),
    }


def test_evaluate_reports_every_figure_as_text_and_plain_values() -> None:
    frame = snaps(
        ("2026-02-01", "A", "2026-03-09", "2026-03-12", "2026-03-09"),
        ("2026-02-01", "B", "2026-03-12", "2026-03-20", "2026-03-09"),
    )
    result = evaluate(LINES, frame, alerts(("2026-02-01", "PROJECTED_LATE", "B")), last_day=T("2026-03-31"))
    data = result.to_dict()
    assert data["lines"] == 2 and data["late_lines"] == 1
    assert data["warning"]["portal"]["warned_share"] == 1.0
    assert data["warning"]["supplier"]["warned_share"] == 0.0
    assert data["precision"]["portal"] == {"flagged_lines": 1, "precision": 1.0}
    text = format_text(result)
    assert "arrival_p90 100%" in text and "PROJECTED_LATE 100% of 1 lines really late" in text


def test_the_breakdown_splits_pairs_by_rate_source_and_real_days_to_arrival() -> None:
    frame = snaps(
        ("2026-01-01", "B", "2026-03-25", "2026-03-30", "2026-03-12"),  # 78 days ahead, from the plan
        ("2026-03-10", "B", "2026-03-18", "2026-03-22", "2026-03-12"),  # 10 days ahead, observed
    )
    frame["rate_source"] = ["plan", "observed"]
    parts = breakdown(frame, LINES)
    assert parts["rate plan"]["pairs"] == 1 and parts["rate plan"]["p50_bias_days"] == 5.0
    assert parts["rate observed"]["p90_coverage"] == 1.0 and parts["rate observed"]["p50_coverage"] == 0.0
    assert parts["arrival in 0-13 d"]["pairs"] == 1 and parts["arrival in 42+ d"]["pairs"] == 1
    assert "arrival in 14-41 d" not in parts
    assert parts["arrival in 0-13 d"]["supplier_mae_days"] == 8.0
