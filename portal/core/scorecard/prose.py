"""A scorecard's numbers in words: what each was computed from ("45 of 50 receipts on time")."""

from __future__ import annotations

from typing import Any

import pandas as pd


def basis(row: pd.Series | dict[str, Any]) -> dict[str, str]:
    """For each number of a summary row, what it was computed from, in words ("45 of 50 receipts on time")."""

    def n(value: float, noun: str = "") -> str:
        count = float(value)
        text = f"{count:,.0f}"
        if not noun:
            return text
        return f"{text} {noun}" if count == 1 else f"{text} {noun}s"

    late = float(row["late_lines"])
    none = {
        "otd": ("otd_receipts", "no receipts in this period"),
        "otif": ("otif_lines", "no lines due in this period"),
        "avg_days_late": ("otif_lines", "no lines due in this period"),
        "schedule_adherence": ("planned_qty", "no planned output in this period"),
        "promise_reliability": ("promise_lines", "no estimates to keep in this period"),
        "quality": ("received_qty", "no receipts in this period"),
        "responsiveness": ("production_days", "no production days in this period"),
    }
    texts = {
        "otd": f"{n(row['otd_on_time'])} of {n(row['otd_receipts'], 'receipt')} on time",
        "otif": f"{n(row['otif_on_time'])} of {n(row['otif_lines'], 'line')} due delivered in full on time",
        "avg_days_late": f"{n(row['late_days'], 'day')} late over {n(late, 'late line')}"
        if late
        else f"none of {n(row['otif_lines'], 'line')} due delivered late",
        "schedule_adherence": f"{n(row['credited_qty'])} of {n(row['planned_qty'], 'planned unit')} "
        "made on plan",
        "promise_reliability": f"{n(row['promises_kept'])} of {n(row['promise_lines'], 'estimate')} "
        "never moved later",
        "quality": f"{n(row['rejected_qty'])} rejected of {n(row['received_qty'], 'unit')} received",
        "responsiveness": f"{n(row['reported_on_time'])} of {n(row['production_days'], 'production day')} "
        "reported in time",
    }
    # Never "0 of 0": a number with nothing to count says so.
    for metric, (denominator, text) in none.items():
        if not float(row[denominator] or 0):
            texts[metric] = text
    return texts
