"""The joins many reads repeat, written once: a PO line with its supplier and item, an alert with the
supplier, line and backorder it is about, the waiting backorders with their item. Each takes a
``select()`` and returns it joined, so the statement reads as before:
``with_line_supplier_and_item(select(...).join(...)).where(...)``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from db.models import Alert, Backorder, Item, PoLine, Supplier
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
