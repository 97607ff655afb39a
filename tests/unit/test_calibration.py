"""Forecast calibration: a supplier's record, unreported days, the rate on days with output."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from portal.core import calibration
from portal.core.calendar import CalendarSet
from portal.core.forecast import forecast_lines
from portal.core.settings import Settings
from tests.builders import NO_REPORTS, WEEK, forecast_line
from tests.builders import output_reports as reports_for

MON_FRI = CalendarSet({})


def line(**overrides: object) -> dict:
    return forecast_line(**{"need_by_date": pd.Timestamp("2026-04-30"), **overrides})


def record(line_id: int, supplier_id: int, planned: str, first: str | None, days: int, good: int) -> dict:
    return {
        "line_id": line_id,
        "supplier_id": supplier_id,
        "planned_start": pd.Timestamp(planned),
        "planned_rate": 100.0,
        "first_output_date": pd.Timestamp(first) if first else pd.NaT,
        "reported_days": days,
        "produced": good,
    }


def forecast(
    lines: list[dict], reports: pd.DataFrame, as_of: str, learned: pd.DataFrame | None
) -> pd.DataFrame:
    return forecast_lines(
        pd.DataFrame(lines), reports, MON_FRI, dt.date.fromisoformat(as_of), Settings(), calibration=learned
    )


# --- the record --------------------------------------------------------------------------------


def test_a_line_record_counts_the_start_delay_in_working_days_and_the_duration_ratio() -> None:
    # Planned Friday 6 March, first output Wednesday 11 March: 3 working days late; 10 days at 80.
    rec = calibration.line_records(
        pd.DataFrame([record(1, 7, "2026-03-06", "2026-03-11", 10, 800)]), MON_FRI
    ).iloc[0]
    assert rec["start_delay"] == 3
    assert rec["rate_ratio"] == pytest.approx(100 / 80)


def test_a_line_that_started_early_has_no_negative_delay_and_an_unstarted_line_no_record() -> None:
    frame = pd.DataFrame(
        [record(1, 7, "2026-03-06", "2026-03-04", 2, 200), record(2, 7, "2026-03-06", None, 0, 0)]
    )
    recs = calibration.line_records(frame, MON_FRI)
    assert recs["line_id"].tolist() == [1]
    assert recs["start_delay"].iloc[0] == 0
    # Two reported days are too few to measure a rate.
    assert np.isnan(recs["rate_ratio"].iloc[0])


def test_a_supplier_with_few_lines_is_shrunk_toward_all_suppliers() -> None:
    records = pd.DataFrame(
        {
            "line_id": range(1, 8),
            "supplier_id": [1, 2, 2, 2, 2, 2, 2],
            "start_delay": [9.0, 0, 0, 0, 0, 0, 0],
            "rate_ratio": [2.0, 1, 1, 1, 1, 1, 1],
        }
    )
    learned = calibration.supplier_calibration(records, [1, 2, 3], prior_lines=3).set_index("supplier_id")
    pooled_delay = 9 / 7
    # One line of 9 days weighs 1 against 3 pseudo-lines of the pooled mean.
    assert learned.loc[1, "start_delay_days"] == pytest.approx((9 + 3 * pooled_delay) / 4)
    assert learned.loc[1, "forecast_records"] == 1
    assert learned.loc[2, "forecast_records"] == 6
    # A supplier with no record learns nothing.
    assert learned.loc[3, "forecast_records"] == 0
    assert np.isnan(learned.loc[3, "start_delay_days"])


def test_the_learned_sd_is_the_next_lines_spread_wider_the_fewer_lines_the_mean_rests_on() -> None:
    # Supplier 1: 2 lines at 1.0 and 2.0, supplier 2: 10 lines alternating 1.0 and 2.0 (same mean).
    # The next line's spread is the past lines' (shrunk as before) plus the uncertainty of the mean:
    # var x (1 + 1 / (n + 3 pseudo-lines)), a factor 1.2 for supplier 1 and 1.08 for supplier 2.
    records = pd.DataFrame(
        {
            "line_id": range(12),
            "supplier_id": [1, 1] + [2] * 10,
            "start_delay": 0.0,
            "rate_ratio": [1.0, 2.0] + [1.0, 2.0] * 5,
        }
    )
    learned = calibration.supplier_calibration(records, [1, 2], prior_lines=3).set_index("supplier_id")
    values = records["rate_ratio"]
    pooled_var = values.var(ddof=1)
    for sid, n in ((1, 2), (2, 10)):
        own_var = values[records["supplier_id"] == sid].var(ddof=1)
        w = n / (n + 3)
        lines_var = w * own_var + (1 - w) * pooled_var
        expected = np.sqrt(lines_var * (1 + 1 / (n + 3)))
        assert learned.loc[sid, "rate_ratio_sd"] == pytest.approx(expected)
    assert learned.loc[1, "rate_ratio_sd"] > learned.loc[2, "rate_ratio_sd"]


# --- plan-based forecasts ----------------------------------------------------------------------


def always_three_days_late(lines: int = 8) -> pd.DataFrame:
    """A supplier whose every line started 3 working days after plan and ran at plan."""
    frame = pd.DataFrame([record(100 + i, 1, "2026-01-05", "2026-01-08", 10, 1000) for i in range(lines)])
    records = calibration.line_records(frame, MON_FRI)
    return calibration.supplier_calibration(records, [1])


def test_a_supplier_that_always_starts_three_days_late_gets_its_plan_forecast_three_days_later() -> None:
    learned = always_three_days_late()
    assert learned["start_delay_days"].iloc[0] == pytest.approx(3)
    future = line(start_date=pd.Timestamp("2026-03-09"))  # Monday, after D
    plain = forecast([future], NO_REPORTS, "2026-03-02", None).iloc[0]
    calibrated = forecast([future], NO_REPORTS, "2026-03-02", learned).iloc[0]
    # 1,000 at 100/day: 10 working days from Mon 9 March (plain) or Thu 12 March (3 days late).
    assert plain["completion_p50"] == pd.Timestamp("2026-03-20")
    assert calibrated["completion_p50"] == pd.Timestamp("2026-03-25")
    assert calibrated["completion_p90"] >= calibrated["completion_p50"]


def test_a_supplier_whose_lines_run_at_half_the_plan_takes_twice_as_long() -> None:
    frame = pd.DataFrame([record(100 + i, 1, "2026-01-05", "2026-01-05", 10, 500) for i in range(6)])
    learned = calibration.supplier_calibration(calibration.line_records(frame, MON_FRI), [1])
    future = line(start_date=pd.Timestamp("2026-03-09"))
    out = forecast([future], NO_REPORTS, "2026-03-02", learned).iloc[0]
    # 20 working days from Mon 9 March: Fri 3 April.
    assert out["completion_p50"] == pd.Timestamp("2026-04-03")


def test_a_supplier_whose_lines_vary_gets_a_wider_p90_than_a_steady_one() -> None:
    def learned_from(ratios: list[float]) -> pd.DataFrame:
        records = pd.DataFrame(
            {
                "line_id": range(len(ratios)),
                "supplier_id": 1,
                "start_delay": 0.0,
                "rate_ratio": ratios,
            }
        )
        return calibration.supplier_calibration(records, [1])

    future = line(start_date=pd.Timestamp("2026-03-09"))
    steady = forecast([future], NO_REPORTS, "2026-03-02", learned_from([1.0] * 8)).iloc[0]
    varying = forecast([future], NO_REPORTS, "2026-03-02", learned_from([0.6, 1.4] * 4)).iloc[0]
    assert steady["completion_p50"] == varying["completion_p50"]
    assert varying["completion_p90"] > steady["completion_p90"]


def test_a_supplier_with_no_record_keeps_the_default_cv_of_0_3() -> None:
    learned = calibration.supplier_calibration(calibration.line_records(pd.DataFrame([]), MON_FRI), [1])
    future = line(start_date=pd.Timestamp("2026-03-09"))
    plain = forecast([future], NO_REPORTS, "2026-03-02", None).iloc[0]
    calibrated = forecast([future], NO_REPORTS, "2026-03-02", learned).iloc[0]
    for column in ("completion_p50", "completion_p90", "rate", "rate_sd"):
        assert calibrated[column] == plain[column], column
    assert calibrated["rate_sd"] == pytest.approx(0.3 * 100)


def test_the_domain_example_stays_exact_with_calibration() -> None:
    learned = always_three_days_late()
    out = forecast([line()], reports_for(1, WEEK, [100] * 5), "2026-03-06", learned).iloc[0]
    assert out["completion_p50"] == pd.Timestamp("2026-03-13")
    assert out["arrival_p50"] == pd.Timestamp("2026-03-16")
    assert out["completion_p90"] == out["completion_p50"]


# --- unreported days and the rate --------------------------------------------------------------

EMPTY = calibration.supplier_calibration(calibration.line_records(pd.DataFrame([]), MON_FRI), [1])


def test_a_skipped_report_inside_the_run_counts_as_made_at_the_rate() -> None:
    # Mon-Fri with Wednesday unreported: 400 reported, the skipped day estimated at 100.
    days = ["2026-03-02", "2026-03-03", "2026-03-05", "2026-03-06", "2026-03-09", "2026-03-10"]
    reports = reports_for(1, days, [100] * 6)
    plain = forecast([line()], reports, "2026-03-10", None).iloc[0]
    calibrated = forecast([line()], reports, "2026-03-10", EMPTY).iloc[0]
    assert calibrated["remaining"] == plain["remaining"] == 400  # what was reported, as DOMAIN says
    assert plain["completion_p50"] == pd.Timestamp("2026-03-16")  # 4 days after Tue 10
    assert calibrated["completion_p50"] == pd.Timestamp("2026-03-13")  # 3 days after Tue 10


def test_days_after_the_last_report_are_unknown_so_counting_starts_after_it() -> None:
    # Reported through Friday 6 March; D is Tuesday 10 March (Monday and Tuesday not posted yet).
    reports = reports_for(1, WEEK, [100] * 5)
    plain = forecast([line()], reports, "2026-03-10", None).iloc[0]
    calibrated = forecast([line()], reports, "2026-03-10", EMPTY).iloc[0]
    assert plain["completion_p50"] == pd.Timestamp("2026-03-17")
    assert calibrated["completion_p50"] == pd.Timestamp("2026-03-13")


def test_a_line_whose_reports_stop_short_of_its_quantity_only_by_skipped_days_is_about_done() -> None:
    # 8 of 10 working days reported at 100; the two skipped days cover the rest.
    days = pd.bdate_range("2026-03-02", "2026-03-13").strftime("%Y-%m-%d").tolist()
    kept = [d for d in days if d not in ("2026-03-04", "2026-03-10")]
    out = forecast([line()], reports_for(1, kept, [100] * 8), "2026-03-20", EMPTY).iloc[0]
    assert out["completion_p50"] == pd.Timestamp("2026-03-13")  # the last report day
    plain = forecast([line()], reports_for(1, kept, [100] * 8), "2026-03-20", None).iloc[0]
    assert plain["completion_p50"] == pd.Timestamp("2026-03-24")


SKIPPED_THURSDAY = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-06", "2026-03-09"]


def test_a_skipped_day_that_leaves_at_most_half_a_day_puts_p50_on_the_last_report_day() -> None:
    # Thursday 5 March not reported; 500 reported through Monday 9, the skipped day credited at 100.
    # 640 ordered: 40 left, less than half a day's 100, so p50 is Monday 9 (the last report), not
    # Tuesday 10; p90 keeps the day still to make (1 day at 100 with no spread: Tuesday 10).
    out = forecast([line(quantity=640)], reports_for(1, SKIPPED_THURSDAY, [100] * 5), "2026-03-09", EMPTY)
    assert out.iloc[0]["rate"] == pytest.approx(100)
    assert out.iloc[0]["remaining"] == 140  # what was reported, as DOMAIN says
    assert out.iloc[0]["completion_p50"] == pd.Timestamp("2026-03-09")
    assert out.iloc[0]["completion_p90"] == pd.Timestamp("2026-03-10")


def test_a_skipped_day_that_leaves_more_than_half_a_day_still_needs_the_next_working_day() -> None:
    # As above with 660 ordered: 60 left after the skipped day, more than half of 100.
    out = forecast([line(quantity=660)], reports_for(1, SKIPPED_THURSDAY, [100] * 5), "2026-03-09", EMPTY)
    assert out.iloc[0]["completion_p50"] == pd.Timestamp("2026-03-10")
    assert out.iloc[0]["completion_p90"] == pd.Timestamp("2026-03-10")


def test_less_than_half_a_day_left_with_no_skipped_day_still_needs_the_next_working_day() -> None:
    # Monday to Thursday reported at 100, none skipped: 40 left is output still to make (no
    # estimate to round), so p50 is Friday 6 March.
    out = forecast([line(quantity=440)], reports_for(1, WEEK[:4], [100] * 4), "2026-03-05", EMPTY)
    assert out.iloc[0]["completion_p50"] == pd.Timestamp("2026-03-06")


def test_outage_days_leave_the_rate_but_widen_the_spread() -> None:
    days = pd.bdate_range("2026-03-02", "2026-03-13").strftime("%Y-%m-%d").tolist()
    good = [100, 100, 100, 0, 0, 0, 100, 100, 100, 100]
    reports = reports_for(1, days, good)
    learned = forecast([line(quantity=2000)], reports, "2026-03-13", EMPTY).iloc[0]
    plain = forecast([line(quantity=2000)], reports, "2026-03-13", None).iloc[0]
    assert learned["rate"] == pytest.approx(100)
    assert plain["rate"] < 90
    assert learned["completion_p50"] == pd.Timestamp("2026-04-01")  # 1,300 at 100/day: 13 days
    assert learned["completion_p90"] > learned["completion_p50"]


def test_ramp_up_days_leave_the_rate_once_enough_days_follow() -> None:
    days = pd.bdate_range("2026-03-02", "2026-03-09").strftime("%Y-%m-%d").tolist()
    reports = reports_for(1, days, [50, 70, 90, 100, 100, 100])
    out = forecast([line()], reports, "2026-03-09", EMPTY).iloc[0]
    assert out["rate"] == pytest.approx(100)


def test_the_first_observed_forecast_already_leaves_the_ramp_up_out_of_the_rate() -> None:
    # Five days with output (forecast_min_reported_days): the first three are the ramp-up and two
    # follow them, so the rate is the line's full 100 a day, not an EWM dragged down to about 88.
    reports = reports_for(1, WEEK, [50, 70, 90, 100, 100])
    out = forecast([line(quantity=2000)], reports, "2026-03-06", EMPTY).iloc[0]
    assert out["rate_source"] == "observed"
    assert out["rate"] == pytest.approx(100)
    assert out["completion_p50"] == pd.Timestamp("2026-03-30")  # 1,590 left at 100/day: 16 days
    # One day after the ramp-up is enough to leave it out; with the ramp-up alone, all of it counts.
    four = reports_for(1, WEEK[:4], [50, 70, 90, 100])
    figures = calibration.positive_day_rate(pd.DataFrame([line()]), four, dt.date(2026, 3, 5), span=10)
    assert figures["positive_rate"].iloc[0] == pytest.approx(100)
    three = reports_for(1, WEEK[:3], [50, 70, 90])
    figures = calibration.positive_day_rate(pd.DataFrame([line()]), three, dt.date(2026, 3, 4), span=10)
    assert figures["positive_rate"].iloc[0] < 90


def test_an_observed_rate_of_a_supplier_whose_lines_wander_gets_a_wider_p90() -> None:
    records = pd.DataFrame(
        {"line_id": range(8), "supplier_id": 1, "start_delay": 0.0, "rate_ratio": [0.6, 1.4] * 4}
    )
    wandering = calibration.supplier_calibration(records, [1])
    reports = reports_for(1, WEEK, [100] * 5)
    steady = forecast([line(quantity=5000)], reports, "2026-03-06", EMPTY).iloc[0]
    wide = forecast([line(quantity=5000)], reports, "2026-03-06", wandering).iloc[0]
    assert steady["completion_p50"] == wide["completion_p50"]
    assert steady["completion_p90"] == steady["completion_p50"]  # zero spread, no record
    assert wide["completion_p90"] > wide["completion_p50"]


WANDERING = pd.DataFrame(
    {"line_id": range(8), "supplier_id": 1, "start_delay": 0.0, "rate_ratio": [0.6, 1.4] * 4}
)


def _widened(n50: float, n90: float, reported: int = 5) -> float:
    out = calibration.widen_for_rate_drift(
        calibration=calibration.supplier_calibration(WANDERING, [1]),
        supplier_ids=np.array([1]),
        observed=np.array([True]),
        n50=np.array([n50]),
        n90=np.array([n90]),
        reported=np.array([reported]),
        min_reported_days=5,
    )
    return float(out[0])


def test_an_observed_p90_takes_the_larger_of_the_daily_and_the_drift_spread_not_their_sum() -> None:
    # The supplier's lines run at 0.6 and 1.4 of plan: cv = sd / mean = 0.428 (8 lines, ddof 1), 0.447
    # for its next line (x sqrt(1 + 1 / 11)); one block of the line's own days leaves 3 / (3 + 1) of
    # it, so 20 days to go drift by sqrt(0.75) x 0.447 x 20 = 7.73 days (sd) and p90 = 20 +
    # ceil(1.2816 x 7.73) = 30 days.
    cv = float(calibration.supplier_calibration(WANDERING, [1])["rate_ratio_sd"].iloc[0])
    assert cv == pytest.approx(0.4276 * np.sqrt(1 + 1 / 11), abs=1e-4)
    assert _widened(20, 20) == 30
    # The line's own daily spread (n90 24: sd 3.1 days) is smaller: the drift alone decides. Added in
    # quadrature, as before, the two gave 31 (sd 8.3): the line's days already hold its wandering so far.
    assert _widened(20, 24) == 30
    # A daily spread wider than the drift (sd 11.7 days) is kept as it is.
    assert _widened(20, 35) == 35
    # More of the line's own days pin down more of the drift: 30 reported days leave 3 / 9 of it.
    assert _widened(20, 20, reported=30) == 20 + np.ceil(calibration.Z90 * np.sqrt(3 / 9) * cv * 20)


@given(
    n50=st.integers(1, 400),
    extra=st.integers(0, 200),
    reported=st.integers(5, 120),
)
@hyp_settings(max_examples=200, deadline=None)
def test_the_widened_p90_lies_between_each_spread_alone_and_their_sum(
    n50: int, extra: int, reported: int
) -> None:
    n90 = n50 + extra
    wide = _widened(n50, n90, reported)
    cv = float(calibration.supplier_calibration(WANDERING, [1])["rate_ratio_sd"].iloc[0])
    drift = np.sqrt(3 / (3 + reported / 5)) * cv * n50
    iid = extra / calibration.Z90
    assert wide >= n90
    assert wide >= n50 + np.ceil(calibration.Z90 * drift - 1e-9)
    assert wide <= n50 + np.ceil(calibration.Z90 * np.sqrt(iid**2 + drift**2) - 1e-9)


def test_a_stale_line_gets_no_credit_for_its_silent_days_unless_they_would_have_finished_it() -> None:
    # Reported through Friday 6 March; D is Thursday 12 March: 4 silent working days, stale after 3.
    reports = reports_for(1, WEEK, [100] * 5)
    stopped = forecast([line()], reports, "2026-03-12", EMPTY).iloc[0]
    # 500 left: the line may have stopped, so counting starts after D as the plain rule does.
    assert stopped["completion_p50"] == pd.Timestamp("2026-03-19")
    # 100 left: one silent day would have finished it, and a finished line stops reporting.
    finished = forecast([line(quantity=600)], reports, "2026-03-12", EMPTY).iloc[0]
    assert finished["completion_p50"] == pd.Timestamp("2026-03-09")
