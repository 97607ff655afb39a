"""Scorecard metrics on small hand-made cases: each metric, every lesson of DOMAIN.md, score and grade."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from portal.core import scorecard as sc
from portal.core.calendar import CalendarSet
from portal.core.domain import ValidationError
from portal.core.settings import SCORE_METRICS, Settings, resolve

# Supplier 1 works Monday-Friday without public holidays; supplier 2 works Monday-Friday in Germany,
# where Good Friday 2026-04-03 and Easter Monday 2026-04-06 are holidays.
CALENDARS = CalendarSet.from_frames(
    pd.DataFrame(
        {"supplier_id": [1, 2], "country": [None, "DE"], "working_weekdays": ["1111100", "1111100"]}
    ),
    years=(2025, 2027),
)
AS_OF = dt.date(2026, 4, 15)
MARCH = sc.parse_month("2026-03")
APRIL = sc.parse_month("2026-04")
SETTINGS = Settings()


def line(line_id: int, **kw: Any) -> dict[str, Any]:
    """A PO line due (need-by) 10 March 2026, 100 ordered, received."""
    return {
        "line_id": line_id,
        "supplier_id": 1,
        "quantity": 100,
        "need_by_date": "2026-03-10",
        "promised_date": None,
        "status": "received",
        **kw,
    }


def receipt(line_id: int, day: str | None, quantity: int, rejected: int = 0) -> dict[str, Any]:
    return {"po_line_id": line_id, "received_date": day, "quantity": quantity, "rejected_qty": rejected}


def revision(
    line_id: int, rev: int, start: str, daily: int, end: str, posted: str | None = "2026-02-20"
) -> dict[str, Any]:
    return {
        "line_id": line_id,
        "revision": rev,
        "start_date": start,
        "daily_output": daily,
        "estimated_end_date": end,
        "created_at": posted,
    }


def report(
    line_id: int, day: str, good: int, posted: str | None = None, rejected: int = 0, current: bool = True
) -> dict[str, Any]:
    return {
        "line_id": line_id,
        "report_date": day,
        "good_qty": good,
        "rejected_qty": rejected,
        "created_at": f"{day} 17:00" if posted is None else posted,
        "is_current": current,
    }


def frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def events(
    lines: list[dict[str, Any]],
    receipts: Sequence[dict[str, Any]] = (),
    schedules: Sequence[dict[str, Any]] = (),
    reports: Sequence[dict[str, Any]] = (),
    *,
    settings: Settings = SETTINGS,
    as_of: dt.date = AS_OF,
) -> sc.ScorecardEvents:
    return sc.scorecard_events(
        frame(lines, ["line_id", "supplier_id", "quantity", "need_by_date", "promised_date", "status"]),
        frame(list(receipts), ["po_line_id", "received_date", "quantity", "rejected_qty"]),
        frame(
            list(schedules),
            ["line_id", "revision", "start_date", "daily_output", "estimated_end_date", "created_at"],
        ),
        frame(
            list(reports), ["line_id", "report_date", "good_qty", "rejected_qty", "created_at", "is_current"]
        ),
        CALENDARS,
        settings,
        as_of,
    )


def month_row(ev: sc.ScorecardEvents, month: int = MARCH, settings: Settings = SETTINGS) -> pd.Series:
    """Supplier 1's summary for one month."""
    return sc.summarize(ev, settings, month, month, [1]).iloc[0]


# ----------------------------------------------------------------------------- OTD


