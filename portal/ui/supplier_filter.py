"""The staff pages' supplier pickers, small whatever the number of suppliers.

Up to :data:`LISTED` suppliers a picker lists every supplier, as it always did. Beyond, listing them
all would be one read of every supplier and thousands of options sent to the browser on every rerun
(10,000 at scale XL): there a "Find a supplier" box (code or name, searched by the database as the
ranking's is) offers its first :data:`MATCHES` matches to pick from, and the suppliers already picked
(by the user, or by a page that opened this one) stay picked, and offered, whatever is typed next.

Three pickers share that: :func:`supplier_filter` (the tables' filter, none picked: all suppliers),
:func:`supplier_picks` (several suppliers, at most so many: the comparison) and :func:`supplier_pick`
(one supplier: the scorecard).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from numbers import Integral

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from portal.i18n import _, ngettext
from portal.queries.directory import SupplierChoices, supplier_choices
from portal.ui.context import read
from portal.ui.text import plain
from portal.ui.widgets import label_from

#: The most suppliers listed whole (more: searched first).
LISTED = 200
#: The most matches of a search offered at a time.
MATCHES = 50


def listed() -> SupplierChoices:
    """The first :data:`LISTED` suppliers by code (``more``: there are others): every supplier when
    there are few. The pickers read this first; a page may too (the same cached read), e.g. to say
    there are too few suppliers."""
    return read(supplier_choices, limit=LISTED)


@dataclass(frozen=True)
class _Offer:
    """A picker's options (``suppliers``: supplier_id, code, name, by code), and the search typed (many
    suppliers) with what it found, or None (few suppliers: every one is listed)."""

    suppliers: pd.DataFrame
    search: str = ""
    choices: SupplierChoices | None = None

    @property
    def labels(self) -> dict[int, str]:
        """Each option's label, "code · name"."""
        frame = self.suppliers
        return {
            int(i): f"{code} · {name}"
            for i, code, name in zip(frame["supplier_id"], frame["code"], frame["name"], strict=True)
        }


def _offer(column: DeltaGenerator, key: str, picked: tuple[int, ...], *, one: bool = False) -> _Offer:
    """Every supplier when few; else the search box (``key`` + ".search") and the suppliers ``picked``
    with the search's first matches. ``one``: for a select box, which needs an option: when that leaves
    none (nothing picked, or the pick is gone), the first supplier by code."""
    every = listed()
    if not every.more:
        return _Offer(every.suppliers)
    search = column.text_input(
        _("Find a supplier"), key=f"{key}.search", placeholder=_("Code or name"), icon=":material/search:"
    )
    choices = read(supplier_choices, search, limit=MATCHES if search.strip() else 0, keep=picked)
    if one and choices.suppliers.empty:
        choices = replace(choices, suppliers=read(supplier_choices, limit=1).suppliers)
    return _Offer(choices.suppliers, search, choices)


def _say(column: DeltaGenerator, offer: _Offer) -> None:
    """Under the picker: that the search found nobody, or that it found more than it offers."""
    choices, search = offer.choices, offer.search.strip()
    if choices is None:
        return
    if search and choices.found == 0:
        column.caption(_("No supplier's code or name holds “{text}”.").format(text=plain(search)))
    elif search and choices.more:
        column.caption(
            ngettext(
                "The first {n} match is listed: type more of the code or name to find the others.",
                "The first {n} matches are listed: type more of the code or name to find the others.",
                MATCHES,
            ).format(n=MATCHES)
        )


def _picked(key: str) -> tuple[int, ...]:
    """The suppliers picked so far (this run's, when the user just changed them), kept in ``key``."""
    value = st.session_state.get(key, ())
    values = value if isinstance(value, list | tuple) else (value,)
    return tuple(int(i) for i in values if isinstance(i, Integral))


def supplier_filter(column: DeltaGenerator, key: str) -> list[int]:
    """The suppliers to narrow a table to (none picked: all): their ids, kept in ``key``.

    Few suppliers: a multiselect of every supplier by code. Many: a search box (``key`` + ".search")
    above a multiselect of the suppliers picked and the search's matches."""
    offer = _offer(column, key, _picked(key))
    if offer.choices is None:
        frame = offer.suppliers
        codes = {int(i): code for i, code in zip(frame["supplier_id"], frame["code"], strict=True)}
        return column.multiselect(
            _("Supplier"), list(codes), format_func=label_from(codes), key=key, placeholder=_("All suppliers")
        )
    labels = offer.labels
    chosen = column.multiselect(
        _("Supplier"),
        list(labels),
        format_func=label_from(labels),
        key=key,
        placeholder=_("All suppliers"),
        help=_("Find suppliers by code or name above, then pick them here; none picked: all suppliers."),
    )
    _say(column, offer)
    return chosen


def supplier_picks(column: DeltaGenerator, key: str, label: str, *, most: int) -> list[int]:
    """Up to ``most`` suppliers picked under ``label`` ("code · name"): their ids, kept in ``key``.

    Few suppliers: a multiselect of every supplier. Many: a search box (``key`` + ".search") above a
    multiselect of the suppliers picked (a page may have set them) and the search's matches."""
    offer = _offer(column, key, _picked(key))
    labels = offer.labels
    searched = offer.choices is not None
    chosen = column.multiselect(
        label,
        list(labels),
        format_func=label_from(labels),
        max_selections=most,
        key=key,
        help=_("Find suppliers by code or name above, then pick them here.") if searched else None,
    )
    _say(column, offer)
    return chosen


def supplier_pick(column: DeltaGenerator, key: str) -> int:
    """One supplier ("code · name"), kept in ``key``: the one a page or link put there, else the first
    by code. Call it only when there is a supplier (:func:`listed`).

    Few suppliers: a select box of every supplier. Many: a search box (``key`` + ".search") above a
    select box of the supplier picked and the search's matches."""
    offer = _offer(column, key, _picked(key), one=True)
    labels = offer.labels
    searched = offer.choices is not None
    if st.session_state.get(key) not in labels:
        # None yet, or one that no longer exists: the first supplier by code, as always.
        st.session_state[key] = next(iter(labels))
    supplier_id = column.selectbox(
        _("Supplier"),
        list(labels),
        format_func=label_from(labels),
        key=key,
        help=_("Find a supplier by code or name above, then pick it here.") if searched else None,
    )
    _say(column, offer)
    return int(supplier_id)
