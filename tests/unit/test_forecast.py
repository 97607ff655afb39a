"""Forecast of open lines: DOMAIN.md's worked example, holidays, rates, p90, properties."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.calendar import CalendarSet, WorkCalendar
from portal.core.forecast import forecast_lines
from portal.core.settings import Settings
from tests.builders import NO_REPORTS, WEEK
from tests.builders import forecast_line as line
from tests.builders import output_reports as reports_for

MON_FRI = CalendarSet({})


def run(
    lines: list[dict],
    reports: pd.DataFrame,
    as_of: str,
    calendars: CalendarSet = MON_FRI,
    **settings_overrides: Any,
) -> pd.DataFrame:
    from dataclasses import replace

    cfg = replace(Settings(), **settings_overrides)
    return forecast_lines(pd.DataFrame(lines), reports, calendars, dt.date.fromisoformat(as_of), cfg)


def test_domain_worked_example_completes_friday_13_and_arrives_monday_16() -> None:
    out = run([line()], reports_for(1, WEEK, [100] * 5), "2026-03-06").iloc[0]
    assert out["produced"] == 500
    assert out["remaining"] == 500
    assert out["rate"] == pytest.approx(100)
    assert out["rate_source"] == "observed"
    assert out["completion_p50"] == pd.Timestamp("2026-03-13")
    assert out["arrival_p50"] == pd.Timestamp("2026-03-16")
    # zero spread: p90 equals p50
    assert out["completion_p90"] == out["completion_p50"]
    assert out["arrival_p90"] == out["arrival_p50"]


def test_rejected_units_never_count_as_produced() -> None:
    out = run([line()], reports_for(1, WEEK, [100] * 5, [30] * 5), "2026-03-06").iloc[0]
    assert out["produced"] == 500
    assert out["rejected"] == 150


def test_reports_after_the_as_of_date_are_not_known() -> None:
    reports = reports_for(1, [*WEEK, "2026-03-09"], [100] * 6)
    out = run([line()], reports, "2026-03-06").iloc[0]
    assert out["produced"] == 500


def test_fewer_than_five_reported_days_use_the_planned_daily_output() -> None:
    out = run([line(daily_output=50.0)], reports_for(1, WEEK[:4], [100] * 4), "2026-03-05").iloc[0]
    assert out["rate_source"] == "plan"
    assert out["rate"] == 50
    # 600 remaining at 50/day = 12 working days from Fri 6 March: Mon 23 March
    assert out["completion_p50"] == pd.Timestamp("2026-03-23")


def test_a_line_not_started_counts_from_its_scheduled_start() -> None:
    out = run([line(start_date=pd.Timestamp("2026-03-16"))], NO_REPORTS, "2026-03-06").iloc[0]
    # 1000 at 100/day = 10 working days from Mon 16 March (day 1): Fri 27 March
    assert out["completion_p50"] == pd.Timestamp("2026-03-27")


def test_a_start_in_the_past_without_output_counts_from_the_next_working_day() -> None:
    out = run([line(start_date=pd.Timestamp("2026-02-23"))], NO_REPORTS, "2026-03-06").iloc[0]
    # next working day after Fri 6 March is Mon 9 March; 10 days -> Fri 20 March
    assert out["completion_p50"] == pd.Timestamp("2026-03-20")


def test_german_supplier_skips_good_friday_and_easter_monday() -> None:
    germany = CalendarSet({1: WorkCalendar.for_supplier("DE", years=(2025, 2027))})
    reports = reports_for(
        1, ["2026-03-26", "2026-03-27", "2026-03-30", "2026-03-31", "2026-04-01"], [100] * 5
    )
    out = run([line(need_by_date=pd.Timestamp("2026-04-30"))], reports, "2026-04-01", germany).iloc[0]
    # 500 remaining = 5 working days from Thu 2 April: 2, 7, 8, 9, 10 April (3 and 6 are holidays)
    assert out["completion_p50"] == pd.Timestamp("2026-04-10")
    plain = run([line(need_by_date=pd.Timestamp("2026-04-30"))], reports, "2026-04-01").iloc[0]
    assert plain["completion_p50"] == pd.Timestamp("2026-04-08")


def test_a_finished_line_completes_on_the_report_that_finished_it() -> None:
    reports = reports_for(1, WEEK, [300, 300, 300, 200, 50])
    out = run([line()], reports, "2026-03-06").iloc[0]
    assert out["remaining"] == 0
    assert out["completion_p50"] == pd.Timestamp("2026-03-05")
    assert out["completion_p90"] == pd.Timestamp("2026-03-05")


def test_a_line_without_schedule_or_reports_has_no_forecast() -> None:
    out = run([line(start_date=pd.NaT, daily_output=np.nan, status="open")], NO_REPORTS, "2026-03-06").iloc[0]
    assert out["rate_source"] == "none"
    assert pd.isna(out["completion_p50"])
    assert pd.isna(out["arrival_p90"])


def test_a_stalled_line_with_only_zero_output_has_no_completion_date() -> None:
    out = run([line()], reports_for(1, WEEK, [0] * 5), "2026-03-06").iloc[0]
    assert out["rate"] == 0
    assert pd.isna(out["completion_p50"])


def test_noisy_output_pushes_p90_after_p50() -> None:
    out = run([line(quantity=3000)], reports_for(1, WEEK, [40, 160, 60, 140, 100]), "2026-03-06").iloc[0]
    assert out["completion_p90"] > out["completion_p50"]


def test_days_late_compares_arrival_with_need_by_in_calendar_days() -> None:
    out = run(
        [line(need_by_date=pd.Timestamp("2026-03-13"))], reports_for(1, WEEK, [100] * 5), "2026-03-06"
    ).iloc[0]
    assert out["days_late_p50"] == 3


def test_a_shipped_line_arrives_transit_days_after_its_last_report() -> None:
    out = run([line(status="shipped")], reports_for(1, WEEK, [100] * 5), "2026-03-10").iloc[0]
    assert out["remaining"] == 0
    assert out["arrival_p50"] == pd.Timestamp("2026-03-09")


def test_the_same_input_gives_the_same_dates() -> None:
    reports = reports_for(1, WEEK, [40, 160, 60, 140, 100])
    first = run([line(quantity=3000)], reports, "2026-03-06")
    second = run([line(quantity=3000)], reports, "2026-03-06")
    pd.testing.assert_frame_equal(first, second)


def test_many_lines_are_forecast_at_once_in_input_order() -> None:
    lines = [line(line_id=i, quantity=1000 + i) for i in range(1, 6)]
    reports = pd.concat([reports_for(i, WEEK, [100] * 5) for i in (2, 4)])
    out = run(lines, reports, "2026-03-06")
    assert out["line_id"].tolist() == [1, 2, 3, 4, 5]
    assert out["produced"].tolist() == [0, 500, 0, 500, 0]


daily = st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=25)


@settings(max_examples=150, deadline=None)
@given(
    good=daily,
    quantity=st.integers(min_value=1, max_value=20_000),
    plan=st.integers(min_value=1, max_value=500),
)
def test_p90_is_never_before_p50(good: list[int], quantity: int, plan: int) -> None:
    days = pd.bdate_range("2026-01-05", periods=len(good))
    reports = reports_for(1, [d.strftime("%Y-%m-%d") for d in days], good)
    out = run(
        [line(quantity=quantity, daily_output=float(plan))], reports, days[-1].strftime("%Y-%m-%d")
    ).iloc[0]
    if pd.notna(out["completion_p50"]):
        assert out["completion_p90"] >= out["completion_p50"]
        assert out["arrival_p90"] >= out["arrival_p50"]


@settings(max_examples=150, deadline=None)
@given(
    good=daily,
    extra=st.lists(st.integers(min_value=0, max_value=200), min_size=25, max_size=25),
    quantity=st.integers(min_value=1, max_value=20_000),
)
def test_more_good_output_never_makes_the_p50_forecast_later(
    good: list[int], extra: list[int], quantity: int
) -> None:
    days = [d.strftime("%Y-%m-%d") for d in pd.bdate_range("2026-01-05", periods=len(good))]
    more = [g + e for g, e in zip(good, extra, strict=False)]
    base = run([line(quantity=quantity)], reports_for(1, days, good), days[-1]).iloc[0]
    better = run([line(quantity=quantity)], reports_for(1, days, more), days[-1]).iloc[0]
    if pd.notna(base["completion_p50"]):
        assert pd.notna(better["completion_p50"])
        assert better["completion_p50"] <= base["completion_p50"]
