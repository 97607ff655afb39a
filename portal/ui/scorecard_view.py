"""The scorecard view shared by the manager's Scorecard page and a supplier's My scorecard page.

Each metric with its definition, monthly trends, the lines behind each number. The pages pick
whose scorecard (a manager any supplier; a supplier user only its own: the query refuses any
other) and call :func:`pick_period` and :func:`show_scorecard`.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from portal.core import scorecard as sc
from portal.queries.scorecards import SupplierScorecard, scorecard_months
from portal.ui.context import read
from portal.ui.text import plain
from portal.ui.widgets import STATUS_LABELS

ROLLING = "rolling"
#: The rows of the numbers table, in order: the score, the line count, then every metric.
ROWS: tuple[str, ...] = ("score", "lines", *sc.METRICS)
#: The ways a line is counted: (column header, what it means).
LINE_SOURCE_LABELS = {
    "receipts": ("Receipt", "Has a receipt in the period (OTD, quality)"),
    "lines_due": ("Due", "Due in the period and judged (OTIF, average days late)"),
    "reported_days": ("Reported", "Has reported days with a plan (schedule adherence)"),
    "promises": ("Estimate", "Its original estimated end date fell in the period (promise reliability)"),
    "production_days": ("In production", "Was in production on working days (responsiveness)"),
}


# ----------------------------------------------------------------------------- formatting


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def format_number(metric: str, row: dict[str, Any], *, short: bool = False) -> str:
    """A number of a scorecard as people read it, or why there is none (``short``: the bare value)."""
    value = row.get(metric)
    if metric == "score":
        if _missing(value):
            return "—" if short else str(row.get("score_note") or sc.NO_DATA)
        return f"{value:.1f} ({row['grade']})"
    if metric == "lines":
        return f"{int(value or 0):,}"
    if metric == "avg_days_late" and _missing(value) and row.get("otif_lines", 0):
        return "no late line"
    if _missing(value):
        return sc.NO_DATA
    if metric == "avg_days_late":
        return f"{value:.1f} days"
    if metric == "quality":
        return f"{value:.2%}" + ("" if short else f" ({row['ppm']:,.0f} PPM)")
    if metric == "promise_reliability" and not short:
        slip = row.get("mean_slip_days")
        return f"{value:.1%}" + ("" if _missing(slip) else f" (mean slip {slip:.1f} working days)")
    return f"{value:.1%}"


def _period_label(period: str, months: list[str]) -> str:
    if period == ROLLING:
        return f"rolling 12 months {_month_name(months[0])} – {_month_name(months[-1])}"
    return _month_name(period)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _period_choice(period: str) -> str:
    return "Rolling 12 months" if period == ROLLING else _month_name(period)


def _month_name(month: str) -> str:
    return pd.Timestamp(f"{month}-01").strftime("%b %Y")


def month_choice(month: str) -> str:
    """A month in a picker: "Nov 2026", and "(to date)" for the month still running."""
    today = pd.Timestamp.today()
    current = f"{today.year:04d}-{today.month:02d}"
    return _month_name(month) + (" (to date)" if month == current else "")


# ----------------------------------------------------------------------------- lines behind a number

_COMMON = {
    "period": st.column_config.TextColumn("Month", help="The month the row counts in"),
    "label": st.column_config.TextColumn("Line", help="PO number / line", pinned=True),
    "sku": st.column_config.TextColumn("SKU"),
}
_DATE = "YYYY-MM-DD"

#: Per number: the columns listed, with their headers.
DRILL_COLUMNS: dict[str, dict[str, Any]] = {
    "otd": {
        "received_date": st.column_config.DateColumn("Received", format=_DATE),
        "due_date": st.column_config.DateColumn("Due", format=_DATE, help="Promised date, else need-by date"),
        "quantity": st.column_config.NumberColumn("Qty", format="localized", help="Quantity received"),
        "on_time": st.column_config.CheckboxColumn("On time", help="Received on or before due + tolerance"),
        "days_after_due": st.column_config.NumberColumn("Days after due", help="Negative: early"),
        "otd_counted": st.column_config.CheckboxColumn(
            "Counted", help="Receipts of lines without a known due date are not counted"
        ),
    },
    "otif": {
        "due_date": st.column_config.DateColumn("Due", format=_DATE, help="Promised date, else need-by date"),
        "ordered": st.column_config.NumberColumn("Ordered", format="localized"),
        "good_received": st.column_config.NumberColumn(
            "Good received", format="localized", help="Received minus rejected, all receipts so far"
        ),
        "delivered_date": st.column_config.DateColumn(
            "Delivered in full", format=_DATE, help="The receipt that completed the in-full quantity"
        ),
        "otif": st.column_config.CheckboxColumn("On time in full"),
        "days_late": st.column_config.NumberColumn("Days late", help="Delivered in full minus due"),
    },
    "schedule_adherence": {
        "report_date": st.column_config.DateColumn("Report date", format=_DATE),
        "revision": st.column_config.NumberColumn(
            "Plan revision", help="The schedule revision in force that day"
        ),
        "planned": st.column_config.NumberColumn("Planned", format="localized"),
        "good_qty": st.column_config.NumberColumn("Good output", format="localized"),
        "credited": st.column_config.NumberColumn(
            "Counted", format="localized", help="Good output up to the plan: min(good, planned)"
        ),
    },
    "promise_reliability": {
        "original_end_date": st.column_config.DateColumn("Original estimate", format=_DATE),
        "latest_end_date": st.column_config.DateColumn("Latest estimate", format=_DATE),
        "revisions": st.column_config.NumberColumn("Revisions"),
        "moved_later": st.column_config.CheckboxColumn("Moved later"),
        "slip_working_days": st.column_config.NumberColumn("Slip (working days)"),
    },
    "quality": {
        "received_date": st.column_config.DateColumn("Received", format=_DATE),
        "quantity": st.column_config.NumberColumn("Qty", format="localized", help="Quantity received"),
        "rejected_qty": st.column_config.NumberColumn("Rejected", format="localized"),
    },
    "responsiveness": {
        "first_day": st.column_config.DateColumn("From", format=_DATE),
        "last_day": st.column_config.DateColumn("To", format=_DATE),
        "working_days": st.column_config.NumberColumn("Production days", help="Working days in production"),
        "reported_on_time": st.column_config.NumberColumn(
            "Reported in time", help="Posted by the end of the next working day"
        ),
        "reported_late": st.column_config.NumberColumn("Reported late"),
        "not_reported": st.column_config.NumberColumn("Not reported"),
    },
    "lines": {
        "ordered": st.column_config.NumberColumn("Ordered", format="localized"),
        "status": st.column_config.TextColumn("Status"),
        **{k: st.column_config.CheckboxColumn(v[0], help=v[1]) for k, v in LINE_SOURCE_LABELS.items()},
    },
}
DRILL_COLUMNS["avg_days_late"] = DRILL_COLUMNS["otif"]


def lines_behind(card: SupplierScorecard, key: str, period: str) -> pd.DataFrame:
    """The rows behind one number of the scorecard for the period shown."""
    rows = card.lines[key]
    if "status" in rows.columns:
        rows = rows.assign(status=rows["status"].map(STATUS_LABELS).fillna(rows["status"]))
    if period != ROLLING and len(rows):
        rows = rows[rows["period"] == period]
    if key == "lines" and period == ROLLING and len(rows):
        # A line counted in several months is one line over the 12 months.
        flags = list(LINE_SOURCE_LABELS)
        rows = (
            rows.groupby(["label", "sku", "ordered", "status"], as_index=False, dropna=False)[flags]
            .any()
            .assign(period="12 months")
        )
    return rows.reset_index(drop=True)


def _show_lines(card: SupplierScorecard, key: str, period: str, row: dict[str, Any], prefix: str) -> None:
    st.subheader(f"Behind “{_name(key)}”: {format_number(key, row)}")
    if key == "score":
        parts = sc.score_breakdown(row, card.settings)
        parts["metric"] = parts["metric"].map(lambda m: sc.METRICS[m].label)
        parts[["value", "effective_weight"]] *= 100  # shown as percentages
        st.caption(
            "Each metric adds value × effective weight × 100 points; the effective weight is the admin "
            "weight divided by the sum of the weights of the metrics that have data."
        )
        st.dataframe(
            parts,
            hide_index=True,
            width="stretch",
            column_config={
                "metric": "Metric",
                "value": st.column_config.NumberColumn("Value", format="%.1f%%"),
                "weight": st.column_config.NumberColumn("Admin weight"),
                "effective_weight": st.column_config.NumberColumn("Effective weight", format="%.1f%%"),
                "points": st.column_config.NumberColumn("Points", format="%.1f"),
            },
            key=f"{prefix}.breakdown",
            placeholder="no data",
        )
        return
    st.caption(
        f"{_upper_first(_basis(key, row))}, {_period_label(period, card.months)}. "
        + _definition(key, card.settings)
    )
    rows = lines_behind(card, key, period)
    if rows.empty:
        st.info(f"Nothing counted in {_period_label(period, card.months)}.")
        return
    columns = DRILL_COLUMNS[key]
    order = [c for c in ("period", "label", "sku", *columns) if c in rows.columns]
    st.dataframe(
        rows[order],
        hide_index=True,
        width="stretch",
        column_config={**_COMMON, **columns},
        key=f"{prefix}.lines.{key}",
        placeholder="–",
    )
    st.caption(f"{len(rows):,} row(s).")


# ----------------------------------------------------------------------------- trends

_MONTHLY = "#1f6feb"
_ROLLING = "#9aa5b1"


def trend_chart(card: SupplierScorecard, key: str) -> alt.LayerChart:
    """A metric month by month (dots, solid line) and over the 12 months ending each month (dashed)."""
    monthly = card.monthly.set_index("period")
    rolling = card.trend.set_index("period")
    frame = pd.DataFrame(
        {
            "month": pd.to_datetime([f"{m}-01" for m in card.months]),
            "This month": monthly[key].reindex(card.months).to_numpy(dtype="float64"),
            "Rolling 12 months": rolling[key].reindex(card.months).to_numpy(dtype="float64"),
            "lines": monthly["lines"].reindex(card.months).to_numpy(),
        }
    )
    long = frame.melt(["month", "lines"], var_name="series", value_name="value")
    is_rate = key not in ("avg_days_late", "score")
    scale = (
        alt.Scale(domain=[0, 1]) if is_rate else alt.Scale(domain=[0, 100]) if key == "score" else alt.Scale()
    )
    value_format = ".1%" if is_rate else ".1f"
    base = alt.Chart(long).encode(
        x=alt.X("yearmonth(month):T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0)),
        y=alt.Y("value:Q", title=None, scale=scale, axis=alt.Axis(format=".0%" if is_rate else "d")),
        color=alt.Color(
            "series:N",
            scale=alt.Scale(domain=["This month", "Rolling 12 months"], range=[_MONTHLY, _ROLLING]),
            legend=None,
        ),
        strokeDash=alt.StrokeDash(
            "series:N",
            scale=alt.Scale(domain=["This month", "Rolling 12 months"], range=[[1, 0], [5, 3]]),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("yearmonth(month):T", title="Month"),
            alt.Tooltip("series:N", title="Series"),
            alt.Tooltip("value:Q", title="Value", format=value_format),
            alt.Tooltip("lines:Q", title="Lines this month"),
        ],
    )
    title = "Score" if key == "score" else sc.METRICS[key].label
    return alt.layer(base.mark_line(), base.mark_point(filled=True, size=40)).properties(
        height=170, title=title
    )


def _show_trends(card: SupplierScorecard, prefix: str) -> None:
    st.subheader("Month by month")
    st.caption(
        "Blue dots and line: the month on its own (a gap where the month has no data, or for the score "
        f"fewer than {card.settings.min_lines_for_score} lines). Grey dashes: the rolling 12 months ending "
        "that month, which is what the score above uses. Hover a point for its value and line count."
    )
    keys = ["score", *sc.METRICS]
    for i in range(0, len(keys), 2):
        cols = st.columns(2)
        for col, key in zip(cols, keys[i : i + 2], strict=False):
            col.altair_chart(trend_chart(card, key), width="stretch")
    with st.expander("The monthly numbers"):
        table = card.monthly[["period", "lines", "score", "grade", *sc.METRICS, "ppm"]].iloc[::-1].copy()
        rates = [k for k, m in sc.METRICS.items() if m.unit == "rate"]
        table[rates] *= 100  # shown as percentages
        st.caption("Each month on its own; – where the month has no data for that number.")
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            placeholder="–",
            column_config={
                "period": "Month",
                "lines": "Lines",
                "score": st.column_config.NumberColumn("Score", format="%.1f"),
                "grade": "Grade",
                **{
                    k: st.column_config.NumberColumn(m.label, format="%.1f%%" if m.unit == "rate" else "%.1f")
                    for k, m in sc.METRICS.items()
                },
                "ppm": st.column_config.NumberColumn("PPM", format="%.0f"),
            },
            key=f"{prefix}.monthly",
        )


# ----------------------------------------------------------------------------- the view


def _numbers_for(card: SupplierScorecard, period: str) -> dict[str, Any]:
    if period == ROLLING:
        return card.summary
    return card.monthly.set_index("period").loc[period].to_dict()


def pick_period(prefix: str, end_column: Any, period_column: Any) -> tuple[str, str]:
    """The end month of the 12 months and the period whose numbers are shown (rolling or one month)."""
    choices, default = read(scorecard_months)
    end_key = f"{prefix}.end_month"
    if st.session_state.get(end_key) not in choices:
        st.session_state[end_key] = default
    end = end_column.selectbox(
        "12 months ending",
        choices,
        format_func=month_choice,
        key=end_key,
        help="The scorecard covers the 12 calendar months ending with this one (the current month to date).",
    )
    last = sc.parse_month(end)
    months = [sc.month_label(m) for m in range(last - sc.ROLLING_MONTHS + 1, last + 1)]
    periods = [ROLLING, *reversed(months)]
    period_key = f"{prefix}.period"
    if st.session_state.get(period_key) not in periods:
        st.session_state[period_key] = ROLLING
    period = period_column.selectbox(
        "Numbers for",
        periods,
        format_func=_period_choice,
        key=period_key,
        help="The rolling 12 months (what the ranking uses) or one month of them.",
    )
    return end, period


def _name(key: str) -> str:
    return {"score": "Score and grade", "lines": "Lines"}.get(key) or sc.METRICS[key].label


def _definition(key: str, settings: Any) -> str:
    weights = settings.weights()
    if key == "score":
        return (
            "0-100: the weighted mean of the metrics, with the admin weights renormalized over the metrics "
            "that have data. Grades: A >= 90, B >= 80, C >= 65, D >= 50, else F. Under "
            f"{settings.min_lines_for_score} lines in the period there is no score."
        )
    if key == "lines":
        return (
            "Distinct PO lines counted by any metric: a receipt, a due date, a reported day with a plan, "
            "a judged estimate or a production day in the period."
        )
    weight = f" Weight in the score: {weights[key]} of 100." if key in weights else " Not part of the score."
    return sc.METRICS[key].definition + weight


def _basis(key: str, row: dict[str, Any]) -> str:
    if key == "score":
        return str(row.get("score_note") or "weighted mean of the metrics with data")
    if key == "lines":
        return "distinct PO lines in the period"
    text = sc.basis(row)[key]
    if key == "quality" and not _missing(row.get("ppm")):
        text += f" ({row['ppm']:,.0f} PPM)"
    if key == "promise_reliability" and not _missing(row.get("mean_slip_days")):
        text += f"; mean slip {row['mean_slip_days']:.1f} working days"
    return text


def _number_card(key: str, row: dict[str, Any], card: SupplierScorecard, period: str, prefix: str) -> None:
    """One number: its value, what it is computed from, its definition (?) and a button to its lines."""
    drill_key = f"{prefix}.drill"
    with st.container(border=True):
        delta = None
        if key == "score" and period == ROLLING:
            score, previous = row.get("score"), card.previous.get("score")
            if not _missing(score) and not _missing(previous):
                # A labelled chip: a bare "-0.3" does not say against what.
                delta = f"{score - previous:+.1f} vs the 12 months before"
        st.metric(
            _name(key),
            format_number(key, row, short=True),
            delta=delta,
            help=_definition(key, card.settings)
            + (" The change is against the 12 months ending the month before." if delta is not None else ""),
        )
        st.caption(_basis(key, row))
        chosen = st.session_state.get(drill_key, "lines") == key
        label = "How it adds up" if key == "score" else "Lines behind it"
        if st.button(
            label,
            key=f"{prefix}.show.{key}",
            type="primary" if chosen else "secondary",
            icon=":material/list:",
            help=f"List what {_name(key)} is computed from, below",
        ):
            st.session_state[drill_key] = key
            st.rerun()


def show_scorecard(card: SupplierScorecard, period: str, prefix: str) -> None:
    """The numbers (each with its definition and a way to its lines), the lines behind one, the trends."""
    row = _numbers_for(card, period)
    if row.get("score_note"):
        st.info(f"No score for {_period_label(period, card.months)}: {plain(row['score_note'])}.")
    st.caption(
        f"{_upper_first(_period_label(period, card.months))}. Hover (?) for a definition; "
        '"Lines behind it" lists what a number is computed from. On time means on or before the due date '
        f"plus {card.settings.on_time_tolerance_days} day(s) of tolerance; in full means at least "
        f"{card.settings.in_full_threshold:.0%} of the ordered quantity received in good condition."
    )
    for i in range(0, len(ROWS), 3):
        for col, key in zip(st.columns(3), ROWS[i : i + 3], strict=False):
            with col:
                _number_card(key, row, card, period, prefix)
    key = st.session_state.get(f"{prefix}.drill", "lines")
    _show_lines(card, key if key in ROWS else "lines", period, row, prefix)
    _show_trends(card, prefix)
