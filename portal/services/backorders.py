"""Backorder promises told to customers: marking a promise as communicated.

The portal computes a backorder's promise_date; customer service passes it on. Marking it
communicated stores that date as communicated_date, so that a later, worse promise raises
PROMISE_SLIPPED ("the date we told the customer no longer holds").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

from sqlalchemy import select

from db.engine import Database
from db.models import Backorder
from portal.core.domain import BackorderStatus, ConflictError, NotFound, Role, ValidationError
from portal.i18n import _
from portal.services import audit
from portal.services.access import Actor, service

MAX_BULK = 1000


@service(Role.BUYER, Role.ADMIN)
def mark_promises_communicated(
    db: Database,
    actor: Actor,
    backorder_ids: Collection[int],
    *,
    expected: Mapping[int, dt.date | None] | None = None,
    today: dt.date | None = None,
) -> int:
    """Store each current promise_date as told to the customer (all or none); returns how many changed."""
    # ``expected`` (backorder id -> the promise_date the buyer saw) refuses promises that changed
    # since the page was read, so nobody records a date the customer was never told.
    ids = sorted({int(i) for i in backorder_ids})
    if not ids:
        raise ValidationError(_("Choose at least one backorder."))
    if len(ids) > MAX_BULK:
        raise ValidationError(_("At most {max_bulk} backorders at once.").format(max_bulk=MAX_BULK))
    with db.write() as session:
        from portal.services.planning import share_planning_lock

        # Before these backorders are locked and updated: a sweep that also updates them commits
        # first (taken after, a sweep holding the planning lock and this write would deadlock).
        share_planning_lock(session)
        backorders = list(
            session.scalars(
                select(Backorder)
                .where(Backorder.id.in_(ids))
                .order_by(Backorder.id)
                .with_for_update(key_share=True)
            )
        )
        missing = set(ids) - {b.id for b in backorders}
        if missing:
            raise NotFound(_("No backorder with id {ids}.").format(ids=", ".join(map(str, sorted(missing)))))
        for backorder in backorders:
            if backorder.status is not BackorderStatus.WAITING:
                raise ValidationError(
                    _(
                        "Backorder {order_ref} is {status}: only waiting backorders have a promise "
                        "to communicate."
                    ).format(order_ref=backorder.order_ref, status=backorder.status.value)
                )
            if backorder.promise_date is None:
                raise ValidationError(
                    _(
                        "Backorder {order_ref} is unpromisable: there is no promise date to tell "
                        "the customer."
                    ).format(order_ref=backorder.order_ref)
                )
            if expected is not None and backorder.id in expected:
                seen = expected[backorder.id]
                if seen != backorder.promise_date:
                    raise ConflictError(
                        _(
                            "The promise of backorder {order_ref} changed to {date} since the page "
                            "was loaded: reload and check."
                        ).format(order_ref=backorder.order_ref, date=backorder.promise_date.isoformat())
                    )
        changed = [b for b in backorders if b.communicated_date != b.promise_date]
        for backorder in changed:
            before = {"communicated_date": backorder.communicated_date}
            backorder.communicated_date = backorder.promise_date
            audit.record(
                session,
                actor,
                "backorder.communicated",
                "backorder",
                backorder.id,
                before=before,
                after={"communicated_date": backorder.communicated_date, "order_ref": backorder.order_ref},
            )
        if changed:
            from portal.services.planning import recompute_affected

            # The promise now equals what the customer was told: PROMISE_SLIPPED resolves.
            recompute_affected(session, item_ids={b.item_id for b in changed}, as_of=today)
        session.commit()
        return len(changed)
