"""Supplier directory: contacts, working calendar, capacity, and open and late lines of each supplier."""

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from portal.core import vocabulary
from portal.i18n import _, format_date, format_number, ngettext
from portal.queries.directory import supplier_overview, supplier_profile
from portal.queries.late_lines import LateLineFilter, late_lines
from portal.ui.context import actor, read
from portal.ui.late_lines_table import LATE_LINE_COLUMNS, late_lines_table
from portal.ui.text import plain
from portal.ui.widgets import date_format, days_format, selectable_table, show_table, ticked_line_link

actor()
st.title(_("Supplier directory"))
st.caption(
    _("Every supplier with its working calendar, capacity and lines. Tick a supplier for its contacts.")
)

frame = read(supplier_overview)
if frame.empty:
    st.info(_("No suppliers yet: import them on the Imports page."))
    st.stop()

text = st.text_input(_("Find a supplier"), key="suppliers.text", placeholder=_("Code, name or country"))
if text.strip():
    needle = text.strip().lower()
    frame = frame[
        frame["code"].str.lower().str.contains(needle, regex=False)
        | frame["name"].str.lower().str.contains(needle, regex=False)
        | frame["country"].fillna("").str.lower().str.contains(needle, regex=False)
    ]
view = frame.assign(
    working_days=frame["working_weekdays"].map(vocabulary.weekdays_text),
    observed_capacity=frame["observed_capacity"].round(0),
)
# Widths fit a 1280 px screen with the menu open; the rest is in the profile below.
selected = selectable_table(
    view,
    id_column="supplier_id",
    key="suppliers.table",
    single=True,
    tones={"late_lines": {n: "bad" for n in view["late_lines"] if n > 0}},
    column_order=[
        "code",
        "name",
        "country",
        "working_days",
        "transit_days",
        "capacity_per_day",
        "buffer_days",
        "open_lines",
        "late_lines",
        "at_risk_lines",
    ],
    column_config={
        "code": st.column_config.TextColumn(_("Code"), width=98),
        "name": st.column_config.TextColumn(_("Supplier"), width=175),
        "country": st.column_config.TextColumn(_("Country"), width=62),
        "working_days": st.column_config.TextColumn(_("Works"), width=68, help=_("Working weekdays")),
        "transit_days": st.column_config.NumberColumn(_("Transit"), format=days_format(), width=60),
        "capacity_per_day": st.column_config.NumberColumn(
            _("Capacity/day"), format="localized", width=90, help=_("Declared by the supplier")
        ),
        "buffer_days": st.column_config.NumberColumn(
            _("Buffer"),
            format=days_format(),
            width=58,
            help=_("Days added to its lines' arrival p90 when promising"),
        ),
        "open_lines": st.column_config.NumberColumn(_("Open"), width=50, help=_("Open lines")),
        "late_lines": st.column_config.NumberColumn(
            _("Late"), width=50, help=_("Open lines with arrival p50 after need-by")
        ),
        "at_risk_lines": st.column_config.NumberColumn(
            _("At risk"), width=58, help=_("Open lines with only the arrival p90 after need-by")
        ),
        "observed_capacity": st.column_config.NumberColumn(
            _("Observed/day"), format="localized", help=_("90th percentile of its total daily good output")
        ),
        "contacts": st.column_config.TextColumn(_("Contacts")),
    },
)
if not selected:
    st.stop()

profile = read(supplier_profile, selected[0])
h = profile.header
st.subheader(f"{plain(h['code'])} · {plain(h['name'])}")
m = st.columns(5)
m[0].metric(_("Country"), plain(h["country"]) or "–")
m[1].metric(
    _("Works"),
    vocabulary.weekdays_text(h["working_weekdays"]),
    help=_("Working weekdays, minus holidays and closures"),
)
m[2].metric(_("Transit"), ngettext("{n} day", "{n} days", h["transit_days"]).format(n=h["transit_days"]))
m[3].metric(
    _("Capacity per day"),
    format_number(h["capacity_per_day"]) if h["capacity_per_day"] else _("not declared"),
    _("observed {n}").format(n=format_number(h["observed_capacity"])) if h["observed_capacity"] else None,
    delta_color="off",
    delta_arrow="off",
)
m[4].metric(
    _("Delivery buffer"),
    "–"
    if h["buffer_days"] is None
    else ngettext("{n} day", "{n} days", h["buffer_days"]).format(n=h["buffer_days"]),
    ngettext("from {n} delivery", "from {n} deliveries", h["deliveries"]).format(n=h["deliveries"])
    if h["deliveries"]
    else None,
    delta_color="off",
    delta_arrow="off",
)


def listing(heading: str, rows: pd.DataFrame, none: str, columns: dict[str, Any]) -> None:
    """A short list under its heading (Markdown), or ``none`` as a caption when it is empty."""
    st.markdown(heading)
    if rows.empty:
        st.caption(none)
    else:
        show_table(rows, placeholder="–", column_config=columns)


left, middle, right = st.columns([1.3, 1, 1])
with left:
    listing(
        _("**Contacts**"),
        profile.contacts,
        _("No contact e-mail on file."),
        {"name": _("Name"), "email": st.column_config.TextColumn(_("E-mail"), width="large")},
    )
with middle:
    listing(
        _("**Closures ahead**"),
        profile.closures,
        _("No closure dates ahead."),
        {
            "closure_date": st.column_config.DateColumn(_("Date"), format=date_format(weekday=True)),
            "reason": _("Reason"),
        },
    )
with right:
    country = plain(h["country"]) or _("no country")
    listing(
        "**{}**".format(_("Public holidays ({country}), next 12 months").format(country=country)),
        pd.DataFrame({"date": profile.public_holidays}),
        _("None known for this country."),
        {"date": st.column_config.DateColumn(_("Date"), format=date_format(weekday=True))},
    )

st.markdown(_("**Late and at-risk lines**"))
lines, total, _counts = read(late_lines, LateLineFilter(supplier_ids=(int(h["supplier_id"]),)), limit=200)
if total == 0:
    st.caption(
        _("No open line of {supplier} is forecast after its need-by date.").format(supplier=plain(h["code"]))
    )
else:
    picked = late_lines_table(
        lines,
        key="suppliers.lines",
        column_order=[c for c in LATE_LINE_COLUMNS if c not in ("supplier_code", "backorder_qty")],
    )
    ticked_line_link(lines, picked, hint=False)
st.caption(_("As of {date}.").format(date=format_date(dt.date.today())))
