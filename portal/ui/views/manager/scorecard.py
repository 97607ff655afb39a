"""The manager's Scorecard page: pick a supplier, see its scorecard (the view: portal.ui.scorecard_view)."""

import streamlit as st

from portal.i18n import _
from portal.queries.directory import supplier_codes
from portal.queries.scorecards import supplier_scorecard
from portal.ui.context import actor, read
from portal.ui.scorecard_view import pick_period, show_scorecard
from portal.ui.widgets import label_from

actor()
st.title(_("Scorecard"))
suppliers = read(supplier_codes)
if suppliers.empty:
    st.info(_("No suppliers yet."))
    st.stop()
names = dict(zip(suppliers["supplier_id"], suppliers["code"] + " · " + suppliers["name"], strict=True))
if st.session_state.get("scorecard.supplier") not in names:
    st.session_state["scorecard.supplier"] = int(suppliers["supplier_id"].iloc[0])
c1, c2, c3 = st.columns([2, 1, 1])
supplier_id = c1.selectbox(
    _("Supplier"), list(names), format_func=label_from(names), key="scorecard.supplier"
)
end, period = pick_period("scorecard", c2, c3)
show_scorecard(read(supplier_scorecard, int(supplier_id), end), period, "scorecard")
