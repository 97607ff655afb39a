"""The scorecard view shared by the manager's Scorecard page and a supplier's My scorecard page.

Each metric with its definition, monthly trends, the lines behind each number. The pages pick
whose scorecard (a manager any supplier; a supplier user only its own: the query refuses any
other) and call :func:`pick_period` and :func:`show_scorecard`.

Over 500 lines on purpose: one view (cards, trends, drill-downs) shown by two pages; its parts only
make sense together.
"""

from __future__ import annotations

import math
import re
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from babel.dates import format_skeleton

from portal.core import scorecard as sc
from portal.core import vocabulary
from portal.i18n import N_, _, babel_locale, format_percent, ngettext, pgettext
from portal.i18n import format_number as format_decimal
from portal.queries.scorecards import SupplierScorecard, scorecard_months
from portal.ui.context import read
from portal.ui.text import plain
from portal.ui.widgets import date_format

ROLLING = "rolling"
#: The rows of the numbers table, in order: the score, the line count, then every metric.
ROWS: tuple[str, ...] = ("score", "lines", *sc.METRICS)
#: The ways a line is counted: (column header, what it means).
LINE_SOURCE_LABELS = {
    "receipts": (N_("Receipt"), N_("Has a receipt in the period (OTD, quality)")),
    "lines_due": (N_("Due"), N_("Due in the period and judged (OTIF, average days late)")),
    "reported_days": (N_("Reported"), N_("Has reported days with a plan (schedule adherence)")),
    "promises": (
        N_("Estimate"),
        N_("Its original estimated end date fell in the period (promise reliability)"),
    ),
    "production_days": (N_("In production"), N_("Was in production on working days (responsiveness)")),
}


# ----------------------------------------------------------------------------- formatting


#: The scorecard core's word for a number with nothing to count (marked here for the catalogs).
NO_DATA = N_("no data")
assert NO_DATA == sc.NO_DATA


def metric_label(key: str) -> str:
    """A scorecard metric's name in the user's language (the core's English label as the message)."""
    return _(sc.METRICS[key].label)


def metric_definition(key: str) -> str:
    """A scorecard metric's definition in the user's language."""
    return _(sc.METRICS[key].definition)


def score_note(row: Any) -> str:
    """Why a row has no score, in the user's language ("not enough data (2 lines, 5 needed)")."""
    note = str(row.get("score_note") or "")
    if not note or note == sc.NO_DATA:
        return _(NO_DATA)
    if note.startswith(sc.NOT_ENOUGH_DATA):
        match = re.search(r"\((\d+) lines?, (\d+) needed\)", note)
        if match:
            lines, needed = int(match.group(1)), int(match.group(2))
            return ngettext(
                "not enough data ({n} line, {needed} needed)",
                "not enough data ({n} lines, {needed} needed)",
                lines,
            ).format(n=lines, needed=needed)
        return _("not enough data")
    if note == "no data for the weighted metrics":
        return _("no data for the weighted metrics")
    return note


def _count(value: Any) -> float:
    return 0.0 if _missing(value) else float(value)


