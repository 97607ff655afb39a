"""Alert rules at their boundaries, their messages, and the alert lifecycle across sweeps."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from portal.core import alerts
from portal.core.alerts import (
    CONDITION_COLUMNS,
    ReconcilePlan,
    backorder_conditions,
    evaluate_all,
    line_conditions,
    reconcile,
    supplier_conditions,
)
from portal.core.calendar import CalendarSet
from portal.core.settings import Settings

# Supplier 1 works Monday-Friday in Germany: Good Friday 2026-04-03 and Easter Monday
# 2026-04-06 are holidays, so Thu 2 April is followed by the working day Tue 7 April.
GERMANY = CalendarSet.from_frames(
    pd.DataFrame({"supplier_id": [1], "country": ["DE"], "working_weekdays": ["1111100"]}), years=(2025, 2027)
)
D = dt.date(2026, 3, 6)  # a Friday; the default line started Monday 2 March at 100/day
SETTINGS = Settings()
NOW = dt.datetime(2026, 3, 6, 18, 0)

DATE_COLUMNS = [
    "order_date",
    "need_by_date",
    "start_date",
    "estimated_end_date",
    "previous_estimated_end_date",
    "last_report_date",
    "completion_p50",
    "completion_p90",
    "arrival_p50",
    "arrival_p90",
]

# A healthy line: on plan, reporting daily, forecast to arrive before need-by.
LINE_DEFAULTS: dict[str, Any] = {
    "supplier_id": 1,
    "supplier_code": "ACME",
    "item_id": 10,
    "quantity": 1000,
    "status": "in_production",
    "order_date": "2026-01-05",
    "need_by_date": "2026-03-20",
    "start_date": "2026-03-02",
    "daily_output": 100.0,
    "estimated_end_date": "2026-03-13",
    "previous_estimated_end_date": None,
    "schedule_revision": 1,
    "produced": 500,
    "rejected": 0,
    "reported_days": 5,
    "last_report_date": "2026-03-06",
    "rate": 100.0,
    "rate_source": "observed",
    "completion_p50": "2026-03-13",
    "completion_p90": "2026-03-13",
    "arrival_p50": "2026-03-16",
    "arrival_p90": "2026-03-16",
    "transit_days": 3,
}


def make_lines(*overrides: dict[str, Any]) -> pd.DataFrame:
    """Lines built from the healthy default, one per overrides dict; remaining follows produced."""
    rows = []
    for i, override in enumerate(overrides or ({},), start=1):
        row = {**LINE_DEFAULTS, "line_id": i, "label": f"PO-{i}/1", **override}
        row.setdefault("remaining", max(0, row["quantity"] - row["produced"]))
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in DATE_COLUMNS:
        frame[column] = pd.to_datetime(frame[column])
    return frame


def line(**override: Any) -> pd.DataFrame:
    return make_lines(override)


def not_started(**override: Any) -> pd.DataFrame:
    """A line scheduled to start Thursday 2 April, before Easter, with nothing reported."""
    nothing_yet = {"produced": 0, "reported_days": 0, "last_report_date": None, "rate_source": "plan"}
    return line(**{"status": "open", "start_date": "2026-04-02", **nothing_yet, **override})


def conditions(lines: pd.DataFrame, as_of: dt.date = D, **kwargs: Any) -> pd.DataFrame:
    return line_conditions(lines, as_of, GERMANY, SETTINGS, **kwargs)


def rules(lines: pd.DataFrame, as_of: dt.date = D, **kwargs: Any) -> set[str]:
    return set(conditions(lines, as_of, **kwargs)["rule"])


def only(frame: pd.DataFrame, rule: str) -> pd.Series:
    """The single condition row of ``rule``."""
    rows = frame[frame["rule"] == rule]
    assert len(rows) == 1, frame
    return rows.iloc[0]


def test_a_line_on_plan_raises_no_alert() -> None:
    assert rules(line()) == set()


def test_conditions_have_the_agreed_columns_even_when_nothing_fires() -> None:
    assert list(conditions(line()).columns) == CONDITION_COLUMNS
    assert list(conditions(line().iloc[:0]).columns) == CONDITION_COLUMNS


def test_the_alert_rules_load_no_database_or_ui_library() -> None:
    code = "import sys, portal.core.alerts; print(sorted({m.split('.')[0] for m in sys.modules}))"
    root = Path(__file__).resolve().parents[2]
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert "sqlalchemy" not in loaded.stdout and "streamlit" not in loaded.stdout


# --- LATE_START ---------------------------------------------------------------------------------


def test_late_start_is_quiet_one_working_day_after_start_across_easter() -> None:
    # (Thu 2 Apr, Tue 7 Apr] holds Good Friday, a weekend and Easter Monday: one working day.
    assert "LATE_START" not in rules(not_started(), dt.date(2026, 4, 7))


def test_late_start_fires_two_working_days_after_start_without_good_output() -> None:
    found = only(conditions(not_started(), dt.date(2026, 4, 8)), "LATE_START")
    assert found["severity"] == "warning"
    assert found["subject_key"] == "line:1"
    assert found["message"] == (
        "PO-1/1 has not started: production was scheduled to start 2026-04-02, 2 working days before "
        "2026-04-08, and no good output is reported"
    )


def test_late_start_is_quiet_once_good_output_is_reported() -> None:
    assert "LATE_START" not in rules(not_started(produced=10), dt.date(2026, 4, 8))


def test_late_start_counts_a_line_with_only_rejects_as_not_started() -> None:
    assert "LATE_START" in rules(not_started(rejected=10), dt.date(2026, 4, 8))


def test_late_start_needs_a_schedule() -> None:
    assert "LATE_START" not in rules(not_started(start_date=None, daily_output=np.nan), dt.date(2026, 4, 8))


def test_late_start_follows_the_grace_setting() -> None:
    strict = Settings(late_start_grace_days=0)
    found = line_conditions(not_started(), dt.date(2026, 4, 7), GERMANY, strict)
    assert "LATE_START" in set(found["rule"])


# --- BEHIND_PLAN --------------------------------------------------------------------------------


def test_behind_plan_is_quiet_at_exactly_ninety_percent_of_plan() -> None:
    assert "BEHIND_PLAN" not in rules(line(produced=450))


def test_behind_plan_fires_just_below_ninety_percent_of_plan() -> None:
    assert "BEHIND_PLAN" in rules(line(produced=449))


def test_behind_plan_message_gives_produced_planned_and_share() -> None:
    found = only(conditions(line(daily_output=104.0, produced=300)), "BEHIND_PLAN")
    assert found["message"] == "PO-1/1 has produced 300 of a planned 520 by 2026-03-06 (58%)"
    assert pd.isna(found["days_late"])


def test_behind_plan_counts_only_working_days_so_easter_lowers_the_plan() -> None:
    # [Wed 1 Apr, Tue 7 Apr] has 3 German working days: planned 300, 90% of it is 270.
    easter = {"start_date": "2026-04-01", "last_report_date": "2026-04-07"}
    assert "BEHIND_PLAN" not in rules(line(produced=270, **easter), dt.date(2026, 4, 7))
    assert "BEHIND_PLAN" in rules(line(produced=269, **easter), dt.date(2026, 4, 7))


def test_behind_plan_caps_the_plan_at_the_ordered_quantity() -> None:
    assert "BEHIND_PLAN" not in rules(line(quantity=300, produced=270))


def test_behind_plan_is_quiet_before_the_scheduled_start() -> None:
    assert "BEHIND_PLAN" not in rules(line(start_date="2026-03-09", produced=0))


def test_behind_plan_is_quiet_for_a_shipped_line() -> None:
    assert "BEHIND_PLAN" not in rules(line(status="shipped", produced=100))


# --- PROJECTED_LATE and AT_RISK -----------------------------------------------------------------


def test_projected_late_is_quiet_when_arrival_is_on_the_need_by_date() -> None:
    assert rules(line(arrival_p50="2026-03-20", arrival_p90="2026-03-20")) == set()


def test_projected_late_fires_one_day_after_need_by_as_critical() -> None:
    found = only(conditions(line(arrival_p50="2026-03-21", arrival_p90="2026-03-21")), "PROJECTED_LATE")
    assert found["severity"] == "critical"
    assert found["days_late"] == 1


def test_projected_late_at_confidence_one_half_is_the_plain_p50_rule() -> None:
    plain = Settings(projected_late_confidence=0.5)
    late = line(arrival_p50="2026-03-21", arrival_p90="2026-03-30")
    found = only(line_conditions(late, D, GERMANY, plain), "PROJECTED_LATE")
    assert found["days_late"] == 1


def test_a_p50_just_after_need_by_with_a_wide_spread_is_at_risk_not_projected_late() -> None:
    # 1 day late at p50, p90 9 days later: late with about 55% probability, under the default 85%.
    assert rules(line(arrival_p50="2026-03-21", arrival_p90="2026-03-30")) == {"AT_RISK"}


def test_projected_late_fires_once_the_p50_is_late_by_enough_of_the_spread() -> None:
    # sd = 9 / 1.28 = 7 days; 85% needs p50 at least 1.04 x 7 = 7.3 days after need-by.
    assert rules(line(arrival_p50="2026-03-27", arrival_p90="2026-04-05")) == {"AT_RISK"}
    found = only(conditions(line(arrival_p50="2026-03-28", arrival_p90="2026-04-06")), "PROJECTED_LATE")
    assert found["days_late"] == 8


def test_projected_late_message_names_arrival_lateness_and_rates() -> None:
    late = line(
        label="PO-1042/3",
        need_by_date="2026-03-13",
        arrival_p50="2026-03-30",
        arrival_p90="2026-04-02",
        rate=50.0,
    )
    found = only(conditions(late), "PROJECTED_LATE")
    assert found["message"] == (
        "PO-1042/3 will arrive 2026-03-30, 17 days after need-by 2026-03-13, "
        "at 50/day against a plan of 100/day"
    )
    assert found["days_late"] == 17


def test_projected_late_message_says_when_the_rate_is_the_plan() -> None:
    found = only(
        conditions(line(arrival_p50="2026-03-21", arrival_p90="2026-03-21", rate_source="plan")),
        "PROJECTED_LATE",
    )
    assert found["message"].endswith("1 day after need-by 2026-03-20, at the planned 100/day")


def test_projected_late_fires_for_a_stalled_line_and_says_why() -> None:
    stalled = line(produced=0, rate=0.0, reported_days=6, arrival_p50=None, arrival_p90=None)
    found = only(conditions(stalled), "PROJECTED_LATE")
    assert found["message"] == (
        "PO-1/1 has stalled: no good output reported in 6 reported days; it cannot meet need-by 2026-03-20"
    )
    assert pd.isna(found["days_late"])


def test_a_few_reported_days_without_output_are_not_yet_called_stalled() -> None:
    # Without a plan the forecast calls the mean of a few days "observed"; 4 days are below the threshold.
    few = line(produced=0, rate=0.0, reported_days=4, daily_output=np.nan, arrival_p50=None, arrival_p90=None)
    assert "PROJECTED_LATE" not in rules(few)


def test_a_plan_rate_of_zero_is_not_called_stalled() -> None:
    assert "PROJECTED_LATE" not in rules(
        line(rate=0.0, rate_source="plan", arrival_p50=None, arrival_p90=None)
    )


def test_at_risk_fires_when_only_p90_arrives_after_need_by() -> None:
    found = only(conditions(line(arrival_p50="2026-03-20", arrival_p90="2026-03-23")), "AT_RISK")
    assert found["severity"] == "warning"
    assert found["days_late"] == 3
    assert found["message"] == (
        "PO-1/1 is at risk: expected 2026-03-20, but it may arrive as late as 2026-03-23 (90% sure by then), "
        "3 days after need-by 2026-03-20"
    )


def test_at_risk_is_quiet_when_p90_arrives_on_need_by() -> None:
    assert "AT_RISK" not in rules(line(arrival_p50="2026-03-18", arrival_p90="2026-03-20"))


def test_at_risk_gives_way_to_projected_late() -> None:
    assert rules(line(arrival_p50="2026-03-24", arrival_p90="2026-03-27")) == {"PROJECTED_LATE"}


# Need-by six weeks after D, p50 ten days later and sure: late, but is it confirmed?
FAR_LATE = {"need_by_date": "2026-04-17", "arrival_p50": "2026-04-27", "arrival_p90": "2026-04-29"}


def test_projected_late_first_seen_far_from_need_by_waits_as_at_risk_until_confirmed() -> None:
    assert rules(line(**FAR_LATE, late_confirmed=False)) == {"AT_RISK"}
    found = only(conditions(line(**FAR_LATE, late_confirmed=True)), "PROJECTED_LATE")
    assert found["days_late"] == 10


def test_projected_late_near_need_by_is_raised_at_once_without_confirmation() -> None:
    # Need-by 14 days after D: within projected_late_confirm_days (28 by default), no time to wait.
    near = line(need_by_date="2026-03-20", arrival_p50="2026-03-30", arrival_p90="2026-04-01")
    assert rules(near.assign(late_confirmed=False)) == {"PROJECTED_LATE"}
    assert rules(line(**FAR_LATE, late_confirmed=False)) == {"AT_RISK"}
    never_wait = Settings(projected_late_confirm_days=366)
    assert set(line_conditions(line(**FAR_LATE, late_confirmed=False), D, GERMANY, never_wait)["rule"]) == {
        "PROJECTED_LATE"
    }


def test_a_stalled_line_far_from_need_by_waits_for_confirmation_as_a_late_one_does() -> None:
    # Need-by eight weeks after D: a stalled line (whose first days may be an outage) is raised once
    # the condition has held (late_confirmed), or at once within projected_late_confirm_days.
    stalled = line(produced=0, rate=0.0, reported_days=6, arrival_p50=None, arrival_p90=None)
    far = stalled.assign(need_by_date=pd.Timestamp("2026-05-01"))
    assert "PROJECTED_LATE" not in rules(far.assign(late_confirmed=False))
    assert pd.isna(only(conditions(far.assign(late_confirmed=True)), "PROJECTED_LATE")["days_late"])
    near = stalled.assign(need_by_date=pd.Timestamp("2026-03-20"), late_confirmed=False)
    assert "PROJECTED_LATE" in rules(near)


def test_lateness_is_counted_in_the_supplier_working_days_of_completion() -> None:
    # Transit 3 days, need-by Monday 23 March: production must end by Friday 20 March. p50 arrives
    # Thursday 26 (completion Monday 23): one working day late, three calendar days.
    sure = line(need_by_date="2026-03-23", arrival_p50="2026-03-26", arrival_p90="2026-03-27")
    assert "PROJECTED_LATE" in rules(sure)  # p90 completion Tuesday: 1 >= z85 x 1 / z90 = 0.81
    # p90 completion Thursday 26 (arrival Sunday 29), three working days after p50: in calendar
    # days late by 3 >= 0.81 x 3 = 2.43, but in working days by 1 < 2.43: at risk, not late.
    unsure = sure.assign(arrival_p90=pd.Timestamp("2026-03-29"))
    assert "PROJECTED_LATE" not in rules(unsure)
    assert "AT_RISK" in rules(unsure)


def _days(*values: str | None) -> np.ndarray:
    return pd.to_datetime(pd.Series(list(values))).to_numpy()


def test_late_since_is_kept_from_the_stored_forecast_while_the_line_stays_late() -> None:
    # Five lines as D (Fri 6 March) sees them before storing its own forecast: late since Monday on
    # Thursday's forecast and late now (kept); the same but on time now (none); late now but on time on
    # Thursday's (from D on); late now with nothing stored (from D on); a stored forecast of a later
    # day (a sweep replayed as of an earlier date): from D on.
    since = alerts.late_since(
        np.array([True, False, True, True, True]),
        _days("2026-03-05", "2026-03-05", "2026-03-05", None, "2026-03-09"),
        _days("2026-03-02", "2026-03-02", None, None, "2026-03-09"),
        D,
    )
    assert since.tolist() == [dt.date(2026, 3, 2), None, D, D, D]


def test_projected_late_is_confirmed_once_late_for_the_days_set_however_often_it_was_forecast() -> None:
    since = _days("2026-02-27", "2026-02-28", "2026-03-06", None).astype("datetime64[D]")
    # D is Fri 6 March: late for 7, 6 and 0 days, and not late.
    assert alerts.held_late(since, D, Settings(projected_late_held_days=7)).tolist() == [
        True,
        False,
        False,
        False,
    ]
    assert alerts.held_late(since, D, Settings(projected_late_held_days=1)).tolist() == [
        True,
        True,
        False,
        False,
    ]
    assert alerts.held_late(since, D, Settings(projected_late_held_days=0)).tolist() == [
        True,
        True,
        True,
        False,
    ]


def test_a_shipped_line_can_still_be_projected_late() -> None:
    assert "PROJECTED_LATE" in rules(
        line(status="shipped", arrival_p50="2026-03-21", arrival_p90="2026-03-21")
    )


# --- STALE_UPDATE -------------------------------------------------------------------------------


def stale(**override: Any) -> pd.DataFrame:
    # The last report was Wed 1 April, the day before Easter.
    return line(start_date="2026-03-02", last_report_date="2026-04-01", **override)


def test_stale_update_is_quiet_two_working_days_after_the_last_report_across_easter() -> None:
    assert "STALE_UPDATE" not in rules(stale(), dt.date(2026, 4, 7))


def test_stale_update_fires_three_working_days_after_the_last_report() -> None:
    found = only(conditions(stale(), dt.date(2026, 4, 8)), "STALE_UPDATE")
    assert found["message"] == (
        "PO-1/1 has had no production report for 3 working days up to 2026-04-08 (last report 2026-04-01)"
    )


def test_stale_update_counts_from_the_start_when_a_line_in_production_never_reported() -> None:
    never = {"produced": 0, "reported_days": 0, "last_report_date": None}
    assert "STALE_UPDATE" not in rules(line(**never), dt.date(2026, 3, 4))
    found = only(conditions(line(**never), dt.date(2026, 3, 5)), "STALE_UPDATE")
    assert found["message"].endswith("(none since the scheduled start 2026-03-02)")


def test_stale_update_ignores_an_open_line_that_never_reported() -> None:
    assert "STALE_UPDATE" not in rules(not_started(), dt.date(2026, 4, 30))


def test_stale_update_ignores_a_shipped_line() -> None:
    assert "STALE_UPDATE" not in rules(stale(status="shipped"), dt.date(2026, 4, 8))


def test_stale_update_ignores_a_line_made_in_full_but_not_yet_received() -> None:
    # In production until the goods ship, but every unit is made: nothing is left to report.
    assert "STALE_UPDATE" not in rules(stale(produced=1000, quantity=1000), dt.date(2026, 4, 8))
    assert "STALE_UPDATE" not in rules(stale(produced=1010, quantity=1000), dt.date(2026, 4, 8))
    assert "STALE_UPDATE" in rules(stale(produced=999, quantity=1000), dt.date(2026, 4, 8))


# --- DATE_SLIPPED and UNREALISTIC_ESTIMATE ------------------------------------------------------


def test_date_slipped_fires_when_the_new_revision_moves_the_end_later() -> None:
    slipped = line(
        previous_estimated_end_date="2026-03-13", estimated_end_date="2026-03-20", schedule_revision=2
    )
    found = only(conditions(slipped), "DATE_SLIPPED")
    assert found["message"] == (
        "PO-1/1: schedule revision 2 moved the estimated end from 2026-03-13 to 2026-03-20, "
        "7 days later (5 working days)"
    )


@pytest.mark.parametrize("previous", ["2026-03-13", "2026-03-16", None])
def test_date_slipped_is_quiet_when_the_end_stays_or_moves_earlier(previous: str | None) -> None:
    assert "DATE_SLIPPED" not in rules(line(previous_estimated_end_date=previous))


def test_unrealistic_estimate_is_quiet_two_working_days_before_p90_across_easter() -> None:
    # (Thu 2 Apr, Wed 8 Apr] holds two German working days: 7 and 8 April.
    assert "UNREALISTIC_ESTIMATE" not in rules(
        line(estimated_end_date="2026-04-02", completion_p90="2026-04-08")
    )


def test_unrealistic_estimate_fires_three_working_days_before_p90() -> None:
    found = only(
        conditions(line(estimated_end_date="2026-04-02", completion_p90="2026-04-09")), "UNREALISTIC_ESTIMATE"
    )
    assert found["message"] == (
        "PO-1/1: the supplier's estimated end 2026-04-02 is 3 working days before the forecast, "
        "which is 90% sure to finish by 2026-04-09, at 100/day against a plan of 100/day"
    )


def test_unrealistic_estimate_is_quiet_when_nothing_remains() -> None:
    finished = line(produced=1000, estimated_end_date="2026-04-02", completion_p90="2026-04-09")
    assert "UNREALISTIC_ESTIMATE" not in rules(finished)


# --- SHORT_LEAD_TIME and QUALITY ----------------------------------------------------------------


def lead_times(days: float) -> pd.DataFrame:
    return pd.DataFrame({"supplier_id": [1], "median_lead_time_days": [days]})


def test_short_lead_time_is_quiet_when_the_lead_time_equals_the_median() -> None:
    # 5 January to 20 March is 74 calendar days.
    assert "SHORT_LEAD_TIME" not in rules(line(), lead_times=lead_times(74))


def test_short_lead_time_fires_as_info_when_shorter_than_the_median() -> None:
    found = only(conditions(line(), lead_times=lead_times(75)), "SHORT_LEAD_TIME")
    assert found["severity"] == "info"
    assert found["message"] == (
        "PO-1/1 was ordered 2026-01-05 for need-by 2026-03-20: 74 days of lead time, "
        "under ACME's median of 75 days"
    )


def test_short_lead_time_is_silent_without_an_order_date_or_a_median() -> None:
    assert "SHORT_LEAD_TIME" not in rules(line(order_date=None), lead_times=lead_times(75))
    assert "SHORT_LEAD_TIME" not in rules(line(supplier_id=2), lead_times=lead_times(75))
    assert "SHORT_LEAD_TIME" not in rules(line())


def test_quality_is_quiet_at_exactly_five_percent_rejects() -> None:
    assert "QUALITY" not in rules(line(produced=475, rejected=25))


def test_quality_fires_above_five_percent_rejects() -> None:
    found = only(conditions(line(produced=470, rejected=30)), "QUALITY")
    assert found["message"] == "PO-1/1 has rejected 30 of 500 units made (6%), above the 5% limit"


def test_quality_is_quiet_when_nothing_was_made() -> None:
    assert "QUALITY" not in rules(not_started(), dt.date(2026, 3, 6))


# --- CAPACITY_OVERLOAD --------------------------------------------------------------------------


def suppliers(capacity: float) -> pd.DataFrame:
    return pd.DataFrame({"supplier_id": [1], "supplier_code": ["ACME"], "capacity_per_day": [capacity]})


NO_OUTPUT = pd.DataFrame({"supplier_id": [], "report_date": pd.to_datetime([]), "good_qty": []})


def two_lines_needing_100_a_day() -> pd.DataFrame:
    # Due at the warehouse Mon 16 March with no transit: 6 working days in (Fri 6, Mon 16 March].
    due = {"need_by_date": "2026-03-16", "transit_days": 0, "produced": 700}
    return make_lines(due, due)


def capacity(
    lines: pd.DataFrame, supplier_frame: pd.DataFrame, output: pd.DataFrame = NO_OUTPUT, as_of: dt.date = D
) -> pd.DataFrame:
    return supplier_conditions(lines, supplier_frame, output, as_of, GERMANY, SETTINGS)


def test_capacity_overload_is_quiet_when_the_need_equals_declared_capacity() -> None:
    assert capacity(two_lines_needing_100_a_day(), suppliers(100)).empty


def test_capacity_overload_fires_when_the_need_exceeds_declared_capacity() -> None:
    found = only(capacity(two_lines_needing_100_a_day(), suppliers(99)), "CAPACITY_OVERLOAD")
    assert found["subject_key"] == "supplier:1"
    assert found["supplier_id"] == 1 and pd.isna(found["po_line_id"])
    assert (
        found["message"]
        == "Supplier ACME needs 100/day to finish 2 open lines on time, capacity 99/day (declared)"
    )


def test_capacity_overload_counts_working_days_before_need_by_less_transit() -> None:
    # Need-by Thu 9 April less 1 transit day is Wed 8 April: (Wed 1, Wed 8 April] has 3 working days.
    easter = line(need_by_date="2026-04-09", transit_days=1, produced=700)
    assert capacity(easter, suppliers(100), as_of=dt.date(2026, 4, 1)).empty
    assert not capacity(easter, suppliers(99), as_of=dt.date(2026, 4, 1)).empty


def test_capacity_overload_uses_the_percentile_of_observed_daily_output_without_a_declared_capacity() -> None:
    output = pd.DataFrame(
        {
            "supplier_id": [1] * 6,
            "report_date": pd.to_datetime(
                ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-09"]
            ),
            "good_qty": [80, 90, 100, 110, 120, 5000],  # the last is after D and unknown yet
        }
    )
    needing_120 = line(need_by_date="2026-03-16", transit_days=0, produced=280)  # 720 over 6 days
    found = only(capacity(needing_120, suppliers(np.nan), output), "CAPACITY_OVERLOAD")
    assert found["message"] == (
        "Supplier ACME needs 120/day to finish 1 open line on time, "
        "capacity 116/day (observed: 90th percentile of its daily output)"
    )


def test_capacity_overload_is_silent_without_any_capacity() -> None:
    assert capacity(two_lines_needing_100_a_day(), suppliers(np.nan)).empty


def test_capacity_overload_leaves_out_a_line_already_past_its_ship_by_date() -> None:
    overdue = line(need_by_date="2026-03-06", transit_days=3, produced=500)
    assert capacity(overdue, suppliers(400)).empty


def test_capacity_overload_names_overdue_lines_apart_from_the_load() -> None:
    lines = make_lines(
        {"line_id": 1, "need_by_date": "2026-03-06", "transit_days": 3, "produced": 500},
        {"line_id": 2, "need_by_date": "2026-03-16", "transit_days": 0, "produced": 280},
    )
    found = only(capacity(lines, suppliers(100)), "CAPACITY_OVERLOAD")
    assert found["message"] == (
        "Supplier ACME needs 120/day to finish 1 open line on time, capacity 100/day (declared);"
        " 1 more line already past the ship-by date"
    )


def test_capacity_overload_takes_lines_in_deadline_order() -> None:
    # 100 due in 1 working day and 100 more in 10: earliest-deadline-first needs 100/day, not 110.
    lines = make_lines(
        {"line_id": 1, "need_by_date": "2026-03-09", "transit_days": 0, "quantity": 100, "produced": 0},
        {"line_id": 2, "need_by_date": "2026-03-20", "transit_days": 0, "quantity": 100, "produced": 0},
    )
    assert capacity(lines, suppliers(100)).empty
    assert "needs 100/day" in only(capacity(lines, suppliers(99)), "CAPACITY_OVERLOAD")["message"]


def test_capacity_overload_ignores_shipped_and_finished_lines() -> None:
    lines = make_lines({"status": "shipped", "produced": 0}, {"produced": 1000})
    assert capacity(lines, suppliers(1)).empty


# --- backorders ---------------------------------------------------------------------------------


def backorders(**override: Any) -> pd.DataFrame:
    row = {
        "backorder_id": 7,
        "order_ref": "SO-88",
        "item_id": 10,
        "sku": "SKU-1",
        "quantity": 20,
        "promise_date": "2026-04-10",
        "status": "promised",
        "communicated_date": "2026-04-10",
        **override,
    }
    frame = pd.DataFrame([row])
    frame["promise_date"] = pd.to_datetime(frame["promise_date"])
    frame["communicated_date"] = pd.to_datetime(frame["communicated_date"])
    return frame


def test_a_kept_promise_raises_no_alert() -> None:
    assert backorder_conditions(backorders()).empty


def test_an_unpromisable_backorder_raises_a_critical_alert() -> None:
    found = only(backorder_conditions(backorders(status="unpromisable", promise_date=None)), "UNPROMISABLE")
    assert found["severity"] == "critical"
    assert found["subject_key"] == "backorder:7"
    assert found["message"] == "Backorder SO-88 (20 x SKU-1) cannot be covered by stock or open lines"


def test_promise_slipped_fires_when_the_promise_is_later_than_what_the_customer_was_told() -> None:
    found = only(backorder_conditions(backorders(communicated_date="2026-04-05")), "PROMISE_SLIPPED")
    assert found["days_late"] == 5
    assert found["message"] == (
        "Backorder SO-88 (20 x SKU-1) is now promised for 2026-04-10, "
        "5 days after the 2026-04-05 told to the customer"
    )


@pytest.mark.parametrize("told", ["2026-04-12", None])
def test_promise_slipped_is_quiet_for_an_earlier_promise_or_when_nothing_was_told(told: str | None) -> None:
    assert backorder_conditions(backorders(communicated_date=told)).empty


def test_evaluate_all_gathers_line_supplier_and_backorder_conditions() -> None:
    found = evaluate_all(
        make_lines({"produced": 449}, {"need_by_date": "2026-03-16", "transit_days": 0, "produced": 700}),
        D,
        GERMANY,
        SETTINGS,
        suppliers=suppliers(50),
        daily_output=NO_OUTPUT,
        backorders=backorders(status="unpromisable", promise_date=None),
    )
    assert list(found.columns) == CONDITION_COLUMNS
    assert set(zip(found["rule"], found["subject_key"], strict=True)) == {
        ("BEHIND_PLAN", "line:1"),
        ("CAPACITY_OVERLOAD", "supplier:1"),
        ("UNPROMISABLE", "backorder:7"),
    }


# --- lifecycle ----------------------------------------------------------------------------------


class AlertStore:
    """The alerts table in memory: applies reconcile plans the way the database side will."""

    def __init__(self) -> None:
        self.alerts: dict[int, dict[str, Any]] = {}

    def live(self) -> pd.DataFrame:
        rows = [
            a
            for a in self.alerts.values()
            if a["status"] != "resolved" or a.get("dismissed_severity") is not None
        ]
        return pd.DataFrame(rows, columns=alerts.LIVE_COLUMNS)

    def sweep(
        self,
        current: pd.DataFrame,
        now: dt.datetime = NOW,
        scope: list[str] | None = None,
        reopen_days: int = 3,
    ) -> ReconcilePlan:
        scope_keys = None if scope is None else pd.Series(scope)
        plan = reconcile(self.live(), current, now, scope_keys, reopen_days=reopen_days)
        for row in plan.inserts.to_dict("records"):
            new_id = len(self.alerts) + 1
            self.alerts[new_id] = {**row, "id": new_id, "snoozed_until": None}
        for row in plan.updates.to_dict("records"):
            self.alerts[row["id"]].update({k: v for k, v in row.items() if k != "raised"})
        for alert_id in plan.resolves:
            self.alerts[alert_id]["status"] = "resolved"
        for alert_id in plan.ended_dismissals:
            self.alerts[alert_id].update(dismissed_severity=None, dismissed_days_late=None)
        return plan

    def dismiss(self, alert_id: int) -> None:
        """What resolve_alerts does: resolved, remembering the severity and days late of now."""
        alert = self.alerts[alert_id]
        alert.update(
            status="resolved", dismissed_severity=alert["severity"], dismissed_days_late=alert["days_late"]
        )

    def of(self, subject_key: str) -> list[dict[str, Any]]:
        return [a for a in self.alerts.values() if a["subject_key"] == subject_key]


def condition(
    subject_key: str,
    rule: str = "BEHIND_PLAN",
    severity: str = "warning",
    message: str = "m",
    days_late: int | None = None,
) -> dict:
    kind, _, subject_id = subject_key.partition(":")
    return {
        "rule": rule,
        "severity": severity,
        "subject_type": kind,
        "subject_key": subject_key,
        "supplier_id": 1,
        "po_line_id": int(subject_id) if kind == "line" else None,
        "backorder_id": None,
        "item_id": 10,
        "message": message,
        "days_late": days_late,
    }


def current(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=CONDITION_COLUMNS).astype(alerts.CONDITION_DTYPES)


def test_a_new_condition_opens_an_alert_seen_now() -> None:
    plan = AlertStore().sweep(current(condition("line:1")))
    assert len(plan.inserts) == 1 and plan.updates.empty and plan.resolves == []
    new = plan.inserts.iloc[0]
    assert (new["status"], new["first_seen"], new["last_seen"]) == ("open", NOW, NOW)


def test_the_same_condition_twice_updates_one_alert_and_inserts_none() -> None:
    store = AlertStore()
    store.sweep(current(condition("line:1", message="first")))
    later = NOW + dt.timedelta(days=1)
    plan = store.sweep(current(condition("line:1", message="second")), later)
    assert plan.inserts.empty and plan.resolves == []
    assert plan.updates[["id", "message", "status", "raised"]].to_dict("records") == [
        {"id": 1, "message": "second", "status": "open", "raised": False}
    ]
    [alert] = store.of("line:1")
    assert (alert["first_seen"], alert["last_seen"]) == (NOW, later)


def test_an_alert_resolves_when_its_condition_clears() -> None:
    store = AlertStore()
    store.sweep(current(condition("line:1")))
    plan = store.sweep(current())
    assert plan.resolves == [1]
    assert store.of("line:1")[0]["status"] == "resolved"


def test_a_condition_that_comes_back_after_resolving_opens_a_new_alert() -> None:
    store = AlertStore()
    store.sweep(current(condition("line:1")))
    store.sweep(current())
    plan = store.sweep(current(condition("line:1")))
    assert len(plan.inserts) == 1 and plan.updates.empty
    assert [a["status"] for a in store.of("line:1")] == ["resolved", "open"]


def test_an_acknowledged_alert_stays_acknowledged_while_its_condition_holds() -> None:
    store = AlertStore()
    store.sweep(current(condition("line:1")))
    store.alerts[1]["status"] = "acknowledged"
    plan = store.sweep(current(condition("line:1")))
    assert plan.updates.loc[0, "status"] == "acknowledged"
    assert not plan.updates.loc[0, "raised"]


def test_an_acknowledged_alert_reopens_when_its_severity_rises() -> None:
    store = AlertStore()
    store.sweep(current(condition("line:1", severity="warning")))
    store.alerts[1]["status"] = "acknowledged"
    plan = store.sweep(current(condition("line:1", severity="critical")))
    assert plan.updates[["id", "severity", "status", "raised"]].to_dict("records") == [
        {"id": 1, "severity": "critical", "status": "open", "raised": True}
    ]


def test_a_falling_severity_keeps_the_acknowledgement_and_raises_nothing() -> None:
    store = AlertStore()
    store.sweep(current(condition("line:1", severity="critical")))
    store.alerts[1]["status"] = "acknowledged"
    plan = store.sweep(current(condition("line:1", severity="warning")))
    assert (plan.updates.loc[0, "status"], plan.updates.loc[0, "raised"]) == ("acknowledged", False)


def test_a_snoozed_alert_keeps_its_snooze_while_updated() -> None:
    store = AlertStore()
    store.sweep(current(condition("line:1")))
    store.alerts[1]["snoozed_until"] = dt.date(2026, 3, 20)
    plan = store.sweep(current(condition("line:1", severity="critical")))
    assert "snoozed_until" not in plan.updates.columns
    assert store.alerts[1]["snoozed_until"] == dt.date(2026, 3, 20)


def test_the_same_subject_keeps_one_alert_per_rule() -> None:
    store = AlertStore()
    both = current(condition("line:1", rule="BEHIND_PLAN"), condition("line:1", rule="QUALITY"))
    store.sweep(both)
    plan = store.sweep(current(condition("line:1", rule="QUALITY")))
    assert plan.resolves == [1] and plan.updates["id"].tolist() == [2]


def test_a_scoped_recompute_leaves_alerts_of_other_subjects_alone() -> None:
    store = AlertStore()
    store.sweep(current(condition("line:1"), condition("line:2")))
    plan = store.sweep(current(), scope=["line:2"])
    assert plan.resolves == [2]
    assert store.of("line:1")[0]["status"] == "open"


def test_a_scoped_recompute_still_updates_and_inserts_its_own_subjects() -> None:
    store = AlertStore()
    store.sweep(current(condition("line:1")))
    plan = store.sweep(current(condition("line:1"), condition("line:3")), scope=["line:1", "line:3"])
    assert plan.updates["id"].tolist() == [1]
    assert plan.inserts["subject_key"].tolist() == ["line:3"]


def dismissed_when_3_days_late() -> AlertStore:
    """A store whose one alert (line:1, critical, 3 days late) was dismissed."""
    store = AlertStore()
    store.sweep(current(condition("line:1", rule="PROJECTED_LATE", severity="critical", days_late=3)))
    store.dismiss(1)
    return store


def test_a_dismissed_alert_stays_closed_while_its_condition_holds_unchanged() -> None:
    store = dismissed_when_3_days_late()
    plan = store.sweep(current(condition("line:1", rule="PROJECTED_LATE", severity="critical", days_late=5)))
    assert plan.inserts.empty and plan.updates.empty and plan.ended_dismissals == []
    assert plan.kept_dismissed == 1
    assert [a["status"] for a in store.of("line:1")] == ["resolved"]


def test_a_dismissed_alert_reopens_when_days_late_grows_by_the_threshold_and_says_why() -> None:
    store = dismissed_when_3_days_late()
    plan = store.sweep(
        current(condition("line:1", rule="PROJECTED_LATE", severity="critical", days_late=9)), reopen_days=6
    )
    assert plan.inserts[["subject_key", "status", "reopen_reason"]].to_dict("records") == [
        {"subject_key": "line:1", "status": "open", "reopen_reason": "was 3 days late when dismissed, now 9"}
    ]
    assert plan.ended_dismissals == [1]
    # The reopened alert is live again: the next sweep updates it, the old dismissal is over.
    again = store.sweep(
        current(condition("line:1", rule="PROJECTED_LATE", severity="critical", days_late=10))
    )
    assert again.inserts.empty and again.updates["id"].tolist() == [2]


def test_growth_below_the_threshold_keeps_the_dismissal() -> None:
    store = dismissed_when_3_days_late()
    plan = store.sweep(
        current(condition("line:1", rule="PROJECTED_LATE", severity="critical", days_late=8)), reopen_days=6
    )
    assert plan.inserts.empty and plan.kept_dismissed == 1


def test_a_dismissed_alert_reopens_when_its_severity_rises() -> None:
    store = AlertStore()
    store.sweep(current(condition("backorder:7", rule="PROMISE_SLIPPED", severity="warning", days_late=2)))
    store.dismiss(1)
    plan = store.sweep(
        current(condition("backorder:7", rule="PROMISE_SLIPPED", severity="critical", days_late=2))
    )
    assert plan.inserts["reopen_reason"].tolist() == ["was a warning when dismissed, now critical"]


def test_a_reopen_for_both_reasons_names_both() -> None:
    store = AlertStore()
    store.sweep(current(condition("line:1", severity="warning", days_late=1)))
    store.dismiss(1)
    plan = store.sweep(current(condition("line:1", severity="critical", days_late=4)))
    assert plan.inserts["reopen_reason"].tolist() == [
        "was a warning, 1 day late when dismissed; now critical, 4 days late"
    ]


def test_a_fresh_alert_has_no_reopen_reason() -> None:
    plan = AlertStore().sweep(current(condition("line:1")))
    assert plan.inserts["reopen_reason"].isna().all()


def test_a_dismissal_ends_when_the_condition_clears_so_its_return_opens_a_new_alert() -> None:
    store = AlertStore()
    store.sweep(current(condition("line:1", days_late=3)))
    store.dismiss(1)
    cleared = store.sweep(current())
    assert cleared.ended_dismissals == [1] and cleared.resolves == []
    back = store.sweep(current(condition("line:1", days_late=3)))
    assert back.inserts["subject_key"].tolist() == ["line:1"]
    assert back.inserts["reopen_reason"].isna().all()


def test_a_scoped_recompute_keeps_the_dismissals_of_other_subjects() -> None:
    store = AlertStore()
    store.sweep(current(condition("line:1"), condition("line:2")))
    store.dismiss(1)
    plan = store.sweep(current(), scope=["line:2"])
    assert plan.ended_dismissals == [] and plan.resolves == [2]


def test_a_dismissal_without_days_late_waits_for_a_severity_rise() -> None:
    store = AlertStore()
    store.sweep(current(condition("backorder:7", rule="UNPROMISABLE", severity="critical")))
    store.dismiss(1)
    plan = store.sweep(current(condition("backorder:7", rule="UNPROMISABLE", severity="critical")))
    assert plan.inserts.empty and plan.kept_dismissed == 1


# --- properties ---------------------------------------------------------------------------------

day_offsets = st.one_of(st.none(), st.integers(min_value=-20, max_value=40))


def _date(offset: int | None) -> str | None:
    return None if offset is None else str(np.datetime64("2026-03-20") + offset)


@st.composite
def random_lines(draw: st.DrawFn) -> pd.DataFrame:
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        quantity = draw(st.integers(min_value=1, max_value=2000))
        p50 = draw(day_offsets)
        p90 = None if p50 is None else p50 + draw(st.integers(min_value=0, max_value=10))
        rows.append(
            {
                "quantity": quantity,
                "produced": draw(st.integers(min_value=0, max_value=quantity)),
                "rejected": draw(st.integers(min_value=0, max_value=100)),
                "status": draw(st.sampled_from(["open", "in_production", "shipped"])),
                "rate": draw(st.sampled_from([0.0, 50.0, 100.0, np.nan])),
                "rate_source": draw(st.sampled_from(["observed", "plan", "none"])),
                "start_date": _date(draw(day_offsets)),
                "last_report_date": _date(draw(day_offsets)),
                "previous_estimated_end_date": _date(draw(day_offsets)),
                "completion_p90": _date(draw(day_offsets)),
                "arrival_p50": _date(p50),
                "arrival_p90": _date(p90),
            }
        )
    return make_lines(*rows) if rows else make_lines().iloc[:0]


@hyp_settings(max_examples=30, deadline=None)
@given(lines=random_lines(), as_of=st.dates(min_value=dt.date(2026, 2, 1), max_value=dt.date(2026, 5, 1)))
def test_conditions_are_unique_per_rule_and_subject_and_never_both_late_and_at_risk(
    lines: pd.DataFrame, as_of: dt.date
) -> None:
    found = evaluate_all(lines, as_of, GERMANY, SETTINGS, suppliers=suppliers(100), daily_output=NO_OUTPUT)
    assert not found.duplicated(["rule", "subject_key"]).any()
    per_line = found.groupby("subject_key")["rule"].agg(set)
    assert not any({"PROJECTED_LATE", "AT_RISK"} <= r for r in per_line)
    assert found["message"].notna().all() and not found["message"].str.contains("nan|NaT|<NA>").any()


@hyp_settings(max_examples=30, deadline=None)
@given(lines=random_lines())
def test_sweeping_the_same_conditions_again_changes_only_last_seen(lines: pd.DataFrame) -> None:
    store = AlertStore()
    found = line_conditions(lines, D, GERMANY, SETTINGS)
    store.sweep(found)
    plan = store.sweep(found)
    assert plan.inserts.empty and plan.resolves == []
    assert len(plan.updates) == len(found) and not plan.updates["raised"].any()


# --- texts worded only where they change ----------------------------------------------------------


def _known(found: pd.DataFrame) -> alerts.KnownMessages:
    """What a sweep reads back after storing ``found`` as live alerts."""
    return alerts.KnownMessages.of(found.assign(status="open"))


def test_a_condition_worded_as_before_keeps_its_stored_text_and_a_changed_one_is_worded_again() -> None:
    lines = make_lines(
        {"produced": 100, "remaining": 900},  # behind plan
        {"produced": 200, "remaining": 800},  # behind plan
        {"last_report_date": "2026-02-20", "reported_days": 3},  # stale
    )
    first = conditions(lines, known=alerts.KnownMessages())
    assert first["message"].notna().all() and first["message_hash"].notna().all()
    assert set(first["rule"]) >= {"BEHIND_PLAN", "STALE_UPDATE"}

    again = conditions(lines, known=_known(first))
    assert again["message"].isna().all() and again["message_args"].isna().all()
    assert again["message_hash"].tolist() == first["message_hash"].tolist()

    changed = lines.copy()
    changed.loc[1, ["produced", "remaining"]] = [250, 750]  # the second line's figures moved
    later = conditions(changed, known=_known(first)).set_index(["rule", "subject_key"])
    moved = later.loc[("BEHIND_PLAN", "line:2")]
    plain = conditions(changed).set_index(["rule", "subject_key"]).loc[("BEHIND_PLAN", "line:2")]
    assert (moved["message"], moved["message_args"]) == (plain["message"], plain["message_args"])
    assert "250" in moved["message"]
    assert later.drop(index=("BEHIND_PLAN", "line:2"))["message"].isna().all()


def test_the_stored_text_is_worded_again_on_another_day_or_with_other_settings() -> None:
    lines = line(produced=100, remaining=900)
    first = conditions(lines, known=alerts.KnownMessages())
    assert conditions(lines, D + dt.timedelta(days=3), known=_known(first))["message"].notna().all()
    stricter = Settings(behind_plan_tolerance=0.05)
    other = line_conditions(lines, D, GERMANY, stricter, known=_known(first))
    assert other["message"].notna().all()


def test_a_reconcile_keeps_the_hashes_and_leaves_unchanged_texts_out_of_the_updates() -> None:
    lines = line(produced=100, remaining=900)
    first = conditions(lines, known=alerts.KnownMessages())
    live = first[["rule", "subject_key", "severity"]].assign(id=range(1, len(first) + 1), status="open")
    plan = reconcile(live, conditions(lines, known=_known(first)), NOW)
    assert plan.inserts.empty and not plan.resolves
    assert plan.updates["message"].isna().all()
    assert plan.updates["message_hash"].tolist() == first["message_hash"].tolist()
