"""Forecast calibration: what each supplier's record and a line's own reports say beyond the plain rule.

DOMAIN.md "Forecast of an open line", step 5, allows the spread and a start delay to be learned
from a supplier's record. Three corrections, each a pure function over frames:

* **The record** (:func:`line_records`, :func:`supplier_calibration`): per line of a supplier
  that has started by D, its start delay (working days from the planned start to the first day
  with good output) and, with enough reported days, its duration ratio (planned daily output /
  mean reported daily good output, zero days included: ramp-up, outages and a supplier's other
  work all make a line take longer than planned). Per supplier: the mean and standard
  deviation of each, shrunk toward all suppliers' (``prior_lines`` pseudo-lines of the pooled
  figures), so a supplier with two lines is not judged on two lines alone. A supplier with no
  record gets none: its forecast keeps the plain rule (planned rate, CV 0.3).
* **Unreported days** (:func:`adjust_for_reports`): a working day with no report between a
  line's first report and D is unknown, not zero. Days inside the reported run (a skipped
  report) are estimated at the line's rate; days after the last report (a report not yet
  posted) are production days still to count, so counting starts the day after the last
  report rather than after D.
* **Rate** (also :func:`adjust_for_reports`): the observed rate is the EWM over the days that
  made something (an outage's zero days say nothing about the rate once material is back); the
  spread keeps every reported day, so outages still widen p90.

:func:`plan_days` turns the learned start delay and duration ratio into p50/p90 working days
for lines forecast from the plan: p50 = delay + ratio x planned days, p90 = p50 + z x the
combined standard deviation of delay (only while the start is still ahead) and duration.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from portal.core.calendar import CalendarSet, to_days

#: z of the 90th percentile of the standard normal distribution.
Z90 = 1.2815515655446004

#: Columns of the per-supplier calibration (beside supplier_id), as stored in supplier_stats.
CALIBRATION_COLUMNS = (
    "forecast_records",
    "start_delay_days",
    "start_delay_sd",
    "rate_ratio",
    "rate_ratio_sd",
)

#: Weight of all suppliers' figures in a supplier's, in lines (shrinkage).
PRIOR_LINES = 3.0
#: A line's first days with output (ramp-up), left out of its rate once it has MIN_STEADY_DAYS more.
RAMP_UP_DAYS = 3
MIN_STEADY_DAYS = 1

#: What the calibration reads of an open line's own days (:func:`positive_day_rate`).
DAY_COLUMNS = ("first_report", "last_report", "positive_rate", "steady_sd")

RECORD_INPUT_COLUMNS = (
    "line_id",
    "supplier_id",
    "planned_start",
    "planned_rate",
    "first_output_date",
    "reported_days",
    "produced",
)


def line_records(lines: pd.DataFrame, calendars: CalendarSet, min_reported_days: int = 5) -> pd.DataFrame:
    """Per started line: supplier_id, start_delay (working days, never below 0) and rate_ratio.

    ``lines`` has RECORD_INPUT_COLUMNS: the planned start and daily output of the line's first
    schedule, the first report date with good output, the reported days and good output known
    on D. rate_ratio is NaN below ``min_reported_days`` reported days; unstarted lines are left out.
    """
    lines = lines.reindex(columns=list(RECORD_INPUT_COLUMNS))
    started = lines[lines["first_output_date"].notna()].reset_index(drop=True)
    if started.empty:
        return pd.DataFrame(
            {
                "line_id": pd.Series(dtype="int64"),
                "supplier_id": pd.Series(dtype="int64"),
                "start_delay": pd.Series(dtype="float64"),
                "rate_ratio": pd.Series(dtype="float64"),
            }
        )
    suppliers = started["supplier_id"].to_numpy()
    planned = to_days(started["planned_start"])
    planned = calendars.offset(planned, np.zeros(len(started), dtype=np.int64), suppliers, roll="forward")
    first = to_days(started["first_output_date"])
    delay = calendars.count(planned, first, suppliers)  # negative when it started early
    delay = np.where(np.isnan(delay), np.nan, np.maximum(delay, 0.0))
    reported = started["reported_days"].to_numpy(dtype="float64")
    produced = started["produced"].to_numpy(dtype="float64")
    plan_rate = pd.to_numeric(started["planned_rate"], errors="coerce").to_numpy(dtype="float64")
    enough = (reported >= min_reported_days) & (produced > 0) & (plan_rate > 0)
    actual_rate = np.where(enough, produced / np.maximum(reported, 1.0), np.nan)
    ratio = np.where(enough, plan_rate / np.where(enough, actual_rate, 1.0), np.nan)
    return pd.DataFrame(
        {
            "line_id": started["line_id"].to_numpy(),
            "supplier_id": suppliers,
            "start_delay": delay,
            "rate_ratio": ratio,
        }
    )


def _shrunk(values: pd.Series, keys: pd.Series, prior_lines: float) -> pd.DataFrame:
    """Mean and sd per key, each a weighted blend with the pooled figures (prior_lines pseudo-lines).

    The sd is the spread of the supplier's *next* line (predictive), not of its past lines around
    their mean: the shrunk mean is itself an estimate from n lines and the prior's pseudo-lines,
    uncertain by sd^2 / (n + prior_lines), which adds to the lines' own spread. A supplier of one or
    two lines gets about a tenth more spread, one of thirty lines 1-2%: early in a supplier's record
    (weeks 1-7 of the simulation) plan-based p90s covered 50-62% of arrivals, later 84-100%
    (docs/evaluation.md, "2026-12-03 (stop 26)").
    """
    known = values.notna()
    values, keys = values[known], keys[known]
    if values.empty:
        return pd.DataFrame({"n": [], "mean": [], "sd": []}, dtype="float64")
    pooled_mean = float(values.mean())
    pooled_var = float(values.var(ddof=1)) if len(values) > 1 else 0.0
    g = values.groupby(keys)
    n = g.count().astype("float64")
    # Within-supplier variance around its own mean; a single line says nothing of its spread.
    var = g.var(ddof=1).fillna(pooled_var)
    w = n / (n + prior_lines)
    mean = w * g.mean() + (1 - w) * pooled_mean
    lines_var = w * var + (1 - w) * pooled_var
    predictive = lines_var * (1.0 + 1.0 / (n + prior_lines))
    return pd.DataFrame({"n": n, "mean": mean, "sd": np.sqrt(predictive)})


def supplier_calibration(
    records: pd.DataFrame, supplier_ids: np.ndarray | pd.Series, prior_lines: float = PRIOR_LINES
) -> pd.DataFrame:
    """Per supplier in ``supplier_ids``: its record (lines) and shrunk start delay and duration ratio.

    ``records`` is :func:`line_records`' frame. A supplier with no started line has
    forecast_records 0 and NaN figures: the forecast then keeps the plain rule.
    """
    out = pd.DataFrame({"supplier_id": pd.Series(supplier_ids, dtype="int64").to_numpy()})
    for col in CALIBRATION_COLUMNS:
        out[col] = np.nan
    out["forecast_records"] = 0
    if records.empty:
        return out
    keys = records["supplier_id"].astype("int64")
    delay = _shrunk(records["start_delay"], keys, prior_lines)
    ratio = _shrunk(records["rate_ratio"], keys, prior_lines)
    sid = out["supplier_id"]
    out["forecast_records"] = keys.value_counts().reindex(sid).fillna(0).astype("int64").to_numpy()
    out["start_delay_days"] = delay["mean"].reindex(sid).to_numpy(dtype="float64")
    out["start_delay_sd"] = delay["sd"].reindex(sid).to_numpy(dtype="float64")
    out["rate_ratio"] = ratio["mean"].reindex(sid).to_numpy(dtype="float64")
    out["rate_ratio_sd"] = ratio["sd"].reindex(sid).to_numpy(dtype="float64")
    return out


def positive_day_rate(lines: pd.DataFrame, reports: pd.DataFrame, as_of: dt.date, span: int) -> pd.DataFrame:
    """Per line: EWM of good output over its reported days with output (>0), the sd of its daily
    output after ramp-up (zero days included), and its first and last report dates."""
    day = to_days(reports["report_date"])
    keep = (day <= np.datetime64(as_of, "D")) & reports["line_id"].isin(lines["line_id"]).to_numpy()
    r = pd.DataFrame(
        {
            "line_id": reports["line_id"].to_numpy()[keep],
            "day": day[keep],
            "good": reports["good_qty"].to_numpy(dtype="float64")[keep],
        }
    ).sort_values(["line_id", "day"])
    span_frame = r.groupby("line_id")["day"].agg(first_report="min", last_report="max")
    r["positive"] = r["good"] > 0
    # Ramp-up: a line's first days with output run below its rate; once it has enough days
    # after them, they leave the rate and the spread (they do not come back). Outage zeros after
    # them stay in the spread: outages do come back.
    nth = r.groupby("line_id")["positive"].cumsum() - r["positive"]  # positive days before this one
    total = r.groupby("line_id")["positive"].transform("sum")
    steady = r[(nth >= RAMP_UP_DAYS) | (total < RAMP_UP_DAYS + MIN_STEADY_DAYS)]
    steady_sd = steady.groupby("line_id")["good"].std(ddof=1)
    pos = steady[steady["positive"]]
    alpha = 2.0 / (span + 1.0)
    # pandas adjust=True EWM at the last observation: weight (1-alpha)^k, k = later positive days.
    k = pos.groupby("line_id").cumcount(ascending=False).to_numpy()
    w = np.power(1.0 - alpha, k)
    num = pd.Series(w * pos["good"].to_numpy(), index=pos["line_id"].to_numpy()).groupby(level=0).sum()
    den = pd.Series(w, index=pos["line_id"].to_numpy()).groupby(level=0).sum()
    out = span_frame.reindex(lines["line_id"])
    out["positive_rate"] = (num / den).reindex(lines["line_id"]).to_numpy()
    out["steady_sd"] = steady_sd.reindex(lines["line_id"]).to_numpy()
    return out.reset_index()


def adjust_for_reports(
    *,
    lines: pd.DataFrame,
    reports: pd.DataFrame | None,
    calendars: CalendarSet,
    as_of: dt.date,
    span: int,
    observed: np.ndarray,
    reported: np.ndarray,
    rate: np.ndarray,
    sigma: np.ndarray,
    remaining: np.ndarray,
    start: np.ndarray,
    stale_days: int = 3,
    days: pd.DataFrame | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rate, sigma, remaining and start after the unreported-day and positive-day corrections, and
    the day p50 may already be (``finished_by``; NaT where the forecast's own p50 stands).

    ``days``: :func:`positive_day_rate`'s figures of ``lines`` (in their order) when known already
    (from the production summaries, :func:`portal.core.summaries.calibration_stats`); else they
    are computed from ``reports``.

    * observed lines: the rate is the EWM over days with output after ramp-up, the spread the sd
      of every reported day after ramp-up;
    * any line with reports: skipped working days inside its reported run count as made at the
      rate, and counting starts the working day after its last report (once the line is stale,
      only if those days would have finished it). A line whose reports and
      skipped days cover its quantity finished on its last report day; otherwise it still needs
      at least a day.
    * a line whose skipped days leave at most half a day's output (``finished_by``): the skipped
      days' output is an estimate, so read to the nearest whole day's output it finished on its
      last report day too. That day is its p50; p90 keeps the day still to make (it may need it).
      (A report posted late, day by day, leaves such a hole mostly once the finishing day itself
      is in: on the evaluation's worlds 84-91% of these lines had finished by D; docs/evaluation.md.)
    """
    suppliers = lines["supplier_id"].to_numpy()
    if days is None:
        if reports is None:
            raise ValueError("adjust_for_reports needs the reports or the lines' day figures")
        days = positive_day_rate(lines, reports, as_of, span)
    spans = days
    pos_rate = spans["positive_rate"].to_numpy(dtype="float64")
    use = observed & np.isfinite(pos_rate) & (pos_rate > 0)
    rate = np.where(use, pos_rate, rate)
    steady_sd = spans["steady_sd"].to_numpy(dtype="float64")
    sigma = np.where(use & np.isfinite(steady_sd), steady_sd, sigma)
    first = to_days(spans["first_report"])
    last = to_days(spans["last_report"])
    has = (reported > 0) & ~np.isnat(first) & np.isfinite(rate) & (rate > 0)
    run_days = calendars.count(
        first, np.where(np.isnat(last), last, last + np.timedelta64(1, "D")), suppliers
    )
    skipped = np.where(has, np.maximum(np.nan_to_num(run_days) - reported, 0.0), 0.0)
    estimated = np.where(has, skipped * np.nan_to_num(rate), 0.0)
    still = remaining > 0
    # Reports and skipped days together cover the quantity: it finished on its last report day.
    covered = has & still & (remaining - estimated <= 0)
    nearly = has & still & ~covered & (skipped > 0) & (remaining - estimated <= 0.5 * np.nan_to_num(rate))
    remaining = np.where(has & still, np.maximum(remaining - estimated, np.nan_to_num(rate)), remaining)
    remaining = np.where(covered, 1.0, remaining)
    finished_by = np.where(nearly, last, np.datetime64("NaT"))
    after_last = calendars.offset(
        np.where(has, last, np.datetime64("NaT")),
        np.ones(len(lines), dtype=np.int64),
        suppliers,
        roll="backward",
    )
    # Days after the last report are a report not posted yet while the line is not stale; once
    # it is (stale_days working days without one), they are unknown and the line may have stopped,
    # so they count only when they would have finished it (a finished line no longer reports).
    gap = calendars.count(after_last, np.full(len(lines), np.datetime64(as_of, "D") + 1), suppliers)
    gap = np.nan_to_num(gap)
    credit = has & ((gap < stale_days) | (remaining <= gap * np.nan_to_num(rate)))
    start = np.where(credit & (after_last < start), after_last, start)
    start = np.where(covered, last, start)
    return rate, sigma, remaining, start, finished_by


