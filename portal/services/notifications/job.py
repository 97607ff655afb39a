"""The ``sweep --notify`` job: sweep, plan, deliver under the sweep lock; notifications never fail
the sweep."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from db.engine import Database
from portal.core.domain import Role
from portal.services import planning
from portal.services.access import Actor, service
from portal.services.locks import SWEEP_LOCK, job_lock
from portal.services.notifications.delivery import DeliveryReport, deliver_pending
from portal.services.notifications.plan import PlanResult, plan_pending
from portal.services.notifications.transport import Transport

log = logging.getLogger("portal.notifications")


@dataclass
class NotifyRun:
    """One ``sweep --notify``: the sweep, what was planned, what was delivered, what went wrong."""

    sweep: planning.SweepResult | None = None
    plan: PlanResult | None = None
    delivery: DeliveryReport | None = None
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [p.summary() for p in (self.sweep, self.plan, self.delivery) if p is not None]
        parts += [f"Problem: {e}" for e in self.errors[:5]]
        if len(self.errors) > 5:
            parts.append(
                f"... and {len(self.errors) - 5} more problems: see the message log on the admin page."
            )
        return "\n".join(parts)


@service(Role.ADMIN)
def sweep_and_notify(
    db: Database,
    actor: Actor,
    as_of: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
    lock_wait: float | None = None,
    transport: Transport | None = None,
) -> NotifyRun:
    """Under the sweep lock: sweep, plan notifications, deliver; notifications never fail the sweep."""
    run = NotifyRun()
    with job_lock(db, SWEEP_LOCK, wait=lock_wait) as lock:
        run.sweep = planning.sweep(db, actor, as_of)
        lock.refresh()
        try:
            run.plan = plan_pending(db, as_of=run.sweep.as_of, now=now)
        except Exception as exc:
            log.exception("planning notifications failed")
            run.errors.append(f"planning notifications failed: {type(exc).__name__}: {exc}")
        lock.refresh()
        run.delivery = deliver_pending(db, now, transport=transport)
        run.errors.extend(run.delivery.errors)
    return run
