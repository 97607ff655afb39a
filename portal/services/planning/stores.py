"""The planning engine's results written back: supplier statistics, forecasts, promises with their
allocations (the alert plan: :mod:`portal.services.planning.alert_store`).

Only what changed is written. Each store reads the stored rows of its scope with one lean SELECT,
compares them with the new rows column by column (:mod:`portal.core.changes`: every stored column but
the timestamps, taken from the table itself, so a new column is compared without new code) and
inserts, updates or deletes only the rows that differ, with the driver's executemany. A timestamp
(``computed_at``) therefore says when a row last changed. Two stores compare a hash instead of the
values, so they read back one integer per row: the line forecasts (``values_hash``, of the row's
values) and the alerts (``message_hash``, of what the message was worded from: the text itself is
neither read back nor worded again while it holds; see :class:`portal.core.alerts.KnownMessages`).
Any other writer's UPDATE clears those hashes (the models' ``onupdate``), so its rows are rewritten.
A sweep's pass writes nothing into the live alerts whose condition still holds: it is recorded once
(:mod:`portal.services.planning.seen`), and they show its moment as their ``last_seen``.
``write_all`` writes every row as before (the reference a test compares the change-only writes with).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Table,
    delete,
    func,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON

from db.bulk import bulk_insert, bulk_update
from db.frames import read_frame_for_ids
from db.models import Backorder, BackorderAllocation, LineForecast, SupplierStats, utcnow
from portal.core import calibration
from portal.core.batching import IN_BATCH, id_chunks
from portal.core.changes import RowChanges, normalised, row_changes, row_hashes
from portal.core.domain import BackorderStatus
from portal.services.planning.loaders import STATS_COLUMNS, count_rows
from portal.services.planning.result import SweepResult
from portal.services.planning.shard import Shard, shard_backorders, shard_lines


def value_kinds(table: Table, columns: Collection[str] | None = None) -> dict[str, str]:
    """The stored columns a change is looked for in (all but the primary key and the timestamps),
    with their kind for :func:`portal.core.changes.row_changes`; only ``columns`` when given."""
    kinds: dict[str, str] = {}
    for column in table.columns:
        if column.primary_key or isinstance(column.type, DateTime):
            continue
        if columns is not None and column.name not in columns:
            continue
        kind = column.type
        if isinstance(kind, BigInteger):
            kinds[column.name] = "exact"
        elif isinstance(kind, Integer | Boolean):
            kinds[column.name] = "int"
        elif isinstance(kind, Float):
            kinds[column.name] = "float"
        elif isinstance(kind, Date):
            kinds[column.name] = "date"
        elif isinstance(kind, JSON):
            kinds[column.name] = "json"
        else:
            kinds[column.name] = "text"
    return kinds


def _stored(
    session: Session,
    table: Table,
    key: str,
    kinds: dict[str, str],
    where: Any = None,
    ids: Collection[int] | None = None,
) -> pd.DataFrame:
    """The stored rows (key and compared columns) of a scope: a SQL condition, or keys, or all.

    A hash (kind ``exact``) reads 0 where none is stored: a NULL would make the column floats."""
    columns = [key, *kinds]
    stmt = select(
        table.c[key],
        *(func.coalesce(table.c[c], 0) if k == "exact" else table.c[c] for c, k in kinds.items()),
    )
    if where is not None:
        stmt = stmt.where(where)
    return read_frame_for_ids(session, stmt, table.c[key], ids, columns)


def _changes(
    new: pd.DataFrame, stored: pd.DataFrame, key: str, kinds: dict[str, str], write_all: bool
) -> RowChanges:
    """The rows to write; with ``write_all`` every one: each stored row deleted, each new one
    inserted (the reference path)."""
    if not write_all:
        return row_changes(new, stored, key, kinds)
    return RowChanges(
        insert=np.ones(len(new), dtype=bool),
        update=np.zeros(len(new), dtype=bool),
        delete=stored[key].tolist(),
    )


def _delete(session: Session, column: Any, keys: Collection[int]) -> None:
    for chunk in id_chunks(keys):
        session.execute(delete(column.table).where(column.in_(chunk)))


def _write(
    session: Session,
    table: Table,
    key: str,
    new: pd.DataFrame,
    changes: RowChanges,
    stamp: dict[str, Any] | None = None,
) -> int:
    """Apply ``changes``: delete, insert and update (``stamp``: timestamp columns of the written rows).

    DATE columns given as ``datetime64`` are turned into dates here, for the written rows only."""
    stamp = stamp or {}
    dates = [c for c, kind in value_kinds(table, list(new.columns)).items() if kind == "date"]

    def rows(mask: np.ndarray) -> pd.DataFrame:
        out = new.loc[mask]
        converted = {c: date_objects(out[c]) for c in dates if pd.api.types.is_datetime64_any_dtype(out[c])}
        return out.assign(**converted, **stamp)

    _delete(session, table.c[key], changes.delete)
    bulk_insert(session, table.name, rows(changes.insert))
    bulk_update(session, table.name, rows(changes.update), key=key)
    return changes.rows


def store_supplier_stats(
    session: Session,
    stats: pd.DataFrame,
    shard: Shard | None = None,
    *,
    result: SweepResult | None = None,
    write_all: bool = False,
    fingerprint: str | None = None,
) -> None:
    """Store every supplier's statistics (a shard: those of its suppliers), writing only changes,
    and the ``fingerprint`` of the inputs they were learned from (None: not known, so no later
    sweep reads them back as learned from its inputs)."""
    table = SupplierStats.__table__
    assert isinstance(table, Table)
    where = None
    if shard is not None:
        where = shard.owns(SupplierStats.supplier_id)
        stats = stats[stats["supplier_id"].astype("int64") % shard.n == shard.k - 1]
    frame = stats[STATS_COLUMNS].astype(
        {
            "supplier_id": "int64",
            "buffer_days": "int64",
            "deliveries": "int64",
            "median_lead_time_days": "float64",
            "observed_capacity_p90": "float64",
            "forecast_records": "int64",
            **dict.fromkeys(calibration.CALIBRATION_COLUMNS[1:], "float64"),
        }
    )
    kinds = value_kinds(table, STATS_COLUMNS)
    stored = _stored(session, table, "supplier_id", kinds, where)
    changes = _changes(frame, stored, "supplier_id", kinds, write_all)
    written = _write(session, table, "supplier_id", frame, changes, {"computed_at": utcnow()})
    column = SupplierStats.inputs_fingerprint
    differs = column.is_not(None) if fingerprint is None else column.is_(None) | (column != fingerprint)
    stamped = session.execute(
        update(SupplierStats)
        .where(differs, true() if where is None else where)
        .values(inputs_fingerprint=fingerprint)
        .execution_options(synchronize_session=False)
    )
    written += int(getattr(stamped, "rowcount", 0) or 0)
    if result is not None:
        result.count_written("supplier_stats", written)


def date_objects(series: pd.Series) -> pd.Series:
    """A datetime64 column as ``datetime.date`` objects (None where NaT), for DATE columns."""
    values = pd.to_datetime(series)
    return pd.Series([None if pd.isna(v) else v for v in values.dt.date], dtype=object, index=series.index)


def forecast_rows(forecast: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The forecast frame as ``line_forecasts`` rows (without their timestamp)."""
    f = forecast
    return pd.DataFrame(
        {
            "po_line_id": f["line_id"].astype("int64").to_numpy(),
            "as_of": as_of,
            "produced": f["produced"].astype("int64").to_numpy(),
            "remaining": f["remaining"].astype("int64").to_numpy(),
            "rate": f["rate"].astype("float64").to_numpy(),
            "rate_source": f["rate_source"].astype(str).to_numpy(),
            # datetime64 here: compared as days, written as dates (see _write)
            **{
                c: pd.to_datetime(f[c]).to_numpy()
                for c in ("completion_p50", "completion_p90", "arrival_p50", "arrival_p90")
            },
            "days_late_p50": f["days_late_p50"].astype("Float64").astype("Int64").array,
            "days_late_p90": f["days_late_p90"].astype("Float64").astype("Int64").array,
            # the sweep's (pipeline.with_late_since); a frame without it: none late
            "late_since": pd.to_datetime(
                f["late_since"] if "late_since" in f else pd.Series(pd.NaT, index=f.index)
            ).to_numpy(),
        }
    )