def plan_days(
    *,
    calibration: pd.DataFrame | None,
    supplier_ids: np.ndarray,
    use_plan: np.ndarray,
    reported: np.ndarray,
    plan_rate: np.ndarray,
    remaining: np.ndarray,
    scheduled_start: np.ndarray,
    start: np.ndarray,
    calendars: CalendarSet,
    default_cv: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For plan-based lines of suppliers with a record: (applies, start, n50, n90) in working days.

    The start moves by the learned delay (never before ``start``, the first day counting may
    begin); p50 needs ratio x remaining / planned rate working days; p90 adds z x sqrt(delay sd^2
    (while the delayed start is still ahead) + (ratio sd x planned days)^2 + the daily noise of
    the plain rule), so a supplier whose lines vary little gets a tight p90 and one whose lines
    vary a lot a wide one.
    """
    size = len(supplier_ids)
    nan = np.full(size, np.nan)
    if calibration is None or calibration.empty or "rate_ratio" not in calibration:
        return np.zeros(size, dtype=bool), start, nan, nan
    cal = calibration.drop_duplicates("supplier_id").set_index("supplier_id")
    sid = pd.Series(supplier_ids).astype("int64")

    def col(name: str) -> np.ndarray:
        values: np.ndarray = pd.to_numeric(cal[name].reindex(sid), errors="coerce").to_numpy(dtype="float64")
        return values

    records = np.nan_to_num(col("forecast_records"))
    delay, delay_sd = np.nan_to_num(col("start_delay_days")), np.nan_to_num(col("start_delay_sd"))
    ratio, ratio_sd = col("rate_ratio"), np.nan_to_num(col("rate_ratio_sd"))
    ratio = np.where(np.isfinite(ratio) & (ratio > 0), ratio, 1.0)
    ok_rate = np.isfinite(plan_rate) & (plan_rate > 0)
    applies = use_plan & ok_rate & (records > 0) & (remaining > 0)
    planned_days = np.where(applies, remaining / np.where(ok_rate, plan_rate, 1.0), 0.0)
    # The learned delay applies to a line that has not started, counted from its planned start.
    not_started = applies & (reported == 0) & ~np.isnat(scheduled_start)
    delayed = calendars.offset(
        np.where(not_started, scheduled_start, np.datetime64("NaT")),
        np.rint(delay).astype(np.int64),
        supplier_ids,
    )
    pending = not_started & (delayed > start)
    new_start = np.where(pending, delayed, start)
    n50 = np.maximum(np.ceil(ratio * planned_days - 1e-9), 1.0)
    noise_sd = default_cv * np.sqrt(planned_days)  # the plain rule's daily noise, in days
    sd = np.sqrt(np.where(pending, delay_sd, 0.0) ** 2 + (ratio_sd * planned_days) ** 2 + noise_sd**2)
    n90 = np.maximum(np.ceil(ratio * planned_days + Z90 * sd - 1e-9), n50)
    return applies, new_start, np.where(applies, n50, np.nan), np.where(applies, n90, np.nan)


def widen_for_rate_drift(
    *,
    calibration: pd.DataFrame | None,
    supplier_ids: np.ndarray,
    observed: np.ndarray,
    n50: np.ndarray,
    n90: np.ndarray,
    reported: np.ndarray,
    min_reported_days: int,
    prior_lines: float = PRIOR_LINES,
) -> np.ndarray:
    """p90 working days of observed-rate lines, widened by how much the supplier's line rates wander.

    The normal approximation of DOMAIN.md treats days as independent, so its spread grows with
    sqrt(n): right for daily noise, far too narrow for a rate that shifts for weeks (an outage,
    the supplier's other lines starting or finishing). That part grows with n: sd = cv x n50,
    cv = the supplier's duration-ratio sd / its mean ratio (how much its lines' rates differ),
    of which the line's own reports have pinned down a share: as in a normal-normal posterior,
    the variance left is prior / (prior + m), m = reported days / ``min_reported_days`` (blocks
    of evidence), prior = ``prior_lines``. Suppliers with no record keep the plain p90.

    The p90 takes the larger of the two spreads (daily and drift), not their root sum of squares:
    they are not independent. The daily sd is measured over the line's own days, so every shift of
    its rate so far (an outage, the supplier's other lines starting or finishing) is in it already,
    counted as if it were daily noise; the drift part counts the same wandering again. Added in
    quadrature, observed p90s covered 91-97% of arrivals, more the longer the line's record
    (docs/evaluation.md, "2026-12-03 (stop 26)").
    """
    if calibration is None or calibration.empty or "rate_ratio" not in calibration:
        return n90
    cal = calibration.drop_duplicates("supplier_id").set_index("supplier_id")
    sid = pd.Series(supplier_ids).astype("int64")
    ratio = pd.to_numeric(cal["rate_ratio"].reindex(sid), errors="coerce").to_numpy(dtype="float64")
    ratio_sd = pd.to_numeric(cal["rate_ratio_sd"].reindex(sid), errors="coerce").to_numpy(dtype="float64")
    cv = np.where(
        np.isfinite(ratio) & (ratio > 0) & np.isfinite(ratio_sd),
        ratio_sd / np.where(ratio > 0, ratio, 1.0),
        0.0,
    )
    applies = observed & (cv > 0) & (n50 > 0)
    evidence = np.asarray(reported, dtype="float64") / max(min_reported_days, 1)
    left = prior_lines / (prior_lines + evidence)
    iid = (n90 - n50) / Z90
    # An absurd learned ratio (a supplier at 1e-160 of its plan) makes this infinite: the forecast caps
    # an infinite horizon later (forecast.MAX_FORECAST_DAYS), so the overflow is expected, not an error.
    with np.errstate(over="ignore"):
        wide = n50 + np.ceil(Z90 * np.maximum(iid, np.sqrt(left) * cv * n50) - 1e-9)
    return np.where(applies, np.maximum(wide, n90), n90)
