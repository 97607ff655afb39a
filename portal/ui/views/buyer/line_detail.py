"""One line's whole story: burn-up, schedule revisions, daily reports, receipts, alerts and audit trail.

Reachable from other pages with ``?line=<id>`` (st.page_link / st.switch_page query_params).
"""

from typing import Any

import pandas as pd
import streamlit as st

from portal.core import vocabulary
from portal.core.alert_text import alert_message
from portal.core.change_order_email import value_text
from portal.core.domain import PortalError, Severity
from portal.core.parsing import parse_whole_number
from portal.i18n import _, format_date, format_number, format_percent, format_utc, ngettext
from portal.queries.late_lines import find_lines
from portal.queries.line_detail import line_detail
from portal.services.alerts import comment_on_alert
from portal.ui.charts import show_burnup
from portal.ui.context import actor, call, read
from portal.ui.text import plain
from portal.ui.widgets import (
    arrival_chance,
    change_summary,
    date_format,
    datetime_format,
    flash,
    label_from,
    rule_label,
    show_table,
)

PICK = "line_detail.line"
FLASH = "line_detail.flash"

me = actor()

# A ?line= in the URL picks the line once; afterwards the picker is in charge (and updates the URL).
wanted = st.query_params.get("line")
if wanted and wanted != st.session_state.get("line_detail.from_url"):
    st.session_state["line_detail.from_url"] = wanted
    # str.isdigit() holds for '²' and '５', which int() refuses or reads: one rule for every number.
    try:
        picked = parse_whole_number(wanted)
    except ValueError:
        picked = 0
    if picked >= 1:
        st.session_state[PICK] = picked

title = st.empty()
pick_left, pick_right = st.columns([1, 2])
text = pick_left.text_input(
    _("Find a line"), key="line_detail.search", placeholder=_("PO number, SKU or supplier")
)
found = read(find_lines, text)
labels = {int(r.line_id): f"{r.line} · {r.supplier_code} · {r.sku}" for r in found.itertuples(index=False)}
current = st.session_state.get(PICK)
if current is not None and current not in labels:
    # A line opened from a link may be outside the search's 50: name it as people do, not by its id.
    try:
        head = read(line_detail, int(current)).header
        labels = {int(current): f"{head['label']} · {head['supplier_code']} · {head['sku']}", **labels}
    except PortalError:
        st.session_state.pop(PICK, None)
        current = None
line_id = pick_right.selectbox(
    _("Line"),
    list(labels),
    format_func=label_from(labels),
    index=None,
    key=PICK,
    placeholder=_("Choose a line"),
    help=_("Up to 50 lines matching the search; without one, the latest open lines"),
)
if line_id is None:
    title.title(_("Line detail"))
    st.info(
        _(
            "Choose a line in the **Line** box above (type a PO number, SKU or supplier in **Find a line** "
            "to narrow it), or open one from another page."
        )
    )
    st.stop()
st.query_params["line"] = str(line_id)

detail = read(line_detail, int(line_id))
h, fc = detail.header, detail.forecast or {}
title.title(_("Line {line}").format(line=plain(h["label"])))
st.caption(
    f"{plain(h['supplier_code'])} · {plain(h['supplier_name'])} — {plain(h['sku'])} {plain(h['item'])} — "
    f"{vocabulary.status_name(h['status'])}"
)


def _day(value: object) -> str:
    return "–" if value is None or pd.isna(value) else format_date(pd.Timestamp(value).date())


def _posted_by() -> dict[str, Any]:
    """The last columns of the schedule and output tables: who posted the row, and when."""
    return {
        "created_by": st.column_config.TextColumn(_("By"), width=110),
        "created_at": st.column_config.DatetimeColumn(_("Posted (UTC)"), format=datetime_format(), width=130),
    }


def _when_and_who() -> dict[str, Any]:
    """The first columns of the change-order and audit tables: when, and who made the change."""
    return {
        "at": st.column_config.DatetimeColumn(_("When (UTC)"), format=datetime_format(), width=130),
        "who": st.column_config.TextColumn(_("Who"), width=130),
    }


