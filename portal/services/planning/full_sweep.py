"""The sweep: everything recomputed as of a date (the command line, cron, the scheduler, the admin page)."""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

from db.engine import Database
from portal.core.domain import Role
from portal.services import audit
from portal.services.access import Actor, service
from portal.services.daily_outputs import verify_daily_outputs
from portal.services.planning.lock import exclusive_planning_lock, shard_planning_lock
from portal.services.planning.pipeline import run_pipeline, supplier_statistics, with_observed_capacity
from portal.services.planning.problems import keep_problems_after_sweep
from portal.services.planning.result import SweepResult
from portal.services.planning.shard import Shard
from portal.services.planning.stats_inputs import statistics_fingerprint, stored_statistics
from portal.services.planning.stores import store_supplier_stats
from portal.services.settings import load_settings
from portal.services.summaries import verify_summaries


def item_chunks(chunks: int = 1) -> list[Shard | None]:
    """The parts a full sweep runs its pipeline in: ``[None]`` (everything at once), or the items
    split as ``chunks`` shards split them, run one after the other.

    Peak memory follows the chunk's lines instead of every open line, but each chunk repeats work
    that does not shrink with it (calendars, the suppliers' capacity rule over their lines of every
    item, reads by id lists): measured at scale L on PostgreSQL, 4 chunks took peak RSS from 660 to
    345 MiB and the sweep's CPU from 8.5-9.1 s to 18.7-19.1 s. So it is a choice for a machine
    short of memory (``sweep --chunks N``), not the default."""
    return [None] if chunks <= 1 else [Shard(k, chunks) for k in range(1, chunks + 1)]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the sweep's duration.

    Reading a million rows makes millions of tuples, and each 700 allocations start a collection
    pass over the young objects: about a tenth of the sweep's CPU at scale L, for no garbage (the
    frames hold no reference cycles). Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@service(Role.ADMIN, Role.BUYER)
def sweep(
    db: Database,
    actor: Actor,
    as_of: dt.date | None = None,
    *,
    verify: bool = False,
    from_reports: bool = False,
    shard: Shard | None = None,
    write_all: bool = False,
    chunks: int = 1,
) -> SweepResult:
    """Recompute forecasts, supplier statistics, promises and alerts for everything as of ``as_of``.

    It reads the lines' production summaries, never the reports. ``verify``: check every line's
    summary against its reports first; the lines that disagree are listed in
    ``result.inconsistent`` and forecast (and learned from) from their reports, never from it.
    ``from_reports``: compute everything from the raw reports (the reference; slow at scale).
    ``shard`` (K/N): only the items with item_id % N == K - 1 and the suppliers with
    supplier_id % N == K - 1 (see :mod:`portal.services.planning.shard`); shards run side by side.
    Only rows that changed are written (``result.rows_written``); ``write_all``: every row, as the
    sweep did before (the reference the tests compare with). Supplier statistics are learned again
    only when what they are learned from changed (:mod:`portal.services.planning.stats_inputs`;
    ``result.statistics_reused``). ``chunks`` > 1: a full sweep computes its forecasts, promises and
    alerts in that many item chunks (:func:`item_chunks`), which together write what one pass
    writes (the shards' split, one shard after the other, the statistics learned once).
    """
    as_of = as_of or dt.date.today()
    result = SweepResult(as_of=as_of)
    with db.write() as session, _collector_paused():
        start = time.perf_counter()
        if shard is None:
            exclusive_planning_lock(session)
        else:
            shard_planning_lock(session, shard)
        locked = time.perf_counter()
        result.timings["wait_for_writes"] = round(locked - start, 4)
        settings = load_settings(session)
        bad = None
        if verify:
            result.inconsistent_days = verify_daily_outputs(session)
            bad = verify_summaries(session, settings.forecast_ewm_span)
            result.inconsistent = bad
        # Learned again only when their inputs changed (a shard or a check learns them every time).
        fingerprint = None
        stats = None
        if shard is None and not verify and not from_reports:
            fingerprint = statistics_fingerprint(session, settings, as_of)
            stats = stored_statistics(session, fingerprint)
        if stats is not None:
            stats = with_observed_capacity(session, stats, settings, as_of)
            result.statistics_reused = True
        else:
            stats = supplier_statistics(
                session,
                settings,
                as_of,
                from_reports=from_reports or len(result.inconsistent_days) > 0,
                distrust=[] if bad is None else bad["line_id"].astype(int).tolist(),
            )
        store_supplier_stats(
            session, stats, shard, result=result, write_all=write_all, fingerprint=fingerprint
        )
        result.timings["supplier_stats"] = round(time.perf_counter() - locked, 4)
        # The reference path (from reports) runs in one pass, as it always did.
        parts = [shard] if shard is not None or from_reports else item_chunks(chunks)
        for part in parts:
            run_pipeline(
                session,
                as_of,
                settings,
                line_ids=None,
                item_ids=None,
                stats=stats,
                result=result,
                bad=bad,
                from_reports=from_reports,
                shard=part,
                write_all=write_all,
                keep_problems=shard is not None,
            )
        if shard is None:  # the inbox problems of what it changed, once (a shard keeps its own)
            started = time.perf_counter()
            if verify or from_reports or write_all:  # a check or a reference: every row again
                result.subjects_changed = None
            result.problems = keep_problems_after_sweep(session, as_of, result.subjects_changed)
            result.timings["store_problems"] = round(time.perf_counter() - started, 4)
        audit.record(
            session,
            actor,
            "sweep",
            "planning",
            after={
                "as_of": as_of,
                "lines": result.lines,
                "backorders": result.backorders,
                **({} if shard is None else {"shard": str(shard)}),
            },
        )
        session.commit()
    result.timings["total"] = round(time.perf_counter() - start, 4)
    return result
