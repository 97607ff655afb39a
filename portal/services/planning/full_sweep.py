"""The sweep: everything recomputed as of a date (the command line, cron, the scheduler, the admin page)."""

from __future__ import annotations

import datetime as dt
import time

from db.engine import Database
from portal.core.domain import Role
from portal.services import audit
from portal.services.access import Actor, service
from portal.services.planning.lock import exclusive_planning_lock
from portal.services.planning.pipeline import run_pipeline, supplier_statistics
from portal.services.planning.result import SweepResult
from portal.services.planning.stores import store_supplier_stats
from portal.services.settings import load_settings
from portal.services.summaries import verify_daily_outputs


@service(Role.ADMIN, Role.BUYER)
def sweep(db: Database, actor: Actor, as_of: dt.date | None = None, *, verify: bool = False) -> SweepResult:
    """Recompute forecasts, supplier statistics, promises and alerts for everything as of ``as_of``.

    ``verify``: check every line's production summary against its reports first; the lines that
    disagree are listed in ``result.inconsistent`` and forecast from their reports.
    """
    as_of = as_of or dt.date.today()
    result = SweepResult(as_of=as_of)
    with db.write() as session:
        start = time.perf_counter()
        exclusive_planning_lock(session)
        locked = time.perf_counter()
        result.timings["wait_for_writes"] = round(locked - start, 4)
        settings = load_settings(session)
        if verify:
            result.inconsistent_days = verify_daily_outputs(session)
        stats = supplier_statistics(session, settings, as_of, from_reports=len(result.inconsistent_days) > 0)
        store_supplier_stats(session, stats)
        result.timings["supplier_stats"] = round(time.perf_counter() - locked, 4)
        run_pipeline(
            session, as_of, settings, line_ids=None, item_ids=None, stats=stats, result=result, verify=verify
        )
        audit.record(
            session,
            actor,
            "sweep",
            "planning",
            after={"as_of": as_of, "lines": result.lines, "backorders": result.backorders},
        )
        session.commit()
    result.timings["total"] = round(time.perf_counter() - start, 4)
    return result
