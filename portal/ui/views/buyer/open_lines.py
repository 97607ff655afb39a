"""Every open line with its supplier and forecast beside the supplier's estimate, most urgent first."""

import streamlit as st

from portal.core import vocabulary
from portal.i18n import _, format_percent
from portal.queries.lines import LineFilter, open_lines
from portal.ui.context import actor, read
from portal.ui.supplier_filter import supplier_filter
from portal.ui.widgets import (
    STATUS_LABELS,
    arrival_chance,
    date_format,
    days_format,
    label_from,
    page_offset,
    pager,
    selectable_table,
    severity_tones,
    severity_words,
    ticked_line_link,
)

actor()
st.title(_("Open lines"))
st.caption(
    _(
        "Every open purchase-order line, most urgent first: the portal's forecast arrival (p50: likely, "
        "p90: {sure} sure) beside the supplier's own estimated end date."
    ).format(sure=format_percent(0.9))
)

c1, c2, c3, c4 = st.columns([2, 2, 1.8, 1.5], vertical_alignment="bottom")
chosen = supplier_filter(c1, "open_lines.suppliers")
statuses = c2.multiselect(
    _("Status"),
    ["open", "in_production", "shipped"],
    format_func=label_from(STATUS_LABELS),
    key="open_lines.status",
    placeholder=_("Every open status"),
)
text = c3.text_input(_("Search PO, SKU or supplier"), key="open_lines.text", placeholder=_("e.g. PO-1042"))
late_only = c4.toggle(_("Late or at risk"), key="open_lines.late", help=_("Arrival p90 after need-by"))
filters = LineFilter(supplier_ids=tuple(chosen), statuses=tuple(statuses), text=text, late_only=late_only)
PAGE = 100
offset = page_offset("open_lines.page", PAGE)
frame, total = read(open_lines, filters, limit=PAGE, offset=offset)
if total == 0:
    st.info(_("No open lines match these filters."))
else:
    view = frame.assign(
        made=(frame["produced"].astype("float64") / frame["quantity"].astype("float64") * 100).clip(0, 100),
        worst_severity=frame["worst_severity"].map(severity_words()),
        status=frame["status"].map(vocabulary.status_name),
    )
    # Widths fit a 1280 px screen with the menu open; item, status, alerts and backorders are in
    # the table's column menu and on the line detail.
    selected = selectable_table(
        view,
        id_column="line_id",
        key="open_lines.table",
        single=True,
        tones={"worst_severity": severity_tones()},
        column_order=[
            "line",
            "supplier_code",
            "sku",
            "made",
            "need_by_date",
            "estimated_end_date",
            "arrival_p50",
            "arrival_p90",
            "days_late_p50",
        ],
        column_config={
            "line": st.column_config.TextColumn(_("Line"), width=92, help=_("PO number / line")),
            "supplier_code": st.column_config.TextColumn(_("Supplier"), width=92),
            "sku": st.column_config.TextColumn(_("SKU"), width=76),
            "made": st.column_config.NumberColumn(
                _("Made"), format="%d%%", width=55, help=_("Good output reported / ordered quantity")
            ),
            "need_by_date": st.column_config.DateColumn(_("Need by"), format=date_format(), width=88),
            "estimated_end_date": st.column_config.DateColumn(
                _("Supplier's end"),
                format=date_format(),
                width=100,
                help=_("The supplier's own estimated end date"),
            ),
            "arrival_p50": st.column_config.DateColumn(
                _("Arrival p50"),
                format=date_format(),
                width=88,
                help=arrival_chance(0.5),
            ),
            "arrival_p90": st.column_config.DateColumn(
                _("Arrival p90"),
                format=date_format(),
                width=88,
                help=arrival_chance(0.9),
            ),
            "days_late_p50": st.column_config.NumberColumn(
                _("Late"),
                format=days_format(),
                width=55,
                help=_("Arrival p50 minus need-by (negative: early)"),
            ),
            "item": st.column_config.TextColumn(_("Item")),
            "status": st.column_config.TextColumn(_("Status")),
            "quantity": st.column_config.NumberColumn(_("Ordered"), format="localized"),
            "open_alerts": st.column_config.NumberColumn(_("Alerts")),
            "worst_severity": st.column_config.TextColumn(_("Worst alert")),
            "backorders_waiting": st.column_config.NumberColumn(_("Backorders")),
        },
    )
    pager(total, PAGE, "open_lines.page")
    ticked_line_link(frame, selected)
