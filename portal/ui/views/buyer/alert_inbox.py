"""A buyer's home: one row per problem (a line or a customer order), by customer impact, to work."""

import datetime as dt
import re

import pandas as pd
import streamlit as st

from portal.core import vocabulary
from portal.core.alert_text import alert_message, backorder_phrase, reopen_reason_text
from portal.core.domain import AlertStatus
from portal.i18n import N_, _, format_date, format_number, format_utc, ngettext
from portal.queries.alerts import AlertFilter, alert_comments, alert_problems, alert_rule_names
from portal.services.alerts import (
    acknowledge_alerts,
    comment_on_alerts,
    mark_alerts_seen,
    resolve_alerts,
    snooze_alerts,
    unsnooze_alerts,
)
from portal.ui.context import actor, call, read
from portal.ui.device import looks_like_a_phone
from portal.ui.supplier_filter import supplier_filter
from portal.ui.text import plain
from portal.ui.widgets import (
    clear_selection,
    date_input_format,
    datetime_format,
    days_format,
    flash,
    line_detail_link,
    page_offset,
    pager,
    rule_label,
    selectable_table,
    severity_tones,
    severity_words,
)

TABLE = "alert_inbox.table"
FLASH = "alert_inbox.flash"
PAGE = 50
SHOW = {
    N_("Open and acknowledged"): AlertFilter(),
    N_("Open only"): AlertFilter(statuses=("open",)),
    N_("Including snoozed"): AlertFilter(include_snoozed=True),
}

actor()
today = dt.date.today()
st.title(_("Alert inbox"))

# "New" counts against the visit before this session's first look, for the whole session:
# the count must not drop to zero on the next click.
if "alert_inbox.since" not in st.session_state:
    # No cached read shows when the buyer looked; its previous visit (the "new" counts) changes only
    # after hours idle, when that buyer's cached reads expired long ago: renew nobody's.
    st.session_state["alert_inbox.since"] = call(mark_alerts_seen, renews=False) or dt.datetime.min
since: dt.datetime = st.session_state["alert_inbox.since"]

# On a phone the five filters and the choice of statuses fill the whole first screen before any alert:
# there they wait in a collapsed expander (its label fixed: a new label would close it on every change),
# with a caption under it when some are set; a wide screen shows them as before.
phone = looks_like_a_phone()
holder = (
    st.expander(_("Filters"), icon=":material/filter_list:", key="alert_inbox.filters", on_change="rerun")
    if phone
    else st.container()
)
with holder:
    c1, c2, c3, c4, c5 = st.columns([2, 2, 1.6, 1.6, 1.2])
    supplier_ids = supplier_filter(c1, "alert_inbox.suppliers")
    rules = c2.multiselect(
        _("Rule"),
        read(alert_rule_names),
        format_func=rule_label,
        key="alert_inbox.rules",
        placeholder=_("All rules"),
    )
    severities = c3.multiselect(
        _("Severity"),
        ["critical", "warning"],
        format_func=lambda severity: severity_words()[severity],
        key="alert_inbox.severities",
        placeholder=_("All"),
    )
    text = c4.text_input(_("PO, SKU or order"), key="alert_inbox.text", placeholder=_("e.g. PO-1042"))
    min_age = c5.number_input(_("Open ≥ days"), min_value=0, max_value=3650, step=1, key="alert_inbox.age")
    show = st.radio(
        _("Show"),
        list(SHOW),
        format_func=_,
        horizontal=True,
        key="alert_inbox.show",
        label_visibility="collapsed",
    )
base = SHOW[show]
if phone:
    set_filters = [supplier_ids, rules, severities, text.strip(), min_age, show != next(iter(SHOW))]
    if any(set_filters):
        n_set = sum(bool(value) for value in set_filters)
        st.caption(ngettext("{n} filter set", "{n} filters set", n_set).format(n=n_set))