def store_forecasts(
    session: Session,
    forecast: pd.DataFrame,
    as_of: dt.date,
    line_ids: Collection[int] | None,
    shard: Shard | None = None,
    *,
    result: SweepResult | None = None,
    write_all: bool = False,
) -> None:
    """Make the stored forecasts of these lines (all when ``line_ids`` is None; a shard: of its items)
    those of ``forecast``: lines no longer open lose theirs, only changed ones are rewritten."""
    table = LineForecast.__table__
    assert isinstance(table, Table)
    # Only the values' hash is read back and compared (a row stored without one differs).
    kinds = {"values_hash": "exact"}
    if line_ids is None and shard is not None:
        stored = _stored(session, table, "po_line_id", kinds, LineForecast.po_line_id.in_(shard_lines(shard)))
    else:
        stored = _stored(session, table, "po_line_id", kinds, ids=line_ids)
    if len(forecast):
        rows = forecast_rows(forecast, as_of)
        values = [c for c in rows.columns if c not in ("po_line_id", "as_of")]
        rows["values_hash"] = row_hashes(rows[values], f"as of {as_of.isoformat()}")
    else:
        rows = pd.DataFrame(columns=["po_line_id", *value_kinds(table)])
    changes = _changes(rows, stored, "po_line_id", kinds, write_all)
    written = _write(session, table, "po_line_id", rows, changes, {"computed_at": utcnow()})
    if result is not None:
        result.count_written("forecasts", written)


