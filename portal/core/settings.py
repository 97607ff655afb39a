"""Admin-set settings: every threshold, weight and buffer, with its default and its bounds.

The defaults are DOMAIN.md's. The database holds only overrides; :func:`resolve`
merges them over the defaults and validates every value, so the engine always gets
a complete, checked :class:`Settings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from portal.core.domain import ValidationError
from portal.core.parsing import parse_decimal
from portal.i18n import N_, _

#: The scorecard metrics that take a weight, in display order.
SCORE_METRICS: tuple[str, ...] = (
    "otd",
    "otif",
    "schedule_adherence",
    "promise_reliability",
    "quality",
    "responsiveness",
)


@dataclass(frozen=True)
class SettingSpec:
    """What a setting means, its unit and its allowed range."""

    label: str
    help: str
    minimum: float
    maximum: float
    group: str
    integer: bool = False


@dataclass(frozen=True)
class Settings:
    """Every tunable of the engine, with DOMAIN.md's defaults."""

    # Alerts
    late_start_grace_days: int = 1
    behind_plan_tolerance: float = 0.10
    stale_update_days: int = 3
    unrealistic_estimate_days: int = 2
    quality_reject_threshold: float = 0.05
    capacity_percentile: float = 0.90
    alert_reopen_days: int = 3
    projected_late_confidence: float = 0.85
    projected_late_confirm_days: int = 28
    projected_late_held_days: int = 7
    # Forecast
    forecast_min_reported_days: int = 5
    forecast_ewm_span: int = 10
    forecast_default_cv: float = 0.3
    # Promises
    buffer_quantile: float = 0.95
    buffer_min_history: int = 10
    safety_buffer_days: int = 0
    # Scorecards
    on_time_tolerance_days: int = 0
    in_full_threshold: float = 0.98
    min_lines_for_score: int = 5
    weight_otd: int = 25
    weight_otif: int = 25
    weight_schedule_adherence: int = 10
    weight_promise_reliability: int = 15
    weight_quality: int = 15
    weight_responsiveness: int = 10
    # Security
    session_idle_hours: int = 8
    api_requests_per_minute: int = 120
    # Uploads: rows one browser upload may hold, per kind (the command line has no limit).
    upload_rows_reports: int = 20_000
    upload_rows_schedules: int = 20_000
    upload_rows_pos: int = 100_000
    upload_rows_receipts: int = 100_000
    upload_rows_backorders: int = 100_000
    upload_rows_items: int = 100_000
    upload_rows_suppliers: int = 20_000

    def upload_row_limit(self, kind: str) -> int:
        """The most rows one browser upload of ``kind`` (reports, pos, ...) may hold."""
        return int(getattr(self, f"upload_rows_{kind}"))

    def weights(self) -> dict[str, int]:
        """Scorecard weights by metric name; they sum to 100."""
        return {m: getattr(self, f"weight_{m}") for m in SCORE_METRICS}

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: How each weight is named on the settings page (marked here, translated where shown).
_WEIGHT_LABELS = {
    "otd": N_("Weight: on-time delivery (OTD)"),
    "otif": N_("Weight: on time in full (OTIF)"),
    "schedule_adherence": N_("Weight: schedule adherence"),
    "promise_reliability": N_("Weight: promise reliability"),
    "quality": N_("Weight: quality"),
    "responsiveness": N_("Weight: responsiveness"),
}

