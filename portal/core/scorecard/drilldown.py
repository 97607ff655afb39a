"""The rows behind one supplier's number, the lines counted in a period, and how the score is weighed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from portal.core.domain import ValidationError
from portal.core.scorecard.events import ScorecardEvents
from portal.core.scorecard.months import month_label
from portal.core.settings import SCORE_METRICS, Settings

#: What a drill-down lists for each number, and from which event table.
DRILL_SOURCES: dict[str, str] = {
    "otd": "receipts",
    "otif": "lines_due",
    "avg_days_late": "lines_due",
    "schedule_adherence": "reported_days",
    "promise_reliability": "promises",
    "mean_slip_days": "promises",
    "quality": "receipts",
    "ppm": "receipts",
    "responsiveness": "production_days",
}


def drill_down(
    events: ScorecardEvents, metric: str, supplier_id: int, first_month: int, last_month: int
) -> pd.DataFrame:
    """The receipts, lines or days behind one supplier's number over months first..last."""
    # Average days late lists only the late lines, mean slip only the slipped estimates.
    if metric == "lines":
        return _lines_behind(events, supplier_id, first_month, last_month)
    if metric not in DRILL_SOURCES:
        raise ValidationError(f"Unknown scorecard metric '{metric}'")
    frame = getattr(events, DRILL_SOURCES[metric])
    if frame.empty:
        return frame.copy()
    rows = frame[(frame["supplier_id"] == supplier_id) & frame["month"].between(first_month, last_month)]
    if metric == "avg_days_late":
        rows = rows[rows["late"].astype(bool) & rows["days_late"].notna()]
    elif metric == "mean_slip_days":
        rows = rows[rows["moved_later"].astype(bool)]
    rows = rows.copy()
    rows["period"] = [month_label(m) for m in rows["month"]]
    return rows.reset_index(drop=True)


#: The event tables a line can be counted in, in the order the metrics are listed.
LINE_SOURCES: tuple[str, ...] = ("receipts", "lines_due", "reported_days", "promises", "production_days")


def _lines_behind(
    events: ScorecardEvents, supplier_id: int, first_month: int, last_month: int
) -> pd.DataFrame:
    """The lines counted in each month: line_id, month, period and, per event table, whether it counts it."""
    lm = events.line_months
    lm = lm[(lm["supplier_id"] == supplier_id) & lm["month"].between(first_month, last_month)]
    out = lm[["line_id", "month"]].sort_values(["month", "line_id"]).reset_index(drop=True)
    key = pd.MultiIndex.from_frame(out[["line_id", "month"]])
    for name in LINE_SOURCES:
        frame = getattr(events, name)
        if frame.empty:
            out[name] = False
            continue
        mine = frame[frame["supplier_id"] == supplier_id]
        out[name] = key.isin(pd.MultiIndex.from_frame(mine[["line_id", "month"]].astype("int64")))
    out["period"] = [month_label(m) for m in out["month"]]
    return out


def score_breakdown(row: pd.Series | dict[str, Any], settings: Settings) -> pd.DataFrame:
    """Per weighted metric: value, admin weight, renormalized weight and points (value x weight x 100)."""
    weights = settings.weights()
    values = np.array([float(row[m]) if row[m] is not None else np.nan for m in SCORE_METRICS])
    w = np.array([float(weights[m]) for m in SCORE_METRICS])
    has = ~np.isnan(values)
    total = float(w[has].sum())
    effective = np.where(has, w / total, 0.0) if total > 0 else np.zeros(len(w))
    return pd.DataFrame(
        {
            "metric": list(SCORE_METRICS),
            "value": values,
            "weight": w,
            "effective_weight": effective,
            "points": np.where(has, np.nan_to_num(values) * effective * 100.0, np.nan),
        }
    )
