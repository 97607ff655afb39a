"""The table of late and at-risk lines, with one risk label, header and width per column: the late-lines
page shows it for every supplier, the supplier page for one (``late_lines_table``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from portal.i18n import _
from portal.queries.late_lines import AT_RISK, LATE
from portal.ui.widgets import arrival_chance, date_format, days_format, selectable_table

#: The columns of a late line the table can show, in this order.
LATE_LINE_COLUMNS = [
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
]


def risk_labels() -> dict[str, str]:
    """What a line's risk is called on screen (in the user's language)."""
    return {LATE: _("Late"), AT_RISK: _("At risk")}


def late_lines_table(frame: pd.DataFrame, *, key: str, column_order: list[str]) -> list[int]:
    """Late lines (from :func:`portal.queries.late_lines.late_lines`) as a table where one line can be
    ticked; returns the ticked line's id. ``column_order`` picks from :data:`LATE_LINE_COLUMNS`."""
    labels = risk_labels()
    # Widths fit a 1280 px screen with the menu open; the supplier's estimate, remaining quantity and
    # alerts are one click away in the line detail (or shown through the table's column menu).
    return selectable_table(
        frame.assign(risk=frame["risk"].map(labels)),
        id_column="line_id",
        key=key,
        single=True,
        tones={"risk": {labels[LATE]: "bad", labels[AT_RISK]: "warn"}},
        column_order=column_order,
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
                _("Backorders"),
                width=80,
                help=_("Waiting customer backorders whose promise counts on this line"),
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
