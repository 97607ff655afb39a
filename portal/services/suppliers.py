"""Supplier settings an admin changes from the portal: its time zone (the supplier's own day)."""

from __future__ import annotations

from db.engine import Database
from db.models import Supplier
from portal.core.domain import NotFound, Role, ValidationError
from portal.core.timezones import check_timezone
from portal.i18n import _
from portal.services import audit
from portal.services.access import Actor, service


@service(Role.ADMIN)
def set_supplier_timezone(db: Database, actor: Actor, supplier_id: int, timezone: str) -> str:
    """Set a supplier's IANA time zone (its "today" becomes the local date there); returns the zone."""
    try:
        zone = check_timezone(timezone)
    except ValueError as exc:
        raise ValidationError(_("Time zone: {problem}.").format(problem=exc)) from None
    with db.write() as session:
        supplier = session.get(Supplier, supplier_id)
        if supplier is None:
            raise NotFound(_("No supplier with id {supplier_id}.").format(supplier_id=supplier_id))
        before = supplier.timezone
        if before != zone:
            supplier.timezone = zone
            audit.record(
                session,
                actor,
                "supplier.timezone_changed",
                "supplier",
                supplier_id,
                before={"timezone": before},
                after={"timezone": zone},
            )
        session.commit()
    return zone


__all__ = ["set_supplier_timezone"]