filters = AlertFilter(
    supplier_ids=tuple(supplier_ids),
    rules=tuple(rules),
    severities=tuple(severities),
    text=text,
    min_age_days=int(min_age) or None,
    statuses=base.statuses,
    include_snoozed=base.include_snoozed,
)

problems = read(
    alert_problems,
    filters,
    today=today,
    limit=PAGE,
    offset=page_offset("alert_inbox.page", PAGE),
    since=since,
)
frame, total, new = problems.rows, problems.total, problems.new
# A grid, not columns: four across on a wide screen, two by two on a phone (columns stack to four rows).
counts = st.grid(4, min_column_width=150)
counts.metric(
    _("Problems"),
    format_number(total),
    help=_(
        "One per line or customer order, holding its {alerts} alerts; info-level alerts are on the "
        "line page only."
    ).format(alerts=format_number(problems.alerts)),
)
counts.metric(":red[**{}**]".format(_("Critical")), format_number(problems.by_severity["critical"]))
counts.metric(":orange[**{}**]".format(_("Warning")), format_number(problems.by_severity["warning"]))
counts.metric(
    _("New since your last visit"),
    format_number(new),
    help=_("Problems with an alert first seen after your previous visit")
    + (
        " " + _("({when}).").format(when=format_utc(since))
        if since > dt.datetime.min
        else " " + _("(this is your first visit).")
    ),
)
flash(FLASH)

if total == 0:
    st.info(_("No alerts match these filters. New alerts appear here after each recompute."))
    st.stop()


def _done_text(verb: str, alerts: int, problems: int, until: dt.date) -> str:
    """What an action did, as one sentence per action (so each language can word it)."""
    of = ngettext("{n} problem", "{n} problems", problems).format(n=problems)
    messages = {
        "acknowledged": ngettext(
            "{n} alert of {problems} acknowledged.", "{n} alerts of {problems} acknowledged.", alerts
        ),
        "resolved": ngettext(
            "{n} alert of {problems} resolved.", "{n} alerts of {problems} resolved.", alerts
        ),
        "unsnoozed": ngettext(
            "{n} alert of {problems} unsnoozed.", "{n} alerts of {problems} unsnoozed.", alerts
        ),
        "snoozed": ngettext(
            "{n} alert of {problems} snoozed until {date}.",
            "{n} alerts of {problems} snoozed until {date}.",
            alerts,
        ),
        "commented on": ngettext(
            "{n} alert of {problems} commented on.", "{n} alerts of {problems} commented on.", alerts
        ),
    }
    return messages[verb].format(n=alerts, problems=of, date=format_date(until))


def _state(row: pd.Series) -> str:
    snoozed = row["snoozed_until"]
    if snoozed is not None and pd.notna(snoozed) and snoozed > today:
        text = vocabulary.snoozed_text(snoozed)  # "snoozed until ...", as on every page
        return text[:1].upper() + text[1:]
    if row["is_new"] and row["status"] == "open":
        return _("New")
    return vocabulary.status_name(row["status"])


def _short(message: str, row: pd.Series) -> str:
    """A message without its leading subject, which the table already shows."""
    if row["line"] is not None and pd.notna(row["line"]):
        return message.removeprefix(str(row["line"])).lstrip(" :")
    # The backorder as the message's language names it ("Rückstand SO-1 (50 x SKU-1)").
    phrase = backorder_phrase(row["message_args"])
    if phrase and message.startswith(phrase):
        return message.removeprefix(phrase).lstrip(" :")
    return re.sub(r"^Backorder \S+ \([^)]*\)\s*", "", message)  # an alert stored without arguments


def _headline(row: pd.Series) -> str:
    text = _short(alert_message(row["rule"], row["message_args"], str(row["message"])), row)
    reason = reopen_reason_text(row.get("reopen_args"), row.get("reopen_reason"))
    if reason is not None:
        return _("Reopened ({reason}): {text}").format(reason=reason, text=text)
    return text


