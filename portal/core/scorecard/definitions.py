"""What a scorecard shows: the metrics with their definitions, the additive totals behind them, the
summary columns, the grades and the words for a missing score (the formulas: the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass

from portal.i18n import N_

ROLLING_MONTHS = 12
ROLLING_LABEL = "rolling-12"
NO_MONTH = -1
#: (grade, lowest score) from the best down; below the last one the grade is F.
GRADES: tuple[tuple[str, float], ...] = (("A", 90.0), ("B", 80.0), ("C", 65.0), ("D", 50.0))
#: A score change smaller than this many points shows as a flat trend.
TREND_STEP = 1.0
TREND_UP, TREND_DOWN, TREND_FLAT = "▲", "▼", "▶"
NO_DATA = "no data"
NOT_ENOUGH_DATA = "not enough data"


@dataclass(frozen=True)
class Metric:
    """A scorecard metric: its label, its unit and the definition shown beside it."""

    key: str
    label: str
    unit: str  # "rate" (0-1), "days" or "count"
    definition: str
    higher_is_better: bool = True


METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric(
            "otd",
            N_("On-time delivery (OTD)"),
            "rate",
            N_(
                "Receipts dated in the period that arrived on or before their line's due date (promised "
                "date, else need-by date; plus the on-time tolerance), out of all receipts in the period."
            ),
        ),
        Metric(
            "otif",
            N_("On time in full (OTIF)"),
            "rate",
            N_(
                "Lines due in the period whose cumulative good quantity received reached the in-full "
                "threshold of the order on or before the due date (plus tolerance), out of the lines due "
                "in the period. Split deliveries count when the receipt completing the quantity is on time."
            ),
        ),
        Metric(
            "avg_days_late",
            N_("Average days late"),
            "days",
            N_(
                "For the lines due in the period that were delivered in full late: the mean of delivery "
                "date minus due date, in calendar days."
            ),
            higher_is_better=False,
        ),
        Metric(
            "schedule_adherence",
            N_("Schedule adherence"),
            "rate",
            N_(
                "Over the days with a production report: good output up to the planned output, summed, "
                "out of the planned output. The plan of a day is the schedule revision in force that day "
                "(daily output on working days from the start date until the order is covered)."
            ),
        ),
        Metric(
            "promise_reliability",
            N_("Promise reliability"),
            "rate",
            N_(
                "Lines whose original estimated end date fell in the period: the share whose estimated "
                "end date never moved later in a schedule revision. Mean slip: working days from the "
                "original to the latest estimate, over the lines that slipped."
            ),
        ),
        Metric(
            "quality",
            N_("Quality"),
            "rate",
            N_(
                "1 - rejected / received quantity over the receipts in the period (our incoming "
                "inspection), also shown as PPM: rejected units per million received."
            ),
        ),
        Metric(
            "responsiveness",
            N_("Responsiveness"),
            "rate",
            N_(
                "Working days a line was in production (from its first report until it was complete) "
                "on which the day's report was posted by the end of the next working day, out of all "
                "those days. A posting counts on the supplier's own local date (its time zone), not the "
                "UTC date."
            ),
        ),
    )
}

#: Additive counts kept per supplier and month; every rate is a ratio of two of them.
TOTALS: tuple[str, ...] = (
    "otd_receipts",
    "otd_on_time",
    "otif_lines",
    "otif_on_time",
    "late_lines",
    "late_days",
    "planned_qty",
    "credited_qty",
    "promise_lines",
    "promises_kept",
    "slipped_lines",
    "slip_days",
    "received_qty",
    "rejected_qty",
    "production_days",
    "reported_on_time",
)

#: A scorecard's numbers but the score, in the order shown: the line count, then each metric (mean
#: slip beside promise reliability, PPM beside quality).
NUMBERS: tuple[str, ...] = (
    "lines",
    "otd",
    "otif",
    "avg_days_late",
    "schedule_adherence",
    "promise_reliability",
    "mean_slip_days",
    "quality",
    "ppm",
    "responsiveness",
)

SUMMARY_COLUMNS: list[str] = ["supplier_id", "period", *NUMBERS, "score", "grade", "score_note", *TOTALS]
