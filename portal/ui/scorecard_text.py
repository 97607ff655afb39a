"""Scorecard numbers in words, shared by the scorecard, the ranking and the comparison: metric names and
definitions, each number as people read it, what it is computed from, and month and period names."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pandas as pd
from babel.dates import format_skeleton

from portal.core import scorecard as sc
from portal.core.settings import Settings
from portal.i18n import N_, _, babel_locale, format_percent, ngettext
from portal.i18n import format_number as format_decimal

#: The period choice for the rolling 12 months (else a month, "YYYY-MM").
ROLLING = "rolling"


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
    return 0.0 if missing(value) else float(value)


#: A metric's basis when it has nothing to count: the counting column and the sentence.
NOTHING_COUNTED = {
    "otd": ("otd_receipts", N_("no receipts in this period")),
    "otif": ("otif_lines", N_("no lines due in this period")),
    "avg_days_late": ("otif_lines", N_("no lines due in this period")),
    "schedule_adherence": ("planned_qty", N_("no planned output in this period")),
    "promise_reliability": ("promise_lines", N_("no estimates to keep in this period")),
    "quality": ("received_qty", N_("no receipts in this period")),
    "responsiveness": ("production_days", N_("no production days in this period")),
}
#: A metric's basis as "{part} of {n} ...": the part's column, the count's column and the sentence
#: for a count (each language words it with its own plural forms).
PART_OF: dict[str, tuple[str, str, Callable[[int], str]]] = {
    "otd": (
        "otd_on_time",
        "otd_receipts",
        lambda k: ngettext("{part} of {n} receipt on time", "{part} of {n} receipts on time", k),
    ),
    "otif": (
        "otif_on_time",
        "otif_lines",
        lambda k: ngettext(
            "{part} of {n} line due delivered in full on time",
            "{part} of {n} lines due delivered in full on time",
            k,
        ),
    ),
    "schedule_adherence": (
        "credited_qty",
        "planned_qty",
        lambda k: ngettext(
            "{part} of {n} planned unit made on plan", "{part} of {n} planned units made on plan", k
        ),
    ),
    "promise_reliability": (
        "promises_kept",
        "promise_lines",
        lambda k: ngettext(
            "{part} of {n} estimate never moved later", "{part} of {n} estimates never moved later", k
        ),
    ),
    "quality": (
        "rejected_qty",
        "received_qty",
        lambda k: ngettext(
            "{part} rejected of {n} unit received", "{part} rejected of {n} units received", k
        ),
    ),
    "responsiveness": (
        "reported_on_time",
        "production_days",
        lambda k: ngettext(
            "{part} of {n} production day reported in time",
            "{part} of {n} production days reported in time",
            k,
        ),
    ),
}


def basis_text(key: str, row: Any) -> str:
    """What a metric of a row was computed from, in words ("45 of 50 receipts on time").

    The same sentences as ``portal.core.scorecard.basis``, written here so each language can word them
    (with its own plural forms).
    """
    if key in NOTHING_COUNTED:
        counted, nothing = NOTHING_COUNTED[key]
        if not _count(row[counted]):
            return _(nothing)

    def n(column: str) -> str:
        return format_decimal(_count(row[column]))

    def plural(column: str) -> int:
        return round(_count(row[column]))

    if key in PART_OF:
        part, count, sentence = PART_OF[key]
        return sentence(plural(count)).format(part=n(part), n=n(count))
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
    return sc.basis(row)[key]


def missing(value: Any) -> bool:
    """Whether a number is absent (None, NaN or NA): shown as why, never as 0."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def format_number(metric: str, row: dict[str, Any], *, short: bool = False) -> str:
    """A number of a scorecard as people read it, or why there is none (``short``: the bare value)."""
    value = row.get(metric)
    if metric == "score":
        if missing(value):
            return "—" if short else score_note(row)
        # TRANSLATORS: a score and its grade letter, e.g. 84.5 (B)
        return _("{score} ({grade})").format(score=format_decimal(value, 1), grade=row["grade"])
    if metric == "lines":
        return format_decimal(int(value or 0))
    if metric == "avg_days_late" and missing(value) and row.get("otif_lines", 0):
        return _("no late line")
    if missing(value):
        return _(NO_DATA)
    if metric == "avg_days_late":
        return _("{days} days").format(days=format_decimal(value, 1))
    if metric == "quality":
        ppm = "" if short else " " + _("({ppm} PPM)").format(ppm=format_decimal(row["ppm"]))
        return format_percent(value, 2) + ppm
    if metric == "promise_reliability" and not short:
        slip = row.get("mean_slip_days")
        if missing(slip):
            return format_percent(value, 1)
        return _("{share} (mean slip {days} working days)").format(
            share=format_percent(value, 1), days=format_decimal(slip, 1)
        )
    return format_percent(value, 1)


def period_label(period: str, months: list[str]) -> str:
    """The period in a sentence: "rolling 12 months Jan 2026 – Dec 2026" or a month's name."""
    if period == ROLLING:
        return _("rolling 12 months {first} – {last}").format(
            first=month_name(months[0]), last=month_name(months[-1])
        )
    return month_name(period)


def upper_first(text: str) -> str:
    """The text with its first letter capitalized (the rest kept as it is)."""
    return text[:1].upper() + text[1:]


def period_choice(period: str) -> str:
    """The period in the "Numbers for" picker."""
    return _("Rolling 12 months") if period == ROLLING else month_name(period)


def month_name(month: str) -> str:
    """A month "YYYY-MM" in the user's language: "Nov 2026"."""
    return format_skeleton("yMMM", pd.Timestamp(f"{month}-01").date(), locale=babel_locale())


def month_choice(month: str) -> str:
    """A month in a picker: "Nov 2026", and "(to date)" for the month still running."""
    today = pd.Timestamp.today()
    current = f"{today.year:04d}-{today.month:02d}"
    if month == current:
        return _("{month} (to date)").format(month=month_name(month))
    return month_name(month)


def number_name(key: str) -> str:
    """The name of a number of the scorecard: the score, the line count or a metric."""
    if key == "score":
        return _("Score and grade")
    if key == "lines":
        return _("Lines")
    return metric_label(key)


def number_definition(key: str, settings: Settings) -> str:
    """What a number of the scorecard means, with its weight in the score."""
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


def number_basis(key: str, row: dict[str, Any]) -> str:
    """What a number of a row was computed from, in words, for the card under the number."""
    if key == "score":
        return score_note(row) if row.get("score_note") else _("weighted mean of the metrics with data")
    if key == "lines":
        return _("distinct PO lines in the period")
    text = basis_text(key, row)
    if key == "quality" and not missing(row.get("ppm")):
        text += " " + _("({ppm} PPM)").format(ppm=format_decimal(row["ppm"]))
    if key == "promise_reliability" and not missing(row.get("mean_slip_days")):
        text += _("; mean slip {days} working days").format(days=format_decimal(row["mean_slip_days"], 1))
    return text