def _waiting(row: pd.Series) -> str:
    """A line: how many customer orders wait on it; an order: its customer."""
    if str(row["subject_key"]).startswith("backorder:"):
        return str(row["customer"]) if pd.notna(row["customer"]) else _("a customer")
    n = int(row["waiting_orders"])
    return "" if n == 0 else ngettext("{n} order waiting", "{n} orders waiting", n).format(n=n)


view = frame.assign(
    message=frame.apply(_headline, axis=1),
    severity=frame["severity"].map(severity_words()),
    subject=frame["line"].fillna(frame["order_ref"]).fillna(frame["supplier_code"]),
    rule=frame["rule"].map(rule_label),
    also=frame["other_rules"].map(lambda rules: " · ".join(rule_label(r) for r in rules)),
    waiting=frame.apply(_waiting, axis=1),
    state=frame.apply(_state, axis=1),
    # "0 d" reads as on time: a problem no alert dates (behind plan, quality) shows no figure.
    days_late=frame["days_late"].astype("Int64").where(frame["days_late"] > 0),
)
# Widths fit a 1280 px screen with the menu open: the message takes what is left and is shown
# in full below the table for the ticked problems. Row ids are the headline alerts'.
selected_heads = selectable_table(
    view,
    id_column="alert_id",
    key=TABLE,
    tones={"severity": severity_tones(), "state": {_("New"): "info"}},
    columns={
        "severity": st.column_config.TextColumn(_("Severity"), width=72),
        "subject": st.column_config.TextColumn(
            _("Line / order"), width=95, help=_("PO line, or customer backorder")
        ),
        "waiting": st.column_config.TextColumn(
            _("Customers"),
            width=118,
            help=_("A line: the customer orders whose promise counts on it. An order: its customer."),
        ),
        "days_late": st.column_config.NumberColumn(
            _("Late"),
            width=52,
            format=days_format(),
            help=_("Days after need-by (lines) or after the date told (orders)"),
        ),
        "rule": st.column_config.TextColumn(_("Problem"), width=112, help=_("Its worst condition")),
        "also": st.column_config.TextColumn(_("Also"), width=100, help=_("Its other conditions")),
        "message": st.column_config.TextColumn(_("What the portal sees"), width=260),
        "supplier_code": st.column_config.TextColumn(_("Supplier"), width=88),
        "state": st.column_config.TextColumn(
            _("Status"), width=96, help=_("New: an alert first seen since your last visit")
        ),
    },
)
pager(total, PAGE, "alert_inbox.page")

if not selected_heads:
    st.caption(
        _(
            "Problems come first by customer impact: the orders waiting on them, their priority, and how "
            "late. Tick problems (the box left of each row) to acknowledge, snooze, comment on or resolve "
            "every alert of each, or to open their line."
        )
    )
    st.stop()