SPECS: dict[str, SettingSpec] = {
    "late_start_grace_days": SettingSpec(
        N_("Late start grace (working days)"),
        N_(
            "LATE_START fires when the as-of date is more than this many working days after the "
            "scheduled start and no good output is reported."
        ),
        0,
        30,
        N_("Alerts"),
        integer=True,
    ),
    "behind_plan_tolerance": SettingSpec(
        N_("Behind-plan tolerance (fraction)"),
        N_("BEHIND_PLAN fires when cumulative good output is below planned output x (1 - this)."),
        0,
        1,
        N_("Alerts"),
    ),
    "stale_update_days": SettingSpec(
        N_("Stale update (working days)"),
        N_("STALE_UPDATE fires when an in-production line has had no report for this many working days."),
        1,
        30,
        N_("Alerts"),
        integer=True,
    ),
    "unrealistic_estimate_days": SettingSpec(
        N_("Unrealistic estimate margin (working days)"),
        N_(
            "UNREALISTIC_ESTIMATE fires when the supplier's estimated end date is more than this many "
            "working days before the forecast completion p90."
        ),
        0,
        60,
        N_("Alerts"),
        integer=True,
    ),
    "quality_reject_threshold": SettingSpec(
        N_("Reject rate threshold (fraction)"),
        N_("QUALITY fires when a line's rejected / (good + rejected) is above this."),
        0,
        1,
        N_("Alerts"),
    ),
    "capacity_percentile": SettingSpec(
        N_("Observed capacity percentile"),
        N_(
            "Without a declared capacity, a supplier's capacity is this percentile of its total daily output."
        ),
        0.5,
        1,
        N_("Alerts"),
    ),
    "alert_reopen_days": SettingSpec(
        N_("Reopen a dismissed alert after (days later)"),
        N_(
            "An alert a buyer resolved while its condition still held stays closed until the line or "
            "order is this many more days late than when it was dismissed, or its severity rises."
        ),
        1,
        60,
        N_("Alerts"),
        integer=True,
    ),
    "projected_late_confidence": SettingSpec(
        N_("Forecast to arrive late: confidence"),
        N_(
            "A line is “Forecast to arrive late” when the forecast says it arrives after need-by with at "
            "least this probability (from its p50 and p90); below it, a line that may be late is “May "
            "arrive late”. 0.5: arrival p50 after need-by."
        ),
        0.5,
        0.99,
        N_("Alerts"),
    ),
    "projected_late_confirm_days": SettingSpec(
        N_("Forecast to arrive late: alert at once within (days of need-by)"),
        N_(
            "A line forecast late is alerted only once its forecast has said so for the days of “alert "
            "once late for” (it shows as “May arrive late” meanwhile), unless its need-by date is at "
            "most this many days away. 366: never wait."
        ),
        0,
        366,
        N_("Alerts"),
        integer=True,
    ),
    "projected_late_held_days": SettingSpec(
        N_("Forecast to arrive late: alert once late for (days)"),
        N_(
            "A line forecast late (or making nothing at all) further from its need-by date than “alert at "
            "once within” is alerted once its forecast has said so without a break for at least this many "
            "days, however often forecasts are made (nightly or weekly sweeps, posts). 0: at once; 1: once "
            "a forecast of an earlier day said so too."
        ),
        0,
        366,
        N_("Alerts"),
        integer=True,
    ),
    "forecast_min_reported_days": SettingSpec(
        N_("Reported days before the observed rate is used"),
        N_("With fewer reported days the forecast uses the schedule's planned daily output."),
        1,
        60,
        N_("Forecast"),
        integer=True,
    ),
    "forecast_ewm_span": SettingSpec(
        N_("Smoothing span (reported days)"),
        N_("Span of the exponentially weighted mean of daily good output."),
        1,
        120,
        N_("Forecast"),
        integer=True,
    ),
    "forecast_default_cv": SettingSpec(
        N_("Default coefficient of variation"),
        N_("Spread of daily output assumed when a line has too few reported days to measure it."),
        0,
        3,
        N_("Forecast"),
    ),
    "buffer_quantile": SettingSpec(
        N_("Supplier buffer coverage"),
        N_(
            "Target share of a supplier's recent deliveries (recency-weighted) that its buffer covers; "
            "suppliers with a long tail of very late deliveries get less, see portal/core/buffers.py."
        ),
        0.5,
        1,
        N_("Promises"),
    ),
    "buffer_min_history": SettingSpec(
        N_("Deliveries before a supplier's own buffer is trusted"),
        N_("Below this many deliveries the buffer is blended toward all suppliers' slips."),
        1,
        1000,
        N_("Promises"),
        integer=True,
    ),
    "safety_buffer_days": SettingSpec(
        N_("Global safety buffer (days)"),
        N_("Calendar days added to every backorder promise date."),
        0,
        120,
        N_("Promises"),
        integer=True,
    ),
    "on_time_tolerance_days": SettingSpec(
        N_("On-time tolerance (days)"),
        N_("A receipt up to this many days after its due date still counts as on time."),
        0,
        60,
        N_("Scorecards"),
        integer=True,
    ),
    "in_full_threshold": SettingSpec(
        N_("In-full threshold (fraction of ordered)"),
        N_("A line is delivered in full when cumulative good received reaches this share of the order."),
        0.5,
        1,
        N_("Scorecards"),
    ),
    "min_lines_for_score": SettingSpec(
        N_("Lines needed for a score"),
        N_("With fewer lines in the period the scorecard says 'not enough data'."),
        1,
        1000,
        N_("Scorecards"),
        integer=True,
    ),
    "session_idle_hours": SettingSpec(
        N_("Session inactivity limit (hours)"),
        N_("A login session ends after this many hours without activity; the user logs in again."),
        1,
        168,
        N_("Security"),
        integer=True,
    ),
    "api_requests_per_minute": SettingSpec(
        N_("API requests per minute, per token"),
        N_("An API token that sends more is answered 429 with Retry-After until it slows down."),
        1,
        100_000,
        N_("Security"),
        integer=True,
    ),
    **{
        f"upload_rows_{kind}": SettingSpec(
            label,
            N_(
                "The most rows one file of this kind uploaded in the browser may hold; a bigger file is "
                'refused before it is checked ("split it"). Checking costs server time per row, and an '
                "Excel file compresses about 250:1, so the upload size cap alone does not bound it. The "
                "command line (python -m portal import) has no row limit."
            ),
            10,
            500_000,
            N_("Uploads"),
            integer=True,
        )
        for kind, label in (
            ("reports", N_("Rows per upload: daily production reports")),
            ("schedules", N_("Rows per upload: production schedules")),
            ("pos", N_("Rows per upload: purchase-order lines")),
            ("receipts", N_("Rows per upload: receipts")),
            ("backorders", N_("Rows per upload: backorders")),
            ("items", N_("Rows per upload: items")),
            ("suppliers", N_("Rows per upload: suppliers")),
        )
    },
    **{
        f"weight_{m}": SettingSpec(
            _WEIGHT_LABELS[m],
            N_("Share of the score (all weights sum to 100)."),
            0,
            100,
            N_("Scorecard weights"),
            integer=True,
        )
        for m in SCORE_METRICS
    },
}