def test_otd_counts_receipts_on_or_before_the_due_date() -> None:
    ev = events(
        [line(1), line(2), line(3)],
        [receipt(1, "2026-03-09", 100), receipt(2, "2026-03-10", 100), receipt(3, "2026-03-11", 100)],
    )
    row = month_row(ev)
    assert (row["otd_on_time"], row["otd_receipts"]) == (2, 3)
    assert row["otd"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(("tolerance", "on_time"), [(0, 1), (1, 2), (2, 3)])
def test_otd_tolerance_counts_receipts_up_to_that_many_days_late_as_on_time(
    tolerance: int, on_time: int
) -> None:
    ev = events(
        [line(1), line(2), line(3)],
        [receipt(1, "2026-03-10", 100), receipt(2, "2026-03-11", 100), receipt(3, "2026-03-12", 100)],
        settings=resolve({"on_time_tolerance_days": tolerance}),
    )
    assert month_row(ev)["otd_on_time"] == on_time


def test_the_promised_date_is_the_due_date_when_there_is_one() -> None:
    ev = events(
        [line(1, promised_date="2026-03-05", need_by_date="2026-03-20")], [receipt(1, "2026-03-10", 100)]
    )
    assert month_row(ev)["otd"] == 0.0
    assert sc.drill_down(ev, "otd", 1, MARCH, MARCH)["due_date"].iloc[0] == pd.Timestamp("2026-03-05")


def test_each_receipt_of_a_split_delivery_counts_for_otd_on_its_own_date() -> None:
    ev = events([line(1)], [receipt(1, "2026-03-05", 60), receipt(1, "2026-03-12", 40)])
    row = month_row(ev)
    assert (row["otd_on_time"], row["otd_receipts"]) == (1, 2)


def test_dates_with_times_are_compared_as_dates() -> None:
    ev = events(
        [line(1, need_by_date=pd.Timestamp("2026-03-10 00:00"))],
        [receipt(1, pd.Timestamp("2026-03-10 23:45"), 100)],
    )
    assert month_row(ev)["otd"] == 1.0
    assert month_row(ev)["otif"] == 1.0


def test_a_receipt_of_a_line_with_an_unknown_due_date_is_shown_but_not_counted() -> None:
    ev = events([line(1, need_by_date=None)], [receipt(1, "2026-03-09", 100)])
    row = month_row(ev)
    assert row["otd_receipts"] == 0
    assert np.isnan(row["otd"])
    rows = sc.drill_down(ev, "otd", 1, MARCH, MARCH)
    assert rows["otd_counted"].tolist() == [False]
    assert row["quality"] == 1.0  # the receipt still says something about quality


def test_a_receipt_without_a_date_fits_no_period_and_never_crashes() -> None:
    ev = events([line(1)], [receipt(1, None, 100), receipt(1, "not a date", 5)])
    row = month_row(ev)
    assert row["otd_receipts"] == 0
    assert row["lines"] == 1  # the line is still due in March and judged (nothing delivered)
    assert row["otif"] == 0.0


def test_receipts_after_as_of_do_not_count() -> None:
    ev = events([line(1)], [receipt(1, "2026-03-09", 100)], as_of=dt.date(2026, 3, 8))
    assert month_row(ev)["otd_receipts"] == 0


# ----------------------------------------------------------------------------- OTIF


def test_a_split_delivery_is_on_time_in_full_when_the_cumulative_quantity_is_in_full_by_the_due_date() -> (
    None
):
    ev = events([line(1)], [receipt(1, "2026-03-05", 60), receipt(1, "2026-03-10", 40)])
    row = month_row(ev)
    assert (row["otif_on_time"], row["otif_lines"]) == (1, 1)
    assert sc.drill_down(ev, "otif", 1, MARCH, MARCH)["delivered_date"].iloc[0] == pd.Timestamp("2026-03-10")


def test_a_split_delivery_completed_after_the_due_date_is_late_by_its_completing_receipt() -> None:
    ev = events([line(1)], [receipt(1, "2026-03-05", 60), receipt(1, "2026-03-12", 40)])
    row = month_row(ev)
    assert row["otif"] == 0.0
    assert row["avg_days_late"] == 2.0


@pytest.mark.parametrize(
    ("received", "rejected", "in_full"), [(98, 0, True), (97, 0, False), (100, 3, False)]
)
def test_in_full_means_cumulative_good_quantity_reaches_the_threshold(
    received: int, rejected: int, in_full: bool
) -> None:
    ev = events([line(1)], [receipt(1, "2026-03-09", received, rejected)])
    assert month_row(ev)["otif"] == (1.0 if in_full else 0.0)


def test_over_delivery_never_pushes_a_rate_above_100_percent() -> None:
    ev = events(
        [line(1), line(2)],
        [receipt(1, "2026-03-09", 150), receipt(1, "2026-03-09", 80), receipt(2, "2026-03-10", 300)],
        [revision(1, 1, "2026-03-02", 10, "2026-03-13")],
        [report(1, "2026-03-02", 500), report(1, "2026-03-03", 40)],
    )
    row = month_row(ev)
    for metric in ("otd", "otif", "schedule_adherence", "quality"):
        assert row[metric] == 1.0, metric


def test_a_line_due_later_and_not_yet_delivered_is_not_judged_yet() -> None:
    due_soon = line(1, need_by_date="2026-04-20")
    assert month_row(events([due_soon]), APRIL)["otif_lines"] == 0
    later = month_row(events([due_soon], as_of=dt.date(2026, 4, 21)), APRIL)
    assert (later["otif_on_time"], later["otif_lines"]) == (0, 1)


def test_a_line_delivered_early_counts_in_the_month_it_was_due() -> None:
    ev = events([line(1, need_by_date="2026-04-20")], [receipt(1, "2026-03-30", 100)])
    assert month_row(ev, APRIL)["otif"] == 1.0
    assert month_row(ev, MARCH)["otif_lines"] == 0


def test_cancelled_lines_are_left_out_of_otif() -> None:
    ev = events([line(1, status="cancelled"), line(2)], [receipt(2, "2026-03-10", 100)])
    row = month_row(ev)
    assert (row["otif_on_time"], row["otif_lines"]) == (1, 1)


def test_a_line_with_unknown_due_dates_is_in_no_period_and_never_crashes() -> None:
    ev = events([line(1, need_by_date=None, promised_date=None)])
    assert ev.lines_due.empty
    assert month_row(ev)["score_note"] == sc.NO_DATA


# ----------------------------------------------------------------------------- average days late


def test_average_days_late_is_the_mean_over_late_lines_only() -> None:
    ev = events(
        [line(1), line(2), line(3), line(4)],
        [receipt(1, "2026-03-09", 100), receipt(2, "2026-03-12", 100), receipt(3, "2026-03-16", 100)],
    )
    row = month_row(ev)
    # Line 4 is never delivered: an OTIF failure, but without a delivery date it has no days late.
    assert row["avg_days_late"] == pytest.approx((2 + 6) / 2)
    assert row["otif"] == 0.25
    late = sc.drill_down(ev, "avg_days_late", 1, MARCH, MARCH)
    assert sorted(late["line_id"]) == [2, 3]


def test_average_days_late_has_no_value_when_no_line_was_late() -> None:
    ev = events([line(1)], [receipt(1, "2026-03-09", 100)])
    assert np.isnan(month_row(ev)["avg_days_late"])


# ----------------------------------------------------------------------------- schedule adherence


def test_schedule_adherence_credits_good_output_up_to_the_plan_on_reported_days() -> None:
    ev = events(
        [line(1, quantity=1000, status="in_production")],
        schedules=[revision(1, 1, "2026-03-02", 100, "2026-03-13")],
        reports=[report(1, "2026-03-02", 100), report(1, "2026-03-03", 50), report(1, "2026-03-04", 150)],
    )
    row = month_row(ev)
    assert (row["credited_qty"], row["planned_qty"]) == (250, 300)
    assert row["schedule_adherence"] == pytest.approx(250 / 300)


def test_the_last_planned_day_plans_only_the_rest_of_the_order() -> None:
    ev = events(
        [line(1, quantity=250, status="in_production")],
        schedules=[revision(1, 1, "2026-03-02", 100, "2026-03-04")],
        reports=[report(1, "2026-03-04", 100), report(1, "2026-03-05", 30)],
    )
    rows = sc.drill_down(ev, "schedule_adherence", 1, MARCH, MARCH)
    assert rows[["planned", "credited"]].to_numpy().tolist() == [[50.0, 50.0]]  # nothing planned on 5 March


def test_days_without_a_plan_do_not_count_for_adherence() -> None:
    ev = events(
        [line(1, quantity=1000, status="in_production"), line(2, quantity=100, status="in_production")],
        schedules=[revision(1, 1, "2026-03-04", 100, "2026-03-20")],
        # Line 1: before its start and on a Saturday. Line 2: no schedule at all.
        reports=[report(1, "2026-03-03", 80), report(1, "2026-03-07", 80), report(2, "2026-03-04", 10)],
    )
    row = month_row(ev)
    assert row["planned_qty"] == 0
    assert np.isnan(row["schedule_adherence"])


def test_each_day_is_planned_by_the_revision_in_force_that_day() -> None:
    ev = events(
        [line(1, quantity=2000, status="in_production")],
        schedules=[
            revision(1, 1, "2026-03-02", 100, "2026-03-20", posted="2026-02-20"),
            revision(1, 2, "2026-03-02", 40, "2026-04-30", posted="2026-03-04 09:00"),
        ],
        reports=[report(1, "2026-03-03", 60), report(1, "2026-03-05", 60)],
    )
    rows = sc.drill_down(ev, "schedule_adherence", 1, MARCH, MARCH)
    assert rows["revision"].tolist() == [1, 2]
    assert rows["planned"].tolist() == [100.0, 40.0]
    assert month_row(ev)["schedule_adherence"] == pytest.approx((60 + 40) / (100 + 40))


def test_before_any_revision_was_posted_the_first_revision_plans() -> None:
    ev = events(
        [line(1, quantity=1000, status="in_production")],
        schedules=[revision(1, 1, "2026-03-02", 100, "2026-03-13", posted="2026-03-10")],
        reports=[report(1, "2026-03-02", 100)],
    )
    assert sc.drill_down(ev, "schedule_adherence", 1, MARCH, MARCH)["planned"].tolist() == [100.0]


def test_only_the_current_report_of_a_day_counts_for_adherence() -> None:
    ev = events(
        [line(1, quantity=1000, status="in_production")],
        schedules=[revision(1, 1, "2026-03-02", 100, "2026-03-13")],
        reports=[report(1, "2026-03-02", 10, current=False), report(1, "2026-03-02", 90)],
    )
    assert month_row(ev)["credited_qty"] == 90


# ----------------------------------------------------------------------------- promise reliability


def test_promise_reliability_is_the_share_of_estimates_that_never_moved_later() -> None:
    ev = events(
        [line(1), line(2)],
        schedules=[
            revision(1, 1, "2026-03-02", 10, "2026-03-20"),
            revision(1, 2, "2026-03-02", 10, "2026-03-18"),  # earlier: still reliable
            revision(2, 1, "2026-03-02", 10, "2026-03-20"),  # Friday
            revision(2, 2, "2026-03-02", 10, "2026-03-25"),  # Wednesday: 3 working days later
        ],
    )
    row = month_row(ev)
    assert (row["promises_kept"], row["promise_lines"]) == (1, 2)
    assert row["mean_slip_days"] == 3.0
    assert sc.drill_down(ev, "mean_slip_days", 1, MARCH, MARCH)["line_id"].tolist() == [2]


def test_an_estimate_that_moved_later_and_back_still_broke_its_promise() -> None:
    ev = events(
        [line(1)],
        schedules=[
            revision(1, 1, "2026-03-02", 10, "2026-03-20"),
            revision(1, 2, "2026-03-02", 10, "2026-03-27"),
            revision(1, 3, "2026-03-02", 10, "2026-03-20"),
        ],
    )
    row = month_row(ev)
    assert row["promise_reliability"] == 0.0
    assert row["mean_slip_days"] == 0.0


def test_slip_is_counted_in_the_suppliers_working_days() -> None:
    # Supplier 2 is in Germany: from Thu 2 April to Tue 7 April is one working day (Easter in between).
    ev = events(
        [line(1, supplier_id=2)],
        schedules=[
            revision(1, 1, "2026-03-02", 10, "2026-04-02"),
            revision(1, 2, "2026-03-02", 10, "2026-04-07"),
        ],
    )
    assert sc.summarize(ev, SETTINGS, APRIL, APRIL, [2]).iloc[0]["mean_slip_days"] == 1.0


def test_a_promise_is_judged_in_the_month_of_its_original_estimate_once_that_date_has_come() -> None:
    sched = [revision(1, 1, "2026-03-02", 10, "2026-04-20"), revision(1, 2, "2026-03-02", 10, "2026-05-29")]
    assert month_row(events([line(1)], schedules=sched), APRIL)["promise_lines"] == 0
    later = events([line(1)], schedules=sched, as_of=dt.date(2026, 6, 1))
    assert month_row(later, APRIL)["promise_lines"] == 1
    assert month_row(later, sc.parse_month("2026-05"))["promise_lines"] == 0


# ----------------------------------------------------------------------------- quality


def test_quality_comes_from_receipts_and_is_also_shown_as_ppm() -> None:
    ev = events(
        [line(1, quantity=1000), line(2, quantity=1000, status="in_production")],
        [receipt(1, "2026-03-09", 1000, 5)],
        reports=[report(2, "2026-03-09", 90, rejected=10)],  # factory rejects do not count here
    )
    row = month_row(ev)
    assert row["quality"] == pytest.approx(0.995)
    assert row["ppm"] == pytest.approx(5000)


def test_quality_has_no_value_without_receipts() -> None:
    assert np.isnan(month_row(events([line(1)]))["quality"])


# ----------------------------------------------------------------------------- responsiveness

RESPONSIVE_AS_OF = dt.date(2026, 3, 13)  # Friday: days up to Wed 11 March have had their deadline


def test_responsiveness_counts_in_production_days_reported_by_the_end_of_the_next_working_day() -> None:
    ev = events(
        [line(1, quantity=10_000, status="in_production")],
        reports=[
            report(1, "2026-03-02", 10),
            report(1, "2026-03-03", 10, posted="2026-03-04 23:30"),  # next working day: in time
            report(1, "2026-03-04", 10, posted="2026-03-09 08:00"),  # late
            # Thursday 5 March: no report
            report(1, "2026-03-06", 10, posted="2026-03-09 10:00"),  # Friday's report on Monday: in time
            report(1, "2026-03-09", 10),
            # Tuesday 10 March: no report
            report(1, "2026-03-11", 10),
            report(1, "2026-03-12", 10),  # its deadline (Friday 13) has not passed: not judged yet
        ],
        as_of=RESPONSIVE_AS_OF,
    )
    row = month_row(ev)
    assert (row["reported_on_time"], row["production_days"]) == (5, 8)
    days = sc.drill_down(ev, "responsiveness", 1, MARCH, MARCH).iloc[0]
    assert (days["reported_late"], days["not_reported"]) == (1, 2)
    assert days["last_day"] == pd.Timestamp("2026-03-11")


def test_a_line_is_no_longer_in_production_once_its_reported_output_is_in_full() -> None:
    ev = events(
        [line(1, quantity=20, status="in_production")],
        reports=[report(1, "2026-03-02", 10), report(1, "2026-03-03", 10)],
        as_of=RESPONSIVE_AS_OF,
    )
    assert month_row(ev)["production_days"] == 2


def test_a_line_still_in_production_that_stops_reporting_counts_its_silent_days() -> None:
    ev = events(
        [line(1, quantity=1000, status="in_production"), line(2, quantity=1000, status="shipped")],
        reports=[report(1, "2026-03-02", 10), report(2, "2026-03-02", 10)],
        as_of=RESPONSIVE_AS_OF,
    )
    rows = sc.drill_down(ev, "responsiveness", 1, MARCH, MARCH).set_index("line_id")
    assert rows.loc[1, "working_days"] == 8  # 2-11 March
    assert rows.loc[2, "working_days"] == 1  # shipped: production ended with its last report


def test_the_next_working_day_follows_the_suppliers_holidays() -> None:
    # Germany: Thursday 2 April's report is due by Tuesday 7 April (Good Friday and Easter Monday).
    ev = events(
        [line(1, supplier_id=2, quantity=20, status="in_production")],
        reports=[report(1, "2026-04-02", 10), report(1, "2026-04-07", 10, posted="2026-04-07")],
    )
    ev_late = events(
        [line(1, supplier_id=2, quantity=20, status="in_production")],
        reports=[report(1, "2026-04-01", 10, posted="2026-04-07"), report(1, "2026-04-02", 10)],
    )
    in_time = sc.summarize(ev, SETTINGS, APRIL, APRIL, [2]).iloc[0]
    assert (in_time["reported_on_time"], in_time["production_days"]) == (2, 2)
    late = sc.summarize(ev_late, SETTINGS, APRIL, APRIL, [2]).iloc[0]
    assert (late["reported_on_time"], late["production_days"]) == (1, 2)


def test_the_first_posting_of_a_day_counts_even_when_it_was_corrected_later() -> None:
    ev = events(
        [line(1, quantity=20, status="in_production")],
        reports=[
            report(1, "2026-03-02", 5, current=False),
            report(1, "2026-03-02", 10, posted="2026-03-10"),
            report(1, "2026-03-03", 10),
        ],
        as_of=RESPONSIVE_AS_OF,
    )
    assert month_row(ev)["responsiveness"] == 1.0


def test_a_report_with_an_unknown_posting_time_is_not_judged() -> None:
    ev = events(
        [line(1, quantity=20, status="in_production")],
        reports=[{**report(1, "2026-03-02", 10), "created_at": None}, report(1, "2026-03-03", 10)],
        as_of=RESPONSIVE_AS_OF,
    )
    days = ev.production_days.iloc[0]
    assert (days["working_days"], days["unknown_posting"], days["judged_days"]) == (2, 1, 1)
    row = month_row(ev)
    assert (row["reported_on_time"], row["production_days"]) == (1, 1)


# ----------------------------------------------------------------------------- score and grade


def scored(values: dict[str, float], lines: int = 10, settings: Settings = SETTINGS) -> pd.Series:
    row = {m: values.get(m, np.nan) for m in SCORE_METRICS}
    return sc.score_and_grade(pd.DataFrame([{**row, "lines": lines}]), settings).iloc[0]


def test_the_score_is_the_weighted_sum_of_the_metrics() -> None:
    row = scored(dict.fromkeys(SCORE_METRICS, 0.8) | {"otd": 1.0})
    # 25 x 1.0 + 75 x 0.8 = 85
    assert row["score"] == 85.0
    assert row["grade"] == "B"


def test_weights_renormalize_over_the_metrics_that_have_data() -> None:
    # Only OTD (25) and OTIF (25) have data: each counts for half.
    row = scored({"otd": 1.0, "otif": 0.5})
    assert row["score"] == 75.0


def test_admin_weights_change_the_score() -> None:
    only_quality = resolve({f"weight_{m}": 0 for m in SCORE_METRICS} | {"weight_quality": 100})
    row = scored({"otd": 0.1, "quality": 0.93}, settings=only_quality)
    assert row["score"] == 93.0


def test_metrics_with_data_but_zero_weight_give_no_score() -> None:
    only_quality = resolve({f"weight_{m}": 0 for m in SCORE_METRICS} | {"weight_quality": 100})
    row = scored({"otd": 0.9}, settings=only_quality)
    assert np.isnan(row["score"])
    assert row["score_note"] == "no data for the weighted metrics"


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, "A"),
        (90, "A"),
        (89.9, "B"),
        (80, "B"),
        (79.9, "C"),
        (65, "C"),
        (64.9, "D"),
        (50, "D"),
        (49.9, "F"),
        (0, "F"),
    ],
)
def test_grades_at_their_boundaries(score: float, grade: str) -> None:
    row = scored({"otd": score / 100})
    assert row["score"] == pytest.approx(score)
    assert row["grade"] == grade


