"""What happened to past lines: delivery dates, slips, lead times, suppliers' daily output.

Shared by the engine (supplier buffers, lead times, observed capacity) and the scorecards.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def due_dates(lines: pd.DataFrame) -> pd.Series:
    """A line is due on its promised_date, else its need_by_date."""
    return pd.to_datetime(lines["promised_date"]).fillna(pd.to_datetime(lines["need_by_date"]))


def delivery_dates(lines: pd.DataFrame, receipts: pd.DataFrame, in_full: float = 0.98) -> pd.Series:
    """Per line (indexed by line_id): the date of the receipt that brought cumulative good
    received quantity to at least ``in_full`` of the ordered quantity; NaT if none did.

    ``lines``: line_id, quantity. ``receipts``: po_line_id, received_date, quantity, rejected_qty.
    """
    if receipts.empty:
        return pd.Series(pd.NaT, index=pd.Index(lines["line_id"], name="line_id"), dtype="datetime64[s]")
    r = receipts.assign(
        received_date=pd.to_datetime(receipts["received_date"]),
        good=receipts["quantity"].astype("float64") - receipts["rejected_qty"].fillna(0).astype("float64"),
    ).sort_values(["po_line_id", "received_date"], kind="stable")
    r["cum_good"] = r.groupby("po_line_id", sort=False)["good"].cumsum()
    ordered = lines.set_index("line_id")["quantity"].astype("float64")
    need = ordered.reindex(r["po_line_id"]).to_numpy() * in_full
    reached = r.loc[r["cum_good"].to_numpy() >= need - 1e-9]
    first = reached.groupby("po_line_id", sort=False)["received_date"].min()
    return first.reindex(pd.Index(lines["line_id"], name="line_id"))


def delivered_history(lines: pd.DataFrame, receipts: pd.DataFrame, in_full: float = 0.98) -> pd.DataFrame:
    """Delivered lines: line_id, supplier_id, item_id, quantity, order_date, due_date, delivered_date,
    slip_days (delivered - due), lead_time_days (delivered - order date)."""
    delivered = delivery_dates(lines, receipts, in_full)
    out = lines[["line_id", "supplier_id", "item_id", "quantity", "order_date"]].copy()
    out["order_date"] = pd.to_datetime(out["order_date"])
    out["due_date"] = due_dates(lines).to_numpy()
    out["delivered_date"] = delivered.to_numpy()
    out = out[out["delivered_date"].notna() & out["due_date"].notna()].reset_index(drop=True)
    out["slip_days"] = (out["delivered_date"] - out["due_date"]).dt.days.astype("float64")
    out["lead_time_days"] = (out["delivered_date"] - out["order_date"]).dt.days.astype("float64")
    return out


def median_lead_times(history: pd.DataFrame) -> pd.DataFrame:
    """Per supplier: median lead time (order to delivery, days) over lines with a known order date."""
    known = history[history["lead_time_days"].notna() & (history["lead_time_days"] >= 0)]
    med = known.groupby("supplier_id")["lead_time_days"].median()
    return med.rename("median_lead_time_days").reset_index()


def supplier_daily_output(reports: pd.DataFrame, line_suppliers: pd.Series) -> pd.DataFrame:
    """Each supplier's total good output per reported day: supplier_id, report_date, good_qty.

    ``reports``: po_line_id (or line_id), report_date, good_qty; ``line_suppliers``: supplier_id by line id.
    """
    line_col = "po_line_id" if "po_line_id" in reports.columns else "line_id"
    if reports.empty:
        return pd.DataFrame({"supplier_id": [], "report_date": [], "good_qty": []})
    sid = line_suppliers.reindex(reports[line_col]).to_numpy()
    frame = pd.DataFrame(
        {
            "supplier_id": sid,
            "report_date": pd.to_datetime(reports["report_date"]),
            "good_qty": reports["good_qty"],
        }
    )
    frame = frame[~pd.isna(frame["supplier_id"])]
    return frame.groupby(["supplier_id", "report_date"], as_index=False)["good_qty"].sum()


def observed_capacity(daily_output: pd.DataFrame, percentile: float = 0.9) -> pd.Series:
    """Per supplier: the ``percentile`` of its total daily good output."""
    if daily_output.empty:
        return pd.Series(dtype="float64", name="observed_capacity_p90")
    return (
        daily_output.groupby("supplier_id")["good_qty"].quantile(percentile).rename("observed_capacity_p90")
    )


def outstanding_quantities(lines: pd.DataFrame, receipts: pd.DataFrame) -> pd.Series:
    """Per open line (indexed by line_id): ordered minus good received, never below zero."""
    if receipts.empty:
        return lines.set_index("line_id")["quantity"].astype("int64")
    good = (receipts["quantity"] - receipts["rejected_qty"].fillna(0)).groupby(receipts["po_line_id"]).sum()
    received = good.reindex(lines["line_id"]).fillna(0).to_numpy()
    out = np.maximum(0, lines["quantity"].to_numpy() - received)
    return pd.Series(out.astype("int64"), index=pd.Index(lines["line_id"], name="line_id"))
