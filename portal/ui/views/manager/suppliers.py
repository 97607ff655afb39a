"""A manager's home: the suppliers with their line counts."""

import streamlit as st

from portal.i18n import _
from portal.queries.directory import supplier_overview
from portal.ui.context import actor, read
from portal.ui.widgets import show_table

actor()
st.title(_("Suppliers"))
st.caption(_("Every supplier with its open, late and received lines."))
frame = read(supplier_overview)
if frame.empty:
    st.info(
        _(
            "No suppliers yet: a buyer or admin imports them "
            "(Imports page, or `python -m portal import suppliers`)."
        )
    )
else:
    cols = st.columns(4)
    cols[0].metric(_("Suppliers"), len(frame))
    cols[1].metric(_("Open lines"), int(frame["open_lines"].sum()))
    cols[2].metric(_("Late lines (p50)"), int(frame["late_lines"].sum()))
    cols[3].metric(_("Received lines"), int(frame["received_lines"].sum()))
    show_table(
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
        column_config={
            "code": _("Code"),
            "name": _("Supplier"),
            "country": _("Country"),
            "lines": _("Lines"),
            "open_lines": _("Open"),
            "late_lines": st.column_config.NumberColumn(
                _("Late"), help=_("Open lines whose forecast arrival p50 is after need-by")
            ),
            "received_lines": _("Received"),
            "cancelled_lines": _("Cancelled"),
        },
    )