def test_the_score_breakdown_shows_each_metrics_points_adding_up_to_the_score() -> None:
    row = scored({"otd": 1.0, "otif": 0.5})
    parts = sc.score_breakdown(row, SETTINGS).set_index("metric")
    assert parts.loc[["otd", "otif"], "effective_weight"].tolist() == [0.5, 0.5]
    assert parts.loc["quality", "effective_weight"] == 0.0
    assert parts["points"].sum() == pytest.approx(row["score"])


def test_the_grade_is_read_from_the_rounded_score_shown() -> None:
    row = scored({"otd": 0.8996})
    assert (row["score"], row["grade"]) == (90.0, "A")


@pytest.mark.parametrize(
    ("lines", "note"), [(4, "not enough data (4 lines, 5 needed)"), (1, "not enough data (1 line, 5 needed)")]
)
def test_under_the_minimum_lines_there_is_no_score(lines: int, note: str) -> None:
    row = scored({"otd": 1.0}, lines=lines)
    assert np.isnan(row["score"])
    assert row["grade"] is None
    assert row["score_note"] == note


def test_the_minimum_lines_is_an_admin_setting() -> None:
    row = scored({"otd": 1.0}, lines=2, settings=resolve({"min_lines_for_score": 2}))
    assert row["score"] == 100.0


