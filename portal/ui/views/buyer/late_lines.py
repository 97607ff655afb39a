"""Late and at-risk lines: what will arrive after need-by, and which customers wait on it."""

import streamlit as st

from portal.i18n import _, format_number
from portal.queries.late_lines import AT_RISK, LATE, LateLineFilter, late_lines
from portal.ui.context import actor, read
from portal.ui.late_lines_table import LATE_LINE_COLUMNS, late_lines_table, risk_labels
from portal.ui.supplier_filter import supplier_filter
from portal.ui.widgets import (
    label_from,
    page_offset,
    pager,
    ticked_line_link,
)

PAGE = 100

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
    format_func=label_from(risk_labels()),
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

# A grid, not columns: four across on a wide screen, two by two on a phone (columns stack to four rows
# and push the table a screen down), as on the alert inbox.
counts_grid = st.grid(4, min_column_width=150)
counts_grid.metric(_(":red[**Late**] (p50 after need-by)"), format_number(counts["late"]))
counts_grid.metric(_(":orange[**At risk**] (only p90 after)"), format_number(counts["at_risk"]))
counts_grid.metric(_("Backorders waiting on them"), format_number(counts["backorders"]))
counts_grid.metric(_("Backordered units on them"), format_number(counts["backorder_qty"]))

if total == 0:
    st.success(_("No open line is forecast to arrive after its need-by date with these filters."))
    st.stop()

selected = late_lines_table(frame, key="late_lines.table", column_order=LATE_LINE_COLUMNS)
pager(total, PAGE, "late_lines.page")
ticked_line_link(frame, selected)
