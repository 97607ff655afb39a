"""A manager's home: the suppliers with their line counts."""

import streamlit as st

from portal.queries.directory import supplier_overview
from portal.ui.context import actor, read

actor()
st.title("Suppliers")
st.caption("Every supplier with its open, late and received lines.")
frame = read(supplier_overview)
if frame.empty:
    st.info(
        "No suppliers yet: a buyer or admin imports them "
        "(Imports page, or `python -m portal import suppliers`)."
    )
else:
    cols = st.columns(4)
    cols[0].metric("Suppliers", len(frame))
    cols[1].metric("Open lines", int(frame["open_lines"].sum()))
    cols[2].metric("Late lines (p50)", int(frame["late_lines"].sum()))
    cols[3].metric("Received lines", int(frame["received_lines"].sum()))
    st.dataframe(
        frame[
            [
                "code",
                "name",
                "country",
                "lines",
                "open_lines",
                "late_lines",
                "received_lines",
                "cancelled_lines",
            ]
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "code": "Code",
            "name": "Supplier",
            "country": "Country",
            "lines": "Lines",
            "open_lines": "Open",
            "late_lines": st.column_config.NumberColumn(
                "Late", help="Open lines whose forecast arrival p50 is after need-by"
            ),
            "received_lines": "Received",
            "cancelled_lines": "Cancelled",
        },
    )
