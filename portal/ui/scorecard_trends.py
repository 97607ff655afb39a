"""Month by month: the score and every metric of a scorecard in one chart (small multiples sharing one
dataset), and every month's numbers in a table.

One Vega-Lite spec written as a dict: eight Altair charts cost about a second to build and validate at
every run; this costs milliseconds and draws the same lines, points and tooltips.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from babel.dates import format_skeleton

from portal.core import scorecard as sc
from portal.i18n import _, babel_locale, format_percent
from portal.i18n import format_number as format_decimal
from portal.queries.scorecards import SupplierScorecard
from portal.ui.charts import vega_config
from portal.ui.scorecard_text import metric_label, month_name
from portal.ui.widgets import show_table

#: The numbers drawn, in order: the score, then every metric.
TREND_NUMBERS: tuple[str, ...] = ("score", *sc.METRICS)
_MONTHLY = "#1f6feb"
_ROLLING = "#9aa5b1"
_PANEL_HEIGHT = 90


def _value_text(key: str, value: float) -> str | None:
    """A value as the tooltip shows it, in the user's language (None: no point is drawn)."""
    if pd.isna(value):
        return None
    if key == "score":
        return format_decimal(value, 1)
    if key == "avg_days_late":
        return _("{days} days").format(days=format_decimal(value, 1))
    return format_percent(value, 2 if key == "quality" else 1)


def _short_month(month: str) -> str:
    return format_skeleton("yyMMM", pd.Timestamp(f"{month}-01").date(), locale=babel_locale())


def trend_frame(card: SupplierScorecard) -> pd.DataFrame:
    """One row per month and series (the month on its own; the rolling 12 months ending it), with every
    number's value and its text, and the month's line count."""
    monthly = card.monthly.set_index("period").reindex(card.months)
    rolling = card.trend.set_index("period").reindex(card.months)
    lines = monthly["lines"].fillna(0).astype("int64").to_numpy()
    parts = []
    for series, numbers in ((_("This month"), monthly), (_("Rolling 12 months"), rolling)):
        part = pd.DataFrame(
            {
                "month": [_short_month(m) for m in card.months],
                "month_name": [month_name(m) for m in card.months],
                "series": series,
                "lines": lines,
            }
        )
        for key in TREND_NUMBERS:
            values = numbers[key].to_numpy(dtype="float64")
            part[key] = values
            part[f"{key}_text"] = [_value_text(key, v) for v in values]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _panel(key: str) -> dict[str, Any]:
    """One number's small chart: the months on x, the value on y, a line and dots per series."""
    is_rate = key not in ("avg_days_late", "score")
    if key == "score":
        scale: dict[str, Any] = {"domain": [0, 100]}
    elif is_rate:
        scale = {"domain": [0, 1]}
    else:
        scale = {"zero": True, "nice": True}
    title = _("Score") if key == "score" else metric_label(key)
    series = [_("This month"), _("Rolling 12 months")]
    return {
        "title": {"text": title, "anchor": "start", "fontSize": 13, "offset": 6},
        "height": _PANEL_HEIGHT,
        "mark": {"type": "line", "point": {"filled": True, "size": 36}},
        "encoding": {
            "x": {
                "field": "month",
                "type": "ordinal",
                "sort": None,
                "title": None,
                "axis": {"labelAngle": 0, "labelOverlap": True},
            },
            "y": {
                "field": key,
                "type": "quantitative",
                "title": None,
                "scale": scale,
                # The same width of labels on every panel, so the titles and the plots line up.
                "axis": {"format": ".0%" if is_rate else ".1~f", "tickCount": 3, "minExtent": 36},
            },
            "color": {
                "field": "series",
                "type": "nominal",
                "scale": {"domain": series, "range": [_MONTHLY, _ROLLING]},
                "legend": None,
            },
            "strokeDash": {
                "field": "series",
                "type": "nominal",
                "scale": {"domain": series, "range": [[1, 0], [5, 3]]},
                "legend": None,
            },
            "tooltip": [
                {"field": "month_name", "type": "nominal", "title": _("Month")},
                {"field": "series", "type": "nominal", "title": _("Series")},
                {"field": f"{key}_text", "type": "nominal", "title": title},
                {"field": "lines", "type": "quantitative", "title": _("Lines this month"), "format": ","},
            ],
        },
    }


def trend_spec() -> dict[str, Any]:
    """The Vega-Lite spec of the chart: one panel per number, stacked, sharing the months."""
    return {
        "vconcat": [_panel(key) for key in TREND_NUMBERS],
        "spacing": 18,
        "resolve": {"scale": {"y": "independent"}},
        "config": vega_config(),
    }


def show_trends(card: SupplierScorecard, prefix: str) -> None:
    """The chart of every number month by month, and the monthly numbers in a table."""
    st.subheader(_("Month by month"))
    st.caption(
        _(
            "Blue dots and line: the month on its own (a gap where the month has no data, or for the score "
            "fewer than {n} lines). Grey dashes: the rolling 12 months ending that month, which is what the "
            "score above uses. Hover a point for its value and line count."
        ).format(n=card.settings.min_lines_for_score)
    )
    st.vega_lite_chart(trend_frame(card), trend_spec(), width="stretch", key=f"{prefix}.trends")
    with st.expander(_("The monthly numbers")):
        table = card.monthly[["period", "lines", "score", "grade", *sc.METRICS, "ppm"]].iloc[::-1].copy()
        rates = [k for k, m in sc.METRICS.items() if m.unit == "rate"]
        table[rates] *= 100  # shown as percentages
        st.caption(_("Each month on its own; – where the month has no data for that number."))
        show_table(
            table,
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
