"""What each user chooses to receive: notification kinds on or off, and the suppliers a buyer follows."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import delete, select

from db.engine import Database
from db.models import NotificationPreference, Supplier, SupplierFollow
from portal.core import notifications as msg
from portal.core.domain import NotFound, Role, ValidationError
from portal.i18n import _
from portal.services import audit
from portal.services.access import ALL_ROLES, Actor, service


def kinds_for(actor: Actor) -> list[str]:
    return [kind for kind, (role, _label, _help) in msg.USER_KINDS.items() if role == actor.role.value]


@service(*ALL_ROLES)
def set_my_notification_preferences(
    db: Database, actor: Actor, choices: Mapping[str, bool]
) -> dict[str, bool]:
    """Turn the actor's own notification kinds on or off; returns the choices now in force."""
    allowed = kinds_for(actor)
    for kind in choices:
        if kind not in allowed:
            known = msg.USER_KINDS.get(kind)
            raise ValidationError(
                _("Your role gets no “{kind}” notifications.").format(kind=_(known[1]) if known else kind)
            )
    if actor.user_id is None:
        raise ValidationError(_("Only a logged-in user has notification preferences."))
    with db.write() as session:
        for kind, enabled in choices.items():
            row = session.get(NotificationPreference, (actor.user_id, kind))
            before = True if row is None else row.enabled
            if before == bool(enabled):
                continue
            if row is None:
                session.add(NotificationPreference(user_id=actor.user_id, kind=kind, enabled=bool(enabled)))
            else:
                row.enabled = bool(enabled)
            audit.record(
                session,
                actor,
                "notification_preference.changed",
                "user",
                actor.user_id,
                before={kind: before},
                after={kind: bool(enabled)},
            )
        session.commit()
    return {kind: bool(enabled) for kind, enabled in choices.items()}


@service(Role.BUYER)
def set_followed_suppliers(db: Database, actor: Actor, supplier_ids: Collection[int]) -> list[int]:
    """Replace the suppliers whose alerts the buyer's digest covers (empty: all); returns them."""
    wanted = {int(i) for i in supplier_ids}
    with db.write() as session:
        known = set(session.scalars(select(Supplier.id).where(Supplier.id.in_(wanted)))) if wanted else set()
        if wanted - known:
            missing = ", ".join(map(str, sorted(wanted - known)))
            raise NotFound(_("No supplier with id {supplier_id}.").format(supplier_id=missing))
        current = set(
            session.scalars(select(SupplierFollow.supplier_id).where(SupplierFollow.user_id == actor.user_id))
        )
        if current == wanted:
            return sorted(wanted)
        session.execute(delete(SupplierFollow).where(SupplierFollow.user_id == actor.user_id))
        session.add_all(SupplierFollow(user_id=actor.user_id, supplier_id=i) for i in sorted(wanted))
        audit.record(
            session,
            actor,
            "follows.changed",
            "user",
            actor.user_id,
            before={"suppliers": sorted(current)},
            after={"suppliers": sorted(wanted)},
        )
        session.commit()
    return sorted(wanted)
