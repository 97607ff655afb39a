"""Backorders: every waiting customer order with its promise date, the supply it counts on, and its status.

Promises are marked as communicated once customer service told the customer; a later, worse
promise then raises PROMISE_SLIPPED. The export is the DOMAIN.md ``promises`` file.
"""

import pandas as pd
import streamlit as st

from portal.core import vocabulary
from portal.core.promise_text import promise_reason_texts, supply_text
from portal.i18n import _, format_number, ngettext, pgettext
from portal.queries.backorders import (
    NOT_COMPUTED,
    PROMISE_SLIPPED,
    PROMISED,
    UNPROMISABLE,
    BackorderFilter,
    backorder_promises,
    backorder_supply,
    promise_dates,
)
from portal.queries.exports import export_frame
from portal.services.backorders import mark_promises_communicated
from portal.ui.context import actor, call, get_db, read
from portal.ui.text import plain
from portal.ui.widgets import (
    clear_selection,
    date_format,
    days_format,
    download_buttons,
    flash,
    label_from,
    line_detail_link,
    page_offset,
    pager,
    selectable_table,
    show_table,
)

TABLE = "backorders.table"
FLASH = "backorders.flash"
PAGE = 100
STATUS_LABELS = {
    PROMISE_SLIPPED: _("Promise slipped"),
    UNPROMISABLE: _("Unpromisable"),
    PROMISED: _("Promised"),
    NOT_COMPUTED: _("Not computed yet"),
}
STATUS_TONES = {PROMISE_SLIPPED: "bad", UNPROMISABLE: "bad", PROMISED: "ok"}

me = actor()
st.title(_("Backorders"))
st.caption(
    _(
        "Customer orders waiting for stock, worst first. The promise date is when the last unit they need "
        "is available (on-hand stock, or an open line's arrival p90 plus the supplier's buffer)."
    )
)

# ?order= (from an alert) opens the page on that backorder.
wanted = st.query_params.get("order")
if wanted and wanted != st.session_state.get("backorders.from_url"):
    st.session_state["backorders.from_url"] = wanted
    st.session_state["backorders.text"] = wanted

c1, c2, c3 = st.columns([2.2, 2, 1.4], vertical_alignment="bottom")
statuses = c1.multiselect(
    _("Status"),
    [PROMISE_SLIPPED, UNPROMISABLE, PROMISED, NOT_COMPUTED],
    format_func=label_from(STATUS_LABELS),
    key="backorders.statuses",
    placeholder=_("Every status"),
)
text = c2.text_input(_("Order, customer or SKU"), key="backorders.text", placeholder=_("e.g. SO-1042"))
not_told = c3.toggle(
    _("Not yet told"),
    key="backorders.not_told",
    help=_("Promised, but the customer was not told this date yet"),
)
filters = BackorderFilter(statuses=tuple(statuses), text=text, not_communicated=not_told)
frame, total, counts = read(
    backorder_promises, filters, limit=PAGE, offset=page_offset("backorders.page", PAGE)
)

# A grid, not columns: five across on a wide screen, two a row on a phone (not five rows of counts).
counts_grid = st.grid(5, min_column_width=140)
# The counts follow the filters: they add up to what the table holds.
counts_grid.metric(_("Waiting"), format_number(sum(counts[s] for s in STATUS_LABELS)))
counts_grid.metric(
    f":red[**{STATUS_LABELS[PROMISE_SLIPPED]}**]",
    format_number(counts[PROMISE_SLIPPED]),
    help=_("Promise later than the date told"),
)
counts_grid.metric(
    f":red[**{STATUS_LABELS[UNPROMISABLE]}**]",
    format_number(counts[UNPROMISABLE]),
    help=_("Stock and open lines cannot cover it"),
)
counts_grid.metric(f":green[**{STATUS_LABELS[PROMISED]}**]", format_number(counts[PROMISED]))
counts_grid.metric(
    _("Not yet told"),
    format_number(counts["not_communicated"]),
    help=_("Promised dates not yet communicated"),
)
flash(FLASH)

with st.expander(_("Export promises for customer service"), icon=":material/download:"):
    st.caption(
        _(
            "Every waiting backorder: its order, customer, SKU, quantity and priority, the promise date "
            "(empty when it cannot be promised), its status (promised, slipped or cannot be promised), the "
            "date told to the customer, the days of slip and the reason for the date. Cells that a "
            "spreadsheet would run as a formula are escaped."
        )
    )
    db, who = get_db(), me
    download_buttons(lambda: export_frame(db, who, "promises"), "promises", key="backorders.export")

if total == 0:
    st.info(_("No waiting backorders match these filters."))
    st.stop()


def _status(row: pd.Series) -> str:
    if row["status"] == PROMISE_SLIPPED and pd.notna(row["slip_days"]):
        # TRANSLATORS: a backorder's promise slipped by a number of days ("d": days)
        return _("Slipped +{days} d").format(days=int(row["slip_days"]))
    return STATUS_LABELS.get(row["status"]) or vocabulary.status_name(row["status"])


