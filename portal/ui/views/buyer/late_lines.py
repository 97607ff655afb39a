"""Late and at-risk lines: what will arrive after need-by, and which customers wait on it."""

import streamlit as st

from portal.i18n import _, format_number
from portal.queries.late_lines import AT_RISK, LATE, LateLineFilter, late_lines
from portal.ui.context import actor, read
from portal.ui.widgets import (
    arrival_chance,
    date_format,
    days_format,
    label_from,
    page_offset,
    pager,
    selectable_table,
    supplier_filter,
    ticked_line_link,
)

PAGE = 100
RISK_LABELS = {LATE: _("Late"), AT_RISK: _("At risk")}
RISK_TONES = {RISK_LABELS[LATE]: "bad", RISK_LABELS[AT_RISK]: "warn"}

actor()
st.title(_("Late and at-risk lines"))
st.caption(
    _(
        "Open lines whose forecast arrival is after need-by: **late** when even the p50 (the likely date) "
        "is after it, **at risk** when only the p90 (the date it arrives by with 90% probability) is."
    )
)

c1, c2, c3, c4 = st.columns([2, 1.6, 1.7, 1.5], vertical_alignment="bottom")
supplier_ids = supplier_filter(c1, "late_lines.suppliers")
risks = c2.multiselect(
    _("Risk"),
    [LATE, AT_RISK],
    format_func=label_from(RISK_LABELS),
    key="late_lines.risks",
    placeholder=_("Late and at risk"),
)
text = c3.text_input(_("PO, SKU or supplier"), key="late_lines.text", placeholder=_("e.g. PO-1042"))
with_backorders = c4.toggle(
    _("Customers wait"), key="late_lines.backorders", help=_("Only lines that waiting backorders count on")
)
filters = LateLineFilter(
    supplier_ids=tuple(supplier_ids), risks=tuple(risks), text=text, with_backorders=with_backorders
)
frame, total, counts = read(late_lines, filters, limit=PAGE, offset=page_offset("late_lines.page", PAGE))

m1, m2, m3, m4 = st.columns(4)
m1.metric(_(":red[**Late**] (p50 after need-by)"), format_number(counts["late"]))
m2.metric(_(":orange[**At risk**] (only p90 after)"), format_number(counts["at_risk"]))
m3.metric(_("Backorders waiting on them"), format_number(counts["backorders"]))
m4.metric(_("Backordered units on them"), format_number(counts["backorder_qty"]))

if total == 0:
    st.success(_("No open line is forecast to arrive after its need-by date with these filters."))
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
        "risk": st.column_config.TextColumn(_("Risk"), width=62),
        "line": st.column_config.TextColumn(_("Line"), width=92, help=_("PO number / line")),
        "supplier_code": st.column_config.TextColumn(_("Supplier"), width=92),
        "sku": st.column_config.TextColumn(_("SKU"), width=76),
        "need_by_date": st.column_config.DateColumn(_("Need by"), format=date_format(), width=88),
        "arrival_p50": st.column_config.DateColumn(
            _("Arrival p50"), format=date_format(), width=88, help=arrival_chance(0.5)
        ),
        "arrival_p90": st.column_config.DateColumn(
            _("Arrival p90"), format=date_format(), width=88, help=arrival_chance(0.9)
        ),
        "days_late_p50": st.column_config.NumberColumn(
            _("Late"),
            width=55,
            format=days_format(),
            help=_("Days after need-by at p50 (the p90 date is later still)"),
        ),
        "backorders_waiting": st.column_config.NumberColumn(
            _("Backorders"), width=80, help=_("Waiting customer backorders whose promise counts on this line")
        ),
        "backorder_qty": st.column_config.NumberColumn(
            _("BO units"),
            width=68,
            format="localized",
            help=_("Units of those backorders this line supplies"),
        ),
        "remaining": st.column_config.NumberColumn(_("To make"), format="localized"),
        "days_late_p90": st.column_config.NumberColumn(_("Late p90"), format=days_format()),
        "estimated_end_date": st.column_config.DateColumn(_("Supplier's end"), format=date_format()),
        "open_alerts": st.column_config.NumberColumn(_("Alerts")),
    },
)
pager(total, PAGE, "late_lines.page")
ticked_line_link(frame, selected)
