"""The lines behind one number of a scorecard: the receipts, lines or days it is computed from, or for the
score how each metric adds up. Read only when someone opens them (``scorecard_lines``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from portal.core import scorecard as sc
from portal.core import vocabulary
from portal.i18n import N_, _, ngettext, pgettext
from portal.i18n import format_number as format_decimal
from portal.queries.scorecards import SupplierScorecard, scorecard_lines
from portal.ui.context import read
from portal.ui.scorecard_text import (
    NO_DATA,
    ROLLING,
    format_number,
    metric_label,
    number_basis,
    number_definition,
    number_name,
    period_label,
    upper_first,
)
from portal.ui.widgets import date_format, show_table

#: The ways a line is counted: (column header, what it means).
LINE_SOURCE_LABELS = {
    "receipts": (N_("Receipt"), N_("Has a receipt in the period (OTD, quality)")),
    "lines_due": (N_("Due"), N_("Due in the period and judged (OTIF, average days late)")),
    "reported_days": (N_("Reported"), N_("Has reported days with a plan (schedule adherence)")),
    "promises": (
        N_("Estimate"),
        N_("Its original estimated end date fell in the period (promise reliability)"),
    ),
    "production_days": (N_("In production"), N_("Was in production on working days (responsiveness)")),
}


def _common_columns() -> dict[str, Any]:
    """The columns every list of lines has, with their headers in the user's language."""
    return {
        "period": st.column_config.TextColumn(_("Month"), help=_("The month the row counts in")),
        "label": st.column_config.TextColumn(_("Line"), help=_("PO number / line"), pinned=True),
        "sku": st.column_config.TextColumn(_("SKU")),
    }


def drill_columns(key: str) -> dict[str, Any]:
    """The columns listed behind one number, with their headers in the user's language."""
    columns: dict[str, dict[str, Any]] = {
        "otd": {
            "received_date": st.column_config.DateColumn(_("Received"), format=date_format()),
            "due_date": st.column_config.DateColumn(
                _("Due"), format=date_format(), help=_("Promised date, else need-by date")
            ),
            "quantity": st.column_config.NumberColumn(
                _("Qty"), format="localized", help=_("Quantity received")
            ),
            "on_time": st.column_config.CheckboxColumn(
                _("On time"), help=_("Received on or before due + tolerance")
            ),
            "days_after_due": st.column_config.NumberColumn(_("Days after due"), help=_("Negative: early")),
            "otd_counted": st.column_config.CheckboxColumn(
                _("Counted"), help=_("Receipts of lines without a known due date are not counted")
            ),
        },
        "otif": {
            "due_date": st.column_config.DateColumn(
                _("Due"), format=date_format(), help=_("Promised date, else need-by date")
            ),
            "ordered": st.column_config.NumberColumn(_("Ordered"), format="localized"),
            "good_received": st.column_config.NumberColumn(
                _("Good received"), format="localized", help=_("Received minus rejected, all receipts so far")
            ),
            "delivered_date": st.column_config.DateColumn(
                _("Delivered in full"),
                format=date_format(),
                help=_("The receipt that completed the in-full quantity"),
            ),
            "otif": st.column_config.CheckboxColumn(_("On time in full")),
            "days_late": st.column_config.NumberColumn(_("Days late"), help=_("Delivered in full minus due")),
        },
        "schedule_adherence": {
            "report_date": st.column_config.DateColumn(_("Report date"), format=date_format()),
            "revision": st.column_config.NumberColumn(
                _("Plan revision"), help=_("The schedule revision in force that day")
            ),
            "planned": st.column_config.NumberColumn(_("Planned"), format="localized"),
            "good_qty": st.column_config.NumberColumn(_("Good output"), format="localized"),
            "credited": st.column_config.NumberColumn(
                _("Counted"), format="localized", help=_("Good output up to the plan: min(good, planned)")
            ),
        },
        "promise_reliability": {
            "original_end_date": st.column_config.DateColumn(_("Original estimate"), format=date_format()),
            "latest_end_date": st.column_config.DateColumn(_("Latest estimate"), format=date_format()),
            "revisions": st.column_config.NumberColumn(_("Revisions")),
            "moved_later": st.column_config.CheckboxColumn(_("Moved later")),
            "slip_working_days": st.column_config.NumberColumn(_("Slip (working days)")),
        },
        "quality": {
            "received_date": st.column_config.DateColumn(_("Received"), format=date_format()),
            "quantity": st.column_config.NumberColumn(
                _("Qty"), format="localized", help=_("Quantity received")
            ),
            "rejected_qty": st.column_config.NumberColumn(_("Rejected"), format="localized"),
        },
        "responsiveness": {
            "first_day": st.column_config.DateColumn(pgettext("date range", "From"), format=date_format()),
            "last_day": st.column_config.DateColumn(pgettext("date range", "To"), format=date_format()),
            "working_days": st.column_config.NumberColumn(
                _("Production days"), help=_("Working days in production")
            ),
            "reported_on_time": st.column_config.NumberColumn(
                _("Reported in time"), help=_("Posted by the end of the next working day")
            ),
            "reported_late": st.column_config.NumberColumn(_("Reported late")),
            "not_reported": st.column_config.NumberColumn(_("Not reported")),
        },
        "lines": {
            "ordered": st.column_config.NumberColumn(_("Ordered"), format="localized"),
            "status": st.column_config.TextColumn(_("Status")),
            **{
                k: st.column_config.CheckboxColumn(_(label), help=_(meaning))
                for k, (label, meaning) in LINE_SOURCE_LABELS.items()
            },
        },
    }
    columns["avg_days_late"] = columns["otif"]
    return columns[key]


