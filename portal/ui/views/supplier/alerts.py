"""Alerts and messages: the alerts on my lines, my buyer's comments, and my replies."""

import pandas as pd
import streamlit as st

from portal.core import vocabulary
from portal.core.alert_text import alert_message, alert_messages
from portal.i18n import _, format_date, ngettext
from portal.queries.alerts import AlertFilter, alert_comments, alert_inbox
from portal.services.alerts import comment_on_alert
from portal.ui.context import actor, call, read
from portal.ui.text import plain
from portal.ui.widgets import date_format, severity_label

SENT = "supplier_alerts.sent"


def rule_text(rule: str) -> str:
    """An alert rule's one name (portal.core.vocabulary), the same the buyer and the e-mails use."""
    return _(vocabulary.rule_name(rule))


@st.fragment
def thread(alert: pd.Series) -> None:
    """The comments on one alert and a reply box; sending reruns only this part of the page."""
    me = actor()
    hint = vocabulary.supplier_hint(alert["rule"])
    st.markdown(f"**{rule_text(alert['rule'])}** · {plain(alert['line']) or _('all your lines')}")
    st.text(alert_message(alert["rule"], alert["message_args"], alert["message"]))
    if hint:
        st.caption(_(hint))
    # The thread is filled after the form, so a reply just sent is already in it.
    box = st.container()
    with st.form(f"supplier_alerts.reply.{int(alert['alert_id'])}", clear_on_submit=True, border=False):
        body = st.text_area(
            _("Your reply"), max_chars=4000, placeholder=_("What is happening, and what you will do")
        )
        sent = st.form_submit_button(_("Send reply"), type="primary", icon=":material/send:")
    if sent and call(comment_on_alert, int(alert["alert_id"]), body) is not None:
        # The whole page reruns so the table's comment count includes the reply too.
        st.session_state[SENT] = True
        st.rerun()
    if st.session_state.pop(SENT, False):
        st.success(_("Reply sent to your buyer."), icon=":material/check_circle:")
    comments = read(alert_comments, int(alert["alert_id"]))
    with box:
        if comments.empty:
            st.caption(_("No comments yet."))
        for row in comments.itertuples(index=False):
            mine = row.author == me.name
            with st.chat_message(
                "supplier" if mine else "buyer", avatar=":material/factory:" if mine else None
            ):
                said = pd.Timestamp(row.created_at)
                st.caption(f"{plain(row.author)} · {format_date(said.date())} {said:%H:%M} UTC")
                # Comments are other people's text: shown as plain text, never as markdown or HTML.
                st.text(row.body)


actor()
st.title(_("Alerts and messages"))
st.caption(
    _(
        "The alerts on your lines, as your buyer sees them, with your buyer's comments. "
        "Reply on an alert to tell your buyer what is happening."
    )
)
show_resolved = st.toggle(_("Show resolved alerts too"), key="supplier_alerts.resolved")
statuses = ("open", "acknowledged", "resolved") if show_resolved else ("open", "acknowledged")
# A buyer's snooze only quiets the buyer's inbox: the supplier still sees the alert.
frame, total, _more = read(alert_inbox, AlertFilter(statuses=statuses, include_snoozed=True), limit=300)
if total == 0:
    st.success(_("No alerts on your lines."), icon=":material/check_circle:")
    st.stop()

critical = int((frame["severity"] == "critical").sum())
if show_resolved:
    summary = ngettext(
        "**{n} alert on your lines**, resolved ones included.",
        "**{n} alerts on your lines**, resolved ones included.",
        total,
    )
elif critical:
    summary = ngettext(
        "**{n} alert on your lines**, {critical} critical.",
        "**{n} alerts on your lines**, {critical} critical.",
        total,
    )
else:
    summary = ngettext("**{n} alert on your lines**.", "**{n} alerts on your lines**.", total)
st.markdown(summary.format(n=total, critical=critical))
view = frame.assign(
    message=alert_messages(frame["rule"], frame["message_args"], frame["message"]),
    severity=frame["severity"].map(severity_label),
    what=frame["rule"].map(rule_text),
    line=frame["line"].fillna(_("all lines")),
    status=frame["status"].map(lambda status: _(vocabulary.status_name(status))),
)
selection = st.dataframe(
    view,
    hide_index=True,
    width="stretch",
    key="supplier_alerts.table",
    height=248,  # about six rows: the selected alert's comments stay in view below
    on_select="rerun",
    selection_mode="single-row",
    column_order=["severity", "line", "what", "comments", "message", "status", "last_seen"],
    column_config={
        "severity": st.column_config.TextColumn(_("Severity"), width=100),
        "line": st.column_config.TextColumn(_("Line"), width=110),
        "what": st.column_config.TextColumn(_("Alert"), width=200),
        "message": st.column_config.TextColumn(_("Details"), width="large"),
        "comments": st.column_config.NumberColumn(_("Comments"), width=80),
        "status": st.column_config.TextColumn(_("Status"), width=100),
        "last_seen": st.column_config.DatetimeColumn(_("Last seen (UTC)"), format=date_format(), width=110),
    },
)
if total > len(frame):
    st.caption(_("Showing the {shown} most severe of {n} alerts.").format(shown=len(frame), n=total))
rows = selection.selection.rows if selection is not None else []
picked = frame.iloc[rows[0]] if rows else frame.iloc[0]
if not rows:
    st.caption(_("Showing the first alert: select another row to read its comments and reply."))
with st.container(border=True):
    thread(picked)