def basis_text(key: str, row: Any) -> str:
    """What a metric of a row was computed from, in words ("45 of 50 receipts on time").

    The same sentences as ``portal.core.scorecard.basis``, written here so each language can word them
    (with its own plural forms).
    """
    none = {
        "otd": ("otd_receipts", N_("no receipts in this period")),
        "otif": ("otif_lines", N_("no lines due in this period")),
        "avg_days_late": ("otif_lines", N_("no lines due in this period")),
        "schedule_adherence": ("planned_qty", N_("no planned output in this period")),
        "promise_reliability": ("promise_lines", N_("no estimates to keep in this period")),
        "quality": ("received_qty", N_("no receipts in this period")),
        "responsiveness": ("production_days", N_("no production days in this period")),
    }
    if key in none and not _count(row[none[key][0]]):
        return _(none[key][1])

    def n(column: str) -> str:
        return format_decimal(_count(row[column]))

    def plural(column: str) -> int:
        return round(_count(row[column]))

    if key == "otd":
        text = ngettext(
            "{part} of {n} receipt on time", "{part} of {n} receipts on time", plural("otd_receipts")
        )
        return text.format(part=n("otd_on_time"), n=n("otd_receipts"))
    if key == "otif":
        text = ngettext(
            "{part} of {n} line due delivered in full on time",
            "{part} of {n} lines due delivered in full on time",
            plural("otif_lines"),
        )
        return text.format(part=n("otif_on_time"), n=n("otif_lines"))
    if key == "avg_days_late":
        if not _count(row["late_lines"]):
            text = ngettext(
                "none of {n} line due delivered late",
                "none of {n} lines due delivered late",
                plural("otif_lines"),
            )
            return text.format(n=n("otif_lines"))
        days = ngettext("{n} day", "{n} days", plural("late_days")).format(n=n("late_days"))
        lines = ngettext("{n} late line", "{n} late lines", plural("late_lines")).format(n=n("late_lines"))
        # TRANSLATORS: {days} is "3 days", {lines} is "2 late lines"
        return _("{days} late over {lines}").format(days=days, lines=lines)
    if key == "schedule_adherence":
        text = ngettext(
            "{part} of {n} planned unit made on plan",
            "{part} of {n} planned units made on plan",
            plural("planned_qty"),
        )
        return text.format(part=n("credited_qty"), n=n("planned_qty"))
    if key == "promise_reliability":
        text = ngettext(
            "{part} of {n} estimate never moved later",
            "{part} of {n} estimates never moved later",
            plural("promise_lines"),
        )
        return text.format(part=n("promises_kept"), n=n("promise_lines"))
    if key == "quality":
        text = ngettext(
            "{part} rejected of {n} unit received",
            "{part} rejected of {n} units received",
            plural("received_qty"),
        )
        return text.format(part=n("rejected_qty"), n=n("received_qty"))
    if key == "responsiveness":
        text = ngettext(
            "{part} of {n} production day reported in time",
            "{part} of {n} production days reported in time",
            plural("production_days"),
        )
        return text.format(part=n("reported_on_time"), n=n("production_days"))
    return sc.basis(row)[key]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def format_number(metric: str, row: dict[str, Any], *, short: bool = False) -> str:
    """A number of a scorecard as people read it, or why there is none (``short``: the bare value)."""
    value = row.get(metric)
    if metric == "score":
        if _missing(value):
            return "—" if short else score_note(row)
        # TRANSLATORS: a score and its grade letter, e.g. 84.5 (B)
        return _("{score} ({grade})").format(score=format_decimal(value, 1), grade=row["grade"])
    if metric == "lines":
        return format_decimal(int(value or 0))
    if metric == "avg_days_late" and _missing(value) and row.get("otif_lines", 0):
        return _("no late line")
    if _missing(value):
        return _(NO_DATA)
    if metric == "avg_days_late":
        return _("{days} days").format(days=format_decimal(value, 1))
    if metric == "quality":
        ppm = "" if short else " " + _("({ppm} PPM)").format(ppm=format_decimal(row["ppm"]))
        return format_percent(value, 2) + ppm
    if metric == "promise_reliability" and not short:
        slip = row.get("mean_slip_days")
        if _missing(slip):
            return format_percent(value, 1)
        return _("{share} (mean slip {days} working days)").format(
            share=format_percent(value, 1), days=format_decimal(slip, 1)
        )
    return format_percent(value, 1)


def _period_label(period: str, months: list[str]) -> str:
    if period == ROLLING:
        return _("rolling 12 months {first} – {last}").format(
            first=_month_name(months[0]), last=_month_name(months[-1])
        )
    return _month_name(period)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _period_choice(period: str) -> str:
    return _("Rolling 12 months") if period == ROLLING else _month_name(period)


def _month_name(month: str) -> str:
    return format_skeleton("yMMM", pd.Timestamp(f"{month}-01").date(), locale=babel_locale())


def month_choice(month: str) -> str:
    """A month in a picker: "Nov 2026", and "(to date)" for the month still running."""
    today = pd.Timestamp.today()
    current = f"{today.year:04d}-{today.month:02d}"
    if month == current:
        return _("{month} (to date)").format(month=_month_name(month))
    return _month_name(month)


# ----------------------------------------------------------------------------- lines behind a number


def _common_columns() -> dict[str, Any]:
    """The columns every list of lines has, with their headers in the user's language."""
    return {
        "period": st.column_config.TextColumn(_("Month"), help=_("The month the row counts in")),
        "label": st.column_config.TextColumn(_("Line"), help=_("PO number / line"), pinned=True),
        "sku": st.column_config.TextColumn(_("SKU")),
    }