def test_a_period_with_no_data_is_not_scored_and_shows_no_zeros_or_hundreds() -> None:
    ev = events([line(i) for i in range(1, 7)], [receipt(i, "2026-03-09", 100) for i in range(1, 7)])
    empty = sc.summarize(ev, SETTINGS, APRIL, APRIL, [1, 2])
    assert empty["lines"].tolist() == [0, 0]
    assert empty["score_note"].tolist() == [sc.NO_DATA, sc.NO_DATA]
    for col in ("otd", "otif", "avg_days_late", "schedule_adherence", "promise_reliability", "quality"):
        assert empty[col].isna().all(), col
    assert empty["score"].isna().all()
    assert empty["grade"].isna().all()
    march = month_row(ev)
    assert (march["lines"], march["score"], march["grade"]) == (6, 100.0, "A")


def test_every_month_of_a_range_has_a_row_even_without_data() -> None:
    ev = events([line(1)], [receipt(1, "2026-03-09", 100)])
    rows = sc.by_month(ev, SETTINGS, MARCH - 1, APRIL, [1])
    assert rows["period"].tolist() == ["2026-02", "2026-03", "2026-04"]
    assert rows["lines"].tolist() == [0, 1, 0]


# ----------------------------------------------------------------------------- rolling 12 and trend


