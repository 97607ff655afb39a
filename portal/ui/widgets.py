"""Widgets shared by several pages: the open-lines table, filters, pagination."""

from __future__ import annotations

import pandas as pd
import streamlit as st

SEVERITY_ICONS = {"critical": "🔴 critical", "warning": "🟠 warning", "info": "🔵 info"}
STATUS_LABELS = {
    "open": "Open",
    "in_production": "In production",
    "shipped": "Shipped",
    "received": "Received",
    "cancelled": "Cancelled",
}


def lines_table(frame: pd.DataFrame, *, show_supplier: bool, key: str) -> None:
    """The open lines, most urgent first, with forecast beside the supplier's own estimate."""
    view = frame.copy()
    view["status"] = view["status"].map(STATUS_LABELS).fillna(view["status"])
    view["worst_severity"] = view["worst_severity"].map(SEVERITY_ICONS)
    view["progress"] = (view["produced"].astype("float64") / view["quantity"].astype("float64")).clip(0, 1)
    columns = [
        "line",
        *(["supplier_code"] if show_supplier else []),
        "sku",
        "item",
        "status",
        "quantity",
        "progress",
        "need_by_date",
        "estimated_end_date",
        "arrival_p50",
        "arrival_p90",
        "days_late_p50",
        "open_alerts",
        "worst_severity",
    ]
    if show_supplier:
        columns += ["backorders_waiting", "backorder_qty"]
    st.dataframe(
        view[columns],
        hide_index=True,
        use_container_width=True,
        key=key,
        column_config={
            "line": st.column_config.TextColumn("Line", help="PO number / line", pinned=True),
            "supplier_code": st.column_config.TextColumn("Supplier"),
            "sku": st.column_config.TextColumn("SKU"),
            "item": st.column_config.TextColumn("Item", width="medium"),
            "status": st.column_config.TextColumn("Status"),
            "quantity": st.column_config.NumberColumn("Ordered", format="localized"),
            "progress": st.column_config.ProgressColumn(
                "Produced",
                format="percent",
                min_value=0,
                max_value=1,
                help="Good output reported / ordered quantity",
            ),
            "need_by_date": st.column_config.DateColumn("Need by", format="YYYY-MM-DD"),
            "estimated_end_date": st.column_config.DateColumn(
                "Supplier's estimate", format="YYYY-MM-DD", help="The supplier's own estimated end date"
            ),
            "arrival_p50": st.column_config.DateColumn(
                "Arrival p50", format="YYYY-MM-DD", help="Forecast arrival: 50% chance to arrive by then"
            ),
            "arrival_p90": st.column_config.DateColumn(
                "Arrival p90", format="YYYY-MM-DD", help="Forecast arrival: 90% chance to arrive by then"
            ),
            "days_late_p50": st.column_config.NumberColumn(
                "Days late (p50)", help="Forecast arrival p50 minus need-by, in days (negative: early)"
            ),
            "open_alerts": st.column_config.NumberColumn("Alerts"),
            "worst_severity": st.column_config.TextColumn("Worst alert"),
            "backorders_waiting": st.column_config.NumberColumn(
                "Backorders", help="Customer backorders counting on this line"
            ),
            "backorder_qty": st.column_config.NumberColumn("Backordered qty"),
        },
    )


def page_offset(key: str, page_size: int) -> int:
    """The row offset of the page chosen in the pager ``key`` (read before querying)."""
    return (int(st.session_state.get(key, 1)) - 1) * page_size


def pager(total: int, page_size: int, key: str) -> None:
    """A page picker under a table (its value is read by :func:`page_offset` on the next run)."""
    pages = max(1, -(-total // page_size))
    if int(st.session_state.get(key, 1)) > pages:
        st.session_state[key] = pages
    if pages == 1:
        st.caption(f"{total} row(s)")
        return
    cols = st.columns([1, 3])
    page = cols[0].number_input("Page", min_value=1, max_value=pages, step=1, key=key)
    cols[1].caption(f"{total} rows · page {page} of {pages}")
