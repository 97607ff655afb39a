"""An optional in-process schedule for single-machine installs: ``sweep --notify`` every N minutes,
and the first run of each day also stores the supplier scorecards again (``scorecards refresh``);
later runs store again those of the suppliers written to since.

Cron (see docs/notifications.md) is the first choice. Where there is no cron, either run
``python -m portal scheduler`` as a service, or set ``PORTAL_SCHEDULER=1`` and have the app
call :func:`start_background_scheduler` once per process. Each run takes the sweep lock
without waiting: when another process or replica is already sweeping, this run is skipped,
so several replicas with the scheduler on never sweep or send twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Mapping

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from db.engine import Database
from portal.core.domain import ValidationError
from portal.i18n import _
from portal.services.access import Actor
from portal.services.locks import LockBusy
from portal.services.notifications import NotifyRun, sweep_and_notify
from portal.services.scorecards import refresh_scorecards

log = logging.getLogger("portal.scheduler")

DEFAULT_MINUTES = 15
JOB_ID = "sweep_notify"

_background: BackgroundScheduler | None = None
_background_guard = threading.Lock()


def run_once(db: Database, as_of: dt.date | None = None) -> NotifyRun | None:
    """One scheduled run; None when another process holds the sweep lock or the run failed."""
    try:
        run = sweep_and_notify(db, Actor.system("scheduler"), as_of, lock_wait=0)
    except LockBusy as exc:
        log.info("scheduled sweep skipped: %s", exc)
        return None
    except Exception:
        # The schedule must survive a bad run: the next tick tries again.
        log.exception("scheduled sweep failed")
        return None
    log.info("scheduled sweep done:\n%s", run.summary())
    refresh_stale_scorecards(db, as_of)
    return run


def refresh_stale_scorecards(db: Database, as_of: dt.date | None = None) -> bool:
    """Store the scorecards again: everyone's when the stored ones count up to an earlier day (once a
    day), else those of the suppliers written to since the last refresh (after every sweep, so the
    ranking has few to compute live). False when nothing needed storing."""
    today = as_of or dt.date.today()
    try:
        info = refresh_scorecards(db, Actor.system("scheduler"), today=today, changed_only=True)
    except Exception:
        log.exception("scheduled scorecard refresh failed")
        return False
    if info.changed_only and not info.suppliers:
        return False
    log.info(
        "scorecards stored as of %s (%s): %s suppliers, %s supplier-months in %.1f s",
        info.as_of,
        "changed suppliers" if info.changed_only else "everyone",
        info.suppliers,
        info.rows,
        info.seconds,
    )
    return True


def minutes_from_env(env: Mapping[str, str] | None = None) -> int:
    """PORTAL_SCHEDULER_MINUTES (default 15), checked."""
    raw = (os.environ if env is None else env).get("PORTAL_SCHEDULER_MINUTES", "").strip()
    if not raw:
        return DEFAULT_MINUTES
    if not raw.isdigit() or not 1 <= int(raw) <= 1440:
        raise ValidationError(
            _("PORTAL_SCHEDULER_MINUTES: a whole number of minutes 1-1440, not '{raw}'.").format(raw=raw)
        )
    return int(raw)


def build_scheduler(
    open_db: Callable[[], Database], minutes: int, *, background: bool, run_now: bool = True
) -> BaseScheduler:
    """A scheduler with one job, sweep --notify every ``minutes``; never two runs of it at once."""
    if not 1 <= minutes <= 1440:
        raise ValidationError(_("The schedule runs every 1 to 1440 minutes."))
    scheduler: BaseScheduler = (BackgroundScheduler if background else BlockingScheduler)(timezone=dt.UTC)
    scheduler.add_job(
        lambda: run_once(open_db()),
        IntervalTrigger(minutes=minutes),
        id=JOB_ID,
        max_instances=1,
        # A machine that slept through several ticks runs once, not once per missed tick.
        coalesce=True,
        misfire_grace_time=minutes * 60,
        next_run_time=dt.datetime.now(dt.UTC) if run_now else None,
    )
    return scheduler


def run_forever(open_db: Callable[[], Database], minutes: int, *, run_now: bool = True) -> None:
    """Run the schedule in the foreground until interrupted (``python -m portal scheduler``)."""
    scheduler = build_scheduler(open_db, minutes, background=False, run_now=run_now)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


def start_background_scheduler(
    open_db: Callable[[], Database] | None = None, env: Mapping[str, str] | None = None
) -> BackgroundScheduler | None:
    """Start the in-app schedule once per process when PORTAL_SCHEDULER=1; else do nothing."""
    global _background
    env = os.environ if env is None else env
    if env.get("PORTAL_SCHEDULER", "").strip().lower() not in ("1", "true", "yes", "on"):
        return None
    with _background_guard:
        if _background is None:
            if open_db is None:
                from portal.bootstrap import open_configured_database

                database = open_configured_database()

                def open_db() -> Database:
                    return database

            scheduler = build_scheduler(open_db, minutes_from_env(env), background=True)
            assert isinstance(scheduler, BackgroundScheduler)
            scheduler.start()
            _background = scheduler
        return _background


def stop_background_scheduler() -> None:
    """Stop the in-app schedule (tests, shutdown)."""
    global _background
    with _background_guard:
        if _background is not None:
            _background.shutdown(wait=False)
            _background = None