def drill_columns(key: str) -> dict[str, Any]:
    """The columns listed behind one number, with their headers in the user's language."""
    columns: dict[str, dict[str, Any]] = {
        "otd": {
            "received_date": st.column_config.DateColumn(_("Received"), format=date_format()),
            "due_date": st.column_config.DateColumn(
                _("Due"), format=date_format(), help=_("Promised date, else need-by date")
            ),
            "quantity": st.column_config.NumberColumn(
                _("Qty"), format="localized", help=_("Quantity received")
            ),
            "on_time": st.column_config.CheckboxColumn(
                _("On time"), help=_("Received on or before due + tolerance")
            ),
            "days_after_due": st.column_config.NumberColumn(_("Days after due"), help=_("Negative: early")),
            "otd_counted": st.column_config.CheckboxColumn(
                _("Counted"), help=_("Receipts of lines without a known due date are not counted")
            ),
        },
        "otif": {
            "due_date": st.column_config.DateColumn(
                _("Due"), format=date_format(), help=_("Promised date, else need-by date")
            ),
            "ordered": st.column_config.NumberColumn(_("Ordered"), format="localized"),
            "good_received": st.column_config.NumberColumn(
                _("Good received"), format="localized", help=_("Received minus rejected, all receipts so far")
            ),
            "delivered_date": st.column_config.DateColumn(
                _("Delivered in full"),
                format=date_format(),
                help=_("The receipt that completed the in-full quantity"),
            ),
            "otif": st.column_config.CheckboxColumn(_("On time in full")),
            "days_late": st.column_config.NumberColumn(_("Days late"), help=_("Delivered in full minus due")),
        },
        "schedule_adherence": {
            "report_date": st.column_config.DateColumn(_("Report date"), format=date_format()),
            "revision": st.column_config.NumberColumn(
                _("Plan revision"), help=_("The schedule revision in force that day")
            ),
            "planned": st.column_config.NumberColumn(_("Planned"), format="localized"),
            "good_qty": st.column_config.NumberColumn(_("Good output"), format="localized"),
            "credited": st.column_config.NumberColumn(
                _("Counted"), format="localized", help=_("Good output up to the plan: min(good, planned)")
            ),
        },
        "promise_reliability": {
            "original_end_date": st.column_config.DateColumn(_("Original estimate"), format=date_format()),
            "latest_end_date": st.column_config.DateColumn(_("Latest estimate"), format=date_format()),
            "revisions": st.column_config.NumberColumn(_("Revisions")),
            "moved_later": st.column_config.CheckboxColumn(_("Moved later")),
            "slip_working_days": st.column_config.NumberColumn(_("Slip (working days)")),
        },
        "quality": {
            "received_date": st.column_config.DateColumn(_("Received"), format=date_format()),
            "quantity": st.column_config.NumberColumn(
                _("Qty"), format="localized", help=_("Quantity received")
            ),
            "rejected_qty": st.column_config.NumberColumn(_("Rejected"), format="localized"),
        },
        "responsiveness": {
            "first_day": st.column_config.DateColumn(pgettext("date range", "From"), format=date_format()),
            "last_day": st.column_config.DateColumn(pgettext("date range", "To"), format=date_format()),
            "working_days": st.column_config.NumberColumn(
                _("Production days"), help=_("Working days in production")
            ),
            "reported_on_time": st.column_config.NumberColumn(
                _("Reported in time"), help=_("Posted by the end of the next working day")
            ),
            "reported_late": st.column_config.NumberColumn(_("Reported late")),
            "not_reported": st.column_config.NumberColumn(_("Not reported")),
        },
        "lines": {
            "ordered": st.column_config.NumberColumn(_("Ordered"), format="localized"),
            "status": st.column_config.TextColumn(_("Status")),
            **{
                k: st.column_config.CheckboxColumn(_(label), help=_(meaning))
                for k, (label, meaning) in LINE_SOURCE_LABELS.items()
            },
        },
    }
    columns["avg_days_late"] = columns["otif"]
    return columns[key]


def lines_behind(card: SupplierScorecard, key: str, period: str) -> pd.DataFrame:
    """The rows behind one number of the scorecard for the period shown."""
    rows = card.lines[key]
    if "status" in rows.columns:
        rows = rows.assign(status=rows["status"].map(vocabulary.status_name))
    if period != ROLLING and len(rows):
        rows = rows[rows["period"] == period]
    if key == "lines" and period == ROLLING and len(rows):
        # A line counted in several months is one line over the 12 months.
        flags = list(LINE_SOURCE_LABELS)
        rows = (
            rows.groupby(["label", "sku", "ordered", "status"], as_index=False, dropna=False)[flags]
            .any()
            .assign(period=_("12 months"))
        )
    return rows.reset_index(drop=True)


