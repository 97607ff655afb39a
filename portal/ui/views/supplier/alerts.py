"""Alerts and messages: the alerts on my lines, one row per line (its most pressing alert first, the
others beside it), my buyer's comments, and my replies."""

import pandas as pd
import streamlit as st

from portal.core import vocabulary
from portal.core.alert_text import alert_message
from portal.i18n import _, format_utc, ngettext
from portal.queries.alerts import alert_comments
from portal.queries.supplier_alerts import supplier_alert_lines
from portal.services.alerts import comment_on_alert
from portal.ui.context import actor, call, read
from portal.ui.text import plain
from portal.ui.widgets import date_format, days_format, severity_label, show_table

SENT = "supplier_alerts.sent"


def rule_text(rule: str) -> str:
    """An alert rule's one name (portal.core.vocabulary), the same the buyer and the e-mails use."""
    return vocabulary.rule_name(rule)


@st.fragment
def thread(alert: pd.Series) -> None:
    """One alert of a line: what it says, the comments on it and a reply box; sending reruns only this
    part of the page."""
    me = actor()
    alert_id = int(alert["alert_id"])
    hint = vocabulary.supplier_hint(alert["rule"])
    line = alert["line"] if isinstance(alert["line"], str) else _("all your lines")
    st.markdown(
        f"{vocabulary.severity_markdown(alert['severity'])} · **{rule_text(alert['rule'])}** · "
        f"{plain(line)} · {vocabulary.status_name(alert['status'])}"
    )
    st.text(alert_message(alert["rule"], alert["message_args"], alert["message"]))
    if hint:
        st.caption(hint)
    # The thread is filled after the form, so a reply just sent is already in it.
    box = st.container()
    with st.form(f"supplier_alerts.reply.{alert_id}", clear_on_submit=True, border=False):
        body = st.text_area(
            _("Your reply"),
            max_chars=4000,
            placeholder=_("What is happening, and what you will do"),
            key=f"supplier_alerts.reply_body.{alert_id}",
        )
        sent = st.form_submit_button(_("Send reply"), type="primary", icon=":material/send:")
    if sent and call(comment_on_alert, alert_id, body) is not None:
        # The whole page reruns so the table's comment count includes the reply too.
        st.session_state[SENT] = alert_id
        st.rerun()
    if st.session_state.get(SENT) == alert_id:
        del st.session_state[SENT]
        st.success(_("Reply sent to your buyer."), icon=":material/check_circle:")
    comments = read(alert_comments, alert_id)
    with box:
        if comments.empty:
            st.caption(_("No comments yet."))
        for row in comments.itertuples(index=False):
            mine = row.author == me.name
            with st.chat_message(
                "supplier" if mine else "buyer", avatar=":material/factory:" if mine else None
            ):
                said = pd.Timestamp(row.created_at)
                st.caption(f"{plain(row.author)} · {format_utc(said)}")
                # Comments are other people's text: shown as plain text, never as markdown or HTML.
                st.text(row.body)


actor()
st.title(_("Alerts and messages"))
st.caption(
    _(
        "One row per line: its most pressing alert, with its other alerts beside it, the lines to act on "
        "first at the top. Select a row to read every alert of the line, your buyer's comments, and reply."
    )
)
show_resolved = st.toggle(_("Show resolved alerts too"), key="supplier_alerts.resolved")
# A buyer's snooze only quiets the buyer's inbox: the supplier still sees the alert.
found = read(supplier_alert_lines, show_resolved=show_resolved)
frame, alerts = found.rows, found.alerts
if frame.empty:
    st.success(_("No alerts on your lines."), icon=":material/check_circle:")
    st.stop()

total, lines = len(alerts), len(frame)
critical = int(((frame["severity"] == "critical") & frame["live"]).sum())
count = ngettext("{n} alert", "{n} alerts", total).format(n=total)
if show_resolved:
    summary = ngettext(
        "**{alerts} on {n} line**, resolved ones included.",
        "**{alerts} on {n} lines**, resolved ones included.",
        lines,
    )
elif critical:
    summary = ngettext(
        "**{alerts} on {n} line**, {critical} of them critical.",
        "**{alerts} on {n} lines**, {critical} of them critical.",
        lines,
    )
else:
    summary = ngettext("**{alerts} on {n} line**.", "**{alerts} on {n} lines**.", lines)
st.markdown(summary.format(alerts=count, n=lines, critical=critical))
# The alert's text is translated only for the selected line's detail below, not for a hidden column.
view = frame.assign(
    severity=frame["severity"].map(severity_label),
    what=frame["rule"].map(rule_text),
    also=frame["other_rules"].map(lambda rules: " · ".join(rule_text(r) for r in rules)),
    line=frame["line"].fillna(_("all lines")),
    # "0 d" reads as on time: a condition no alert dates (behind plan, quality) shows no figure.
    days_late=frame["days_late"].astype("Int64").where(frame["days_late"] > 0),
    status=frame["status"].map(vocabulary.status_name),
)
selection = show_table(
    view,
    key="supplier_alerts.table",
    # Six and a half rows when there are more (35 px a row and the header): the half row shows that
    # the table scrolls; the selected line's alerts and comments stay in view below.
    height=266 if len(view) > 6 else "content",
    on_select="rerun",
    selection_mode="single-row",
    # The widths add up to the page's width at 1280 px with the sidebar open (about 820 px with the
    # selection column): the alert's full text is in the selected line's detail below, not in a column.
    columns={
        "severity": st.column_config.TextColumn(_("Severity"), width=80),
        "line": st.column_config.TextColumn(_("Line"), width=90),
        "what": st.column_config.TextColumn(_("Alert"), width=160, help=_("The line's most pressing alert")),
        "also": st.column_config.TextColumn(_("Also"), width=140, help=_("The line's other alerts")),
        "days_late": st.column_config.NumberColumn(
            _("Late"),
            width=50,
            format=days_format(),
            help=_("Days the line is forecast to arrive after need-by"),
        ),
        "need_by_date": st.column_config.DateColumn(_("Need by"), format=date_format(), width=90),
        "comments": st.column_config.NumberColumn(_("Comments"), width=75),
        "status": st.column_config.TextColumn(_("Status"), width=85),
    },
)
rows = selection.selection.rows if selection is not None else []
picked = frame.iloc[rows[0]] if rows else frame.iloc[0]
if not rows:
    st.caption(_("Showing the first line: select another row to read its alerts and reply."))
# Every alert of the line, the most pressing first, each with its own comments and reply box.
of_line = alerts.set_index("alert_id").loc[[int(i) for i in picked["alert_ids"]]].reset_index()
of_line = of_line.assign(_first=of_line["alert_id"] == int(picked["alert_id"])).sort_values(
    "_first", ascending=False, kind="stable"
)
for _i, alert in of_line.iterrows():
    with st.container(border=True):
        thread(alert)
