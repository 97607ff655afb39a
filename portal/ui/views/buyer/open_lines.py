"""A buyer's home: every open line with its supplier, forecast and waiting backorders."""

import streamlit as st

from portal.queries.directory import supplier_codes
from portal.queries.lines import LineFilter, open_lines
from portal.ui.context import actor, read
from portal.ui.widgets import STATUS_LABELS, lines_table, page_offset, pager

actor()
st.title("Open lines")
st.caption(
    "Every open purchase-order line, most urgent first. Forecast arrival p50/p90 beside the "
    "supplier's estimate; backorders show which customers wait on a line."
)

suppliers = read(supplier_codes)
c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
chosen = c1.multiselect(
    "Supplier",
    suppliers["supplier_id"].tolist(),
    key="open_lines.suppliers",
    format_func=dict(zip(suppliers["supplier_id"], suppliers["code"], strict=True)).get,
)
statuses = c2.multiselect(
    "Status", ["open", "in_production", "shipped"], format_func=STATUS_LABELS.get, key="open_lines.status"
)
text = c3.text_input("Search PO, SKU or supplier", key="open_lines.text")
late_only = c4.toggle("Late or at risk", key="open_lines.late")
filters = LineFilter(supplier_ids=tuple(chosen), statuses=tuple(statuses), text=text, late_only=late_only)
PAGE = 100
offset = page_offset("open_lines.page", PAGE)
frame, total = read(open_lines, filters, limit=PAGE, offset=offset)
if total == 0:
    st.info("No open lines match these filters.")
else:
    lines_table(frame, show_supplier=True, key="open_lines.table")
    pager(total, PAGE, "open_lines.page")
