"""A supplier's home: its own open lines, most urgent first, and what needs doing today."""

import pandas as pd
import streamlit as st

from portal.queries.alerts import AlertFilter, alert_inbox
from portal.queries.lines import LineFilter, line_choices, open_lines, output_sheet
from portal.services.settings import get_settings
from portal.ui.context import actor, read
from portal.ui.context import today as my_day
from portal.ui.text import plain
from portal.ui.widgets import STATUS_LABELS, SUPPLIER_LINE_KEY, page_offset, pager

DAILY_OUTPUT = "portal/ui/views/supplier/daily_output.py"
SCHEDULE = "portal/ui/views/supplier/schedule.py"
PAGE = 100

me = actor()
st.title("My lines")

# What needs doing today first: lines nobody updated (the STALE_UPDATE alerts), today's output.
stale, stale_total, _ = read(
    alert_inbox, AlertFilter(rules=("STALE_UPDATE",), include_snoozed=True), limit=20
)
today = my_day()  # the supplier's own local date
sheet = read(output_sheet, today)
if stale_total:
    quiet = read(get_settings).stale_update_days
    shown = plain(", ".join(stale["line"].dropna().tolist()))
    more = f" and {stale_total - len(stale)} more" if stale_total > len(stale) else ""
    st.warning(
        f"**{stale_total} line(s) have had no output posted for {quiet} working days or more:** "
        f"{shown}{more}. Your buyer cannot tell whether they are on track.",
        icon=":material/schedule:",
    )
todo = int(sheet["posted_good_qty"].isna().sum()) if len(sheet) else 0
cols = st.columns([3, 1], vertical_alignment="center")
if len(sheet):
    cols[0].caption(
        f"Today ({today:%a %d %b}): output posted for {len(sheet) - todo} of {len(sheet)} "
        "line(s) in production."
    )
cols[1].page_link(DAILY_OUTPUT, label="Post today's output", icon=":material/edit_note:")

choices = read(line_choices)
items = choices.drop_duplicates("item_id").sort_values("sku")
item_names = dict(zip(items["item_id"], items["sku"] + " · " + items["item"], strict=True))
left, middle, right = st.columns([2, 3, 2])
statuses = left.multiselect(
    "Status",
    ["open", "in_production", "shipped"],
    format_func=STATUS_LABELS.get,
    key="my_lines.status",
    placeholder="All open lines",
)
chosen_items = middle.multiselect(
    "Item", list(item_names), format_func=item_names.get, key="my_lines.items", placeholder="All items"
)
text = right.text_input("Search PO or SKU", key="my_lines.text")
filters = LineFilter(statuses=tuple(statuses), item_ids=tuple(int(i) for i in chosen_items), text=text)
offset = page_offset("my_lines.page", PAGE)
frame, total = read(open_lines, filters, limit=PAGE, offset=offset)

if total == 0:
    st.info("No open lines match. New purchase-order lines appear here as soon as your buyer imports them.")
    st.stop()


def lateness(days: object) -> str:
    """'11 d late', 'on time', '2 d early' from the forecast arrival p50 minus need-by."""
    if days is None or days is pd.NA or pd.isna(days):
        return "no forecast"
    days = int(days)
    return f"{days} d late" if days > 0 else f"{-days} d early" if days < 0 else "on time"


view = frame.assign(
    item=frame["sku"] + " · " + frame["item"],
    status=frame["status"].map(STATUS_LABELS).fillna(frame["status"]),
    progress=(frame["produced"].astype("float64") / frame["quantity"].astype("float64")).clip(0, 1),
    late=frame["days_late_p50"].map(lateness),
)
styled = view.style.map(
    lambda text: "color: #a40e26; font-weight: 600" if text.endswith("late") else "", subset=["late"]
)
# The actions on a selected line sit above the table: below a long table they would be off screen.
actions = st.container()
# Selection by row position: a filter or page change reorders the rows, so the table is keyed by them.
selection = st.dataframe(
    styled,
    hide_index=True,
    width="stretch",
    key=f"my_lines.table.{hash(tuple(frame['line_id']))}",
    on_select="rerun",
    selection_mode="single-row",
    column_order=[
        "line",
        "item",
        "need_by_date",
        "estimated_end_date",
        "arrival_p50",
        "arrival_p90",
        "late",
        "open_alerts",
        "status",
        "progress",
    ],
    column_config={
        "line": st.column_config.TextColumn("Line", help="PO number / line", pinned=True, width=100),
        "item": st.column_config.TextColumn("Item", width=150),
        "need_by_date": st.column_config.DateColumn(
            "Need by", format="YYYY-MM-DD", help="When the buyer needs it at the warehouse", width=88
        ),
        "estimated_end_date": st.column_config.DateColumn(
            "My end date", format="YYYY-MM-DD", help="Your estimated end of production", width=88
        ),
        "arrival_p50": st.column_config.DateColumn(
            "Arrival p50",
            format="YYYY-MM-DD",
            help="The portal's forecast of arrival at the warehouse (end of production + transit): "
            "50% chance by then",
            width=88,
        ),
        "arrival_p90": st.column_config.DateColumn(
            "Arrival p90", format="YYYY-MM-DD", help="Forecast arrival with 90% chance by then", width=88
        ),
        "late": st.column_config.TextColumn(
            "Late (p50)", help="Forecast arrival p50 compared with need-by, in calendar days", width=82
        ),
        "open_alerts": st.column_config.NumberColumn("Alerts", help="Open alerts on the line", width=52),
        "status": st.column_config.TextColumn("Status", width=100),
        "progress": st.column_config.ProgressColumn(
            "Produced", format="percent", min_value=0, max_value=1, help="Good output / ordered quantity"
        ),
    },
)
pager(total, PAGE, "my_lines.page")

rows = selection.selection.rows if selection is not None else []
with actions:
    if rows:
        picked = frame.iloc[rows[0]]
        st.session_state[SUPPLIER_LINE_KEY] = int(picked["line_id"])
        bar = st.container(horizontal=True, vertical_alignment="center")
        bar.markdown(f"**{plain(picked['line'])}**")
        if bar.button("Revise schedule", icon=":material/event:", key="my_lines.to_schedule"):
            st.switch_page(SCHEDULE)
        if bar.button("Post output", icon=":material/edit_note:", key="my_lines.to_output"):
            st.switch_page(DAILY_OUTPUT)
    else:
        st.caption("Select a line (tick its box) to revise its schedule or post its output.")
