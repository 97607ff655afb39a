"""Charts shared by pages: the burn-up of a line (supplier workspace and buyer line detail).

The burn-up is written as a plain Vega-Lite spec (a dict), not built with Altair: Altair validates
every channel against the Vega-Lite JSON schema as the chart is built and again when Streamlit
serialises it, about 0.3-0.5 s of a page's script run for this one chart (and its import another
0.4 s in a new process); the browser draws the same spec either way.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd
import streamlit as st

from portal.core.burnup import actual_cumulative, forecast_band, planned_cumulative
from portal.core.calendar import WorkCalendar
from portal.i18n import DEFAULT_LANGUAGE, _, babel_locale, current_language, format_date
from portal.queries.line_detail import LineDetail, as_date

PLANNED = "#9aa5b1"
ACTUAL = "#1f6feb"
FORECAST = "#f0883e"
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

Spec = dict[str, Any]


@lru_cache(maxsize=16)
def _vega_locale(code: str) -> dict[str, Any]:
    from babel import Locale

    cldr = Locale.parse(babel_locale(code))
    symbols = cldr.number_symbols[cldr.default_numbering_system]
    months, days = cldr.months["format"], cldr.days["format"]
    week = (6, 0, 1, 2, 3, 4, 5)  # d3 counts from Sunday, CLDR from Monday
    return {
        "number": {
            "decimal": symbols["decimal"],
            "thousands": symbols["group"],
            "grouping": [3],
            "currency": ["", ""],
        },
        "time": {
            "dateTime": "%x %X",
            "date": "%Y-%m-%d",
            "time": "%H:%M:%S",
            "periods": ["AM", "PM"],
            "days": [days["wide"][d] for d in week],
            "shortDays": [days["abbreviated"][d] for d in week],
            "months": [months["wide"][m] for m in range(1, 13)],
            "shortMonths": [months["abbreviated"][m] for m in range(1, 13)],
        },
    }


def vega_config() -> dict[str, Any]:
    """A chart's ``config`` in the reader's language: Vega writes axis dates ("Oct 25", "Wed 21") and
    numbers ("20,000") in English unless given the month and day names and separators (from CLDR)."""
    code = current_language()
    return {} if code == DEFAULT_LANGUAGE else {"locale": _vega_locale(code)}


def _values(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON records, dates as ISO days (what Vega-Lite parses as temporal)."""
    out = frame.copy()
    if "date" in out:
        out["date"] = pd.to_datetime(out["date"]).dt.strftime("%Y-%m-%d")
    records: list[dict[str, Any]] = out.to_dict("records")
    return records


def _date(title: str | None = None) -> dict[str, Any]:
    return {"field": "date", "type": "temporal", "title": title}


def _tooltip(field: str, title: str) -> list[dict[str, Any]]:
    """The date, then ``field`` as a whole number."""
    return [
        {"field": "date", "type": "temporal", "title": _("Date")},
        {"field": field, "type": "quantitative", "title": title, "format": ",.0f"},
    ]


