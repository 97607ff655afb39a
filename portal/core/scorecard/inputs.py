"""The loaders' frames made uniform for the events: typed columns, dates as days, nothing after as_of."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from portal.core.domain import LineStatus
from portal.core.scorecard.months import to_dates


def _days_col(values: np.ndarray) -> pd.Series:
    """datetime64[D] values as a frame column (pandas keeps dates at second resolution)."""
    return pd.Series(np.asarray(values, dtype="datetime64[D]").astype("datetime64[s]"))


#: The dtype of a date column (pandas keeps dates at second resolution).
_DAY = "datetime64[s]"


def _typed_empty(**dtypes: str) -> pd.DataFrame:
    """A frame without rows with these columns and dtypes (what a preparer returns for no input)."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})


def _amount(values: pd.Series) -> np.ndarray:
    """Quantities as float64, a missing or unreadable one as 0."""
    amounts: np.ndarray = pd.to_numeric(values, errors="coerce").fillna(0).astype("float64").to_numpy()
    return amounts


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})


def _prepare_lines(lines: pd.DataFrame) -> pd.DataFrame:
    lines = lines.reset_index(drop=True)
    out = pd.DataFrame(
        {
            "line_id": pd.to_numeric(lines["line_id"]).astype("int64"),
            "supplier_id": pd.to_numeric(lines["supplier_id"]).astype("int64"),
            "quantity": pd.to_numeric(lines["quantity"], errors="coerce").astype("float64"),
            "status": lines["status"].astype(str).str.lower().str.replace("linestatus.", "", regex=False)
            if "status" in lines.columns
            else LineStatus.OPEN.value,
        }
    )
    # Due on the promised date, else the need-by date (history.due_dates, tolerant of unreadable dates).
    promised = to_dates(lines["promised_date"]) if "promised_date" in lines.columns else None
    due = to_dates(lines["need_by_date"])
    if promised is not None:
        due = np.where(np.isnat(promised), due, promised)
    out["due_date"] = _days_col(due)
    return out.drop_duplicates("line_id").reset_index(drop=True)


def _prepare_receipts(receipts: pd.DataFrame, lines: pd.DataFrame, today: np.datetime64) -> pd.DataFrame:
    """Receipts of known lines with a known date on or before as_of (undated receipts fit no period)."""
    if receipts.empty:
        return _typed_empty(
            po_line_id="int64", received_date=_DAY, quantity="float64", rejected_qty="float64"
        )
    day = to_dates(receipts["received_date"])
    out = pd.DataFrame(
        {
            "po_line_id": pd.to_numeric(receipts["po_line_id"]).astype("int64").to_numpy(),
            "received_date": _days_col(day),
            "quantity": _amount(receipts["quantity"]),
            "rejected_qty": _amount(receipts["rejected_qty"]),
        }
    )
    keep = ~np.isnat(day) & (day <= today) & out["po_line_id"].isin(lines["line_id"]).to_numpy()
    return out[keep].reset_index(drop=True)


def _posting_days(frame: pd.DataFrame) -> np.ndarray:
    """The day each row was posted (its created_at, as the caller gives it: reports in the supplier's
    local time); unknown (NaT) when the column is absent."""
    if "created_at" in frame.columns:
        return to_dates(frame["created_at"])
    return np.full(len(frame), np.datetime64("NaT", "D"))


def _schedule_revisions(schedules: pd.DataFrame, lines: pd.DataFrame, today: np.datetime64) -> pd.DataFrame:
    """Usable revisions of known lines, posted on or before as_of (unknown posting times kept)."""
    if schedules.empty:
        return _typed_empty(
            line_id="int64",
            revision="int64",
            start_date=_DAY,
            daily_output="float64",
            estimated_end_date=_DAY,
            posted=_DAY,
        )
    posted = _posting_days(schedules)
    out = pd.DataFrame(
        {
            "line_id": pd.to_numeric(schedules["line_id"]).astype("int64").to_numpy(),
            "revision": pd.to_numeric(schedules["revision"]).astype("int64").to_numpy(),
            "start_date": _days_col(to_dates(schedules["start_date"])),
            "daily_output": pd.to_numeric(schedules["daily_output"], errors="coerce")
            .astype("float64")
            .to_numpy(),
            "estimated_end_date": _days_col(to_dates(schedules["estimated_end_date"])),
            "posted": _days_col(posted),
        }
    )
    keep = (np.isnat(posted) | (posted <= today)) & out["line_id"].isin(lines["line_id"]).to_numpy()
    return out[keep].sort_values(["line_id", "revision"], kind="stable").reset_index(drop=True)


def _prepare_reports(reports: pd.DataFrame, lines: pd.DataFrame, today: np.datetime64) -> pd.DataFrame:
    """Every report revision of known lines dated on or before as_of, with its posting date."""
    if reports.empty:
        return _typed_empty(
            line_id="int64",
            report_date=_DAY,
            good_qty="float64",
            rejected_qty="float64",
            is_current="bool",
            posted=_DAY,
        )
    day = to_dates(reports["report_date"])
    posted = _posting_days(reports)
    current = (
        reports["is_current"].astype(bool).to_numpy()
        if "is_current" in reports.columns
        else np.ones(len(reports), dtype=bool)
    )
    out = pd.DataFrame(
        {
            "line_id": pd.to_numeric(reports["line_id"]).astype("int64").to_numpy(),
            "report_date": _days_col(day),
            "good_qty": _amount(reports["good_qty"]),
            "rejected_qty": _amount(reports["rejected_qty"]) if "rejected_qty" in reports.columns else 0.0,
            "is_current": current,
            "posted": _days_col(posted),
        }
    )
    keep = ~np.isnat(day) & (day <= today) & out["line_id"].isin(lines["line_id"]).to_numpy()
    return out[keep].reset_index(drop=True)
