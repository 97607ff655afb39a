"""A supplier's own scorecard: the numbers, definitions, trends and lines a manager sees; no other's."""

import streamlit as st

from portal.i18n import _
from portal.queries.scorecards import supplier_scorecard
from portal.ui.context import actor, read
from portal.ui.scorecard_view import pick_period, show_scorecard

me = actor()
st.title(_("My scorecard"))
st.caption(
    _(
        "How your purchasing customer scores your deliveries, plans and reporting, and the lines behind "
        "every number. Only your own lines count; other suppliers' scorecards are never shown."
    )
)
c1, c2, _rest = st.columns([1, 1, 2])
end, period = pick_period("my_scorecard", c1, c2)
show_scorecard(read(supplier_scorecard, me.supplier_id, end), period, "my_scorecard")