schedule = detail.current_schedule or {}
# Lines no longer open have no forecast: their good output is what their current reports add up to.
reported = int(detail.current_reports["good_qty"].sum()) if len(detail.reports) else 0
produced = int(fc["produced"]) if fc.get("produced") is not None else reported
late = fc.get("days_late_p50")
quantity = int(h["quantity"])
remaining = fc.get("remaining")
# Two rows of four: a date in the metric font needs about a quarter of a 1280 px screen.
top = st.columns(4)
top[0].metric(_("Ordered"), format_number(quantity))
top[1].metric(
    _("Produced (good)"),
    format_number(produced),
    _("{share} of the order").format(share=format_percent(produced / quantity)),
    delta_color="off",
    delta_arrow="off",
)
top[2].metric(_("Still to make"), "–" if remaining is None else format_number(int(remaining)))
top[3].metric(
    _("Days late (p50)"),
    "–" if late is None else f"{int(late):+d}",
    None if late is None else (_("late") if late > 0 else _("on time")),
    delta_color="red" if late is not None and late > 0 else "green",
    delta_arrow="off",
    help=_("Arrival p50 minus need-by, in calendar days (negative: early)"),
)
dates = st.columns(4)
dates[0].metric(_("Need by"), _day(h["need_by_date"]))
dates[1].metric(
    _("Supplier's estimate"),
    _day(schedule.get("estimated_end_date")),
    help=_("The supplier's estimated end date"),
)
dates[2].metric(_("Arrival p50"), _day(fc.get("arrival_p50")), help=arrival_chance(0.5))
dates[3].metric(_("Arrival p90"), _day(fc.get("arrival_p90")), help=arrival_chance(0.9))

show_burnup(detail)
flash(FLASH)

alerts, reports = detail.alerts, detail.reports
if len(reports):
    reports = reports.assign(created_by=reports["created_by"].map(vocabulary.actor_name))
corrections = int((~reports["is_current"]).sum()) if len(reports) else 0
live = alerts[alerts["status"] != "resolved"] if len(alerts) else alerts
tabs = st.tabs(
    [
        _("Alerts ({n} live)").format(n=len(live)),
        _("Schedule revisions ({n})").format(n=len(detail.schedules)),
        _("Daily reports ({n})").format(n=int(reports["is_current"].sum()) if len(reports) else 0),
        _("Receipts ({n})").format(n=len(detail.receipts)),
        _("Order changes ({n})").format(n=len(detail.changes)),
        *([_("Audit trail ({n})").format(n=len(detail.audit))] if not me.is_supplier else []),
    ]
)

with tabs[0]:
    if alerts.empty:
        st.caption(_("No alerts on this line."))
    # Live alerts first, worst first; resolved ones after, as history.
    ordered = alerts.assign(
        resolved=alerts["status"] == "resolved",
        rank=-alerts["severity"].map(Severity.ranks()),
    ).sort_values(["resolved", "rank", "first_seen"], ascending=[True, True, False])
    for alert in ordered.itertuples(index=False):
        with st.container(border=True):
            st.markdown(
                f"{vocabulary.severity_markdown(alert.severity)} · **{rule_label(alert.rule)}** · "
                f"{vocabulary.status_name(alert.status)}"
                + (
                    f" · {vocabulary.snoozed_text(pd.Timestamp(alert.snoozed_until).date())}"
                    if alert.status != "resolved" and not pd.isna(alert.snoozed_until)
                    else ""
                )
                + " · "
                + _("first seen {date}").format(date=format_date(pd.Timestamp(alert.first_seen).date()))
            )
            st.text(alert_message(alert.rule, alert.message_args, alert.message))
            thread = detail.comments[detail.comments["alert_id"] == alert.alert_id]
            for c in thread.itertuples(index=False):
                st.text(f"{format_utc(c.created_at)} · {c.author}: {c.body}")
    if not live.empty:
        with st.form("line_detail.comment", clear_on_submit=True):
            options = {
                int(a.alert_id): f"{rule_label(a.rule)} ({vocabulary.severity_name(a.severity)})"
                for a in live.itertuples()
            }
            alert_id = st.selectbox(_("Comment on"), list(options), format_func=label_from(options))
            body = st.text_area(_("Comment"), height=80, key="line_detail.comment_body")
            if st.form_submit_button(_("Add comment"), icon=":material/add_comment:") and (
                call(comment_on_alert, alert_id, body) is not None
            ):
                flash(FLASH, _("Comment added."))
                st.rerun()

with tabs[1]:
    if detail.schedules.empty:
        st.caption(_("The supplier has not posted a schedule yet."))
    else:
        revisions = detail.schedules.assign(
            moved=(
                pd.to_datetime(detail.schedules["estimated_end_date"])
                - pd.to_datetime(detail.schedules["previous_end_date"])
            ).dt.days.astype("Int64"),
            created_by=detail.schedules["created_by"].map(vocabulary.actor_name),
        ).iloc[::-1]
        show_table(
            revisions,
            placeholder="–",
            columns={
                "revision": st.column_config.NumberColumn(_("Rev."), width=45),
                "start_date": st.column_config.DateColumn(_("Start"), format=date_format(), width=90),
                "daily_output": st.column_config.NumberColumn(_("Per day"), format="localized", width=65),
                "estimated_end_date": st.column_config.DateColumn(
                    _("Estimated end"), format=date_format(), width=100
                ),
                "moved": st.column_config.NumberColumn(
                    _("End moved"), format="%+d d", width=80, help=_("Calendar days later (+) or earlier (-)")
                ),
                "reason": st.column_config.TextColumn(_("Reason"), width=215),
                **_posted_by(),
            },
        )

