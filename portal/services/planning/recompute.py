"""The recompute a write service runs in its own transaction, for just the lines it touched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy.orm import Session

from portal.services.planning.loaders import load_supplier_stats
from portal.services.planning.lock import lock_scope, share_planning_lock
from portal.services.planning.pipeline import run_pipeline
from portal.services.planning.result import SweepResult
from portal.services.settings import load_settings


def recompute_affected(
    session: Session,
    *,
    line_ids: Collection[int] = (),
    item_ids: Collection[int] = (),
    as_of: dt.date | None = None,
) -> SweepResult:
    """Recompute these lines, the promises of their items, and both's alerts, in the caller's transaction."""
    as_of = as_of or dt.date.today()
    result = SweepResult(as_of=as_of)
    if not line_ids and not item_ids:
        return result
    share_planning_lock(session)
    settings = load_settings(session)
    lock_scope(session, line_ids, item_ids)
    stats = load_supplier_stats(session)
    run_pipeline(
        session, as_of, settings, line_ids=set(line_ids), item_ids=set(item_ids), stats=stats, result=result
    )
    return result
