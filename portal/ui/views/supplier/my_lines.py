"""A supplier's home: its own open lines, most urgent first."""

import streamlit as st

from portal.queries.lines import LineFilter, open_lines
from portal.ui.context import actor, read
from portal.ui.widgets import STATUS_LABELS, lines_table, page_offset, pager

me = actor()
st.title("My lines")
st.caption(
    "Your open purchase-order lines, most urgent first: the portal's forecast beside your own estimate."
)

left, right = st.columns([2, 2])
statuses = left.multiselect(
    "Status", ["open", "in_production", "shipped"], format_func=STATUS_LABELS.get, key="my_lines.status"
)
text = right.text_input("Search PO or SKU", key="my_lines.text")
filters = LineFilter(statuses=tuple(statuses), text=text)
PAGE = 100
offset = page_offset("my_lines.page", PAGE)
frame, total = read(open_lines, filters, limit=PAGE, offset=offset)
if total == 0:
    st.info("No open lines match. New purchase-order lines appear here as soon as your buyer imports them.")
else:
    lines_table(frame, show_supplier=False, key="my_lines.table")
    pager(total, PAGE, "my_lines.page")