def store_promises(
    session: Session,
    demand: pd.DataFrame,
    promises: pd.DataFrame,
    allocations: pd.DataFrame,
    shard: Shard | None = None,
    *,
    result: SweepResult | None = None,
    write_all: bool = False,
) -> None:
    """Write promise dates and statuses, and the allocations of these backorders (a shard: of every
    backorder of its items, as a full sweep makes every allocation its own), only where they changed."""
    written = {"promises": 0, "allocations": 0}
    if shard is not None:
        scope: Any = BackorderAllocation.backorder_id.in_(shard_backorders(shard))
        scope_ids: list[int] | None = None
    elif demand.empty:
        scope, scope_ids = None, []
    else:
        scope_ids = demand["backorder_id"].astype(int).tolist()
        if len(scope_ids) == count_rows(session, Backorder, Backorder.status == BackorderStatus.WAITING):
            scope, scope_ids = None, None  # every waiting backorder is recomputed: every allocation
        else:
            scope = None
    moved: set[int] = set()  # backorders whose promise or allocations were written
    old_lines: list[Any] = []  # the lines their replaced allocations were on
    if not demand.empty:
        written["promises"], promised = _store_promise_dates(session, promises, write_all)
        moved.update(promised)
    if scope_ids != []:
        written["allocations"], replaced, old_lines = _store_allocations(
            session, allocations, scope, scope_ids, write_all
        )
        moved |= replaced
    if result is not None:
        for name, rows in written.items():
            result.count_written(name, rows)
        # The inbox weighs a subject by the orders waiting on it: each moved order and its lines.
        now_on = allocations.loc[allocations["backorder_id"].astype(int).isin(moved), "po_line_id"]
        lines = {int(i) for i in pd.to_numeric(pd.Series([*old_lines, *now_on]), errors="coerce").dropna()}
        result.subjects_touched([f"backorder:{i}" for i in moved] + [f"line:{i}" for i in lines])


