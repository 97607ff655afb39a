"""A supplier's home: its own open lines, most urgent first, and what needs doing today."""

import streamlit as st

from db.frames import as_int
from portal.i18n import _, format_date, format_percent, ngettext
from portal.queries.alerts import AlertFilter, alert_inbox
from portal.queries.lines import LineFilter, line_choices, open_lines, output_sheet
from portal.services.settings import get_settings
from portal.ui.context import actor, read
from portal.ui.context import today as my_day
from portal.ui.text import plain
from portal.ui.widgets import (
    STATUS_LABELS,
    SUPPLIER_LINE_KEY,
    arrival_chance,
    date_format,
    label_from,
    page_offset,
    pager,
    show_table,
    status_label,
)

DAILY_OUTPUT = "portal/ui/views/supplier/daily_output.py"
SCHEDULE = "portal/ui/views/supplier/schedule.py"
PAGE = 100
#: The table's columns, in order: only these (and the line id, for the selection) are styled and
#: sent: pandas' Styler renders every cell it is given, and the query's other columns cost time
#: for nothing.
COLUMNS = [
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
]

me = actor()
st.title(_("My lines"))

# What needs doing today first: lines nobody updated (the STALE_UPDATE alerts), today's output.
stale, stale_total, _stale_more = read(
    alert_inbox, AlertFilter(rules=("STALE_UPDATE",), include_snoozed=True), limit=20
)
today = my_day()  # the supplier's own local date
sheet = read(output_sheet, today)
if stale_total:
    quiet = read(get_settings).stale_update_days
    shown = plain(", ".join(stale["line"].dropna().tolist()))
    if stale_total > len(stale):
        shown = _("{lines} and {n} more").format(lines=shown, n=stale_total - len(stale))
    st.warning(
        ngettext(
            "**{n} line has had no output posted for {days} working days or more:** {lines}. "
            "Your buyer cannot tell whether it is on track.",
            "**{n} lines have had no output posted for {days} working days or more:** {lines}. "
            "Your buyer cannot tell whether they are on track.",
            stale_total,
        ).format(n=stale_total, days=quiet, lines=shown),
        icon=":material/schedule:",
    )
todo = int(sheet["posted_good_qty"].isna().sum()) if len(sheet) else 0
cols = st.columns([3, 1], vertical_alignment="center")
if len(sheet):
    cols[0].caption(
        ngettext(
            "Today ({date}): output posted for {done} of {n} line in production.",
            "Today ({date}): output posted for {done} of {n} lines in production.",
            len(sheet),
        ).format(date=format_date(today), done=len(sheet) - todo, n=len(sheet))
    )
cols[1].page_link(DAILY_OUTPUT, label=_("Post today's output"), icon=":material/edit_note:")

choices = read(line_choices)
items = choices.drop_duplicates("item_id").sort_values("sku")
item_names = dict(zip(items["item_id"], items["sku"] + " · " + items["item"], strict=True))
left, middle, right = st.columns([2, 3, 2])
statuses = left.multiselect(
    _("Status"),
    ["open", "in_production", "shipped"],
    format_func=lambda status: _(STATUS_LABELS[status]),
    key="my_lines.status",
    placeholder=_("All open lines"),
)
chosen_items = middle.multiselect(
    _("Item"),
    list(item_names),
    format_func=label_from(item_names),
    key="my_lines.items",
    placeholder=_("All items"),
)
text = right.text_input(_("Search PO or SKU"), key="my_lines.text")
filters = LineFilter(statuses=tuple(statuses), item_ids=tuple(int(i) for i in chosen_items), text=text)
offset = page_offset("my_lines.page", PAGE)
frame, total = read(open_lines, filters, limit=PAGE, offset=offset)

if total == 0:
    st.info(
        _("No open lines match. New purchase-order lines appear here as soon as your buyer imports them.")
    )
    st.stop()


def lateness(cell: object) -> str:
    """'11 d late', 'on time', '2 d early' from the forecast arrival p50 minus need-by."""
    days = as_int(cell)
    if days is None:
        return _("no forecast")
    if days > 0:
        return ngettext("{n} day late", "{n} days late", days).format(n=days)
    if days < 0:
        return ngettext("{n} day early", "{n} days early", -days).format(n=-days)
    return _("on time")


view = frame.assign(
    item=frame["sku"] + " · " + frame["item"],
    status=frame["status"].map(status_label),
    progress=(frame["produced"].astype("float64") / frame["quantity"].astype("float64")).clip(0, 1),
    late=frame["days_late_p50"].map(lateness),
)[["line_id", *COLUMNS]]
late_rows = frame["days_late_p50"].fillna(0).astype("float64") > 0
styled = view.style.apply(
    lambda column: ["color: #a40e26; font-weight: 600" if late else "" for late in late_rows],
    subset=["late"],
)
# The actions on a selected line sit above the table: below a long table they would be off screen.
actions = st.container()
# Selection by row position: a filter or page change reorders the rows, so the table is keyed by them.
selection = show_table(
    styled,
    key=f"my_lines.table.{hash(tuple(frame['line_id']))}",
    on_select="rerun",
    selection_mode="single-row",
    column_order=COLUMNS,
    column_config={
        "line": st.column_config.TextColumn(_("Line"), help=_("PO number / line"), pinned=True, width=100),
        "item": st.column_config.TextColumn(_("Item"), width=150),
        "need_by_date": st.column_config.DateColumn(
            _("Need by"), format=date_format(), help=_("When the buyer needs it at the warehouse"), width=88
        ),
        "estimated_end_date": st.column_config.DateColumn(
            _("My end date"), format=date_format(), help=_("Your estimated end of production"), width=88
        ),
        "arrival_p50": st.column_config.DateColumn(
            _("Arrival p50"),
            format=date_format(),
            help=_(
                "The portal's forecast of arrival at the warehouse (end of production + transit): "
                "{chance} chance by then"
            ).format(chance=format_percent(0.5)),
            width=88,
        ),
        "arrival_p90": st.column_config.DateColumn(
            _("Arrival p90"),
            format=date_format(),
            help=arrival_chance(0.9),
            width=88,
        ),
        "late": st.column_config.TextColumn(
            _("Late (p50)"), help=_("Forecast arrival p50 compared with need-by, in calendar days"), width=82
        ),
        "open_alerts": st.column_config.NumberColumn(
            _("Alerts"), help=_("Open alerts on the line"), width=52
        ),
        "status": st.column_config.TextColumn(_("Status"), width=100),
        "progress": st.column_config.ProgressColumn(
            _("Produced"),
            format="percent",
            min_value=0,
            max_value=1,
            help=_("Good output / ordered quantity"),
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
        if bar.button(_("Revise schedule"), icon=":material/event:", key="my_lines.to_schedule"):
            st.switch_page(SCHEDULE)
        if bar.button(_("Post output"), icon=":material/edit_note:", key="my_lines.to_output"):
            st.switch_page(DAILY_OUTPUT)
    else:
        st.caption(_("Select a line (tick its box) to revise its schedule or post its output."))
