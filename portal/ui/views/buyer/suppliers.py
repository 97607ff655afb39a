"""Supplier directory: contacts, working calendar, capacity, and open and late lines of each supplier."""

import datetime as dt

import streamlit as st

from portal.queries.directory import supplier_overview, supplier_profile, weekday_names
from portal.queries.late_lines import AT_RISK, LATE, LateLineFilter, late_lines
from portal.ui.context import actor, read
from portal.ui.text import plain
from portal.ui.widgets import line_detail_link, selectable_table

actor()
st.title("Supplier directory")
st.caption("Every supplier with its working calendar, capacity and lines. Tick a supplier for its contacts.")

frame = read(supplier_overview)
if frame.empty:
    st.info("No suppliers yet: import them on the Imports page.")
    st.stop()

text = st.text_input("Find a supplier", key="suppliers.text", placeholder="Code, name or country")
if text.strip():
    needle = text.strip().lower()
    frame = frame[
        frame["code"].str.lower().str.contains(needle, regex=False)
        | frame["name"].str.lower().str.contains(needle, regex=False)
        | frame["country"].fillna("").str.lower().str.contains(needle, regex=False)
    ]
view = frame.assign(
    working_days=frame["working_weekdays"].map(weekday_names),
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
        "code": st.column_config.TextColumn("Code", width=98),
        "name": st.column_config.TextColumn("Supplier", width=175),
        "country": st.column_config.TextColumn("Country", width=62),
        "working_days": st.column_config.TextColumn("Works", width=68, help="Working weekdays"),
        "transit_days": st.column_config.NumberColumn("Transit", format="%d d", width=60),
        "capacity_per_day": st.column_config.NumberColumn(
            "Capacity/day", format="localized", width=90, help="Declared by the supplier"
        ),
        "buffer_days": st.column_config.NumberColumn(
            "Buffer", format="%d d", width=58, help="Days added to its lines' arrival p90 when promising"
        ),
        "open_lines": st.column_config.NumberColumn("Open", width=50, help="Open lines"),
        "late_lines": st.column_config.NumberColumn(
            "Late", width=50, help="Open lines with arrival p50 after need-by"
        ),
        "at_risk_lines": st.column_config.NumberColumn(
            "At risk", width=58, help="Open lines with only the arrival p90 after need-by"
        ),
        "observed_capacity": st.column_config.NumberColumn(
            "Observed/day", format="localized", help="90th percentile of its total daily good output"
        ),
        "contacts": st.column_config.TextColumn("Contacts"),
    },
)
if not selected:
    st.stop()

profile = read(supplier_profile, selected[0])
h = profile.header
st.subheader(f"{plain(h['code'])} · {plain(h['name'])}")
m = st.columns(5)
m[0].metric("Country", plain(h["country"]) or "–")
m[1].metric(
    "Works", weekday_names(h["working_weekdays"]), help="Working weekdays, minus holidays and closures"
)
m[2].metric("Transit", f"{h['transit_days']} days")
m[3].metric(
    "Capacity per day",
    f"{h['capacity_per_day']:,}" if h["capacity_per_day"] else "not declared",
    f"observed {h['observed_capacity']:,.0f}" if h["observed_capacity"] else None,
    delta_color="off",
    delta_arrow="off",
)
m[4].metric(
    "Delivery buffer",
    "–" if h["buffer_days"] is None else f"{h['buffer_days']} days",
    f"from {h['deliveries']} deliveries" if h["deliveries"] else None,
    delta_color="off",
    delta_arrow="off",
)

left, middle, right = st.columns([1.3, 1, 1])
with left:
    st.markdown("**Contacts**")
    if profile.contacts.empty:
        st.caption("No contact e-mail on file.")
    else:
        st.dataframe(
            profile.contacts,
            hide_index=True,
            placeholder="–",
            width="stretch",
            column_config={"name": "Name", "email": st.column_config.TextColumn("E-mail", width="large")},
        )
with middle:
    st.markdown("**Closures ahead**")
    if profile.closures.empty:
        st.caption("No closure dates ahead.")
    else:
        st.dataframe(
            profile.closures,
            hide_index=True,
            placeholder="–",
            width="stretch",
            column_config={
                "closure_date": st.column_config.DateColumn("Date", format="ddd YYYY-MM-DD"),
                "reason": "Reason",
            },
        )
with right:
    st.markdown(f"**Public holidays ({plain(h['country']) or 'no country'}), next 12 months**")
    if not profile.public_holidays:
        st.caption("None known for this country.")
    else:
        st.dataframe(
            {"date": profile.public_holidays},
            hide_index=True,
            placeholder="–",
            width="stretch",
            column_config={"date": st.column_config.DateColumn("Date", format="ddd YYYY-MM-DD")},
        )

st.markdown("**Late and at-risk lines**")
lines, total, _ = read(late_lines, LateLineFilter(supplier_ids=(int(h["supplier_id"]),)), limit=200)
if total == 0:
    st.caption(f"No open line of {plain(h['code'])} is forecast after its need-by date.")
else:
    picked = selectable_table(
        lines.assign(risk=lines["risk"].map({LATE: "Late", AT_RISK: "At risk"})),
        id_column="line_id",
        key="suppliers.lines",
        single=True,
        tones={"risk": {"Late": "bad", "At risk": "warn"}},
        column_order=[
            "risk",
            "line",
            "sku",
            "need_by_date",
            "arrival_p50",
            "arrival_p90",
            "days_late_p50",
            "backorders_waiting",
        ],
        column_config={
            "risk": st.column_config.TextColumn("Risk", width=65),
            "line": "Line",
            "sku": "SKU",
            "need_by_date": st.column_config.DateColumn("Need by", format="YYYY-MM-DD"),
            "arrival_p50": st.column_config.DateColumn("Arrival p50", format="YYYY-MM-DD"),
            "arrival_p90": st.column_config.DateColumn("Arrival p90", format="YYYY-MM-DD"),
            "days_late_p50": st.column_config.NumberColumn("Late p50", format="%d d"),
            "backorders_waiting": st.column_config.NumberColumn("Backorders"),
        },
    )
    if picked:
        row = lines[lines["line_id"] == picked[0]].iloc[0]
        line_detail_link(int(row["line_id"]), str(row["line"]))
st.caption(f"As of {dt.date.today():%Y-%m-%d}.")
