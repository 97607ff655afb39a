"""The planning engine's service: load inputs, run the pure core, store forecasts, promises and alerts.

Two entry points share one pipeline:

* :func:`sweep` recomputes everything as of a date (the command line, cron, the admin page);
* :func:`recompute_affected` runs inside a write service's transaction after a supplier's
  schedule or report, or an import, for just the lines touched, the promises of their
  items and the alerts of both, so nobody looks at a stale forecast.

Every input is read with one query per table (never one per line), and every result is
written in bulk.

On PostgreSQL a sweep and the write services that recompute keep apart with one advisory lock,
held to the end of the transaction: shared by writes (:func:`share_planning_lock`, many at once),
exclusive by a sweep (see :func:`exclusive_planning_lock` for why this design).

One module a part: ``full_sweep`` (the sweep), ``recompute`` (a write's recompute), ``lock`` (the
planning lock), ``pipeline`` (forecasts -> promises -> alerts), ``loaders`` (the inputs),
``stores`` (the results written back), ``result`` (what a run reports).
"""

from portal.services.planning.full_sweep import sweep
from portal.services.planning.loaders import load_history_lines, load_open_lines, load_receipts
from portal.services.planning.lock import (
    PLANNING_LOCK,
    PLANNING_LOCK_WAIT_SECONDS,
    exclusive_planning_lock,
    lock_line_to_post,
    share_planning_lock,
)
from portal.services.planning.recompute import recompute_affected
from portal.services.planning.result import SweepResult

__all__ = [
    "PLANNING_LOCK",
    "PLANNING_LOCK_WAIT_SECONDS",
    "SweepResult",
    "exclusive_planning_lock",
    "load_history_lines",
    "load_open_lines",
    "load_receipts",
    "lock_line_to_post",
    "recompute_affected",
    "share_planning_lock",
    "sweep",
]
