"""The forecast of one line in plain Python: what :func:`portal.core.forecast.forecast_lines` computes
for that line, without building a frame (a report post recomputes one line).

It follows :func:`~portal.core.forecast.forecast_lines` step by step (the plain rule, then the
calibration of :mod:`portal.core.calibration`: unreported days, the rate on days with output, the
supplier's learned start delay and duration ratio, the wider p90 for drifting rates) with the same
float operations in the same order, so it gives the very same numbers: a property test
(``tests/unit/test_line_forecast.py``) compares it with the vectorized forecast over random
summaries, schedules, calendars and calibrations. Working-day arithmetic calls numpy's busday
functions on one day with the supplier's calendar, as :class:`~portal.core.calendar.CalendarSet` does
for a column. When a formula changes in the vectorized forecast it changes here too; the test fails
until it does.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from portal.core.calendar import WorkCalendar
from portal.core.calibration import PRIOR_LINES
from portal.core.forecast import MAX_FORECAST_DAYS, Z90
from portal.core.settings import Settings

_ROLLS = ("forward", "backward")


@dataclass(frozen=True)
class OpenLine:
    """What the forecast reads of a line and its current schedule (None: no schedule)."""

    line_id: int
    supplier_id: int
    quantity: int
    status: str
    transit_days: int
    need_by_date: dt.date | None
    start_date: dt.date | None = None
    daily_output: float | None = None


@dataclass(frozen=True)
class SupplierRecord:
    """A supplier's learned calibration (calibration.CALIBRATION_COLUMNS; NaN where unknown)."""

    forecast_records: float = math.nan
    start_delay_days: float = math.nan
    start_delay_sd: float = math.nan
    rate_ratio: float = math.nan
    rate_ratio_sd: float = math.nan


@dataclass(frozen=True)
class LineForecastRow:
    """One row of FORECAST_COLUMNS."""

    line_id: int
    produced: int
    rejected: int
    remaining: int
    reported_days: int
    last_report_date: dt.date | None
    rate: float
    rate_sd: float
    rate_source: str
    completion_p50: dt.date | None
    completion_p90: dt.date | None
    arrival_p50: dt.date | None
    arrival_p90: dt.date | None
    days_late_p50: float
    days_late_p90: float


def _days(x: float) -> float:
    """Working days ``x`` rounded up as the vectorized forecast does, capped at
    :data:`MAX_FORECAST_DAYS` first (a near-zero rate must not overflow ``math.ceil``)."""
    return float(math.ceil(min(x, MAX_FORECAST_DAYS) - 1e-9))


def _nan0(x: float) -> float:
    return 0.0 if math.isnan(x) else x


def _offset(calendar: WorkCalendar, day: dt.date | None, n: int, roll: str = "forward") -> dt.date | None:
    if day is None:
        return None
    out = np.busday_offset(np.datetime64(day, "D"), n, roll=roll, busdaycal=calendar.busdaycal)  # type: ignore[call-overload]  # roll is one of numpy's literals
    return out.astype(dt.date)  # type: ignore[no-any-return]  # a datetime64[D] scalar