def _coerce(key: str, value: Any) -> int | float:
    spec = SPECS[key]
    # Refusals in the reader's language (the admin page's, or English from the command line).
    label = _(spec.label)
    if isinstance(value, bool) or value is None or value == "":
        raise ValidationError(_("{setting}: a number is required").format(setting=label))
    try:
        number = parse_decimal(value)
    except ValueError:
        raise ValidationError(
            _("{setting}: '{value}' is not a number").format(setting=label, value=value)
        ) from None
    if spec.integer:
        if number != int(number):
            raise ValidationError(
                _("{setting}: must be a whole number, got {value}").format(setting=label, value=value)
            )
        number = int(number)
    if not spec.minimum <= number <= spec.maximum:
        raise ValidationError(
            _("{setting}: must be between {minimum} and {maximum}, got {value}").format(
                setting=label, minimum=f"{spec.minimum:g}", maximum=f"{spec.maximum:g}", value=value
            )
        )
    return number


def resolve(overrides: Mapping[str, Any]) -> Settings:
    """Defaults with ``overrides`` applied; raises ValidationError naming the bad setting."""
    unknown = sorted(set(overrides) - set(SPECS))
    if unknown:
        raise ValidationError(_("Unknown setting(s): {names}").format(names=", ".join(unknown)))
    # Any: each setting's type (int or float) depends on its key; _coerce checked it against SPECS.
    values: dict[str, Any] = {key: _coerce(key, value) for key, value in overrides.items()}
    settings = replace(Settings(), **values)
    total = sum(settings.weights().values())
    if total != 100:
        raise ValidationError(_("Scorecard weights must sum to 100, they sum to {total}").format(total=total))
    return settings


def resolve_lenient(overrides: Mapping[str, Any]) -> Settings:
    """Like :func:`resolve` but ignores unknown keys (settings of a newer or older version)."""
    return resolve({k: v for k, v in overrides.items() if k in SPECS})
