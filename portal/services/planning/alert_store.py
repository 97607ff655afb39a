"""The sweep's and a post's alert plan written back: new alerts inserted, the live ones that changed
updated, cleared ones resolved, and the rest marked seen (:func:`apply_alert_plan`).

Like the other stores (:mod:`portal.services.planning.stores`), only what changed is written: an
update is compared with the stored values through the message hash and the alert's value columns.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Table, update
from sqlalchemy.orm import Session

from db.bulk import bulk_insert, bulk_update
from db.models import Alert
from portal.core import alerts as alert_rules
from portal.core.batching import id_chunks
from portal.core.changes import row_changes
from portal.core.domain import AlertStatus
from portal.services.planning import seen as seen_module
from portal.services.planning.loaders import alert_value_columns
from portal.services.planning.result import SweepResult
from portal.services.planning.stores import value_kinds


def _alert_updates(upd: pd.DataFrame) -> pd.DataFrame:
    """The update rows in the alerts table's types: ids, texts as ``str`` (None when missing: a
    message kept as stored), integers as nullable integers."""
    table = Alert.__table__
    assert isinstance(table, Table)
    kinds = value_kinds(table, [c for c in upd.columns if c not in ("id", "last_seen")])
    data: dict[str, Any] = {"id": upd["id"].astype("int64").to_numpy()}
    for column, kind in kinds.items():
        values = upd[column]
        if kind == "exact":
            data[column] = values.astype("Int64").array
        elif kind == "int":
            data[column] = values.astype("Float64").astype("Int64").array
        elif kind == "text":  # texts already (rule values, messages): only missing ones become None
            data[column] = values.astype(object).where(values.notna(), None).to_numpy(dtype=object)
        elif kind == "json":
            data[column] = [None if v is None else json.dumps(v) for v in values.astype(object)]
        else:
            data[column] = values.to_numpy(dtype=object)
    return pd.DataFrame(data)


def apply_alert_plan(
    session: Session,
    plan: alert_rules.ReconcilePlan,
    as_of: dt.date,
    now: dt.datetime,
    result: SweepResult,
    *,
    live: pd.DataFrame | None = None,
    seen: Any = None,
    write_all: bool = False,
) -> None:
    """Insert new alerts, update the live ones that changed, resolve cleared ones, and mark every
    live alert whose condition still holds as seen now.

    ``live``: the live alerts the plan came from, with the stored values of
    :func:`alert_value_columns` as ``stored_<column>``; an update equal to them is not written.
    ``seen``: the SQL condition of the alerts reconciled (a shard's, or None: every alert for a full
    sweep, these ids for a scope); their ``last_seen`` and ``as_of`` are set in one statement after
    the resolves, which is exactly the alerts still holding and the new ones.
    """
    ins = plan.inserts
    if len(ins):
        hashed = ["message_hash"] if "message_hash" in ins else []
        rows = (
            ins[[*alert_rules.CONDITION_COLUMNS, *hashed]]
            .astype({c: t for c, t in alert_rules.CONDITION_DTYPES.items() if t == "Int64"})
            .assign(
                status=AlertStatus.OPEN.value,
                first_seen=now,
                last_seen=now,
                as_of=as_of,
                reopen_reason=ins["reopen_reason"].to_numpy(dtype=object),
                reopen_args=ins["reopen_args"].to_numpy(dtype=object),
            )
        )
        bulk_insert(session, Alert.__tablename__, rows)
    upd = plan.updates
    changed = np.ones(len(upd), dtype=bool)
    if len(upd):
        new = _alert_updates(upd)
        # The texts are not compared: their hash stands for them (equal hash, equal text).
        compared = [c for c in alert_value_columns() if c in new.columns]
        stored_columns = [f"stored_{c}" for c in compared]
        if (
            not write_all
            and live is not None
            and "message_hash" in compared
            and set(stored_columns) <= set(live.columns)
        ):
            table = Alert.__table__
            assert isinstance(table, Table)
            stored = live[["id", *stored_columns]].rename(columns=lambda c: c.removeprefix("stored_"))
            kinds = value_kinds(table, compared)
            changed = row_changes(new, stored.astype({"id": "int64"}), "id", kinds).update
        written = new.loc[changed].assign(last_seen=now, as_of=as_of)
        # A message None is kept as stored (its hash is unchanged): those rows leave the texts alone.
        worded = written["message"].notna().to_numpy()
        bulk_update(session, Alert.__tablename__, written.loc[worded])
        bulk_update(
            session, Alert.__tablename__, written.loc[~worded].drop(columns=["message", "message_args"])
        )
        raised = upd.loc[upd["raised"].astype(bool), "id"].astype(int).tolist()
        result.raised_alert_ids.extend(raised)
        result.alerts_raised += len(raised)
    if plan.resolves:
        # Their last_seen and as_of as shown until now, written in: no later pass covers them.
        closing = seen_module.close_values(session)
        for chunk in id_chunks(plan.resolves):
            session.execute(
                update(Alert)
                .where(Alert.id.in_(chunk))
                .values(status=AlertStatus.RESOLVED, resolved_at=now, **closing)
                .execution_options(synchronize_session="fetch")
            )
    if plan.ended_dismissals:
        for chunk in id_chunks(plan.ended_dismissals):
            session.execute(
                update(Alert)
                .where(Alert.id.in_(chunk))
                .values(dismissed_severity=None, dismissed_days_late=None)
            )
    written_ids = [*(upd.loc[changed, "id"].astype(int) if len(upd) else ()), *plan.resolves]
    result.subjects_touched(ins["subject_key"] if len(ins) else ())
    if written_ids:
        if live is None:
            result.subjects_changed = None
        else:
            result.subjects_touched(live.loc[live["id"].astype(int).isin(written_ids), "subject_key"])
    held = upd.loc[~changed, "id"].astype(int).tolist() if len(upd) else []
    result.alerts_seen += _mark_seen(session, now, as_of, held, seen, write_all or live is None)
    result.alerts_opened += len(ins)
    result.alerts_updated += int(changed.sum())
    result.alerts_resolved += len(plan.resolves)
    result.count_written("alerts", len(ins) + int(changed.sum()) + len(plan.resolves))


def _mark_seen(
    session: Session, now: dt.datetime, as_of: dt.date, held: list[int], seen: Any, by_id: bool
) -> int:
    """Mark the live alerts still holding that were not rewritten as seen now.

    A scope (a post's recompute) sets their ``last_seen`` and ``as_of`` by id; a sweep's pass
    (``seen`` not None) writes nothing: the pipeline records the pass once in ``sweep_runs``, and
    the alerts it saw show its moment from there (:mod:`portal.services.planning.seen`)."""
    if not held:
        return 0
    if not (by_id or seen is None):
        return len(held)
    # message_hash set to itself: any other UPDATE of an alert clears it (see db.models.Alert).
    for chunk in id_chunks(held):
        session.execute(
            update(Alert)
            .where(Alert.id.in_(chunk))
            .values(last_seen=now, as_of=as_of, message_hash=Alert.message_hash)
        )
    return len(held)