def test_the_rolling_12_months_pool_the_months_and_count_each_line_once() -> None:
    ev = events(
        [line(1), line(2, need_by_date="2025-04-10"), line(3, need_by_date="2025-03-31")],
        [
            receipt(1, "2026-02-27", 50),
            receipt(1, "2026-03-10", 50),  # line 1 in February and in March
            receipt(2, "2025-04-11", 100),  # 12 months back from March 2026: inside
            receipt(3, "2025-03-31", 100),  # 13 months back: outside
        ],
    )
    row = sc.rolling(ev, SETTINGS, [MARCH], [1]).iloc[0]
    assert row["period"] == sc.ROLLING_LABEL
    assert row["lines"] == 2
    assert (row["otd_on_time"], row["otd_receipts"]) == (2, 3)
    assert (row["otif_on_time"], row["otif_lines"]) == (1, 2)


def _pooled_history() -> sc.ScorecardEvents:
    return events(
        [line(1), line(2, need_by_date="2025-04-10"), line(3, need_by_date="2025-03-31", supplier_id=2)],
        [
            receipt(1, "2026-02-27", 50),
            receipt(1, "2026-03-10", 50, rejected=5),
            receipt(2, "2025-04-11", 100),
            receipt(3, "2025-03-31", 100),
        ],
    )


