"""Charts shared by pages: the burn-up of a line (supplier workspace and buyer line detail)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from portal.core.burnup import actual_cumulative, forecast_band, planned_cumulative
from portal.core.calendar import WorkCalendar
from portal.i18n import _, format_date
from portal.queries.line_detail import LineDetail, as_date

PLANNED = "#9aa5b1"
ACTUAL = "#1f6feb"
FORECAST = "#f0883e"


def burnup_chart(detail: LineDetail, calendar: WorkCalendar | None = None) -> alt.LayerChart | None:
    """Planned vs actual cumulative output, the forecast p50-p90 band, need-by and the supplier's estimate."""
    header = detail.header
    quantity = int(header["quantity"])
    calendar = calendar or detail.calendar
    layers: list[alt.Chart] = []
    schedule = detail.current_schedule
    if schedule is not None:
        planned = planned_cumulative(
            as_date(schedule["start_date"]), float(schedule["daily_output"]), quantity, calendar
        ).assign(series="Planned")
        layers.append(
            alt.Chart(planned)
            .mark_line(strokeDash=[6, 4], color=PLANNED, interpolate="step-after")
            .encode(
                x=alt.X("date:T", title=None),
                y=alt.Y("cumulative:Q", title=_("Cumulative good units")),
                tooltip=[
                    alt.Tooltip("date:T", title=_("Date")),
                    alt.Tooltip("cumulative:Q", title=_("Planned"), format=",.0f"),
                ],
            )
        )
    actual = actual_cumulative(detail.current_reports)
    if not actual.empty:
        layers.append(
            alt.Chart(actual)
            .mark_line(point=True, color=ACTUAL)
            .encode(
                x="date:T",
                y="cumulative:Q",
                tooltip=[
                    alt.Tooltip("date:T", title=_("Date")),
                    alt.Tooltip("cumulative:Q", title=_("Actual"), format=",.0f"),
                ],
            )
        )
    forecast = detail.forecast
    if forecast is not None:
        band = forecast_band(
            forecast["as_of"],
            int(forecast["produced"]),
            quantity,
            forecast["completion_p50"],
            forecast["completion_p90"],
        )
        if not band.empty:
            layers.append(
                alt.Chart(band)
                .mark_area(opacity=0.25, color=FORECAST)
                .encode(
                    x="date:T",
                    y="low:Q",
                    y2="high:Q",
                    tooltip=[
                        alt.Tooltip("date:T", title=_("Date")),
                        alt.Tooltip("high:Q", title=_("Forecast p50"), format=",.0f"),
                        alt.Tooltip("low:Q", title=_("Forecast p90"), format=",.0f"),
                    ],
                )
            )
            layers.append(alt.Chart(band).mark_line(color=FORECAST).encode(x="date:T", y="high:Q"))
    # (name, date, colour, label height in px): labels on two rows, so close dates stay readable.
    markers = [(_("Need by"), as_date(header["need_by_date"]), "#d1242f", 8)]
    if schedule is not None:
        markers.append((_("Supplier's estimate"), as_date(schedule["estimated_end_date"]), "#8250df", 24))
    for name, day, color, label_y in markers:
        if day is None:
            continue
        rule = pd.DataFrame({"date": [pd.Timestamp(day)], "label": [f"{name} {format_date(day)}"]})
        layers.append(
            alt.Chart(rule).mark_rule(color=color, strokeWidth=2).encode(x="date:T", tooltip="label:N")
        )
        layers.append(
            alt.Chart(rule)
            .mark_text(align="left", dx=4, dy=-6, color=color, fontSize=11)
            .encode(x="date:T", y=alt.value(label_y), text="label:N")
        )
    quantity_rule = pd.DataFrame({"cumulative": [quantity]})
    layers.append(
        alt.Chart(quantity_rule).mark_rule(color="#57606a", strokeDash=[2, 2]).encode(y="cumulative:Q")
    )
    if len(layers) <= 1:
        return None
    return alt.layer(*layers).properties(height=320)


def show_burnup(detail: LineDetail, calendar: WorkCalendar | None = None) -> None:
    """Draw the burn-up, with a legend in words, or say why there is nothing to draw yet."""
    chart = burnup_chart(detail, calendar)
    if chart is None:
        st.info(_("No schedule or output yet: the burn-up appears once the supplier posts a schedule."))
        return
    st.altair_chart(chart, width="stretch")
    st.caption(
        _(
            "Dashed grey: planned cumulative output · blue: actual good output · orange band: forecast "
            "between p50 (top edge) and p90 · red: need-by date · purple: the supplier's estimated end date."
        )
    )
