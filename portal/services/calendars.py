"""Loading suppliers' working calendars from the database (internal helper of services)."""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Supplier, SupplierClosure
from portal.core.calendar import CalendarSet


def load_calendars(session: Session, supplier_ids: Collection[int] | None = None) -> CalendarSet:
    """The working calendars of ``supplier_ids`` (all suppliers when None): two queries."""
    sup = select(Supplier.id.label("supplier_id"), Supplier.country, Supplier.working_weekdays)
    clo = select(SupplierClosure.supplier_id, SupplierClosure.closure_date)
    if supplier_ids is not None:
        ids = sorted({int(s) for s in supplier_ids})
        sup = sup.where(Supplier.id.in_(ids))
        clo = clo.where(SupplierClosure.supplier_id.in_(ids))
    suppliers = pd.DataFrame(
        session.execute(sup).all(), columns=["supplier_id", "country", "working_weekdays"]
    )
    closures = pd.DataFrame(session.execute(clo).all(), columns=["supplier_id", "closure_date"])
    return CalendarSet.from_frames(suppliers, closures)