def _rolled(rows: pd.DataFrame, ends: list[int]) -> pd.DataFrame:
    monthly = rows.set_index(["supplier_id", "month"])[list(sc.TOTALS)]
    at_ends = rows[rows["month"].isin(ends)].set_index(["supplier_id", "month"])["window_lines"]
    return sc.rolling_from_totals(
        monthly, at_ends.rename_axis(["supplier_id", "end_month"]), SETTINGS, ends, [1, 2]
    )


def test_the_window_totals_of_a_few_ends_roll_up_as_the_whole_stored_history_does() -> None:
    ev = _pooled_history()
    ends = [APRIL - 1, APRIL]
    few = sc.window_totals(ev, ends)
    assert few["month"].min() >= sc.rolling_window(ends[0])[0] and few["month"].max() <= ends[-1]
    pd.testing.assert_frame_equal(_rolled(few, ends), _rolled(sc.totals_snapshot(ev), ends))
    assert sc.window_totals(ev, []).empty


def test_stored_window_totals_and_score_inputs_give_the_rolling_rows_and_scores() -> None:
    ev = _pooled_history()
    ends = [MARCH - 1, MARCH]
    rolled = sc.rolling(ev, SETTINGS, ends, [1, 2])
    at_march = rolled[rolled["end_month"] == MARCH].set_index("supplier_id")
    summaries = sc.window_summaries(at_march[[*sc.TOTALS, "lines"]], SETTINGS)
    pd.testing.assert_frame_equal(summaries, at_march.drop(columns=["end_month"]).reset_index())
    grids = {
        key: rolled.pivot(index="supplier_id", columns="end_month", values=key).to_numpy(dtype="float64")
        for key in sc.RANK_HISTORY
    }
    scores = rolled.pivot(index="supplier_id", columns="end_month", values="score").to_numpy(dtype="float64")
    lenient = Settings(min_lines_for_score=1, weight_otd=40, weight_otif=10)
    np.testing.assert_array_equal(sc.history_scores(grids, SETTINGS), scores)
    again = sc.rolling(ev, lenient, ends, [1, 2]).pivot(
        index="supplier_id", columns="end_month", values="score"
    )
    np.testing.assert_array_equal(sc.history_scores(grids, lenient), again.to_numpy(dtype="float64"))
    assert not np.isnan(again.to_numpy(dtype="float64")).all()


