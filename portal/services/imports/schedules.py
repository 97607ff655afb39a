"""Writing production schedules from a file: the database checks, then each row as its next revision."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from db.joins import current_schedule_subquery
from db.models import ProductionSchedule, utcnow
from portal.core.fileformats import CheckedTable
from portal.core.inputs import reason_required_reason, start_before_order_reason
from portal.services.access import Actor
from portal.services.imports.lookups import _attach_lines, _dates, _ints, _texts
from portal.services.imports.result import ImportJob, ImportResult


def _current_schedules(session: Session, line_ids: list[int]) -> pd.DataFrame:
    cols = ["po_line_id", "revision", "estimated_end_date"]
    if not line_ids:
        return pd.DataFrame(columns=cols)
    current = current_schedule_subquery(line_ids).c
    stmt = select(current.po_line_id, current.revision, current.estimated_end_date)
    return pd.DataFrame(session.execute(stmt).all(), columns=cols)


def check_schedules(session: Session, actor: Actor, table: CheckedTable) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The database checks of a schedules table; returns each row's line and the lines' current schedules.

    The rules of :meth:`portal.core.inputs.ScheduleRevision.check_against`, on whole columns.
    """
    rows = table.rows
    lines = _attach_lines(session, actor, table)
    order_date = pd.to_datetime(lines["order_date"])
    table.add((rows["start_date"] < order_date).to_numpy(), "start_date", start_before_order_reason())
    line_ids = [int(i) for i in lines["id"].dropna().unique()]
    current = _current_schedules(session, line_ids).set_index("po_line_id")
    prev_end = pd.to_datetime(current["estimated_end_date"].reindex(lines["id"]).to_numpy())
    moves_later = rows["estimated_end_date"].to_numpy() > prev_end
    no_reason = rows["reason"].isna().to_numpy()
    table.add(
        moves_later & no_reason,
        "reason",
        reason_required_reason(),
    )
    return lines, current


def write_schedules(
    session: Session,
    actor: Actor,
    table: CheckedTable,
    lines: pd.DataFrame,
    current: pd.DataFrame,
    result: ImportResult,
) -> None:
    """Insert each checked row as the next revision of its line's schedule."""
    rows = table.rows
    revisions = current["revision"].reindex(lines["id"]).fillna(0).astype(int).to_numpy() + 1
    now = utcnow()
    values = [
        {
            "po_line_id": int(line_id),
            "revision": int(rev),
            "start_date": start,
            "daily_output": output,
            "estimated_end_date": end,
            "reason": reason,
            "created_by_id": actor.user_id,
            "created_by_name": actor.name,
            "created_at": now,
        }
        for line_id, rev, start, output, end, reason in zip(
            lines["id"],
            revisions,
            _dates(rows["start_date"]),
            _ints(rows["daily_output"]),
            _dates(rows["estimated_end_date"]),
            _texts(rows["reason"]),
            strict=True,
        )
    ]
    session.execute(insert(ProductionSchedule), values)
    result.line_ids = set(lines["id"].astype(int))
    result.created = len(values)


def _write_schedules(job: ImportJob) -> None:
    session, actor, table, result, dry_run = job.session, job.actor, job.table, job.result, job.dry_run
    lines, current = check_schedules(session, actor, table)
    if dry_run or table.errors:
        return
    write_schedules(session, actor, table, lines, current, result)
