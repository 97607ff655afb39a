"""Writing receipts from a file, and marking lines received once enough good units arrived."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from db.models import PoLine, Receipt, utcnow
from portal.core.batching import chunked
from portal.core.domain import LineStatus
from portal.core.inputs import future_reason
from portal.services.imports.lookups import _attach_lines, _dates, _ints
from portal.services.imports.result import ImportJob
from portal.services.settings import load_settings


def _write_receipts(job: ImportJob) -> None:
    session, actor, table = job.session, job.actor, job.table
    result, today, dry_run = job.result, job.today, job.dry_run
    rows = table.rows
    lines = _attach_lines(session, actor, table)
    today = today or dt.date.today()
    future = (rows["received_date"] > pd.Timestamp(today)).fillna(False).to_numpy()
    table.add(future, "received_date", future_reason(today))
    if dry_run or table.errors:
        return
    now = utcnow()
    values = [
        {
            "po_line_id": int(line_id),
            "received_date": day,
            "quantity": qty,
            "rejected_qty": rejected,
            "created_at": now,
        }
        for line_id, day, qty, rejected in zip(
            lines["id"],
            _dates(rows["received_date"]),
            _ints(rows["quantity"]),
            _ints(rows["rejected_qty"], 0),
            strict=True,
        )
    ]
    session.execute(insert(Receipt), values)
    line_ids = [int(i) for i in lines["id"].unique()]
    mark_received(session, line_ids, load_settings(session).in_full_threshold)
    result.line_ids = set(line_ids)
    result.item_ids = {int(i) for i in lines["item_id"].unique()}
    result.created = len(values)


def mark_received(session: Session, line_ids: list[int], in_full: float) -> None:
    """Lines whose good received quantity reaches ``in_full`` (the admin's in-full threshold) of
    the order become received: the same rule the scorecards use for a line's delivery date."""
    for chunk in chunked(line_ids):
        good = (
            select(Receipt.po_line_id, func.sum(Receipt.quantity - Receipt.rejected_qty).label("good"))
            .where(Receipt.po_line_id.in_(chunk))
            .group_by(Receipt.po_line_id)
            .subquery()
        )
        full = (
            select(PoLine.id)
            .join(good, good.c.po_line_id == PoLine.id)
            .where(
                good.c.good >= PoLine.quantity * in_full,
                PoLine.status.in_([LineStatus.OPEN, LineStatus.IN_PRODUCTION, LineStatus.SHIPPED]),
            )
        )
        ids = list(session.scalars(full))
        if ids:
            session.execute(
                update(PoLine)
                .where(PoLine.id.in_(ids))
                .values(status=LineStatus.RECEIVED, updated_at=utcnow())
            )
