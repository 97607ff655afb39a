"""The manager's Scorecard page: pick a supplier, see its scorecard (the view: portal.ui.scorecard_view)."""

import streamlit as st

from portal.i18n import _
from portal.queries.scorecards import supplier_scorecard
from portal.ui.context import actor, read
from portal.ui.scorecard_view import pick_period, show_scorecard
from portal.ui.supplier_filter import listed, supplier_pick

actor()
st.title(_("Scorecard"))
if listed().suppliers.empty:
    st.info(_("No suppliers yet."))
    st.stop()
c1, c2, c3 = st.columns([2, 1, 1])
# The ranking and the comparison open a supplier's scorecard by setting this key.
supplier_id = supplier_pick(c1, "scorecard.supplier")
end, period = pick_period("scorecard", c2, c3)
show_scorecard(read(supplier_scorecard, supplier_id, end), period, "scorecard")