def _count(calendar: WorkCalendar, start: dt.date | None, end: dt.date | None) -> float:
    """Working days in [start, end), NaN when a day is missing (CalendarSet.count)."""
    if start is None or end is None:
        return math.nan
    return float(
        np.busday_count(np.datetime64(start, "D"), np.datetime64(end, "D"), busdaycal=calendar.busdaycal)
    )


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def forecast_line(
    line: OpenLine,
    stats: dict[str, object],
    calendar: WorkCalendar,
    as_of: dt.date,
    settings: Settings,
    record: SupplierRecord | None,
) -> LineForecastRow:
    """The forecast of ``line`` as of ``as_of`` (calibrated, as the pipeline forecasts).

    ``stats``: :func:`portal.core.summaries.line_stats` of the line's summary as of ``as_of``.
    ``record``: its supplier's calibration; None when no supplier has one (the calibration frame
    is empty: the learned plan days never apply), a record of NaN when this supplier has none.
    """
    one = dt.timedelta(days=1)
    quantity = float(line.quantity)
    produced = float(stats["produced"])  # type: ignore[arg-type]  # an int of line_stats
    reported = int(stats["reported_days"])  # type: ignore[call-overload]  # an int of line_stats
    remaining = max(0.0, quantity - produced)
    plan_rate = math.nan if line.daily_output is None else float(line.daily_output)
    shipped = line.status == "shipped"

    # Rate and its spread.
    observed = reported >= settings.forecast_min_reported_days
    has_plan = math.isfinite(plan_rate) and plan_rate > 0
    few_no_plan = not observed and not has_plan and reported > 0
    ewm_rate = float(stats["ewm_rate"])  # type: ignore[arg-type]  # a float of line_stats
    mean_rate = float(stats["mean_rate"])  # type: ignore[arg-type]  # a float of line_stats
    rate = ewm_rate if observed else plan_rate if has_plan else mean_rate if few_no_plan else math.nan
    measured_sd = _nan0(float(stats["rate_sd"]))  # type: ignore[arg-type]  # a float of line_stats
    sigma = measured_sd if observed else settings.forecast_default_cv * _nan0(rate)
    if shipped:
        source = "shipped"
    elif observed or few_no_plan:
        source = "observed"
    elif has_plan:
        source = "plan"
    else:
        source = "none"

    # Where counting starts.
    start_date = line.start_date
    next_working = _offset(calendar, as_of, 1, "backward")
    scheduled_start = _offset(calendar, start_date, 0, "forward")
    future_start = reported == 0 and start_date is not None and start_date > as_of
    start = scheduled_start if future_start else next_working

    # Calibration, first half (calibration.adjust_for_reports).
    pos_rate = float(stats["positive_rate"])  # type: ignore[arg-type]  # a float of line_stats
    use = observed and math.isfinite(pos_rate) and pos_rate > 0
    if use:
        rate = pos_rate
    steady_sd = float(stats["steady_sd"])  # type: ignore[arg-type]  # a float of line_stats
    if use and math.isfinite(steady_sd):
        sigma = steady_sd
    first: dt.date | None = stats["first_report"]  # type: ignore[assignment]  # a date of line_stats
    last: dt.date | None = stats["last_report"]  # type: ignore[assignment]  # a date of line_stats
    has = reported > 0 and first is not None and math.isfinite(rate) and rate > 0
    work = remaining
    covered = False
    finished_by: dt.date | None = None
    if has:
        run_days = _count(calendar, first, None if last is None else last + one)
        skipped = max(_nan0(run_days) - reported, 0.0)
        estimated = skipped * _nan0(rate)
        still = remaining > 0
        covered = still and (remaining - estimated <= 0)
        if still and not covered and skipped > 0 and remaining - estimated <= 0.5 * _nan0(rate):
            finished_by = last  # the skipped days leave at most half a day: p50 on the last report
        if still:
            work = max(remaining - estimated, _nan0(rate))
        if covered:
            work = 1.0
        after_last = _offset(calendar, last, 1, "backward")
        gap = _nan0(_count(calendar, after_last, as_of + one))
        credit = (gap < settings.stale_update_days) or (work <= gap * _nan0(rate))
        if credit and after_last is not None and start is not None and after_last < start:
            start = after_last
        if covered:
            start = last

    # Calibration: the learned plan days (calibration.plan_days).
    learned = False
    learned_n50 = learned_n90 = math.nan
    if record is not None:
        records = _nan0(record.forecast_records)
        delay, delay_sd = _nan0(record.start_delay_days), _nan0(record.start_delay_sd)
        ratio, ratio_sd = record.rate_ratio, _nan0(record.rate_ratio_sd)
        ratio = ratio if math.isfinite(ratio) and ratio > 0 else 1.0
        learned = source == "plan" and has_plan and records > 0 and work > 0
        if learned:
            planned_days = work / plan_rate
            not_started = reported == 0 and scheduled_start is not None
            delayed = _offset(calendar, scheduled_start, int(np.rint(delay))) if not_started else None
            pending = delayed is not None and start is not None and delayed > start
            if pending:
                start = delayed
            n50_learned = max(_days(ratio * planned_days), 1.0)
            noise_sd = settings.forecast_default_cv * math.sqrt(planned_days)
            delay_part = delay_sd if pending else 0.0
            spread = ratio_sd * planned_days
            sd = math.sqrt(delay_part * delay_part + spread * spread + noise_sd * noise_sd)
            learned_n50 = n50_learned
            learned_n90 = max(_days(ratio * planned_days + Z90 * sd), n50_learned)

    # Working days needed: p50 and the normal-approximation p90.
    can_forecast = remaining > 0 and math.isfinite(rate) and rate > 0 and not shipped
    n50_days = n90_days = 0
    if can_forecast:
        n50 = _days(work / rate)
        zs = Z90 * sigma
        root = (zs + math.sqrt(zs * zs + 4.0 * rate * work)) / (2.0 * rate)
        n90 = max(_days(root * root), n50)
        if record is not None:  # calibration.widen_for_rate_drift
            r, r_sd = record.rate_ratio, record.rate_ratio_sd
            cv = r_sd / r if math.isfinite(r) and r > 0 and math.isfinite(r_sd) else 0.0
            if observed and cv > 0 and n50 > 0:
                evidence = float(reported) / max(settings.forecast_min_reported_days, 1)
                left = PRIOR_LINES / (PRIOR_LINES + evidence)
                iid = (n90 - n50) / Z90
                drift = cv * n50
                wide = n50 + _days(Z90 * max(iid, math.sqrt(left) * drift))
                n90 = max(wide, n90)
            if learned:
                n50, n90 = learned_n50, learned_n90
        n50_days, n90_days = int(min(n50, MAX_FORECAST_DAYS)), int(min(n90, MAX_FORECAST_DAYS))
    p50 = _offset(calendar, start, max(n50_days - 1, 0)) if can_forecast else None
    p90 = _offset(calendar, start, max(n90_days - 1, 0)) if can_forecast else None
    if can_forecast and finished_by is not None and p50 is not None and finished_by < p50:
        p50 = finished_by

    # Finished lines: the completing report; shipped lines: that, else the last report, else D.
    completed_on: dt.date | None = stats["completed_on"]  # type: ignore[assignment]  # a date of line_stats
    last_report: dt.date | None = stats["last_report_date"]  # type: ignore[assignment]  # a date of line_stats
    done = remaining <= 0 and completed_on is not None
    if done:
        p50 = p90 = completed_on
    elif shipped:
        p50 = p90 = last_report if last_report is not None else as_of
    if shipped:
        remaining = 0.0

    transit = dt.timedelta(days=int(line.transit_days or 0))
    arrival_p50 = None if p50 is None else p50 + transit
    arrival_p90 = None if p90 is None else p90 + transit

    def days_between(later: dt.date | None, earlier: dt.date | None) -> float:
        return math.nan if later is None or earlier is None else float((later - earlier).days)

    return LineForecastRow(
        line_id=line.line_id,
        produced=int(produced),
        rejected=int(stats["rejected"]),  # type: ignore[call-overload]  # an int of line_stats
        remaining=int(remaining),
        reported_days=reported,
        last_report_date=last_report,
        rate=rate,
        rate_sd=sigma if math.isfinite(rate) else math.nan,
        rate_source=source,
        completion_p50=p50,
        completion_p90=p90,
        arrival_p50=arrival_p50,
        arrival_p90=arrival_p90,
        days_late_p50=days_between(arrival_p50, line.need_by_date),
        days_late_p90=days_between(arrival_p90, line.need_by_date),
    )
