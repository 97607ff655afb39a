"""bench.sim_reforecast: PROJECTED_LATE re-derived from re-forecast dates as the alert rule decides it."""

from __future__ import annotations

import pandas as pd

from bench.sim_reforecast import confirmed_projected_late, held_projected_late, projected_late
from portal.core.settings import Settings


def forecasts(**overrides: list[float]) -> pd.DataFrame:
    """Three lines due 1 June on one as-of day: 20 days late with a 5-day spread, 2 days late with a
    20-day spread, on time; all at an observed rate."""
    frame = pd.DataFrame(
        {
            "as_of": pd.Timestamp("2026-05-01"),
            "po_number": ["PO-1", "PO-2", "PO-3"],
            "line": [1, 1, 1],
            "supplier_id": [1, 1, 1],
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


def test_a_confirmed_flag_needs_the_line_late_on_the_sweep_before_unless_need_by_is_near() -> None:
    # Two weekly sweeps. PO-1 is late and sure on both; PO-2 and PO-3 only on the second, PO-2 due 31
    # days after it, PO-3 10 days after it.
    need_by = pd.to_datetime(["2026-06-08", "2026-06-08", "2026-05-18"])
    first = forecasts(
        arrival_p50=pd.to_datetime(["2026-06-21", "2026-05-25", "2026-05-10"]),
        arrival_p90=pd.to_datetime(["2026-06-26", "2026-05-30", "2026-05-12"]),
        need_by_date=need_by,
    )
    second = forecasts(
        arrival_p50=pd.to_datetime(["2026-06-21"] * 3),
        arrival_p90=pd.to_datetime(["2026-06-26"] * 3),
        need_by_date=need_by,
    ).assign(as_of=pd.Timestamp("2026-05-08"))
    settings = Settings(projected_late_confidence=0.85)
    both = pd.concat([first, second])
    flagged = confirmed_projected_late(both, settings, within_days=21)
    assert list(zip(flagged["as_of"].dt.day, flagged["po_number"], strict=True)) == [(8, "PO-1"), (8, "PO-3")]
    assert len(projected_late(both, settings)) == 4  # unconfirmed: PO-1 on both sweeps, PO-2, PO-3


def test_the_products_flag_needs_the_line_late_for_the_days_set_without_a_break() -> None:
    # Daily sweeps 1-8 May. PO-1 is late and sure on all of them; PO-2 too, but on time on 4 May;
    # PO-3 never. Need-by 1 June, beyond a cut-off of 0 days: only the days late count.
    late = {
        "arrival_p50": pd.to_datetime(["2026-06-21", "2026-06-21", "2026-05-25"]),
        "arrival_p90": pd.to_datetime(["2026-06-26", "2026-06-26", "2026-05-30"]),
    }
    on_time = {
        "arrival_p50": pd.to_datetime(["2026-06-21", "2026-05-25", "2026-05-25"]),
        "arrival_p90": pd.to_datetime(["2026-06-26", "2026-05-30", "2026-05-30"]),
    }
    sweeps = [
        forecasts(**(on_time if day == 4 else late)).assign(as_of=pd.Timestamp(2026, 5, day))
        for day in range(1, 9)
    ]
    settings = Settings(projected_late_held_days=7, projected_late_confirm_days=0)
    flagged = held_projected_late(pd.concat(sweeps), settings)
    assert list(zip(flagged["as_of"].dt.day, flagged["po_number"], strict=True)) == [(8, "PO-1")]
    # Swept weekly, the break on 4 May is not seen: both lines were late on 1 and 8 May.
    weekly = held_projected_late(pd.concat([sweeps[0], sweeps[7]]), settings)
    assert list(zip(weekly["as_of"].dt.day, weekly["po_number"], strict=True)) == [(8, "PO-1"), (8, "PO-2")]


def test_the_products_flag_holds_a_stalled_line_as_a_late_one() -> None:
    # Daily sweeps 1-8 May, need-by 1 June beyond a cut-off of 0 days: PO-3 is stalled on every sweep,
    # flagged once stalled for the 7 days set, as PO-1 is once late for them.
    sweeps = [
        forecasts(rate=[10.0, 10.0, 0.0]).assign(as_of=pd.Timestamp(2026, 5, day)) for day in range(1, 9)
    ]
    settings = Settings(
        projected_late_held_days=7, projected_late_confirm_days=0, forecast_min_reported_days=5
    )
    flagged = held_projected_late(pd.concat(sweeps), settings)
    assert list(zip(flagged["as_of"].dt.day, flagged["po_number"], strict=True)) == [(8, "PO-1"), (8, "PO-3")]
