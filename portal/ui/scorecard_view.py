"""The scorecard view shared by the manager's Scorecard page and a supplier's My scorecard page.

Each number with its definition and what it is computed from, the lines behind one number when someone
opens them, and every number month by month in one chart. The pages pick whose scorecard (a manager
any supplier; a supplier user only its own: the queries refuse any other) and call :func:`pick_period`
and :func:`show_scorecard`. The words: ``scorecard_text``; the lines: ``scorecard_lines``; the chart:
``scorecard_trends``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from portal.core import scorecard as sc
from portal.i18n import _, format_percent, ngettext
from portal.queries.scorecards import SupplierScorecard, scorecard_months
from portal.ui.context import read
from portal.ui.scorecard_lines import show_lines
from portal.ui.scorecard_text import (
    ROLLING,
    format_number,
    missing,
    month_choice,
    number_basis,
    number_definition,
    number_name,
    period_choice,
    period_label,
    score_note,
    upper_first,
)
from portal.ui.scorecard_trends import show_trends
from portal.ui.text import plain

#: The numbers of the scorecard, in order: the score, the line count, then every metric.
ROWS: tuple[str, ...] = ("score", "lines", *sc.METRICS)


def _numbers_for(card: SupplierScorecard, period: str) -> dict[str, Any]:
    if period == ROLLING:
        return card.summary
    return card.monthly.set_index("period").loc[period].to_dict()


def _kept_choice(
    column: Any,
    label: str,
    choices: list[str],
    default: str,
    *,
    key: str,
    format_func: Callable[[str], str],
    help: str,
) -> Any:
    """A select box that keeps the user's choice while it is still offered, else starts at ``default``."""
    if st.session_state.get(key) not in choices:
        st.session_state[key] = default
    return column.selectbox(label, choices, format_func=format_func, key=key, help=help)


def pick_period(prefix: str, end_column: Any, period_column: Any) -> tuple[str, str]:
    """The end month of the 12 months and the period whose numbers are shown (rolling or one month)."""
    choices, default = read(scorecard_months)
    end = _kept_choice(
        end_column,
        _("12 months ending"),
        choices,
        default,
        key=f"{prefix}.end_month",
        format_func=month_choice,
        help=_(
            "The scorecard covers the 12 calendar months ending with this one (the current month to date)."
        ),
    )
    last = sc.parse_month(end)
    months = [sc.month_label(m) for m in range(last - sc.ROLLING_MONTHS + 1, last + 1)]
    periods = [ROLLING, *reversed(months)]
    period = _kept_choice(
        period_column,
        _("Numbers for"),
        periods,
        ROLLING,
        key=f"{prefix}.period",
        format_func=period_choice,
        help=_("The rolling 12 months (what the ranking uses) or one month of them."),
    )
    return end, period


def _toggle(drill_key: str, key: str) -> None:
    """Open the lines behind a number, or close them when they are the ones open."""
    st.session_state[drill_key] = None if st.session_state.get(drill_key) == key else key


def _number_card(key: str, row: dict[str, Any], card: SupplierScorecard, period: str, prefix: str) -> None:
    """One number: its value, what it is computed from, its definition (?) and a button to its lines."""
    drill_key = f"{prefix}.drill"
    with st.container(border=True):
        delta = None
        if key == "score" and period == ROLLING:
            score, previous = row.get("score"), card.previous.get("score")
            if previous is not None and not missing(score) and not missing(previous):
                # A labelled chip: a bare "-0.3" does not say against what.
                delta = _("{change} vs the 12 months before").format(change=f"{score - previous:+.1f}")
        st.metric(
            number_name(key),
            format_number(key, row, short=True),
            delta=delta,
            help=number_definition(key, card.settings)
            + (
                " " + _("The change is against the 12 months ending the month before.")
                if delta is not None
                else ""
            ),
        )
        st.caption(number_basis(key, row))
        chosen = st.session_state.get(drill_key) == key
        if chosen:
            label, icon = _("Hide"), ":material/close:"
            hint = _("Hide what {name} is computed from").format(name=number_name(key))
        else:
            label = _("How it adds up") if key == "score" else _("Lines behind it")
            icon = ":material/list:"
            hint = _("List what {name} is computed from, below").format(name=number_name(key))
        st.button(
            label,
            key=f"{prefix}.show.{key}",
            type="primary" if chosen else "secondary",
            icon=icon,
            help=hint,
            on_click=_toggle,
            args=(drill_key, key),
        )


@st.fragment
def _numbers(card: SupplierScorecard, period: str, prefix: str) -> None:
    """The number cards and the lines behind the one opened: opening one reruns only this part."""
    row = _numbers_for(card, period)
    for i in range(0, len(ROWS), 3):
        for col, key in zip(st.columns(3), ROWS[i : i + 3], strict=False):
            with col:
                _number_card(key, row, card, period, prefix)
    opened = st.session_state.get(f"{prefix}.drill")
    if opened in ROWS:
        show_lines(card, str(opened), period, row, prefix)


def show_scorecard(card: SupplierScorecard, period: str, prefix: str) -> None:
    """The numbers (each with its definition and a way to its lines), the lines behind one, the trends."""
    row = _numbers_for(card, period)
    if row.get("score_note"):
        st.info(
            _("No score for {period}: {reason}.").format(
                period=period_label(period, card.months), reason=plain(score_note(row))
            )
        )
    tolerance = card.settings.on_time_tolerance_days
    st.caption(
        upper_first(period_label(period, card.months))
        + ". "
        + ngettext(
            "Hover (?) for a definition; “Lines behind it” lists what a number is computed from. On time "
            "means on or before the due date plus {days} day of tolerance; in full means at least {share} "
            "of the ordered quantity received in good condition.",
            "Hover (?) for a definition; “Lines behind it” lists what a number is computed from. On time "
            "means on or before the due date plus {days} days of tolerance; in full means at least {share} "
            "of the ordered quantity received in good condition.",
            tolerance,
        ).format(days=tolerance, share=format_percent(card.settings.in_full_threshold))
    )
    _numbers(card, period, prefix)
    show_trends(card, prefix)
