"""Late and at-risk lines: what will arrive after need-by, and which customers wait on it."""

import streamlit as st

from portal.queries.directory import supplier_codes
from portal.queries.late_lines import AT_RISK, LATE, LateLineFilter, late_lines
from portal.ui.context import actor, read
from portal.ui.widgets import line_detail_link, page_offset, pager, selectable_table

PAGE = 100
RISK_LABELS = {LATE: "Late", AT_RISK: "At risk"}
RISK_TONES = {"Late": "bad", "At risk": "warn"}

actor()
st.title("Late and at-risk lines")
st.caption(
    "Open lines whose forecast arrival is after need-by: **late** when even the p50 (the likely date) "
    "is after it, **at risk** when only the p90 (the date it arrives by with 90% probability) is."
)

suppliers = read(supplier_codes)
codes = dict(zip(suppliers["supplier_id"], suppliers["code"], strict=True))
c1, c2, c3, c4 = st.columns([2, 1.6, 1.7, 1.5], vertical_alignment="bottom")
supplier_ids = c1.multiselect(
    "Supplier", list(codes), format_func=codes.get, key="late_lines.suppliers", placeholder="All suppliers"
)
risks = c2.multiselect(
    "Risk",
    [LATE, AT_RISK],
    format_func=RISK_LABELS.get,
    key="late_lines.risks",
    placeholder="Late and at risk",
)
text = c3.text_input("PO, SKU or supplier", key="late_lines.text", placeholder="e.g. PO-1042")
with_backorders = c4.toggle(
    "Customers wait", key="late_lines.backorders", help="Only lines that waiting backorders count on"
)
filters = LateLineFilter(
    supplier_ids=tuple(supplier_ids), risks=tuple(risks), text=text, with_backorders=with_backorders
)
frame, total, counts = read(late_lines, filters, limit=PAGE, offset=page_offset("late_lines.page", PAGE))

m1, m2, m3, m4 = st.columns(4)
m1.metric(":red[**Late**] (p50 after need-by)", f"{counts['late']:,}")
m2.metric(":orange[**At risk**] (only p90 after)", f"{counts['at_risk']:,}")
m3.metric("Backorders waiting on them", f"{counts['backorders']:,}")
m4.metric("Backordered units on them", f"{counts['backorder_qty']:,}")

if total == 0:
    st.success("No open line is forecast to arrive after its need-by date with these filters.")
    st.stop()

view = frame.assign(risk=frame["risk"].map(RISK_LABELS))
# Widths fit a 1280 px screen with the menu open; the supplier's estimate, remaining quantity and
# alerts are one click away in the line detail (or shown through the table's column menu).
selected = selectable_table(
    view,
    id_column="line_id",
    key="late_lines.table",
    single=True,
    tones={"risk": RISK_TONES},
    column_order=[
        "risk",
        "line",
        "supplier_code",
        "sku",
        "need_by_date",
        "arrival_p50",
        "arrival_p90",
        "days_late_p50",
        "backorders_waiting",
        "backorder_qty",
    ],
    column_config={
        "risk": st.column_config.TextColumn("Risk", width=62),
        "line": st.column_config.TextColumn("Line", width=92, help="PO number / line"),
        "supplier_code": st.column_config.TextColumn("Supplier", width=92),
        "sku": st.column_config.TextColumn("SKU", width=76),
        "need_by_date": st.column_config.DateColumn("Need by", format="YYYY-MM-DD", width=88),
        "arrival_p50": st.column_config.DateColumn(
            "Arrival p50", format="YYYY-MM-DD", width=88, help="Likely arrival (50% chance by then)"
        ),
        "arrival_p90": st.column_config.DateColumn(
            "Arrival p90", format="YYYY-MM-DD", width=88, help="Arrival with 90% probability by then"
        ),
        "days_late_p50": st.column_config.NumberColumn(
            "Late", width=55, format="%d d", help="Days after need-by at p50 (the p90 date is later still)"
        ),
        "backorders_waiting": st.column_config.NumberColumn(
            "Backorders", width=80, help="Waiting customer backorders whose promise counts on this line"
        ),
        "backorder_qty": st.column_config.NumberColumn(
            "BO units", width=68, format="localized", help="Units of those backorders this line supplies"
        ),
        "remaining": st.column_config.NumberColumn("To make", format="localized"),
        "days_late_p90": st.column_config.NumberColumn("Late p90", format="%d d"),
        "estimated_end_date": st.column_config.DateColumn("Supplier's end", format="YYYY-MM-DD"),
        "open_alerts": st.column_config.NumberColumn("Alerts"),
    },
)
pager(total, PAGE, "late_lines.page")
if selected:
    row = frame[frame["line_id"] == selected[0]].iloc[0]
    line_detail_link(int(row["line_id"]), str(row["line"]))
else:
    st.caption("Tick a line to open its detail: burn-up, schedule revisions, reports and alerts.")