def _show_lines(card: SupplierScorecard, key: str, period: str, row: dict[str, Any], prefix: str) -> None:
    # TRANSLATORS: {name} is a scorecard number's name, {value} its value
    st.subheader(_("Behind “{name}”: {value}").format(name=_name(key), value=format_number(key, row)))
    if key == "score":
        parts = sc.score_breakdown(row, card.settings)
        parts["metric"] = parts["metric"].map(metric_label)
        parts[["value", "effective_weight"]] *= 100  # shown as percentages
        st.caption(
            _(
                "Each metric adds value × effective weight × 100 points; the effective weight is the admin "
                "weight divided by the sum of the weights of the metrics that have data."
            )
        )
        st.dataframe(
            parts,
            hide_index=True,
            width="stretch",
            column_config={
                "metric": _("Metric"),
                "value": st.column_config.NumberColumn(_("Value"), format="%.1f%%"),
                "weight": st.column_config.NumberColumn(_("Admin weight")),
                "effective_weight": st.column_config.NumberColumn(_("Effective weight"), format="%.1f%%"),
                "points": st.column_config.NumberColumn(_("Points"), format="%.1f"),
            },
            key=f"{prefix}.breakdown",
            placeholder=_(NO_DATA),
        )
        return
    st.caption(
        f"{_upper_first(_basis(key, row))}, {_period_label(period, card.months)}. "
        + _definition(key, card.settings)
    )
    rows = lines_behind(card, key, period)
    if rows.empty:
        st.info(_("Nothing counted in {period}.").format(period=_period_label(period, card.months)))
        return
    columns = drill_columns(key)
    order = [c for c in ("period", "label", "sku", *columns) if c in rows.columns]
    st.dataframe(
        rows[order],
        hide_index=True,
        width="stretch",
        column_config={**_common_columns(), **columns},
        key=f"{prefix}.lines.{key}",
        placeholder="–",
    )
    st.caption(ngettext("{n} row.", "{n} rows.", len(rows)).format(n=format_decimal(len(rows))))


# ----------------------------------------------------------------------------- trends

_MONTHLY = "#1f6feb"
_ROLLING = "#9aa5b1"


def trend_chart(card: SupplierScorecard, key: str) -> alt.LayerChart | alt.FacetChart:
    """A metric month by month (dots, solid line) and over the 12 months ending each month (dashed)."""
    monthly = card.monthly.set_index("period")
    rolling = card.trend.set_index("period")
    this_month, rolling_12 = _("This month"), _("Rolling 12 months")
    frame = pd.DataFrame(
        {
            "month": pd.to_datetime([f"{m}-01" for m in card.months]),
            this_month: monthly[key].reindex(card.months).to_numpy(dtype="float64"),
            rolling_12: rolling[key].reindex(card.months).to_numpy(dtype="float64"),
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
            scale=alt.Scale(domain=[this_month, rolling_12], range=[_MONTHLY, _ROLLING]),
            legend=None,
        ),
        strokeDash=alt.StrokeDash(
            "series:N",
            scale=alt.Scale(domain=[this_month, rolling_12], range=[[1, 0], [5, 3]]),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("yearmonth(month):T", title=_("Month")),
            alt.Tooltip("series:N", title=_("Series")),
            alt.Tooltip("value:Q", title=_("Value"), format=value_format),
            alt.Tooltip("lines:Q", title=_("Lines this month")),
        ],
    )
    title = _("Score") if key == "score" else metric_label(key)
    return alt.layer(base.mark_line(), base.mark_point(filled=True, size=40)).properties(
        height=170, title=title
    )


def _show_trends(card: SupplierScorecard, prefix: str) -> None:
    st.subheader(_("Month by month"))
    st.caption(
        _(
            "Blue dots and line: the month on its own (a gap where the month has no data, or for the score "
            "fewer than {n} lines). Grey dashes: the rolling 12 months ending that month, which is what the "
            "score above uses. Hover a point for its value and line count."
        ).format(n=card.settings.min_lines_for_score)
    )
    keys = ["score", *sc.METRICS]
    for i in range(0, len(keys), 2):
        cols = st.columns(2)
        for col, key in zip(cols, keys[i : i + 2], strict=False):
            col.altair_chart(trend_chart(card, key), width="stretch")
    with st.expander(_("The monthly numbers")):
        table = card.monthly[["period", "lines", "score", "grade", *sc.METRICS, "ppm"]].iloc[::-1].copy()
        rates = [k for k, m in sc.METRICS.items() if m.unit == "rate"]
        table[rates] *= 100  # shown as percentages
        st.caption(_("Each month on its own; – where the month has no data for that number."))
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            placeholder="–",
            column_config={
                "period": _("Month"),
                "lines": _("Lines"),
                "score": st.column_config.NumberColumn(_("Score"), format="%.1f"),
                "grade": _("Grade"),
                **{
                    k: st.column_config.NumberColumn(
                        metric_label(k), format="%.1f%%" if m.unit == "rate" else "%.1f"
                    )
                    for k, m in sc.METRICS.items()
                },
                "ppm": st.column_config.NumberColumn(_("PPM"), format="%.0f"),
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
        _("12 months ending"),
        choices,
        format_func=month_choice,
        key=end_key,
        help=_(
            "The scorecard covers the 12 calendar months ending with this one (the current month to date)."
        ),
    )
    last = sc.parse_month(end)
    months = [sc.month_label(m) for m in range(last - sc.ROLLING_MONTHS + 1, last + 1)]
    periods = [ROLLING, *reversed(months)]
    period_key = f"{prefix}.period"
    if st.session_state.get(period_key) not in periods:
        st.session_state[period_key] = ROLLING
    period = period_column.selectbox(
        _("Numbers for"),
        periods,
        format_func=_period_choice,
        key=period_key,
        help=_("The rolling 12 months (what the ranking uses) or one month of them."),
    )
    return end, period


