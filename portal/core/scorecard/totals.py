"""Step 2: the event rows added up per supplier over a run of months, with rates, score, grade and trend."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd

from portal.core.scorecard.definitions import (
    GRADES,
    NO_DATA,
    NOT_ENOUGH_DATA,
    ROLLING_LABEL,
    ROLLING_MONTHS,
    SUMMARY_COLUMNS,
    TOTALS,
    TREND_DOWN,
    TREND_FLAT,
    TREND_STEP,
    TREND_UP,
)
from portal.core.scorecard.events import ScorecardEvents
from portal.core.scorecard.months import month_label, rolling_window
from portal.core.settings import SCORE_METRICS, Settings


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    num = numerator.astype("float64")
    den = denominator.astype("float64")
    return (num / den.where(den > 0)).astype("float64")


#: What a stored rank row keeps of each window of its score history: the inputs of the score.
RANK_HISTORY: tuple[str, ...] = ("lines", *SCORE_METRICS)


def _raw_scores(values: np.ndarray, settings: Settings) -> np.ndarray:
    """100 x the weighted mean of each row's SCORE_METRICS rates over those with data (NaN: none)."""
    weights = settings.weights()
    w = np.array([float(weights[m]) for m in SCORE_METRICS])
    has = ~np.isnan(values)
    weight_with_data = has.astype("float64") @ w
    weighted = np.where(has, values, 0.0) @ w
    with np.errstate(divide="ignore", invalid="ignore"):
        raw: np.ndarray = np.where(weight_with_data > 0, 100.0 * weighted / weight_with_data, np.nan)
    return raw


def history_scores(history: dict[str, np.ndarray], settings: Settings) -> np.ndarray:
    """The scores of windows from their stored score inputs (``RANK_HISTORY`` arrays of one shape),
    as :func:`score_and_grade` gives them with ``settings``."""
    lines = np.asarray(history["lines"], dtype="float64")
    values = np.stack([np.asarray(history[m], dtype="float64").ravel() for m in SCORE_METRICS], axis=1)
    raw = _raw_scores(values, settings).reshape(lines.shape)
    scores: np.ndarray = np.where(lines >= settings.min_lines_for_score, np.round(raw, 1), np.nan)
    return scores