with tabs[2]:
    if reports.empty:
        st.caption(_("No daily output reported yet."))
    else:
        current = reports[reports["is_current"]].sort_values("report_date", ascending=False)
        revised = reports.groupby("report_date")["revision"].transform("max")
        current = current.assign(corrected=(revised.loc[current.index] > 1).map({True: _("yes"), False: ""}))
        show_table(
            current,
            placeholder="–",
            columns={
                "report_date": st.column_config.DateColumn(_("Day"), format=date_format(), width=95),
                "good_qty": st.column_config.NumberColumn(_("Good"), format="localized", width=70),
                "rejected_qty": st.column_config.NumberColumn(_("Rejected"), format="localized", width=75),
                "corrected": st.column_config.TextColumn(
                    _("Corrected"),
                    width=80,
                    help=_("Replaced by a correction; earlier values are listed below"),
                ),
                "note": st.column_config.TextColumn(_("Note"), width=200),
                **_posted_by(),
            },
        )
        if corrections:
            st.markdown(
                "**{}** · {}".format(
                    _("Corrections history"),
                    ngettext(
                        "{n} earlier value replaced by a correction",
                        "{n} earlier values replaced by a correction",
                        corrections,
                    ).format(n=corrections),
                )
            )
            show_table(
                reports[~reports["is_current"]].sort_values(
                    ["report_date", "revision"], ascending=[False, True]
                ),
                placeholder="–",
                columns={
                    "report_date": st.column_config.DateColumn(_("Day"), format=date_format(), width=95),
                    "revision": st.column_config.NumberColumn(_("Rev."), width=50),
                    "good_qty": st.column_config.NumberColumn(_("Good (was)"), format="localized", width=85),
                    "rejected_qty": st.column_config.NumberColumn(
                        _("Rejected (was)"), format="localized", width=100
                    ),
                    "note": st.column_config.TextColumn(_("Note"), width=200),
                    **_posted_by(),
                },
            )

with tabs[3]:
    if detail.receipts.empty:
        st.caption(_("Nothing received yet."))
    else:
        receipts = detail.receipts.assign(good=detail.receipts["quantity"] - detail.receipts["rejected_qty"])
        show_table(
            receipts,
            placeholder="–",
            column_config={
                "received_date": st.column_config.DateColumn(_("Received"), format=date_format()),
                "quantity": st.column_config.NumberColumn(_("Quantity"), format="localized"),
                "rejected_qty": st.column_config.NumberColumn(_("Rejected"), format="localized"),
                "good": st.column_config.NumberColumn(_("Good"), format="localized"),
            },
        )
        st.caption(
            _("Good received in total: {good} of {ordered}.").format(
                good=format_number(int(receipts["good"].sum())), ordered=format_number(int(h["quantity"]))
            )
        )

with tabs[4]:
    if detail.changes.empty:
        st.caption(_("The order has not changed since it was imported."))
    else:
        # Values as the reader's language writes them (dates, numbers, status words), as in the e-mail.
        changes = detail.changes.assign(
            field=detail.changes["field"].map(vocabulary.field_name),
            who=detail.changes["who"].map(vocabulary.actor_name),
            old_value=[
                value_text(f, v or "")
                for f, v in zip(detail.changes["field"], detail.changes["old_value"], strict=True)
            ],
            new_value=[
                value_text(f, v or "")
                for f, v in zip(detail.changes["field"], detail.changes["new_value"], strict=True)
            ],
        )
        show_table(
            changes,
            placeholder="–",
            columns={
                **_when_and_who(),
                "field": st.column_config.TextColumn(_("What"), width=120),
                "old_value": st.column_config.TextColumn(_("Was"), width=110),
                "new_value": st.column_config.TextColumn(_("Now"), width=110),
                "source": st.column_config.TextColumn(_("From file"), width=160),
            },
        )
        st.caption(_("Changes the buyer imported as change orders, newest first."))

if me.is_supplier:
    st.stop()

with tabs[5]:
    if detail.audit.empty:
        st.caption(_("No recorded changes."))
    else:
        audit = detail.audit.assign(
            change=[
                change_summary(b, a)
                for b, a in zip(detail.audit["before"], detail.audit["after"], strict=True)
            ],
            action=detail.audit["action"].map(vocabulary.event_name),
            entity=detail.audit["entity"].map(vocabulary.entity_name),
            who=detail.audit["who"].map(vocabulary.actor_name),
        )
        show_table(
            audit,
            placeholder="–",
            columns={
                **_when_and_who(),
                "action": st.column_config.TextColumn(_("What"), width=140),
                "entity": st.column_config.TextColumn(_("On"), width=80),
                "change": st.column_config.TextColumn(_("Change"), width=300),
            },
        )