def _name(key: str) -> str:
    if key == "score":
        return _("Score and grade")
    if key == "lines":
        return _("Lines")
    return metric_label(key)


def _definition(key: str, settings: Any) -> str:
    weights = settings.weights()
    if key == "score":
        return _(
            "0-100: the weighted mean of the metrics, with the admin weights renormalized over the metrics "
            "that have data. Grades: A >= 90, B >= 80, C >= 65, D >= 50, else F. Under "
            "{n} lines in the period there is no score."
        ).format(n=settings.min_lines_for_score)
    if key == "lines":
        return _(
            "Distinct PO lines counted by any metric: a receipt, a due date, a reported day with a plan, "
            "a judged estimate or a production day in the period."
        )
    if key in weights:
        weight = _("Weight in the score: {weight} of 100.").format(weight=weights[key])
    else:
        weight = _("Not part of the score.")
    return metric_definition(key) + " " + weight


def _basis(key: str, row: dict[str, Any]) -> str:
    if key == "score":
        return score_note(row) if row.get("score_note") else _("weighted mean of the metrics with data")
    if key == "lines":
        return _("distinct PO lines in the period")
    text = basis_text(key, row)
    if key == "quality" and not _missing(row.get("ppm")):
        text += " " + _("({ppm} PPM)").format(ppm=format_decimal(row["ppm"]))
    if key == "promise_reliability" and not _missing(row.get("mean_slip_days")):
        text += _("; mean slip {days} working days").format(days=format_decimal(row["mean_slip_days"], 1))
    return text


def _number_card(key: str, row: dict[str, Any], card: SupplierScorecard, period: str, prefix: str) -> None:
    """One number: its value, what it is computed from, its definition (?) and a button to its lines."""
    drill_key = f"{prefix}.drill"
    with st.container(border=True):
        delta = None
        if key == "score" and period == ROLLING:
            score, previous = row.get("score"), card.previous.get("score")
            if previous is not None and not _missing(score) and not _missing(previous):
                # A labelled chip: a bare "-0.3" does not say against what.
                delta = _("{change} vs the 12 months before").format(change=f"{score - previous:+.1f}")
        st.metric(
            _name(key),
            format_number(key, row, short=True),
            delta=delta,
            help=_definition(key, card.settings)
            + (
                " " + _("The change is against the 12 months ending the month before.")
                if delta is not None
                else ""
            ),
        )
        st.caption(_basis(key, row))
        chosen = st.session_state.get(drill_key, "lines") == key
        label = _("How it adds up") if key == "score" else _("Lines behind it")
        if st.button(
            label,
            key=f"{prefix}.show.{key}",
            type="primary" if chosen else "secondary",
            icon=":material/list:",
            help=_("List what {name} is computed from, below").format(name=_name(key)),
        ):
            st.session_state[drill_key] = key
            st.rerun()


def show_scorecard(card: SupplierScorecard, period: str, prefix: str) -> None:
    """The numbers (each with its definition and a way to its lines), the lines behind one, the trends."""
    row = _numbers_for(card, period)
    if row.get("score_note"):
        st.info(
            _("No score for {period}: {reason}.").format(
                period=_period_label(period, card.months), reason=plain(score_note(row))
            )
        )
    tolerance = card.settings.on_time_tolerance_days
    st.caption(
        _upper_first(_period_label(period, card.months))
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
    for i in range(0, len(ROWS), 3):
        for col, key in zip(st.columns(3), ROWS[i : i + 3], strict=False):
            with col:
                _number_card(key, row, card, period, prefix)
    key = st.session_state.get(f"{prefix}.drill", "lines")
    _show_lines(card, key if key in ROWS else "lines", period, row, prefix)
    _show_trends(card, prefix)
