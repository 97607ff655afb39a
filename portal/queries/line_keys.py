"""Lines named the way other systems name them: by PO number and line number, and their current plan."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import select

from db.engine import Database
from db.joins import current_schedule_subquery
from db.models import PoLine
from portal.core.domain import NotFound
from portal.services.access import ALL_ROLES, Actor, scope_to_actor, service

PLAN_COLUMNS = ["line_id", "label", "revision", "start_date", "daily_output", "estimated_end_date"]


@service(*ALL_ROLES, writes=False)
def line_id_for(db: Database, actor: Actor, po_number: str, line: int) -> int:
    """The id of line ``po_number``/``line``; NotFound also for another supplier's line."""
    # Answered exactly like a line that does not exist, so a supplier learns nothing of the others'.
    stmt = select(PoLine.id).where(PoLine.po_number == po_number, PoLine.line == int(line))
    with db.read() as session:
        found = session.scalar(scope_to_actor(stmt, PoLine.supplier_id, actor))
    if found is None:
        raise NotFound(f"No PO line {po_number}/{line}.")
    return int(found)


@service(*ALL_ROLES, writes=False)
def current_plans(db: Database, actor: Actor, line_ids: Sequence[int]) -> pd.DataFrame:
    """The current schedule revision of each of ``line_ids`` the actor may see (lines without one: absent)."""
    ids = [int(i) for i in line_ids]
    if not ids:
        return pd.DataFrame(columns=PLAN_COLUMNS)
    sched = current_schedule_subquery(ids)
    stmt = select(
        sched.c.po_line_id,
        PoLine.label,
        sched.c.revision,
        sched.c.start_date,
        sched.c.daily_output,
        sched.c.estimated_end_date,
    ).join(PoLine, PoLine.id == sched.c.po_line_id)
    with db.read() as session:
        rows = session.execute(scope_to_actor(stmt, PoLine.supplier_id, actor)).all()
    return pd.DataFrame(rows, columns=PLAN_COLUMNS)