chosen = frame[frame["alert_id"].isin(selected_heads)]
selected = sorted(int(i) for ids in chosen["alert_ids"] for i in ids)
with st.container(border=True):
    n, alerts = len(chosen), len(selected)
    st.markdown(
        "**{}** ({})".format(
            ngettext("{n} problem selected", "{n} problems selected", n).format(n=n),
            ngettext("{n} alert", "{n} alerts", alerts).format(n=alerts),
        )
    )
    for row in chosen.head(5).itertuples(index=False):
        priority = (
            " · " + _("customer priority {priority}").format(priority=int(row.priority))
            if pd.notna(row.priority) and row.priority
            else ""
        )
        message = alert_message(row.rule, row.message_args, row.message)
        st.text(f"{severity_words().get(row.severity, row.severity)}{priority} · {message}")
        for rule, args, stored in zip(row.other_rules, row.other_args, row.other_messages, strict=True):
            also = _("also {rule}").format(rule=rule_label(rule).lower())
            st.text(f"    {also} · {alert_message(rule, args, stored)}")
    if len(chosen) > 5:
        st.caption(_("... and {n} more.").format(n=len(chosen) - 5))
    links = chosen[chosen["po_line_id"].notna()].drop_duplicates("po_line_id").head(5)
    for row in links.itertuples(index=False):
        line_detail_link(int(row.po_line_id), str(row.line))
    for ref in chosen[chosen["order_ref"].notna()].drop_duplicates("order_ref").head(5)["order_ref"]:
        st.page_link(
            "portal/ui/views/buyer/backorders.py",
            label=_("Open backorder {order}").format(order=plain(ref)),
            icon=":material/shopping_cart:",
            query_params={"order": str(ref)},
        )
    st.caption(
        _(
            "Resolving a problem whose conditions still hold dismisses it: it stays closed until it gets "
            "materially worse (later by the days an admin set, or more severe), then reopens saying why."
        )
    )

    # Unsnooze only where snoozed alerts are listed: elsewhere none of the ticked ones is snoozed, and
    # the button could only answer "0 alerts unsnoozed".
    if base.include_snoozed:
        b1, b2, b3, b4, b5 = st.columns([1, 1, 1, 1.3, 1], vertical_alignment="bottom")
    else:
        b1, b2, b4, b5 = st.columns([1, 1, 1.3, 1], vertical_alignment="bottom")
    done = None
    # A problem is open while any of its alerts is: when none of the ticked ones is, there is nothing to
    # acknowledge (the button answered "0 alerts of 1 problem acknowledged.").
    nothing_open = bool((chosen["status"] != AlertStatus.OPEN.value).all())
    if b1.button(
        _("Acknowledge"),
        icon=":material/done:",
        key="alert_inbox.ack",
        width="stretch",
        disabled=nothing_open,
    ):
        done = call(acknowledge_alerts, selected), "acknowledged"
    if b2.button(_("Resolve"), icon=":material/task_alt:", key="alert_inbox.resolve", width="stretch"):
        done = call(resolve_alerts, selected), "resolved"
    if base.include_snoozed and b3.button(
        _("Unsnooze"), icon=":material/alarm_off:", key="alert_inbox.unsnooze", width="stretch"
    ):
        done = call(unsnooze_alerts, selected), "unsnoozed"
    until = b4.date_input(
        _("Snooze until"),
        value=today + dt.timedelta(days=7),
        min_value=today + dt.timedelta(days=1),
        max_value=today + dt.timedelta(days=366),
        key="alert_inbox.until",
        format=date_input_format(),
    )
    if b5.button(_("Snooze"), icon=":material/snooze:", key="alert_inbox.snooze", width="stretch"):
        done = call(snooze_alerts, selected, until, today=today), "snoozed"
    with st.form("alert_inbox.comment_form", clear_on_submit=True, border=False):
        body = st.text_area(
            _("Comment"),
            key="alert_inbox.comment",
            height=80,
            placeholder=_("What you did or learned, e.g. 'Called the supplier: second shift from Monday.'"),
        )
        if st.form_submit_button(_("Add comment"), icon=":material/add_comment:"):
            done = call(comment_on_alerts, selected, body), "commented on"
    if done is not None:
        changed, verb = done
        if changed is not None:
            flash(FLASH, _done_text(verb, changed, n, until))
            clear_selection(TABLE)
            st.rerun()

if len(chosen) == 1:
    comments = read(alert_comments, int(chosen["alert_id"].iloc[0]))
    st.markdown(_("**Comments**"))
    if comments.empty:
        st.caption(_("No comments yet."))
    else:
        st.dataframe(
            comments,
            hide_index=True,
            placeholder="–",
            width="stretch",
            column_order=["created_at", "author", "body"],
            column_config={
                "created_at": st.column_config.DatetimeColumn(
                    _("When (UTC)"), format=datetime_format(), width=140
                ),
                "author": st.column_config.TextColumn(_("Who"), width=140),
                "body": st.column_config.TextColumn(_("Comment"), width="large"),
            },
        )