# The reason is stored in English (the export and the API give it so) and as its template's
# arguments: shown in the reader's language.
# The supply comes as data: written here in the reader's words.
view = frame.drop(columns="reason_args").assign(
    status=frame.apply(_status, axis=1),
    reason=promise_reason_texts(frame["reason"], frame["reason_args"]),
    supply=frame["supply"].map(supply_text),
)
tones = {label: STATUS_TONES[s] for s, label in STATUS_LABELS.items() if s in STATUS_TONES}
slipped = frame["status"].eq(PROMISE_SLIPPED) & frame["slip_days"].notna()
tones.update(dict.fromkeys(view.loc[slipped, "status"], "bad"))
# Widths fit a 1280 px screen with the menu open; order date and priority are in the column menu.
selected = selectable_table(
    view,
    id_column="backorder_id",
    key=TABLE,
    tones={"status": tones},
    # The reason is what customer service reads out: it comes right after the date it explains.
    column_order=[
        "status",
        "order_ref",
        "customer",
        "promise_date",
        "reason",
        "communicated_date",
        "quantity",
        "sku",
    ],
    column_config={
        "status": st.column_config.TextColumn(
            _("Status"),
            width=136,  # "Verschoben +35 Tg." (German) whole
            help=_("Slipped: the promise is now later than the date told to the customer"),
        ),
        "order_ref": st.column_config.TextColumn(_("Order"), width=82),
        "customer": st.column_config.TextColumn(_("Customer"), width=120),
        "sku": st.column_config.TextColumn(_("SKU"), width=76),
        "quantity": st.column_config.NumberColumn(_("Qty"), format="localized", width=50),
        "promise_date": st.column_config.DateColumn(_("Promise"), format=date_format(), width=88),
        "communicated_date": st.column_config.DateColumn(
            _("Told customer"), format=date_format(), width=96, help=_("The date last told to the customer")
        ),
        "reason": st.column_config.TextColumn(
            _("Why this date"),
            width=260,
            help=_(
                "Where the promise date "
                "comes from: stock on "
                "hand, the arrival "
                "p90 of the PO "
                "line its last "
                "unit comes from plus the supplier's buffer, or the units no supply covers"
            ),
        ),
        "supply": st.column_config.TextColumn(
            _("Counts on"), help=_("On-hand stock and PO lines (with the date each is available)")
        ),
        "priority": st.column_config.NumberColumn(_("Priority"), help=_("Higher is served first")),
        "order_date": st.column_config.DateColumn(_("Ordered"), format=date_format()),
        "slip_days": st.column_config.NumberColumn(_("Slip"), format=days_format()),
    },
)
pager(total, PAGE, "backorders.page")

if not selected:
    st.caption(_("Tick backorders to mark their promise as told to the customer, or to see their supply."))
    st.stop()

chosen = frame[frame["backorder_id"].isin(selected)]
with st.container(border=True):
    left, right = st.columns([3, 1.4], vertical_alignment="center")
    left.markdown(
        "**{}** · {}".format(
            ngettext("{n} backorder selected", "{n} backorders selected", len(selected)).format(
                n=len(selected)
            ),
            _("marking stores each promise date as the date told to the customer."),
        )
    )
    if right.button(
        _("Mark as communicated"), icon=":material/campaign:", type="primary", key="backorders.mark"
    ):
        changed = call(mark_promises_communicated, selected, expected=promise_dates(chosen))
        if changed is not None:
            flash(
                FLASH,
                ngettext(
                    "{n} promise marked as communicated.", "{n} promises marked as communicated.", changed
                ).format(n=changed),
            )
            clear_selection(TABLE)
            st.rerun()

if len(selected) == 1:
    row = chosen.iloc[0]
    supply = read(backorder_supply, int(row["backorder_id"]))
    st.subheader(_("Supply of {order}").format(order=plain(row["order_ref"])))
    if supply.empty:
        st.warning(_("Nothing is allocated: stock and open lines of this item cannot cover the whole order."))
    else:
        show_table(
            supply.assign(
                line_status=supply["line_status"].map(vocabulary.status_name),
                source=supply["source"].where(supply["po_line_id"].notna(), _("on hand")),
            ),
            placeholder="–",
            columns={
                "source": st.column_config.TextColumn(pgettext("supply source", "From"), width=110),
                "supplier_code": st.column_config.TextColumn(_("Supplier"), width=100),
                "quantity": st.column_config.NumberColumn(_("Qty"), format="localized", width=60),
                "available_date": st.column_config.DateColumn(
                    _("Available"), format=date_format(), help=_("Arrival p90 plus the supplier's buffer")
                ),
                "need_by_date": st.column_config.DateColumn(_("Line need by"), format=date_format()),
                "arrival_p50": st.column_config.DateColumn(_("Arrival p50"), format=date_format()),
                "arrival_p90": st.column_config.DateColumn(_("Arrival p90"), format=date_format()),
                "line_status": st.column_config.TextColumn(_("Line status")),
            },
        )
        for line in supply[supply["po_line_id"].notna()].itertuples(index=False):
            line_detail_link(int(line.po_line_id), str(line.source))
