"""The joins many reads repeat, written once: a PO line with its supplier and item, an alert with the
supplier, line and backorder it is about, the waiting backorders with their item. Each takes a
``select()`` and returns it joined, so the statement reads as before:
``with_line_supplier_and_item(select(...).join(...)).where(...)``. And each line's current schedule
revision, as a subquery to join (:func:`current_schedule_subquery`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import aliased

from db.models import Alert, Backorder, Item, PoLine, ProductionSchedule, Supplier
from portal.core.domain import BackorderStatus


def with_line_supplier_and_item(stmt: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """Join a PO line's supplier and item (every line has both)."""
    return stmt.join(Supplier, Supplier.id == PoLine.supplier_id).join(Item, Item.id == PoLine.item_id)


def with_alert_subjects(stmt: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """Join the supplier, line and backorder an alert is about (each may be missing)."""
    return (
        stmt.outerjoin(Supplier, Supplier.id == Alert.supplier_id)
        .outerjoin(PoLine, PoLine.id == Alert.po_line_id)
        .outerjoin(Backorder, Backorder.id == Alert.backorder_id)
    )


def with_waiting_backorders_item(stmt: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """Only the backorders still waiting, joined to their item."""
    return stmt.join(Item, Item.id == Backorder.item_id).where(Backorder.status == BackorderStatus.WAITING)


def current_schedule_subquery(line_ids: Sequence[int] | None = None) -> Any:
    """Per line (of ``line_ids`` when given), its current (highest) schedule revision's row."""
    latest_stmt = select(
        ProductionSchedule.po_line_id, func.max(ProductionSchedule.revision).label("revision")
    ).group_by(ProductionSchedule.po_line_id)
    if line_ids is not None:
        latest_stmt = latest_stmt.where(ProductionSchedule.po_line_id.in_(line_ids))
    latest = latest_stmt.subquery("latest_revision")
    current = aliased(ProductionSchedule, name="current_schedule")
    return (
        select(
            current.po_line_id,
            current.revision,
            current.start_date,
            current.daily_output,
            current.estimated_end_date,
            current.reason,
        )
        .join(latest, and_(latest.c.po_line_id == current.po_line_id, latest.c.revision == current.revision))
        .subquery("current_schedule")
    )