def test_trend_arrows_compare_with_the_previous_score() -> None:
    arrows = sc.trend([80.0, 80.0, 80.0, 80.0, np.nan], [78.0, 81.5, 79.5, np.nan, 80.0])
    assert arrows.tolist() == [sc.TREND_UP, sc.TREND_DOWN, sc.TREND_FLAT, "", ""]


# ----------------------------------------------------------------------------- periods and drill-down


@pytest.mark.parametrize("text", ["2026-13", "26-03", "March", "", "2026-3"])
def test_a_period_must_be_a_month_written_yyyy_mm(text: str) -> None:
    with pytest.raises(ValidationError, match="YYYY-MM"):
        sc.parse_month(text)


def test_month_labels_round_trip() -> None:
    assert sc.month_label(sc.parse_month("2026-03")) == "2026-03"
    assert sc.month_of(dt.date(2026, 3, 31)) == MARCH


def test_the_lines_behind_the_line_count_say_which_metrics_counted_them() -> None:
    ev = events(
        [line(1), line(2, status="in_production", quantity=1000)],
        [receipt(1, "2026-03-09", 100)],
        [revision(2, 1, "2026-03-02", 100, "2026-03-31")],
        [report(2, "2026-03-02", 100)],
    )
    rows = sc.drill_down(ev, "lines", 1, MARCH, MARCH).set_index("line_id")
    assert rows["period"].tolist() == ["2026-03", "2026-03"]
    assert rows.loc[1, ["receipts", "lines_due", "reported_days"]].tolist() == [True, True, False]
    assert rows.loc[2, ["receipts", "reported_days", "production_days"]].tolist() == [False, True, True]
    assert month_row(ev)["lines"] == 2


