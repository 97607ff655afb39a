"""The staff pages' supplier filter, small whatever the number of suppliers.

Up to :data:`LISTED` suppliers it is one multiselect of every supplier, as it always was. Beyond, a
multiselect of them all would be one read of every supplier and thousands of options sent to the
browser on every rerun (10,000 at scale XL): there a "Find a supplier" box (code or name, searched by
the database as the ranking's is) offers its first :data:`MATCHES` matches to pick from, and the
suppliers already picked stay picked, and offered, whatever is typed next.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from portal.i18n import _, ngettext
from portal.queries.directory import supplier_choices
from portal.ui.context import read
from portal.ui.text import plain
from portal.ui.widgets import label_from

#: The most suppliers listed whole in the multiselect (more: searched first).
LISTED = 200
#: The most matches of a search offered at a time.
MATCHES = 50


def supplier_filter(column: DeltaGenerator, key: str) -> list[int]:
    """The suppliers to narrow a table to (none picked: all): their ids, kept in ``key``.

    Few suppliers: a multiselect of every supplier by code. Many: a search box (``key`` + ".search")
    above a multiselect of the suppliers picked and the search's matches."""
    every = read(supplier_choices, limit=LISTED)
    if not every.more:
        codes = dict(zip(every.suppliers["supplier_id"], every.suppliers["code"], strict=True))
        return column.multiselect(
            _("Supplier"), list(codes), format_func=label_from(codes), key=key, placeholder=_("All suppliers")
        )
    search = column.text_input(
        _("Find a supplier"), key=f"{key}.search", placeholder=_("Code or name"), icon=":material/search:"
    )
    # The picks so far (this run's, when the user just changed them): offered again, so they stay picked.
    picked = tuple(i for i in st.session_state.get(key, ()) if isinstance(i, int))
    choices = read(supplier_choices, search, limit=MATCHES if search.strip() else 0, keep=picked)
    frame = choices.suppliers
    labels = {
        int(i): f"{code} · {name}"
        for i, code, name in zip(frame["supplier_id"], frame["code"], frame["name"], strict=True)
    }
    chosen = column.multiselect(
        _("Supplier"),
        list(labels),
        format_func=label_from(labels),
        key=key,
        placeholder=_("All suppliers"),
        help=_("Find suppliers by code or name above, then pick them here; none picked: all suppliers."),
    )
    if search.strip() and choices.found == 0:
        column.caption(_("No supplier's code or name holds “{text}”.").format(text=plain(search.strip())))
    elif choices.more:
        column.caption(
            ngettext(
                "The first {n} match is listed: type more of the code or name to find the others.",
                "The first {n} matches are listed: type more of the code or name to find the others.",
                MATCHES,
            ).format(n=MATCHES)
        )
    return chosen
