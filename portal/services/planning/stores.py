"""The planning engine's results written back in bulk: supplier statistics, forecasts, promises with
their allocations, and the alert plan (insert, update, resolve)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import pandas as pd
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from db.bulk import bulk_insert, bulk_update
from db.models import Alert, Backorder, BackorderAllocation, LineForecast, SupplierStats, utcnow
from portal.core import alerts as alert_rules
from portal.core import calibration
from portal.core.batching import id_chunks
from portal.core.domain import AlertStatus, BackorderStatus
from portal.services.planning.loaders import STATS_COLUMNS, count_rows
from portal.services.planning.result import SweepResult
from portal.services.planning.shard import Shard, shard_backorders, shard_lines


def store_supplier_stats(session: Session, stats: pd.DataFrame, shard: Shard | None = None) -> None:
    """Replace every supplier's statistics (a shard: those of its suppliers)."""
    if shard is None:
        session.execute(delete(SupplierStats))
    else:
        session.execute(delete(SupplierStats).where(shard.owns(SupplierStats.supplier_id)))
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
    bulk_insert(session, SupplierStats.__tablename__, frame.assign(computed_at=utcnow()))


def date_objects(series: pd.Series) -> pd.Series:
    """A datetime64 column as ``datetime.date`` objects (None where NaT), for DATE columns."""
    values = pd.to_datetime(series)
    return pd.Series([None if pd.isna(v) else v for v in values.dt.date], dtype=object, index=series.index)


def store_forecasts(
    session: Session,
    forecast: pd.DataFrame,
    as_of: dt.date,
    line_ids: Collection[int] | None,
    shard: Shard | None = None,
) -> None:
    """Replace the stored forecasts of these lines (all when ``line_ids`` is None; a shard: of its items)."""
    if line_ids is None and shard is not None:
        session.execute(delete(LineForecast).where(LineForecast.po_line_id.in_(shard_lines(shard))))
    elif line_ids is None:
        session.execute(delete(LineForecast))
    else:
        for chunk in id_chunks(line_ids):
            session.execute(delete(LineForecast).where(LineForecast.po_line_id.in_(chunk)))
    if forecast.empty:
        return
    f = forecast
    rows = pd.DataFrame(
        {
            "po_line_id": f["line_id"].astype("int64").to_numpy(),
            "as_of": as_of,
            "produced": f["produced"].astype("int64").to_numpy(),
            "remaining": f["remaining"].astype("int64").to_numpy(),
            "rate": f["rate"].astype("float64").to_numpy(),
            "rate_source": f["rate_source"].astype(str).to_numpy(),
            **{
                c: date_objects(f[c])
                for c in ("completion_p50", "completion_p90", "arrival_p50", "arrival_p90")
            },
            "days_late_p50": f["days_late_p50"].astype("Float64").astype("Int64").array,
            "days_late_p90": f["days_late_p90"].astype("Float64").astype("Int64").array,
            "computed_at": utcnow(),
        }
    )
    bulk_insert(session, LineForecast.__tablename__, rows)


def store_promises(
    session: Session,
    demand: pd.DataFrame,
    promises: pd.DataFrame,
    allocations: pd.DataFrame,
    shard: Shard | None = None,
) -> None:
    """Write promise dates and statuses, and replace the allocations of these backorders (a shard:
    of every backorder of its items, as a full sweep replaces every allocation)."""
    if shard is not None:
        owned = shard_backorders(shard)
        session.execute(delete(BackorderAllocation).where(BackorderAllocation.backorder_id.in_(owned)))
    if demand.empty:
        return
    ids = demand["backorder_id"].astype(int).tolist()
    if shard is not None:
        pass  # replaced above
    elif len(ids) == count_rows(session, Backorder, Backorder.status == BackorderStatus.WAITING):
        session.execute(delete(BackorderAllocation))  # every waiting backorder is recomputed: one statement
    else:
        for chunk in id_chunks(ids):
            session.execute(delete(BackorderAllocation).where(BackorderAllocation.backorder_id.in_(chunk)))
    bulk_update(
        session,
        Backorder.__tablename__,
        pd.DataFrame(
            {
                "id": promises["backorder_id"].astype("int64").to_numpy(),
                "promise_date": date_objects(promises["promise_date"]).to_numpy(),
                "promise_status": promises["status"].astype(str).to_numpy(),
                "promise_reason": promises["reason"].to_numpy(dtype=object),
                "promise_computed_at": utcnow(),
            }
        ),
    )
    bulk_insert(
        session,
        BackorderAllocation.__tablename__,
        pd.DataFrame(
            {
                "backorder_id": allocations["backorder_id"].astype("int64").to_numpy(),
                "po_line_id": allocations["po_line_id"].astype("Int64").array,
                "quantity": allocations["quantity"].astype("int64").to_numpy(),
                "available_date": date_objects(allocations["available_date"]).to_numpy(),
            }
        ),
    )


def apply_alert_plan(
    session: Session, plan: alert_rules.ReconcilePlan, as_of: dt.date, now: dt.datetime, result: SweepResult
) -> None:
    """Insert new alerts, update live ones, resolve cleared ones."""
    ins = plan.inserts
    if len(ins):
        rows = (
            ins[alert_rules.CONDITION_COLUMNS]
            .astype({c: t for c, t in alert_rules.CONDITION_DTYPES.items() if t == "Int64"})
            .assign(
                status=AlertStatus.OPEN.value,
                first_seen=now,
                last_seen=now,
                as_of=as_of,
                reopen_reason=ins["reopen_reason"].to_numpy(dtype=object),
            )
        )
        bulk_insert(session, Alert.__tablename__, rows)
    upd = plan.updates
    if len(upd):
        bulk_update(
            session,
            Alert.__tablename__,
            pd.DataFrame(
                {
                    "id": upd["id"].astype("int64").to_numpy(),
                    "severity": upd["severity"].astype(str).to_numpy(),
                    "message": upd["message"].astype(str).to_numpy(),
                    "message_args": upd["message_args"].to_numpy(dtype=object),
                    "days_late": upd["days_late"].astype("Float64").astype("Int64").array,
                    "last_seen": now,
                    "as_of": as_of,
                    "status": upd["status"].astype(str).to_numpy(),
                }
            ),
        )
        raised = upd.loc[upd["raised"].astype(bool), "id"].astype(int).tolist()
        result.raised_alert_ids.extend(raised)
        result.alerts_raised += len(raised)
    if plan.resolves:
        for chunk in id_chunks(plan.resolves):
            session.execute(
                update(Alert).where(Alert.id.in_(chunk)).values(status=AlertStatus.RESOLVED, resolved_at=now)
            )
    if plan.ended_dismissals:
        for chunk in id_chunks(plan.ended_dismissals):
            session.execute(
                update(Alert)
                .where(Alert.id.in_(chunk))
                .values(dismissed_severity=None, dismissed_days_late=None)
            )
    result.alerts_opened += len(ins)
    result.alerts_updated += len(upd)
    result.alerts_resolved += len(plan.resolves)
