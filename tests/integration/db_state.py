"""A database's content: all of it as one hash, for "a refused call wrote nothing"; chosen columns as
rows, for "two ways of computing stored the same"."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select

from db.base import Base
from db.engine import Database
from db.models import Alert, Backorder, BackorderAllocation, LineForecast, ProductionReport, SupplierStats
from portal.core.domain import AlertStatus

#: What planning (a sweep, a line's recompute) stores, without the moments it was written.
PLANNED: dict[str, tuple[Any, ...]] = {
    # The values' hash is the sweep's own (a post's recompute leaves none): not what is planned.
    "forecasts": tuple(c for c in LineForecast.__table__.c if c.name not in ("computed_at", "values_hash")),
    "promises": (
        Backorder.id,
        Backorder.promise_date,
        Backorder.promise_status,
        Backorder.promise_reason,
        Backorder.promise_reason_args,
    ),
    "allocations": (
        BackorderAllocation.backorder_id,
        BackorderAllocation.po_line_id,
        BackorderAllocation.quantity,
        BackorderAllocation.available_date,
    ),
    "alerts": (Alert.rule, Alert.subject_key, Alert.severity, Alert.status, Alert.message, Alert.days_late),
    "stats": (
        SupplierStats.supplier_id,
        SupplierStats.buffer_days,
        SupplierStats.forecast_records,
        SupplierStats.rate_ratio,
    ),
}


def fingerprint(db: Database, *, skip: Collection[str] = ()) -> str:
    """Every row of every table but ``skip``, as one hash: the same before and after, nothing was written."""
    digest = hashlib.sha256()
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            digest.update(f"{table.name}:{len(rows)}:{''.join(rows)}".encode())
    return digest.hexdigest()


def stored_rows(
    db: Database,
    columns: Mapping[str, Sequence[Any]],
    *,
    where: Mapping[str, ColumnElement[bool]] | None = None,
) -> dict[str, list[tuple[Any, ...]]]:
    """What is stored, to compare two ways of computing it: for each name, the rows of its ``columns``
    (of one table; only those meeting ``where[name]`` when given) as tuples in a fixed order, floats to
    9 decimal places (the plain-Python and the vectorized paths agree to far less, not to the last bit)."""
    with db.read() as session:
        out = {}
        for name, selected in columns.items():
            stmt = select(*selected)
            if where is not None and name in where:
                stmt = stmt.where(where[name])
            rows = (tuple(_rounded(v) for v in row) for row in session.execute(stmt))
            out[name] = sorted(rows, key=repr)
        return out


def _rounded(value: Any) -> Any:
    return round(value, 9) if isinstance(value, float) else value


def reports_of(db: Database, line_id: int, day: dt.date) -> list[tuple[Any, ...]]:
    """A line's reports of a day, every revision: (revision, good_qty, is_current)."""
    with db.read() as session:
        rows = session.execute(
            select(ProductionReport.revision, ProductionReport.good_qty, ProductionReport.is_current)
            .where(ProductionReport.po_line_id == line_id, ProductionReport.report_date == day)
            .order_by(ProductionReport.revision)
        ).all()
    return [tuple(r) for r in rows]


def live_alerts(db: Database, key: Any, value: Any, **where: object) -> dict[Any, Any]:
    """``key`` -> ``value`` (two Alert columns) of the live alerts matching ``where`` (column == value)."""
    stmt = select(key, value).where(Alert.status != AlertStatus.RESOLVED)
    for column, wanted in where.items():
        stmt = stmt.where(getattr(Alert, column) == wanted)
    with db.read() as session:
        return dict(session.execute(stmt).all())
