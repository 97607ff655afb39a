"""Two to four suppliers side by side: their rolling-12 scorecards and how they moved month by month."""

import math

import altair as alt
import pandas as pd
import streamlit as st

from portal.core import scorecard as sc
from portal.i18n import _
from portal.i18n import format_number as format_decimal
from portal.queries.scorecards import COMPARE_MAX, compare_suppliers, scorecard_months, supplier_ranking
from portal.ui.charts import vega_config
from portal.ui.context import actor, read
from portal.ui.scorecard_text import NO_DATA, format_number, metric_label, month_choice
from portal.ui.supplier_filter import listed, supplier_picks
from portal.ui.text import plain
from portal.ui.widgets import show_table

SCORECARD_PAGE = "portal/ui/views/manager/scorecard.py"
NUMBERS = ("score", *sc.NUMBERS)
#: Numbers where less is better.
LOWER_IS_BETTER = frozenset({"avg_days_late", "mean_slip_days", "ppm"})

actor()
st.title(_("Compare suppliers"))
every = listed()
if not every.more and len(every.suppliers) < 2:
    st.info(_("Comparing needs at least two suppliers."))
    st.stop()
choices, default = read(scorecard_months)
if st.session_state.get("compare.end_month") not in choices:
    st.session_state["compare.end_month"] = default
if "compare.suppliers" not in st.session_state:
    # Start with the three best-ranked suppliers, so the page shows something useful at once.
    top = read(supplier_ranking, default, limit=3).table
    st.session_state["compare.suppliers"] = [int(s) for s in top["supplier_id"].head(3)]
c1, c2 = st.columns([3, 1])
chosen = supplier_picks(
    c1, "compare.suppliers", _("Suppliers (2 to {n})").format(n=COMPARE_MAX), most=COMPARE_MAX
)
end = c2.selectbox(_("12 months ending"), choices, key="compare.end_month", format_func=month_choice)
if len(chosen) < 2:
    st.info(_("Pick 2 to {n} suppliers to compare.").format(n=COMPARE_MAX))
    st.stop()

result = read(compare_suppliers, tuple(int(s) for s in chosen), end)
summary = result.summary
st.caption(
    _(
        "Rolling 12 months {first} – {last}. "
        "★ marks the best value among the suppliers compared (fewer days late, less slip and fewer rejects "
        "are better; “no slip” beats any slip), ★ tie where several share it; "
        "{up} / {down} / {flat}: the score rose, fell or held "
        "against the 12 months ending the month before. Every number is explained, with the lines behind it, "
        "on each supplier's scorecard."
    ).format(
        first=month_choice(result.months[0]),
        last=month_choice(result.months[-1]),
        up=sc.TREND_UP,
        down=sc.TREND_DOWN,
        flat=sc.TREND_FLAT,
    )
)


def _comparable(key: str) -> pd.Series:
    """The values of a number as compared: rounded as shown; "none late" and "no slip" count as 0 days."""
    values = summary[key].astype("float64")
    if key == "mean_slip_days" and "promise_lines" in summary:
        values = values.where(values.notna() | ~(summary["promise_lines"].fillna(0) > 0), 0.0)
    if key == "avg_days_late" and "otif_lines" in summary:
        values = values.where(values.notna() | ~(summary["otif_lines"].fillna(0) > 0), 0.0)
    decimals = 1 if key in ("score", "avg_days_late", "mean_slip_days") else 0 if key == "ppm" else 3
    return values.round(decimals)


def _best(key: str) -> tuple[set[int], bool]:
    """Rows holding the best value of a number, and whether they tie (none when fewer than two have one).

    The direction follows the metric: less lateness, slip and rejects are better (portal.core.vocabulary).
    """
    if key in ("lines",):
        return set(), False
    known = _comparable(key).dropna()
    if len(known) < 2:
        return set(), False
    best = known.min() if key in LOWER_IS_BETTER else known.max()
    winners = set(known.index[known == best])
    return winners, len(winners) > 1


