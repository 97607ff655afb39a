"""Daily output as one card per line: what a phone shows instead of the wide grid (no sideways scrolling);
and what both posting pages (Daily output, a reminder's posting link) share: the rows a Post sends, its
button's label, a refused post's problems."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from db.frames import as_int
from portal.i18n import _, format_number, ngettext
from portal.services.imports import ImportResult
from portal.ui.text import plain
from portal.ui.widgets import show_table


def in_working_order(sheet: pd.DataFrame) -> pd.DataFrame:
    """The lines of an output sheet in one stable order: earliest need-by first, then PO number and
    line number. Nothing a post or a rerun changes (what is on record) moves a line, so a card stays
    where the thumb left it."""
    ordered = sheet.sort_values(["need_by_date", "po_number", "line_no"], kind="stable", na_position="last")
    return ordered.reset_index(drop=True)


def _on_record(good: object, rejected: object) -> str:
    good_qty = as_int(good)
    if good_qty is None:
        return _("nothing yet")
    rejected_qty = as_int(rejected)
    if rejected_qty is None:
        return _("{good} good").format(good=format_number(good_qty))
    return _("{good} good, {rejected} rejected").format(
        good=format_number(good_qty), rejected=format_number(rejected_qty)
    )


def _as_left(key: str, start: object) -> object:
    """A card input's value as the user left it in this session (its widget state), else ``start``
    (the draft). Given as the input's default as well: whatever makes the browser draw the input
    afresh then shows what was typed last, never the older draft the page started from."""
    return st.session_state.get(key, start)


def _units(box: Any, label: str, key: str, start: object) -> Any:
    """A whole-number input of units (0 or more) in ``box``, starting where the user left it."""
    return box.number_input(
        label, min_value=0, step=1, value=as_int(_as_left(key, start)), key=key, width="stretch"
    )


def output_cards(sheet: pd.DataFrame, typed: pd.DataFrame, key: str) -> pd.DataFrame:
    """One bordered card per line (line, item, plan/day, on record, good, rejected, note); returns what
    is typed as the grid does (columns good_qty, rejected_qty, note, one row per sheet row).

    ``typed`` holds the starting values (a draft); ``key`` prefixes the widget keys.
    """
    good, rejected, notes = [], [], []
    for i, row in enumerate(sheet.itertuples(index=False)):
        with st.container(border=True):
            st.markdown(f"**{plain(row.line)}** · {plain(row.sku)} · {plain(row.item)}")
            plan = "—" if pd.isna(row.daily_output) else format_number(int(row.daily_output))
            st.caption(
                _("Plan/day {plan} · On record: {on_record}").format(
                    plan=plan, on_record=_on_record(row.posted_good_qty, row.posted_rejected_qty)
                )
            )
            # Side by side even on a phone (columns would stack below 640 px): the card stays short.
            row_box = st.container(horizontal=True, gap="small")
            good.append(
                _units(row_box, _("Good units"), f"{key}.good.{row.line_id}", typed["good_qty"].iloc[i])
            )
            rejected.append(
                _units(row_box, _("Rejected"), f"{key}.rejected.{row.line_id}", typed["rejected_qty"].iloc[i])
            )
            note = _as_left(f"{key}.note.{row.line_id}", typed["note"].iloc[i])
            notes.append(
                st.text_input(
                    _("Note"),
                    value="" if note is None or pd.isna(note) else str(note),
                    max_chars=2000,
                    key=f"{key}.note.{row.line_id}",
                )
                or None
            )
    return pd.DataFrame(
        {
            "good_qty": pd.array(good, dtype="Int64"),
            "rejected_qty": pd.array(rejected, dtype="Int64"),
            "note": pd.Series(notes, dtype="string"),
        }
    )


def rows_to_post(sheet: pd.DataFrame, typed: pd.DataFrame, chosen: pd.Series) -> pd.DataFrame:
    """The ``chosen`` lines of a day's sheet with what was typed for them: the rows a Post sends."""
    rows = pd.DataFrame(
        {
            "po_number": sheet["po_number"],
            "line": sheet["line_no"],
            "good_qty": typed["good_qty"],
            "rejected_qty": typed["rejected_qty"],
            "note": typed["note"],
        }
    )
    return rows[chosen]


def post_label(count: int) -> str:
    """The Post button's label: how many lines it sends."""
    return ngettext("Post {n} line", "Post {n} lines", count).format(n=count) if count else _("Post")


def refused_post(result: ImportResult, key: str) -> None:
    """Why nothing was posted: how many lines need a fix, and each one's problem."""
    bad = len({e.row for e in result.errors})
    st.error(
        ngettext(
            "Nothing was posted: {n} line needs a fix.",
            "Nothing was posted: {n} lines need a fix.",
            bad,
        ).format(n=bad)
    )
    assert result.preview is not None, "post_reports returns its preview"
    problems = result.preview[~result.preview["check"].isin(["ok", "correction of a day already reported"])]
    show_table(
        problems[["line", "good_qty", "check"]],
        key=key,
        column_config={
            "line": st.column_config.TextColumn(_("Line"), width=110),
            "good_qty": st.column_config.NumberColumn(_("Good units"), width=90),
            "check": st.column_config.TextColumn(_("Problem"), width="large"),
        },
    )
