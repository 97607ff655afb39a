"""bench.sim_reforecast: PROJECTED_LATE re-derived from re-forecast dates as the alert rule decides it."""

from __future__ import annotations

import pandas as pd

from bench.sim_reforecast import projected_late
from portal.core.settings import Settings


def forecasts(**overrides: list[float]) -> pd.DataFrame:
    """Three lines due 1 June on one as-of day: 20 days late with a 5-day spread, 2 days late with a
    20-day spread, on time; all at an observed rate."""
    frame = pd.DataFrame(
        {
            "as_of": pd.Timestamp("2026-05-01"),
            "po_number": ["PO-1", "PO-2", "PO-3"],
            "line": [1, 1, 1],
            "need_by_date": pd.Timestamp("2026-06-01"),
            "arrival_p50": pd.to_datetime(["2026-06-21", "2026-06-03", "2026-05-25"]),
            "arrival_p90": pd.to_datetime(["2026-06-26", "2026-06-23", "2026-05-30"]),
            "remaining": [100, 100, 100],
            "rate": [10.0, 10.0, 10.0],
            "rate_source": "observed",
            "reported_days": [10, 10, 10],
        }
    )
    for column, values in overrides.items():
        frame[column] = values
    return frame


def test_only_a_line_late_with_the_admins_confidence_is_flagged() -> None:
    flagged = projected_late(forecasts(), Settings(projected_late_confidence=0.85))
    assert flagged["po_number"].tolist() == ["PO-1"]


def test_at_confidence_one_half_a_line_late_at_its_p50_is_flagged_whatever_its_spread() -> None:
    flagged = projected_late(forecasts(), Settings(projected_late_confidence=0.5))
    assert flagged["po_number"].tolist() == ["PO-1", "PO-2"]


def test_a_stalled_line_is_flagged_though_its_dates_say_on_time() -> None:
    stalled = forecasts(rate=[10.0, 10.0, 0.0])
    flagged = projected_late(stalled, Settings(projected_late_confidence=0.85, forecast_min_reported_days=5))
    assert flagged["po_number"].tolist() == ["PO-1", "PO-3"]