def lines_behind(rows: pd.DataFrame, key: str, period: str) -> pd.DataFrame:
    """The rows behind one number as listed: statuses in words, and over the 12 months one row per line."""
    if "status" in rows.columns:
        rows = rows.assign(status=rows["status"].map(vocabulary.status_name))
    if key == "lines" and period == ROLLING and len(rows):
        # A line counted in several months is one line over the 12 months.
        flags = list(LINE_SOURCE_LABELS)
        rows = (
            rows.groupby(["label", "sku", "ordered", "status"], as_index=False, dropna=False)[flags]
            .any()
            .assign(period=_("12 months"))
        )
    return rows.reset_index(drop=True)


def _show_breakdown(card: SupplierScorecard, row: dict[str, Any], prefix: str) -> None:
    parts = sc.score_breakdown(row, card.settings)
    parts["metric"] = parts["metric"].map(metric_label)
    parts[["value", "effective_weight"]] *= 100  # shown as percentages
    st.caption(
        _(
            "Each metric adds value × effective weight × 100 points; the effective weight is the admin "
            "weight divided by the sum of the weights of the metrics that have data."
        )
    )
    show_table(
        parts,
        column_config={
            "metric": _("Metric"),
            "value": st.column_config.NumberColumn(_("Value"), format="%.1f%%"),
            "weight": st.column_config.NumberColumn(_("Admin weight")),
            "effective_weight": st.column_config.NumberColumn(_("Effective weight"), format="%.1f%%"),
            "points": st.column_config.NumberColumn(_("Points"), format="%.1f"),
        },
        key=f"{prefix}.breakdown",
        placeholder=_(NO_DATA),
    )


def show_lines(card: SupplierScorecard, key: str, period: str, row: dict[str, Any], prefix: str) -> None:
    """What one number is computed from, under a heading with its value: read now, for this number only."""
    # TRANSLATORS: {name} is a scorecard number's name, {value} its value
    st.subheader(_("Behind “{name}”: {value}").format(name=number_name(key), value=format_number(key, row)))
    if key == "score":
        _show_breakdown(card, row, prefix)
        return
    st.caption(
        f"{upper_first(number_basis(key, row))}, {period_label(period, card.months)}. "
        + number_definition(key, card.settings)
    )
    month = None if period == ROLLING else period
    rows = lines_behind(read(scorecard_lines, card.supplier_id, key, card.end_month, month), key, period)
    if rows.empty:
        st.info(_("Nothing counted in {period}.").format(period=period_label(period, card.months)))
        return
    columns = drill_columns(key)
    order = [c for c in ("period", "label", "sku", *columns) if c in rows.columns]
    show_table(
        rows[order],
        column_config={**_common_columns(), **columns},
        key=f"{prefix}.lines.{key}",
        placeholder="–",
    )
    st.caption(ngettext("{n} row.", "{n} rows.", len(rows)).format(n=format_decimal(len(rows))))
