"""The burn-up of one line: planned, actual and forecast cumulative good output over time.

Pure: the chart widget draws what this returns, so what the chart shows is tested here.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from portal.core.calendar import WorkCalendar


def planned_cumulative(
    start: dt.date, daily_output: float, quantity: int, calendar: WorkCalendar
) -> pd.DataFrame:
    """date, cumulative: the plan, working day by working day, from start until the quantity is reached."""
    if daily_output <= 0 or quantity <= 0:
        return pd.DataFrame({"date": pd.to_datetime([]), "cumulative": []})
    days = int(np.ceil(quantity / daily_output))
    offsets = np.arange(days, dtype=np.int64)
    dates = np.busday_offset(np.datetime64(start, "D"), offsets, roll="forward", busdaycal=calendar.busdaycal)
    cumulative = np.minimum(quantity, daily_output * (offsets + 1))
    # Start from zero the working day before, so the line rises from the axis.
    first = np.busday_offset(dates[0], -1, roll="forward", busdaycal=calendar.busdaycal)
    return pd.DataFrame(
        {
            "date": pd.to_datetime(np.concatenate([[first], dates])),
            "cumulative": np.concatenate([[0], cumulative]),
        }
    )


def actual_cumulative(reports: pd.DataFrame) -> pd.DataFrame:
    """date, cumulative: good output summed over the reported days (current reports)."""
    if reports.empty:
        return pd.DataFrame({"date": pd.to_datetime([]), "cumulative": []})
    ordered = reports.assign(date=pd.to_datetime(reports["report_date"])).sort_values("date")
    return pd.DataFrame(
        {"date": ordered["date"].to_numpy(), "cumulative": ordered["good_qty"].cumsum().to_numpy()}
    )


def forecast_band(
    as_of: dt.date,
    produced: int,
    quantity: int,
    completion_p50: dt.date | None,
    completion_p90: dt.date | None,
) -> pd.DataFrame:
    """date, low, high: from today's output to completion, between the p90 (low) and p50 (high) paths.

    At any date the p50 path (finishing earlier) is above the p90 path; the band between
    them is where the cumulative output is expected to be.
    """
    if completion_p50 is None or completion_p90 is None or produced >= quantity:
        return pd.DataFrame({"date": pd.to_datetime([]), "low": [], "high": []})
    start = pd.Timestamp(as_of)
    p50 = pd.Timestamp(completion_p50)
    p90 = pd.Timestamp(completion_p90)
    dates = pd.date_range(start, max(p50, p90, start), freq="D")

    def path(end: pd.Timestamp) -> np.ndarray:
        span = max((end - start).days, 1)
        fraction = np.clip((dates - start).days.to_numpy() / span, 0, 1)
        planned: np.ndarray = produced + (quantity - produced) * fraction
        return planned

    return pd.DataFrame({"date": dates, "low": path(p90), "high": path(p50)})