def _store_promise_dates(session: Session, promises: pd.DataFrame, write_all: bool) -> tuple[int, list[int]]:
    """Write the promises that changed: how many rows, and their backorders' ids."""
    table = Backorder.__table__
    assert isinstance(table, Table)
    rows = pd.DataFrame(
        {
            "id": promises["backorder_id"].astype("int64").to_numpy(),
            "promise_date": pd.to_datetime(promises["promise_date"]).to_numpy(),
            "promise_status": promises["status"].astype(str).to_numpy(),
            "promise_reason": promises["reason"].to_numpy(dtype=object),
            "promise_reason_args": promises["reason_args"].to_numpy(dtype=object),
        }
    )
    kinds = value_kinds(table, list(rows.columns))
    if write_all:
        changes = RowChanges(
            insert=np.zeros(len(rows), dtype=bool), update=np.ones(len(rows), dtype=bool), delete=[]
        )
    else:
        ids = rows["id"].tolist()
        if len(ids) > IN_BATCH:  # many: every waiting backorder in one statement, not IN batches
            stored = _stored(session, table, "id", kinds, Backorder.status == BackorderStatus.WAITING)
        else:
            stored = _stored(session, table, "id", kinds, ids=ids)
        found = row_changes(rows, stored, "id", kinds)
        # Every backorder is stored: a promise is an update of its row, never an insert or a delete.
        changes = RowChanges(insert=np.zeros(len(rows), dtype=bool), update=found.update, delete=[])
    written = _write(session, table, "id", rows, changes, {"promise_computed_at": utcnow()})
    return written, rows.loc[changes.update, "id"].astype(int).tolist()


#: Allocations of one backorder compared in order: its n-th allocation is keyed backorder_id x RANK + n.
RANK = 1 << 20


def _ranked(frame: pd.DataFrame) -> pd.DataFrame:
    """Allocations in a fixed order per backorder, keyed by (backorder, rank) as one integer."""
    if frame.empty:
        return frame.assign(key=pd.Series(dtype="int64"))
    order = pd.DataFrame(
        {
            "backorder_id": frame["backorder_id"].astype("int64").to_numpy(),
            "line": pd.to_numeric(frame["po_line_id"], errors="coerce").fillna(-1).to_numpy(dtype="int64"),
            "day": normalised(frame["available_date"], "date"),
            "quantity": frame["quantity"].astype("int64").to_numpy(),
        },
        index=frame.index,
    ).sort_values(["backorder_id", "line", "day", "quantity"], kind="stable")
    rank = order.groupby("backorder_id").cumcount().to_numpy()
    order["key"] = order["backorder_id"].to_numpy() * RANK + rank
    return order


def _store_allocations(
    session: Session, allocations: pd.DataFrame, scope: Any, scope_ids: list[int] | None, write_all: bool
) -> tuple[int, set[int], list[Any]]:
    """Replace the allocations of the backorders (of the scope) whose allocations changed: how many
    rows, those backorders, and the lines their replaced allocations were on."""
    table = BackorderAllocation.__table__
    assert isinstance(table, Table)
    columns = ["backorder_id", "po_line_id", "quantity", "available_date"]
    stmt = select(*(table.c[c] for c in ["id", *columns]))
    if scope is not None:
        stmt = stmt.where(scope)
    stored = read_frame_for_ids(session, stmt, table.c.backorder_id, scope_ids, ["id", *columns])
    rows = pd.DataFrame(
        {
            "backorder_id": allocations["backorder_id"].astype("int64").to_numpy(),
            "po_line_id": allocations["po_line_id"].astype("Int64").array,
            "quantity": allocations["quantity"].astype("int64").to_numpy(),
            "available_date": date_objects(allocations["available_date"]).to_numpy(),
        }
    )
    if write_all:
        replaced = set(stored["backorder_id"].astype(int)) | set(rows["backorder_id"].astype(int))
    else:
        new, old = _ranked(rows), _ranked(stored)
        kinds = {"line": "int", "day": "date", "quantity": "int"}
        changes = row_changes(new, old, "key", kinds)
        replaced = {int(i) for i in new.loc[changes.insert | changes.update, "backorder_id"]}
        replaced |= {int(k) // RANK for k in changes.delete}
    old = stored.loc[stored["backorder_id"].astype(int).isin(replaced)]
    gone = old["id"].astype(int).tolist()
    _delete(session, table.c.id, gone)
    fresh = rows.loc[rows["backorder_id"].isin(list(replaced))]
    bulk_insert(session, table.name, fresh)
    return len(gone) + len(fresh), replaced, old["po_line_id"].tolist()
