"""What a report post and the recompute of one line read, in one statement (:func:`read_line_state`):
the line and its supplier, the line's stored summary and forecast, the supplier's statistics and
closures, the line's current schedule revision (and the end date of the one before), the stored
settings and, for a post, the day's current report.

Why one statement: a post's cost on PostgreSQL is mostly per statement (the client's execution
work and the server's), so what a post needs of rows it does not change is read beside the line
instead of by a statement each. The settings and closures are read every time, so an admin's change
counts at once; what is built from them is cached in the process (:func:`settings_of`,
:func:`calendar_of`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from db.engine import core_connection
from db.frames import enum_value
from db.models import (
    LineForecast,
    LineProductionSummary,
    PoLine,
    ProductionReport,
    ProductionSchedule,
    Setting,
    Supplier,
    SupplierClosure,
    SupplierStats,
)
from portal.core import summaries as core_summaries
from portal.core.calendar import WorkCalendar, default_holiday_years
from portal.core.settings import Settings, resolve_lenient
from portal.services.planning.loaders import LINE_FIELDS

_SUMMARY = [getattr(LineProductionSummary, c) for c in core_summaries.SUMMARY_COLUMNS[1:]]
_STATS = (
    SupplierStats.median_lead_time_days,
    SupplierStats.forecast_records,
    SupplierStats.start_delay_days,
    SupplierStats.start_delay_sd,
    SupplierStats.rate_ratio,
    SupplierStats.rate_ratio_sd,
)
#: What a post shows and audits of the day's current report it corrects.
_RECORD = (
    ProductionReport.revision,
    ProductionReport.good_qty,
    ProductionReport.rejected_qty,
    ProductionReport.note,
)

_SETTINGS: dict[str, Settings] = {}


def settings_of(overrides: dict[str, Any]) -> Settings:
    """The effective settings for these stored overrides (as
    :func:`portal.services.settings.load_settings` resolves them), resolved once per distinct set."""
    key = json.dumps(overrides, sort_keys=True, default=str)
    settings = _SETTINGS.get(key)
    if settings is None:
        if len(_SETTINGS) >= 64:
            _SETTINGS.clear()
        settings = _SETTINGS[key] = resolve_lenient(overrides)
    return settings


@lru_cache(maxsize=4096)
def _calendar(
    country: str | None, weekmask: str | None, closures: tuple[dt.date, ...], years: tuple[int, int]
) -> WorkCalendar:
    country = country if country else None
    return WorkCalendar.for_supplier(country, weekmask or None, closures, years)


def calendar_of(closures: tuple[dt.date, ...], country: str | None, weekmask: str | None) -> WorkCalendar:
    """The supplier's working calendar (``closures`` sorted), as
    :func:`portal.services.calendars.load_calendars` builds it."""
    mask = weekmask if isinstance(weekmask, str) and weekmask else None
    return _calendar(country if isinstance(country, str) else None, mask, closures, default_holiday_years())


def _aggregates(dialect: str, line: Any) -> tuple[Any, Any]:
    """The stored settings as one JSON object and the closure dates of the supplier of ``line`` (the
    lines' alias), each a scalar subquery of the line's row: an array of dates on PostgreSQL, JSON
    text on SQLite (no arrays)."""
    closure = aliased(SupplierClosure, name="c")
    if dialect == "postgresql":
        settings = select(func.json_object_agg(Setting.key, Setting.value))
        dates = select(func.array_agg(closure.closure_date))
    else:
        settings = select(func.json_group_object(Setting.key, func.json(Setting.value)))
        dates = select(func.json_group_array(closure.closure_date))
    dates = dates.where(closure.supplier_id == line.supplier_id)
    return (
        settings.scalar_subquery().label("stored_settings"),
        dates.scalar_subquery().label("closure_dates"),
    )


@lru_cache(maxsize=8)
def _state_statement(dialect: str, on_day: bool) -> Select[*tuple[Any, ...]]:
    """The one statement of :func:`read_line_state` for this database kind; ``on_day``: with the
    current report of the bound ``day`` (outer-joined: its unique index finds it).

    Its tables go by one-letter names: psycopg converts a statement's text once and keeps it only
    when under 4,096 characters (with the tables' own names this one was over, and converting it
    again on each post cost more than its other client work)."""
    line, supplier = aliased(PoLine, name="l"), aliased(Supplier, name="s")
    summary, forecast = aliased(LineProductionSummary, name="m"), aliased(LineForecast, name="f")
    stats = aliased(SupplierStats, name="t")
    latest, earlier = aliased(ProductionSchedule, name="p1"), aliased(ProductionSchedule, name="p2")
    report = aliased(ProductionReport, name="r")
    alias = {PoLine: line, Supplier: supplier, LineProductionSummary: summary, SupplierStats: stats}
    alias[ProductionReport] = report

    def of(column: Any) -> Any:
        return getattr(alias[column.class_], column.key)

    settings, closures = _aggregates(dialect, line)
    revisions = select(latest.revision).where(latest.po_line_id == line.id).order_by(latest.revision.desc())
    previous_end = (
        select(earlier.estimated_end_date)
        .where(earlier.po_line_id == line.id)
        .order_by(earlier.revision.desc())
        .offset(1)
        .limit(1)
    )
    joined = (
        select(line)
        .join(supplier, supplier.id == line.supplier_id)
        .outerjoin(summary, summary.po_line_id == line.id)
        .outerjoin(forecast, forecast.po_line_id == line.id)
        .outerjoin(stats, stats.supplier_id == line.supplier_id)
    )
    record: tuple[Any, ...] = ()
    if on_day:
        joined = joined.outerjoin(
            report,
            and_(
                report.po_line_id == line.id,
                report.report_date == bindparam("day"),
                report.is_current,
            ),
        )
        record = (report.id.label("record_id"), *(of(c).label(f"record_{c.key}") for c in _RECORD))
    return joined.with_only_columns(
        *(of(c) for c in LINE_FIELDS),
        line.transit_days,
        supplier.transit_days.label("supplier_transit_days"),
        supplier.country,
        supplier.working_weekdays,
        supplier.timezone,
        summary.po_line_id.label("summary_line_id"),
        *(of(c).label(f"summary_{c.key}") for c in _SUMMARY),
        forecast.po_line_id.label("forecast_line_id"),
        forecast.as_of.label("forecast_as_of"),
        forecast.arrival_p90.label("forecast_arrival_p90"),
        forecast.arrival_p50.label("forecast_arrival_p50"),
        forecast.late_since.label("forecast_late_since"),
        stats.supplier_id.label("stats_supplier_id"),
        *(of(c).label(f"stats_{c.key}") for c in _STATS),
        # The current revision's fields, a subquery each: PostgreSQL plans them faster than a join
        # (0.6 ms against 0.8 ms, paid by each of a connection's first ten posts).
        *(
            revisions.with_only_columns(getattr(latest, c.key))
            .limit(1)
            .scalar_subquery()
            .label(f"schedule_{c.key}")
            for c in _SCHEDULE
        ),
        previous_end.scalar_subquery().label("previous_end"),
        settings,
        closures,
        *record,
        maintain_column_froms=False,
    ).where(line.id == bindparam("line_id"))


class Schedule(NamedTuple):
    """The line's current schedule revision, as the forecast and the alert rules read it."""

    revision: int
    start_date: dt.date
    daily_output: int
    estimated_end_date: dt.date


_SCHEDULE = (
    ProductionSchedule.revision,
    ProductionSchedule.start_date,
    ProductionSchedule.daily_output,
    ProductionSchedule.estimated_end_date,
)


@dataclass(frozen=True)
class LineState:
    """A line as :func:`read_line_state` found it: its row (LINE_FIELDS, both transit days, the
    supplier's country, weekmask and time zone), and what is stored about it."""

    row: Any
    #: The stored production summary (None: no report yet).
    summary: core_summaries.LineSummary | None
    #: The stored forecast's as_of, arrival_p50, arrival_p90 and late_since (None: no forecast stored).
    forecast: tuple[dt.date, dt.date | None, dt.date | None, dt.date | None] | None
    #: The supplier's stored statistics row (median lead time, then its calibration), None without.
    stats: tuple[Any, ...] | None
    #: The effective settings (the stored overrides read with the line).
    settings: Settings
    #: The supplier's working calendar (its closures read with the line).
    calendar: WorkCalendar
    #: The line's current schedule revision (None: never scheduled).
    schedule: Schedule | None
    #: The estimated end date of the revision before it (None: no earlier revision).
    previous_end: dt.date | None
    #: The day's current report, what a post corrects (read only with a ``day``; None: the day is
    #: not reported): its id, revision, good and rejected quantities and note.
    on_record: tuple[int, int, int, int, str | None] | None = None

    @property
    def status(self) -> str:
        return str(enum_value(self.row.status))

    @property
    def label(self) -> str:
        return f"{self.row.po_number}/{self.row.line}"


def _closure_dates(value: Any) -> tuple[dt.date, ...]:
    """The closure dates the statement read (a list on PostgreSQL, JSON text on SQLite), sorted."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [dt.date.fromisoformat(d) for d in json.loads(value)]
    return tuple(sorted(value))


def _overrides(value: Any) -> dict[str, Any]:
    """The stored settings the statement read (a dict on PostgreSQL, JSON text on SQLite; NULL: none)."""
    if value is None:
        return {}
    return dict(json.loads(value) if isinstance(value, str) else value)


def read_line_state(session: Session, line_id: int, *, day: dt.date | None = None) -> LineState | None:
    """The line, its supplier and what is stored about it, in one statement; ``day``: with that day's
    current report.

    A post locks the line first (:func:`portal.services.planning.lock.lock_line_to_post`), so two
    posts of one line queue and the second reads what the first wrote. The lock is its own
    statement: a locking SELECT that waited re-reads only the locked row, so the summary joined to
    it would be the one from before the other post committed."""
    connection = core_connection(session)
    dialect = connection.dialect.name
    params: dict[str, Any] = {"line_id": line_id}
    if day is not None:
        params["day"] = day
    row = connection.execute(_state_statement(dialect, day is not None), params).first()
    if row is None:
        return None
    summary = None
    if row.summary_line_id is not None:
        summary = core_summaries.LineSummary(*(getattr(row, f"summary_{c.key}") for c in _SUMMARY))
    forecast = None
    if row.forecast_line_id is not None:
        forecast = (
            row.forecast_as_of,
            row.forecast_arrival_p50,
            row.forecast_arrival_p90,
            row.forecast_late_since,
        )
    stats = None
    if row.stats_supplier_id is not None:
        stats = tuple(getattr(row, f"stats_{c.key}") for c in _STATS)
    schedule = None
    if row.schedule_revision is not None:
        schedule = Schedule(*(getattr(row, f"schedule_{c.key}") for c in _SCHEDULE))
    on_record = None
    if day is not None and row.record_id is not None:
        on_record = (
            int(row.record_id),
            int(row.record_revision),
            int(row.record_good_qty),
            int(row.record_rejected_qty),
            row.record_note,
        )
    return LineState(
        row,
        summary,
        forecast,
        stats,
        settings_of(_overrides(row.stored_settings)),
        calendar_of(_closure_dates(row.closure_dates), row.country, row.working_weekdays),
        schedule,
        row.previous_end,
        on_record,
    )


__all__ = [
    "LineState",
    "Schedule",
    "calendar_of",
    "read_line_state",
    "settings_of",
]
