"""Post today's output from a reminder's link: no password, one supplier, today only, nothing else."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from portal.core.domain import PortalError
from portal.i18n import _, format_day, format_utc, ngettext
from portal.queries.lines import output_sheet, recent_working_days
from portal.services.posting_links import PARAM, open_posting_link, post_with_link
from portal.ui.context import get_db
from portal.ui.output_cards import in_working_order, output_cards, post_label, refused_post, rows_to_post
from portal.ui.text import plain

VERSION = "post_output.version"
DONE = "post_output.done"

st.title(_("Post today's output"))
secret = st.query_params.get(PARAM)
db = get_db()
try:
    grant = open_posting_link(db, secret)
except PortalError as exc:
    st.error(plain(exc), icon=":material/link_off:")
    st.page_link("portal/ui/views/login.py", label=_("Log in"), icon=":material/login:")
    st.stop()

done = st.session_state.pop(DONE, None)
if done:
    st.success(done, icon=":material/check_circle:")
st.markdown(
    _("**{supplier}** · today is **{date}** (your local date)").format(
        supplier=plain(grant.supplier_name), date=format_day(grant.today)
    )
)
st.caption(
    _(
        "This link works until {when} and posts only today's output "
        "for your lines. To post another day or change a schedule, log in."
    ).format(when=format_utc(grant.expires_at))
)
# Read as the link's actor: scoped to its supplier like any supplier user's read.
last_working_day = recent_working_days(db, grant.actor, grant.today, count=1)[0]
if last_working_day != grant.today:  # a weekend, a holiday or a closure: a report for today is refused
    st.info(
        _(
            "Today is not one of your working days: there is nothing to post. To post the output of "
            "your last working day, {day}, log in."
        ).format(day=format_day(last_working_day)),
        icon=":material/event_busy:",
    )
    st.page_link("portal/ui/views/login.py", label=_("Log in"), icon=":material/login:")
    st.stop()
sheet = output_sheet(db, grant.actor, grant.today)
if sheet.empty:
    st.info(_("None of your lines is in production today: there is nothing to post."))
    st.stop()
# The daily output page's order: a post never moves the card being typed in.
sheet = in_working_order(sheet)
version = int(st.session_state.get(VERSION, 0))
typed = pd.DataFrame(
    {
        "good_qty": pd.array([None] * len(sheet), dtype="Int64"),
        "rejected_qty": pd.array([None] * len(sheet), dtype="Int64"),
        "note": pd.Series([None] * len(sheet), dtype="string"),
    }
)
edited = output_cards(sheet, typed, key=f"post_output.cards.{version}")
filled = edited["good_qty"].notna().to_numpy()
recorded = sheet["posted_good_qty"].notna().to_numpy()
confirm = False
if (filled & recorded).any():
    corrections = int((filled & recorded).sum())
    confirm = st.checkbox(
        ngettext(
            "Correct {n} line already on record for today (the old values stay in the history)",
            "Correct {n} lines already on record for today (the old values stay in the history)",
            corrections,
        ).format(n=corrections),
        key=f"post_output.confirm.{version}",
    )
count = int(filled.sum())
if st.button(
    post_label(count),
    type="primary",
    disabled=not filled.any(),
    key="post_output.post",
    icon=":material/send:",
):
    rows = rows_to_post(sheet, edited, filled)
    try:
        result = post_with_link(db, secret, rows, confirm_corrections=confirm)
    except PortalError as exc:
        st.error(plain(exc))
    else:
        if result.errors:
            refused_post(result, "post_output.errors")
        else:
            st.session_state[DONE] = ngettext(
                "Posted {n} report for {date}. Thank you: your buyer sees the updated forecast now.",
                "Posted {n} reports for {date}. Thank you: your buyer sees the updated forecast now.",
                result.created,
            ).format(n=result.created, date=format_day(grant.today))
            st.session_state[VERSION] = version + 1
            st.rerun()
