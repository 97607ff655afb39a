"""Forecast of every open line as of a date: produced, remaining, rate, completion and arrival p50/p90.

The method, as DOMAIN.md "Forecast of an open line" asks, vectorized over all lines:

* Reports dated on or before D are known (D's own output counts as reported).
  ``produced`` is the sum of good output; rejected units never count.
* Rate: with at least ``forecast_min_reported_days`` reported days, the exponentially
  weighted mean of daily good output over the reported days (span
  ``forecast_ewm_span``, pandas' ``adjust=True`` weights, computed in closed form as
  sum(w x) / sum(w) with w = (1 - alpha)^k, k = number of later reports). Days with no
  report are unknown, not zero. With fewer days: the schedule's daily_output; with no
  schedule either, the plain mean of the few reported days; with nothing at all, no rate.
* Start: a line with no report whose schedule starts after D starts on its start date
  (rolled to a working day); otherwise counting starts on the first working day after D.
* completion_p50: ceil(remaining / rate) working days counted from the start (start = day 1).
  remaining = 0: the date of the report that completed the line.
* completion_p90 (the method chosen): a normal approximation of the sum of n daily outputs,
  mean ``rate`` and standard deviation ``sigma`` per day. The smallest n with
  P(sum >= remaining) >= 90% solves n*rate - z*sigma*sqrt(n) = remaining, z = 1.2816:
  sqrt(n) = (z*sigma + sqrt(z^2 sigma^2 + 4 rate remaining)) / (2 rate). sigma is the
  sample standard deviation of the line's reported daily good output when the observed
  rate is used, else ``forecast_default_cv`` x rate. It is closed form, so the same input
  always gives the same dates; zero spread gives p90 = p50, and p90 >= p50 always.
* arrival = completion + transit days (calendar days). A shipped line has finished
  production: its completion is its completing report, else its last report, else D.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from portal.core import calibration as cal
from portal.core.calendar import CalendarSet, to_days
from portal.core.settings import Settings

#: z of the 90th percentile of the standard normal distribution.
Z90 = 1.2815515655446004
#: The furthest a forecast reaches, in working days (about fourteen years): a rate too small to
#: finish within it (0.001 units a day, a supplier whose plan-to-actual ratio is near zero) is
#: forecast this far out, not past the end of the calendar.
MAX_FORECAST_DAYS = 3650

LINE_COLUMNS = (
    "line_id",
    "supplier_id",
    "quantity",
    "status",
    "transit_days",
    "need_by_date",
    "start_date",
    "daily_output",
)
REPORT_COLUMNS = ("line_id", "report_date", "good_qty", "rejected_qty")

#: A line's forecast proper: when it completes and arrives, and how late against its need-by date.
FORECAST_DATES = (
    "completion_p50",
    "completion_p90",
    "arrival_p50",
    "arrival_p90",
    "days_late_p50",
    "days_late_p90",
)
FORECAST_COLUMNS = (
    "line_id",
    "produced",
    "rejected",
    "remaining",
    "reported_days",
    "last_report_date",
    "rate",
    "rate_sd",
    "rate_source",
    *FORECAST_DATES,
)


def _report_stats(lines: pd.DataFrame, reports: pd.DataFrame, as_of: dt.date, span: int) -> pd.DataFrame:
    """Per line: produced, rejected, reported_days, last report, EWM rate, sd, completing date.

    Sorted numpy arrays and ``reduceat`` over each line's run of reports: a few passes over
    millions of reports, no groupby objects.
    """
    line_ids = lines["line_id"].to_numpy()
    report_line = reports["line_id"].to_numpy()
    report_day = to_days(reports["report_date"])
    keep = (report_day <= np.datetime64(as_of, "D")) & np.isin(report_line, line_ids)
    stats = pd.DataFrame({"line_id": line_ids})
    if not keep.any():
        for col in ("produced", "rejected", "reported_days"):
            stats[col] = 0
        for col in ("ewm_rate", "mean_rate", "rate_sd"):
            stats[col] = np.nan
        stats["last_report_date"] = pd.NaT
        stats["completed_on"] = pd.NaT
        return stats

    day = report_day[keep].astype(np.int64)
    line = report_line[keep]
    order = np.lexsort((day, line))
    line, day = line[order], day[order]
    good = reports["good_qty"].to_numpy(dtype="float64")[keep][order]
    rejected = reports["rejected_qty"].to_numpy(dtype="float64")[keep][order]
    starts = np.flatnonzero(np.r_[True, line[1:] != line[:-1]])
    ends = np.r_[starts[1:], len(line)]
    count = ends - starts

    produced = np.add.reduceat(good, starts)
    mean = produced / count
    # Sample standard deviation (ddof=1) from each report's deviation from its line's mean.
    deviation = good - np.repeat(mean, count)
    variance = np.add.reduceat(deviation * deviation, starts) / np.maximum(count - 1, 1)
    sd = np.where(count > 1, np.sqrt(variance), np.nan)
    # EWM (pandas adjust=True) at the last observation, in closed form: weight (1-alpha)^k,
    # k = number of reports after this one in the same line.
    alpha = 2.0 / (span + 1.0)
    k = np.repeat(ends, count) - 1 - np.arange(len(line))
    weights = np.power(1.0 - alpha, k)
    ewm = np.add.reduceat(weights * good, starts) / np.add.reduceat(weights, starts)
    # The report that completed the line: first day cumulative good reaches the quantity.
    quantity = pd.Series(lines["quantity"].to_numpy(dtype="float64"), index=line_ids)
    before = np.r_[0.0, np.cumsum(good)][starts]
    cumulative = np.cumsum(good) - np.repeat(before, count)
    reached = cumulative >= quantity.reindex(line[starts]).to_numpy().repeat(count)
    never = np.iinfo(np.int64).max
    completed = np.minimum.reduceat(np.where(reached, day, never), starts)

    agg = pd.DataFrame(
        {
            "produced": produced,
            "rejected": np.add.reduceat(rejected, starts),
            "reported_days": count,
            "mean_rate": mean,
            "rate_sd": sd,
            "last_report_date": day[ends - 1].astype("datetime64[D]"),
            "ewm_rate": ewm,
            "completed_on": np.where(
                completed == never, np.datetime64("NaT"), completed.astype("datetime64[D]")
            ),
        },
        index=pd.Index(line[starts], name="line_id"),
    )
    stats = stats.set_index("line_id").join(agg, how="left")
    for col in ("produced", "rejected", "reported_days"):
        stats[col] = stats[col].fillna(0).astype("int64")
    return stats.reset_index()


def forecast_lines(
    lines: pd.DataFrame,
    reports: pd.DataFrame | None,
    calendars: CalendarSet,
    as_of: dt.date,
    settings: Settings | None = None,
    stats: pd.DataFrame | None = None,
    calibration: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Forecast every line in ``lines`` as of ``as_of``; one row per line, FORECAST_COLUMNS.

    ``lines`` needs LINE_COLUMNS (start_date and daily_output NaN/NaT when there is no
    schedule); ``reports`` needs REPORT_COLUMNS (current revisions only, any dates). ``stats``,
    when given, are the per-line report statistics already computed as of ``as_of`` (from the
    production summaries, :func:`portal.core.summaries.report_stats`); when they hold the
    calibration's day figures too (first_report, last_report, positive_rate, steady_sd) the
    reports are not read at all and may be None.
    ``calibration``: per supplier_id, what :mod:`portal.core.calibration` learned from its record
    (CALIBRATION_COLUMNS); with a frame (even empty) unreported days and outage days are handled
    as that module says, and a supplier with a record gets its learned start delay and spread.
    None keeps the plain rule exactly.
    """
    settings = settings or Settings()
    if lines.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in FORECAST_COLUMNS})
    lines = lines.reset_index(drop=True)
    if stats is None:
        if reports is None:
            raise ValueError("forecast_lines needs the reports or the lines' report statistics")
        stats = _report_stats(lines, reports, as_of, settings.forecast_ewm_span)
    stats = stats.set_index("line_id").reindex(lines["line_id"]).reset_index()
    # The calibration's day figures come with the statistics (from the summaries) or from the reports.
    days = stats if set(cal.DAY_COLUMNS).issubset(stats.columns) else None

    d = np.datetime64(as_of, "D")
    supplier_ids = lines["supplier_id"].to_numpy()
    quantity = lines["quantity"].to_numpy(dtype="float64")
    produced = stats["produced"].to_numpy(dtype="float64")
    reported = stats["reported_days"].to_numpy()
    remaining = np.maximum(0.0, quantity - produced)
    plan_rate = pd.to_numeric(lines["daily_output"], errors="coerce").to_numpy(dtype="float64")
    shipped = (lines["status"].astype(str) == "shipped").to_numpy()

    # Rate and its spread.
    observed = reported >= settings.forecast_min_reported_days
    has_plan = np.isfinite(plan_rate) & (plan_rate > 0)
    few_no_plan = ~observed & ~has_plan & (reported > 0)
    rate = np.where(
        observed,
        stats["ewm_rate"],
        np.where(has_plan, plan_rate, np.where(few_no_plan, stats["mean_rate"], np.nan)),
    )
    rate = rate.astype("float64")
    measured_sd = stats["rate_sd"].fillna(0.0).to_numpy(dtype="float64")
    sigma = np.where(observed, measured_sd, settings.forecast_default_cv * np.nan_to_num(rate))
    source = np.select(
        [shipped, observed | few_no_plan, has_plan], ["shipped", "observed", "plan"], default="none"
    )

    # Where counting starts.
    start_date = to_days(lines["start_date"])
    next_working = calendars.offset(
        np.full(len(lines), d), np.ones(len(lines), dtype=np.int64), supplier_ids, roll="backward"
    )
    scheduled_start = calendars.offset(
        start_date, np.zeros(len(lines), dtype=np.int64), supplier_ids, roll="forward"
    )
    future_start = (reported == 0) & ~np.isnat(start_date) & (start_date > d)
    start = np.where(future_start, scheduled_start, next_working)

    # ---- Calibration (portal/core/calibration.py): unknown unreported days, the rate on days with
    # output, and the supplier's record (start delay, duration ratio and their spread) for lines
    # still forecast from the plan. ``work`` is the output still to make once skipped days count.
    # Without a calibration frame the plain rule of DOMAIN.md is kept exactly (the reference).
    work = remaining
    finished_by = np.full(len(lines), np.datetime64("NaT"), dtype="datetime64[D]")
    learned = np.zeros(len(lines), dtype=bool)
    learned_n50 = learned_n90 = np.full(len(lines), np.nan)
    if calibration is not None:
        rate, sigma, work, start, finished_by = cal.adjust_for_reports(
            lines=lines,
            reports=reports,
            calendars=calendars,
            as_of=as_of,
            span=settings.forecast_ewm_span,
            observed=observed,
            reported=reported,
            rate=rate,
            sigma=sigma,
            remaining=remaining,
            start=start,
            stale_days=settings.stale_update_days,
            days=days,
        )
        learned, start, learned_n50, learned_n90 = cal.plan_days(
            calibration=calibration,
            supplier_ids=supplier_ids,
            use_plan=(source == "plan"),
            reported=reported,
            plan_rate=plan_rate,
            remaining=work,
            scheduled_start=scheduled_start,
            start=start,
            calendars=calendars,
            default_cv=settings.forecast_default_cv,
        )
    # ---- end of calibration

    # Working days needed: p50 and the normal-approximation p90.
    can_forecast = (remaining > 0) & np.isfinite(rate) & (rate > 0) & ~shipped
    safe_rate = np.where(can_forecast, rate, 1.0)
    n50 = np.ceil(np.where(can_forecast, work / safe_rate, 1.0) - 1e-9)
    root = (Z90 * sigma + np.sqrt((Z90 * sigma) ** 2 + 4.0 * safe_rate * work)) / (2.0 * safe_rate)
    n90 = np.maximum(np.ceil(root**2 - 1e-9), n50)
    # ---- Calibration, its second half: the learned plan-based days, a wider p90 for observed rates.
    if calibration is not None:
        n90 = cal.widen_for_rate_drift(
            calibration=calibration,
            supplier_ids=supplier_ids,
            observed=observed,
            n50=n50,
            n90=n90,
            reported=reported,
            min_reported_days=settings.forecast_min_reported_days,
        )
        n50 = np.where(learned, learned_n50, n50)
        n90 = np.where(learned, learned_n90, n90)
    n50 = np.where(can_forecast, np.minimum(n50, MAX_FORECAST_DAYS), 0).astype(np.int64)
    n90 = np.where(can_forecast, np.minimum(n90, MAX_FORECAST_DAYS), 0).astype(np.int64)
    p50 = calendars.offset(
        np.where(can_forecast, start, np.datetime64("NaT")), np.maximum(n50 - 1, 0), supplier_ids
    )
    p90 = calendars.offset(
        np.where(can_forecast, start, np.datetime64("NaT")), np.maximum(n90 - 1, 0), supplier_ids
    )
    # Skipped days that leave at most half a day's output: p50 is the last report day.
    p50 = np.where(can_forecast & (finished_by < p50), finished_by, p50)

    # Finished lines: the completing report; shipped lines: that, else the last report, else D.
    completed_on = to_days(stats["completed_on"])
    last_report = to_days(stats["last_report_date"])
    done = (remaining <= 0) & ~np.isnat(completed_on)
    p50 = np.where(done, completed_on, p50)
    p90 = np.where(done, completed_on, p90)
    shipped_done = shipped & ~done
    shipped_on = np.where(np.isnat(last_report), d, last_report)
    p50 = np.where(shipped_done, shipped_on, p50)
    p90 = np.where(shipped_done, shipped_on, p90)
    remaining = np.where(shipped, 0.0, remaining)

    transit = pd.to_numeric(lines["transit_days"], errors="coerce").fillna(0).to_numpy(dtype="int64")
    transit_delta = transit.astype("timedelta64[D]")
    arrival_p50 = p50 + transit_delta
    arrival_p90 = p90 + transit_delta
    need_by = to_days(lines["need_by_date"])

    def days_between(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
        diff = (later - earlier).astype("float64")
        return np.where(np.isnat(later) | np.isnat(earlier), np.nan, diff)

    return pd.DataFrame(
        {
            "line_id": lines["line_id"].to_numpy(),
            "produced": produced.astype("int64"),
            "rejected": stats["rejected"].to_numpy(dtype="int64"),
            "remaining": remaining.astype("int64"),
            "reported_days": reported.astype("int64"),
            "last_report_date": pd.to_datetime(last_report),
            "rate": rate,
            "rate_sd": np.where(np.isfinite(rate), sigma, np.nan),
            "rate_source": source,
            "completion_p50": pd.to_datetime(p50),
            "completion_p90": pd.to_datetime(p90),
            "arrival_p50": pd.to_datetime(arrival_p50),
            "arrival_p90": pd.to_datetime(arrival_p90),
            "days_late_p50": days_between(arrival_p50, need_by),
            "days_late_p90": days_between(arrival_p90, need_by),
        }
    )
