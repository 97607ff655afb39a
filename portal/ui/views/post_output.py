"""Post today's output from a reminder's link: no password, one supplier, today only, nothing else."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from portal.core.domain import PortalError
from portal.queries.lines import output_sheet
from portal.services.posting_links import PARAM, open_posting_link, post_with_link
from portal.ui.context import get_db
from portal.ui.output_cards import output_cards
from portal.ui.text import plain

VERSION = "post_output.version"
DONE = "post_output.done"

st.title("Post today's output")
secret = st.query_params.get(PARAM)
db = get_db()
try:
    grant = open_posting_link(db, secret)
except PortalError as exc:
    st.error(plain(exc), icon=":material/link_off:")
    st.page_link("portal/ui/views/login.py", label="Log in", icon=":material/login:")
    st.stop()

done = st.session_state.pop(DONE, None)
if done:
    st.success(done, icon=":material/check_circle:")
st.markdown(f"**{plain(grant.supplier_name)}** · today is **{grant.today:%a %d %b %Y}** (your local date)")
st.caption(
    f"This link works until {grant.expires_at:%Y-%m-%d %H:%M} UTC and posts only today's output "
    "for your lines. To post another day or change a schedule, log in."
)
# Read as the link's actor: scoped to its supplier like any supplier user's read.
sheet = output_sheet(db, grant.actor, grant.today)
if sheet.empty:
    st.info("None of your lines is in production today: there is nothing to post.")
    st.stop()
# Lines still to post today come first.
sheet = sheet.sort_values(
    ["posted_good_qty", "line"], key=lambda c: c.notna() if c.name == "posted_good_qty" else c
)
sheet = sheet.reset_index(drop=True)
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
    confirm = st.checkbox(
        f"Correct {int((filled & recorded).sum())} line(s) already on record for today "
        "(the old values stay in the history)",
        key=f"post_output.confirm.{version}",
    )
label = f"Post {int(filled.sum())} line(s)" if filled.any() else "Post"
if st.button(
    label, type="primary", disabled=not filled.any(), key="post_output.post", icon=":material/send:"
):
    rows = pd.DataFrame(
        {
            "po_number": sheet["po_number"],
            "line": sheet["line_no"],
            "good_qty": edited["good_qty"],
            "rejected_qty": edited["rejected_qty"],
            "note": edited["note"],
        }
    )[filled]
    try:
        result = post_with_link(db, secret, rows, confirm_corrections=confirm)
    except PortalError as exc:
        st.error(plain(exc))
    else:
        if result.errors:
            st.error(f"Nothing was posted: {len({e.row for e in result.errors})} line(s) need a fix.")
            st.dataframe(
                result.preview[["line", "good_qty", "check"]],
                hide_index=True,
                width="stretch",
                key="post_output.errors",
            )
        else:
            st.session_state[DONE] = (
                f"Posted {result.created} report(s) for {grant.today:%a %d %b %Y}. Thank you: your buyer "
                "sees the updated forecast now."
            )
            st.session_state[VERSION] = version + 1
            st.rerun()