def burnup_chart(detail: LineDetail, calendar: WorkCalendar | None = None) -> Spec | None:
    """Planned vs actual cumulative output, the forecast p50-p90 band, need-by and the supplier's estimate."""
    header = detail.header
    quantity = int(header["quantity"])
    calendar = calendar or detail.calendar
    layers: list[Spec] = []
    schedule = detail.current_schedule
    if schedule is not None:
        start = as_date(schedule["start_date"])
        assert start is not None, "a schedule has a start date"
        planned = planned_cumulative(start, float(schedule["daily_output"]), quantity, calendar)
        layers.append(
            {
                "data": {"values": _values(planned)},
                "mark": {
                    "type": "line",
                    "strokeDash": [6, 4],
                    "color": PLANNED,
                    "interpolate": "step-after",
                },
                "encoding": {
                    "x": _date(),
                    "y": {
                        "field": "cumulative",
                        "type": "quantitative",
                        "title": _("Cumulative good units"),
                    },
                    "tooltip": _tooltip("cumulative", _("Planned")),
                },
            }
        )
    actual = actual_cumulative(detail.current_reports)
    if not actual.empty:
        layers.append(
            {
                "data": {"values": _values(actual)},
                "mark": {"type": "line", "point": True, "color": ACTUAL},
                "encoding": {
                    "x": _date(),
                    "y": {"field": "cumulative", "type": "quantitative"},
                    "tooltip": _tooltip("cumulative", _("Actual")),
                },
            }
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
            values = _values(band)
            layers.append(
                {
                    "data": {"values": values},
                    "mark": {"type": "area", "opacity": 0.25, "color": FORECAST},
                    "encoding": {
                        "x": _date(),
                        "y": {"field": "low", "type": "quantitative"},
                        "y2": {"field": "high"},
                        "tooltip": [
                            *_tooltip("high", _("Forecast p50")),
                            {
                                "field": "low",
                                "type": "quantitative",
                                "title": _("Forecast p90"),
                                "format": ",.0f",
                            },
                        ],
                    },
                }
            )
            layers.append(
                {
                    "data": {"values": values},
                    "mark": {"type": "line", "color": FORECAST},
                    "encoding": {"x": _date(), "y": {"field": "high", "type": "quantitative"}},
                }
            )
    # (name, date, colour, label height in px): labels on two rows, so close dates stay readable.
    markers = [(_("Need by"), as_date(header["need_by_date"]), "#d1242f", 8)]
    if schedule is not None:
        markers.append((_("Supplier's estimate"), as_date(schedule["estimated_end_date"]), "#8250df", 24))
    # A label reads away from the chart's nearer edge: rightwards in its left half, leftwards in its
    # right half, so a date near the end does not run off a phone's narrow chart.
    days = sorted(
        [str(v["date"])[:10] for layer in layers for v in layer["data"].get("values", []) if v.get("date")]
        + [day.isoformat() for _name, day, _color, _y in markers if day is not None]
    )
    first, last = (as_date(days[0]), as_date(days[-1])) if days else (None, None)
    middle = first + (last - first) / 2 if first and last else None
    for name, day, color, label_y in markers:
        if day is None:
            continue
        leftwards = middle is not None and day > middle
        rule = [{"date": day.isoformat(), "label": f"{name} {format_date(day)}"}]
        layers.append(
            {
                "data": {"values": rule},
                "mark": {"type": "rule", "color": color, "strokeWidth": 2},
                "encoding": {"x": _date(), "tooltip": {"field": "label", "type": "nominal"}},
            }
        )
        layers.append(
            {
                "data": {"values": rule},
                "mark": {
                    "type": "text",
                    "align": "right" if leftwards else "left",
                    "dx": -4 if leftwards else 4,
                    "dy": -6,
                    "color": color,
                    "fontSize": 11,
                },
                "encoding": {
                    "x": _date(),
                    "y": {"value": label_y},
                    "text": {"field": "label", "type": "nominal"},
                },
            }
        )
    layers.append(
        {
            "data": {"values": [{"cumulative": quantity}]},
            "mark": {"type": "rule", "color": "#57606a", "strokeDash": [2, 2]},
            "encoding": {"y": {"field": "cumulative", "type": "quantitative"}},
        }
    )
    if len(layers) <= 1:
        return None
    return {"$schema": SCHEMA, "layer": layers, "height": 320, "config": vega_config()}


def show_burnup(detail: LineDetail, calendar: WorkCalendar | None = None) -> None:
    """Draw the burn-up, with a legend in words, or say why there is nothing to draw yet."""
    chart = burnup_chart(detail, calendar)
    if chart is None:
        st.info(_("No schedule or output yet: the burn-up appears once the supplier posts a schedule."))
        return
    st.vega_lite_chart(spec=chart, width="stretch")
    st.caption(
        _(
            "Dashed grey: planned cumulative output · blue: actual good output · orange band: forecast "
            "between p50 (top edge) and p90 · red: need-by date · purple: the supplier's estimated end date."
        )
    )