labels = {
    "score": _("Score and grade"),
    "lines": _("Lines"),
    **{k: metric_label(k) for k in sc.METRICS},
    "mean_slip_days": _("Mean slip of slipped estimates"),
    "ppm": _("Rejected parts per million (PPM)"),
}


def _text(key: str, supplier: dict) -> str:
    value = supplier.get(key)
    if key == "mean_slip_days":
        if value is None or math.isnan(value):
            return _("no slip") if supplier.get("promise_lines") else _(NO_DATA)
        return _("{days} working days").format(days=format_decimal(value, 1))
    if key == "ppm":
        return _(NO_DATA) if value is None or math.isnan(value) else format_decimal(value)
    return format_number(key, supplier, short=True)


rows = []
for key in NUMBERS:
    best, tie = _best(key)
    record = {"number": labels[key]}
    for i, supplier in summary.iterrows():
        text = _text(key, supplier.to_dict())
        if key == "score" and supplier["trend"]:
            text = f"{text} {supplier['trend']}"
        record[supplier["code"]] = (
            _("{value} ★ tie").format(value=text) if i in best and tie else f"{text} ★" if i in best else text
        )
    rows.append(record)
table = pd.DataFrame(rows)
show_table(
    table,
    column_config={"number": st.column_config.TextColumn(_("Metric"), width="medium", pinned=True)},
    key="compare.table",
)
buttons = st.columns(len(summary))
for col, supplier in zip(buttons, summary.itertuples(index=False), strict=True):
    if col.button(
        _("Scorecard of {supplier}").format(supplier=plain(supplier.code)),
        key=f"compare.open.{supplier.supplier_id}",
    ):
        st.session_state["scorecard.supplier"] = int(supplier.supplier_id)
        st.session_state["scorecard.end_month"] = result.end_month
        st.switch_page(SCORECARD_PAGE)

st.subheader(_("Month by month"))
metric = st.selectbox(
    _("Metric"),
    ["score", *sc.METRICS],
    format_func=lambda k: _("Score") if k == "score" else metric_label(k),
    key="compare.metric",
)
trend = result.trend.assign(month=pd.to_datetime(result.trend["period"] + "-01"))
is_rate = metric not in ("score", "avg_days_late")
chart = (
    alt.Chart(trend)
    .mark_line(point=True)
    .encode(
        x=alt.X("yearmonth(month):T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0)),
        y=alt.Y(
            f"{metric}:Q",
            title=_("{number}, rolling 12 months").format(
                number=_("Score") if metric == "score" else metric_label(metric)
            ),
            scale=alt.Scale(domain=[0, 1])
            if is_rate
            else alt.Scale(domain=[0, 100])
            if metric == "score"
            else alt.Scale(),
            axis=alt.Axis(format=".0%" if is_rate else "d"),
        ),
        color=alt.Color("code:N", title=_("Supplier")),
        tooltip=[
            alt.Tooltip("code:N", title=_("Supplier")),
            alt.Tooltip("yearmonth(month):T", title=_("12 months ending")),
            alt.Tooltip(f"{metric}:Q", title=_("Value"), format=".1%" if is_rate else ".1f"),
            alt.Tooltip("lines:Q", title=_("Lines")),
        ],
    )
    .properties(height=320)
)
if config := vega_config():  # month names in the reader's language ("%b %y": "Okt. 26", "10月 26")
    chart = chart.configure(**config)
st.altair_chart(chart, width="stretch")
missing = [c for c, v in zip(summary["code"], summary[metric], strict=True) if v is None or math.isnan(v)]
st.caption(
    _(
        "Each point is the rolling 12 months ending that month. A supplier without a point that month had no "
        "data (or, for the score, too few lines)."
    )
    + (
        " " + _("No value over the last 12 months: {suppliers}.").format(suppliers=plain(", ".join(missing)))
        if missing
        else ""
    )
)