def test_the_basis_of_each_number_names_its_counts() -> None:
    ev = events([line(1), line(2)], [receipt(1, "2026-03-09", 100), receipt(2, "2026-03-12", 100)])
    words = sc.basis(month_row(ev))
    assert words["otd"] == "1 of 2 receipts on time"
    assert words["otif"] == "1 of 2 lines due delivered in full on time"


def test_an_unknown_metric_is_refused() -> None:
    with pytest.raises(ValidationError):
        sc.drill_down(events([line(1)]), "speed", 1, MARCH, MARCH)


def test_no_input_at_all_gives_empty_events_and_no_data() -> None:
    ev = events([])
    row = sc.summarize(ev, SETTINGS, MARCH, MARCH, [1]).iloc[0]
    assert row["score_note"] == sc.NO_DATA


# ----------------------------------------------------------------------------- properties

_days = st.one_of(st.none(), st.dates(dt.date(2026, 1, 1), dt.date(2026, 6, 30)).map(str))


@hyp_settings(max_examples=40, deadline=None)
@given(
    quantities=st.lists(st.integers(1, 500), min_size=1, max_size=6),
    receipts=st.lists(
        st.tuples(st.integers(0, 5), _days, st.integers(0, 900), st.integers(0, 900)), max_size=15
    ),
    reports=st.lists(st.tuples(st.integers(0, 5), _days, st.integers(0, 900), _days), max_size=15),
    due=st.lists(_days, min_size=6, max_size=6),
)
def test_rates_stay_between_0_and_1_whatever_the_data(
    quantities: list[int],
    receipts: list[tuple[int, str | None, int, int]],
    reports: list[tuple[int, str | None, int, str | None]],
    due: list[str | None],
) -> None:
    lines = [
        line(i, quantity=q, need_by_date=due[i], status="in_production") for i, q in enumerate(quantities)
    ]
    ids = len(quantities)
    ev = events(
        lines,
        [receipt(i % ids, d, q, min(r, q)) for i, d, q, r in receipts],
        [revision(i, 1, "2026-01-05", 50, "2026-02-27") for i in range(ids)],
        [report(i % ids, d, g, posted=p) for i, d, g, p in reports if d is not None],
        as_of=dt.date(2026, 7, 1),
    )
    rows = sc.by_month(ev, SETTINGS, sc.parse_month("2026-01"), sc.parse_month("2026-06"), [1])
    for col in ("otd", "otif", "schedule_adherence", "promise_reliability", "quality", "responsiveness"):
        values = rows[col].dropna()
        assert ((values >= 0) & (values <= 1)).all(), col
    scores = rows["score"].dropna()
    assert ((scores >= 0) & (scores <= 100)).all()
