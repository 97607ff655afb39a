"""What the supplier statistics are learned from, as one fingerprint: a sweep over the same inputs
reads the stored statistics back instead of learning them again from the whole delivery history.

Buffers, median lead times and the forecast calibration are learned from every delivered line,
every receipt and every started line's record (about 1.2 s of a sweep at scale L, most of it
reading). They pool all suppliers (the buffer fallback, the calibration's prior), so they are
learned for all suppliers at once or not at all, and the fingerprint covers all their inputs:

* the day (``as_of``: a past-dated sweep learns only from what was known then), the settings, and
  :data:`STATISTICS_VERSION` (bumped when the learning code changes what it computes);
* receipts dated on or before the day (count, largest id, quantities and dates, weighted by line);
* PO lines (count, latest ``updated_at``, quantities): the delivered lines' dates and quantities;
* the lines' production summaries (count, latest ``updated_at``, produced, rejected and reported
  days, weighted by line): every report, correction and rebuild rewrites a line's summary;
* schedules (count, largest id: revisions are only added);
* the suppliers' calendars (countries, working weekdays, closures), read whole (a few thousand rows).

Observed capacity (daily totals per supplier) is cheap and changes with every report: it is learned
again at every sweep and is not part of the fingerprint. The aggregates are taken in SQL before
anything else is read, so rows committed meanwhile (PostgreSQL, READ COMMITTED) can only make the
stored fingerprint older than the statistics, never newer: the next sweep then learns again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict
from typing import Any

import pandas as pd
from sqlalchemy import Date, Integer, cast, func, literal, select
from sqlalchemy.orm import Session

from db.frames import read_frame
from db.models import (
    LineProductionSummary,
    PoLine,
    ProductionSchedule,
    Receipt,
    Supplier,
    SupplierClosure,
    SupplierStats,
)
from portal.core.settings import Settings
from portal.services.planning.loaders import STATS_COLUMNS

#: Bump when the learning of buffers, lead times or calibration changes what it computes: stored
#: statistics learned by the old code then no longer match any fingerprint.
STATISTICS_VERSION = 1

#: Spreads a per-line figure over line ids, so moving units between two lines changes the sum.
_WEIGHT = 997


def _weighted(id_column: Any, value: Any) -> Any:
    return func.sum((id_column % _WEIGHT + 1) * value)


def _day_number(session: Session, column: Any) -> Any:
    """A DATE column as a number of days (receipts keep no ``updated_at``: their dates are summed)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(column)
    return cast(column - literal(dt.date(2000, 1, 1), Date), Integer)


def statistics_fingerprint(session: Session, settings: Settings, as_of: dt.date) -> str:
    """The fingerprint of everything the supplier statistics of ``as_of`` are learned from."""
    receipts = session.execute(
        select(
            func.count(),
            func.max(Receipt.id),
            func.sum(Receipt.quantity),
            func.sum(Receipt.rejected_qty),
            _weighted(Receipt.po_line_id, Receipt.quantity),
            _weighted(Receipt.po_line_id, _day_number(session, Receipt.received_date)),
        ).where(Receipt.received_date <= as_of)
    ).one()
    lines = session.execute(
        select(func.count(), func.max(PoLine.updated_at), _weighted(PoLine.id, PoLine.quantity))
    ).one()
    s = LineProductionSummary
    summaries = session.execute(
        select(
            func.count(),
            func.max(s.updated_at),
            func.sum(s.produced),
            func.sum(s.rejected),
            func.sum(s.reported_days),
            _weighted(s.po_line_id, s.produced),
            _weighted(s.po_line_id, s.reported_days),
        )
    ).one()
    schedules = session.execute(select(func.count(), func.max(ProductionSchedule.id))).one()
    calendars = session.execute(
        select(Supplier.id, Supplier.country, Supplier.working_weekdays).order_by(Supplier.id)
    ).all()
    closures = session.execute(
        select(SupplierClosure.supplier_id, SupplierClosure.closure_date).order_by(
            SupplierClosure.supplier_id, SupplierClosure.closure_date
        )
    ).all()
    inputs = {
        "version": STATISTICS_VERSION,
        "as_of": as_of,
        "settings": asdict(settings),
        "receipts": tuple(receipts),
        "lines": tuple(lines),
        "summaries": tuple(summaries),
        "schedules": tuple(schedules),
        "calendars": [tuple(row) for row in calendars],
        "closures": [tuple(row) for row in closures],
    }
    text = json.dumps(inputs, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def stored_statistics(session: Session, fingerprint: str) -> pd.DataFrame | None:
    """The stored statistics of every supplier when all were learned from inputs with this
    fingerprint (in the frame :func:`portal.services.planning.pipeline.supplier_statistics`
    returns), else None: a supplier without a row, or any row of other or unknown inputs."""
    suppliers = int(session.scalar(select(func.count()).select_from(Supplier)) or 0)
    fingerprints = session.execute(
        select(SupplierStats.inputs_fingerprint, func.count()).group_by(SupplierStats.inputs_fingerprint)
    ).all()
    if [tuple(row) for row in fingerprints] != [(fingerprint, suppliers)] or suppliers == 0:
        return None
    stmt = select(*(getattr(SupplierStats, c) for c in STATS_COLUMNS)).order_by(SupplierStats.supplier_id)
    frame = read_frame(session, stmt, STATS_COLUMNS)
    floats = [
        c for c in STATS_COLUMNS if c not in ("supplier_id", "buffer_days", "deliveries", "forecast_records")
    ]
    return frame.astype(
        {
            "supplier_id": "Int64",
            "buffer_days": "int64",
            "deliveries": "int64",
            "forecast_records": "int64",
            **dict.fromkeys(floats, "float64"),
        }
    )