def score_and_grade(frame: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Add score (0-100, one decimal), grade (A-F or None) and score_note to rows with the metric rates."""
    raw = _raw_scores(frame[list(SCORE_METRICS)].to_numpy(dtype="float64"), settings)
    lines = frame["lines"].to_numpy(dtype="float64")
    enough = lines >= settings.min_lines_for_score
    score = np.where(enough, np.round(raw, 1), np.nan)
    grade = np.full(len(frame), None, dtype=object)
    for label, floor in reversed(GRADES):
        grade[score >= floor] = label
    grade[~np.isnan(score) & (score < GRADES[-1][1])] = "F"
    note = np.full(len(frame), "", dtype=object)
    note[np.isnan(raw) & enough] = "no data for the weighted metrics"
    short = (lines > 0) & ~enough
    note[short] = [
        f"{NOT_ENOUGH_DATA} ({int(n)} line{'s' if n != 1 else ''}, {settings.min_lines_for_score} needed)"
        for n in lines[short]
    ]
    note[lines <= 0] = NO_DATA
    out = frame.copy()
    out["score"] = score
    out["grade"] = grade
    out["score_note"] = note
    return out


def _rates(totals: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    t = totals
    out = t.copy()
    out["otd"] = _ratio(t["otd_on_time"], t["otd_receipts"])
    out["otif"] = _ratio(t["otif_on_time"], t["otif_lines"])
    out["avg_days_late"] = _ratio(t["late_days"], t["late_lines"])
    out["schedule_adherence"] = _ratio(t["credited_qty"], t["planned_qty"])
    out["promise_reliability"] = _ratio(t["promises_kept"], t["promise_lines"])
    out["mean_slip_days"] = _ratio(t["slip_days"], t["slipped_lines"])
    reject_rate = _ratio(t["rejected_qty"], t["received_qty"])
    out["quality"] = 1.0 - reject_rate
    out["ppm"] = reject_rate * 1_000_000
    out["responsiveness"] = _ratio(t["reported_on_time"], t["production_days"])
    out["lines"] = t["lines"].astype("int64")
    return score_and_grade(out, settings)


def _supplier_index(events: ScorecardEvents, supplier_ids: Collection[int] | None) -> pd.Index:
    if supplier_ids is not None:
        return pd.Index(sorted({int(s) for s in supplier_ids}), dtype="int64", name="supplier_id")
    ids = events.monthly.index.get_level_values("supplier_id").unique()
    return pd.Index(sorted(int(s) for s in ids), dtype="int64", name="supplier_id")


def summarize(
    events: ScorecardEvents,
    settings: Settings,
    first_month: int,
    last_month: int,
    supplier_ids: Collection[int] | None = None,
    *,
    period: str | None = None,
) -> pd.DataFrame:
    """One row per supplier (each of ``supplier_ids``, with or without data) over months first..last."""
    index = _supplier_index(events, supplier_ids)
    monthly = events.monthly
    months = monthly.index.get_level_values("month")
    inside = monthly[(months >= first_month) & (months <= last_month)]
    totals = inside[list(TOTALS)].groupby(level="supplier_id").sum().reindex(index, fill_value=0.0)
    lm = events.line_months
    lm = lm[(lm["month"] >= first_month) & (lm["month"] <= last_month)]
    totals["lines"] = lm.groupby("supplier_id")["line_id"].nunique().reindex(index, fill_value=0).to_numpy()
    out = _rates(totals, settings).reset_index()
    if period is None:
        period = (
            month_label(first_month)
            if first_month == last_month
            else f"{month_label(first_month)}..{month_label(last_month)}"
        )
    out["period"] = period
    return out[SUMMARY_COLUMNS]


def by_month(
    events: ScorecardEvents,
    settings: Settings,
    first_month: int,
    last_month: int,
    supplier_ids: Collection[int] | None = None,
) -> pd.DataFrame:
    """One row per supplier and month first..last, with a month column ("no data" rows for empty months)."""
    index = _supplier_index(events, supplier_ids)
    grid = pd.MultiIndex.from_product(
        [index, pd.RangeIndex(first_month, last_month + 1, name="month")], names=["supplier_id", "month"]
    )
    totals = events.monthly.reindex(grid, fill_value=0.0)
    out = _rates(totals[list(TOTALS)].assign(lines=totals["lines"]), settings).reset_index()
    out["period"] = [month_label(m) for m in out["month"]]
    return out[[*SUMMARY_COLUMNS, "month"]]


def window_lines(
    line_months: pd.DataFrame, end_months: Sequence[int], window: int = ROLLING_MONTHS
) -> pd.Series:
    """Distinct lines per (supplier_id, end_month) over the ``window`` months ending each end month.

    Lines are the one number that does not add up month by month (a line counted in March and in
    April is one line over the year), so they are counted per window; everything else is summed.
    """
    parts = []
    for end in end_months:
        first, last = rolling_window(int(end), window)
        inside = line_months[(line_months["month"] >= first) & (line_months["month"] <= last)]
        counts = inside.groupby("supplier_id")["line_id"].nunique()
        parts.append(
            pd.DataFrame({"supplier_id": counts.index, "end_month": int(end), "lines": counts.values})
        )
    if not parts:
        return pd.Series(
            dtype="int64", index=pd.MultiIndex.from_tuples([], names=["supplier_id", "end_month"])
        )
    frame = pd.concat(parts, ignore_index=True).astype("int64")
    return frame.set_index(["supplier_id", "end_month"])["lines"]


def rolling_from_totals(
    monthly: pd.DataFrame,
    lines: pd.Series,
    settings: Settings,
    end_months: Sequence[int],
    supplier_ids: Collection[int],
    window: int = ROLLING_MONTHS,
) -> pd.DataFrame:
    """Rolling scorecards from monthly totals: one row per supplier and end month.

    ``monthly``: the additive TOTALS per (supplier_id, month) (``ScorecardEvents.monthly``, or
    a stored snapshot of it); ``lines``: distinct lines per (supplier_id, end_month) over each
    window (``window_lines``). Scores and grades use ``settings`` now, so new weights apply at once.
    """
    index = pd.Index(sorted({int(s) for s in supplier_ids}), dtype="int64", name="supplier_id")
    months = monthly.index.get_level_values("month")
    line_ends = lines.index.get_level_values("end_month")
    parts = []
    for end in end_months:
        first, last = rolling_window(int(end), window)
        inside = monthly[(months >= first) & (months <= last)]
        totals = inside[list(TOTALS)].groupby(level="supplier_id").sum().reindex(index, fill_value=0.0)
        in_window = lines[line_ends == int(end)].droplevel("end_month")
        totals["lines"] = in_window.reindex(index, fill_value=0).to_numpy()
        totals["end_month"] = int(end)
        parts.append(totals)
    if not parts:
        return pd.DataFrame(columns=[*SUMMARY_COLUMNS, "end_month"])
    # One rates-and-score pass over every window at once: per-call pandas overhead, not arithmetic,
    # was most of a supplier's scorecard (13 windows for its trend).
    frame = _rates(pd.concat(parts), settings).reset_index()
    frame["period"] = ROLLING_LABEL
    out = frame[SUMMARY_COLUMNS].copy()
    out["end_month"] = frame["end_month"].astype("int64").to_numpy()
    return out.reset_index(drop=True)


def window_summaries(totals: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The rolling scorecard of each row of stored window totals (index supplier_id; TOTALS and the
    window's distinct lines): the rows :func:`rolling_from_totals` gives, without ``end_month``."""
    frame = _rates(totals[[*TOTALS, "lines"]], settings).reset_index()
    frame["period"] = ROLLING_LABEL
    return frame[SUMMARY_COLUMNS].reset_index(drop=True)


def rolling(
    events: ScorecardEvents,
    settings: Settings,
    end_months: Sequence[int],
    supplier_ids: Collection[int] | None = None,
    window: int = ROLLING_MONTHS,
) -> pd.DataFrame:
    """The ``window`` months ending with each of ``end_months``: one row per supplier and end month."""
    index = _supplier_index(events, supplier_ids)
    lines = window_lines(events.line_months, end_months, window)
    return rolling_from_totals(events.monthly, lines, settings, end_months, index, window)


def totals_snapshot(events: ScorecardEvents, window: int = ROLLING_MONTHS) -> pd.DataFrame:
    """What a stored snapshot keeps: per (supplier_id, month) the TOTALS and the window's lines.

    One row for every month with data and for each month whose rolling window holds data (the
    ``window - 1`` months after the last month with data), so any rolling period ending up to
    then reads back exactly as ``rolling`` computes it live.
    """
    monthly = events.monthly
    columns = ["supplier_id", "month", *TOTALS, "window_lines"]
    if monthly.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    months = monthly.index.get_level_values("month")
    first, last = int(months.min()), int(months.max()) + window - 1
    ends = list(range(first, last + 1))
    lines = window_lines(events.line_months, ends, window).rename("window_lines")
    keys = monthly.index.union(lines.index.rename(["supplier_id", "month"]))
    out = monthly[list(TOTALS)].reindex(keys, fill_value=0.0)
    out["window_lines"] = lines.rename_axis(["supplier_id", "month"]).reindex(keys, fill_value=0).to_numpy()
    return out.reset_index()[columns]


def window_totals(
    events: ScorecardEvents, end_months: Sequence[int], window: int = ROLLING_MONTHS
) -> pd.DataFrame:
    """The rows of :func:`totals_snapshot` that rolling windows ending in ``end_months`` read: the
    months of those windows (TOTALS) and the window lines of those ends; the same sums for them
    without counting the distinct lines of every other window of the history (most of the work of
    computing a few suppliers live)."""
    columns = ["supplier_id", "month", *TOTALS, "window_lines"]
    monthly = events.monthly
    if monthly.empty or not len(end_months):
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    first = rolling_window(int(min(end_months)), window)[0]
    last = int(max(end_months))
    months = monthly.index.get_level_values("month")
    monthly = monthly[(months >= first) & (months <= last)]
    lines = window_lines(events.line_months, end_months, window).rename("window_lines")
    keys = monthly.index.union(lines.index.rename(["supplier_id", "month"]))
    out = monthly[list(TOTALS)].reindex(keys, fill_value=0.0)
    out["window_lines"] = lines.rename_axis(["supplier_id", "month"]).reindex(keys, fill_value=0).to_numpy()
    return out.reset_index()[columns]


def trend(current: pd.Series | np.ndarray, previous: pd.Series | np.ndarray) -> np.ndarray:
    """▲ / ▼ when the score moved by TREND_STEP points or more, ▶ when less, '' when either is unscored."""
    cur = np.asarray(current, dtype="float64")
    prev = np.asarray(previous, dtype="float64")
    delta = cur - prev
    out = np.full(cur.shape, "", dtype=object)
    known = ~np.isnan(delta)
    out[known] = TREND_FLAT
    out[known & (delta >= TREND_STEP)] = TREND_UP
    out[known & (delta <= -TREND_STEP)] = TREND_DOWN
    return out
