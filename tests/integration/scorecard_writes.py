"""Writes the scorecard tests make on the demo world as of :data:`DEMO_TODAY`: the world without a
scorecard snapshot yet, then a receipt and a report of today, each changing one supplier's numbers."""

from __future__ import annotations

from sqlalchemy import delete, select

from db.engine import Database
from db.models import AuditEvent, PoLine, ProductionReport, Receipt, ScorecardSnapshot
from portal.core.domain import LineStatus, Role
from portal.demo.load import load_demo_world
from portal.services.access import Actor
from portal.services.imports import import_table, read_upload
from portal.services.production import post_report
from tests.integration.conftest import DEMO_TODAY as TODAY

SYSTEM = Actor.system("test")


def demo_without_snapshot(db: Database) -> Database:
    """The demo world of seed 3 (every metric has data) as of today, as before any scorecard refresh."""
    load_demo_world(db, SYSTEM, seed=3, today=TODAY)
    forget_snapshot(db)
    return db


def forget_snapshot(db: Database) -> None:
    """Remove the scorecard snapshot and the audit of its refresh: the scorecards are computed live."""
    with db.write() as session:
        session.execute(delete(ScorecardSnapshot))
        session.execute(delete(AuditEvent).where(AuditEvent.action == "scorecards.refreshed"))
        session.commit()


def receive(db: Database, supplier_id: int | None = None, rejected: float = 0.0) -> int:
    """A receipt of today on an in-production line (of this supplier), ``rejected`` of it rejected;
    returns the line's supplier."""
    stmt = select(PoLine.po_number, PoLine.line, PoLine.supplier_id, PoLine.quantity).where(
        PoLine.status == LineStatus.IN_PRODUCTION, PoLine.id.not_in(select(Receipt.po_line_id))
    )
    if supplier_id is not None:
        stmt = stmt.where(PoLine.supplier_id == supplier_id)
    with db.read() as session:
        po, line, sid, qty = session.execute(stmt.order_by(PoLine.need_by_date, PoLine.id).limit(1)).one()
    row = f"{po},{line},{TODAY.isoformat()},{qty},{int(qty * rejected)}"
    text = f"po_number,line,received_date,quantity,rejected_qty\n{row}\n"
    assert import_table(
        db, SYSTEM, read_upload(text.encode(), "r.csv", "receipts"), filename="r.csv", today=TODAY
    ).ok
    return int(sid)


def report(db: Database, other_than: int) -> int:
    """Today's production report on an in-production line of another supplier; returns that supplier."""
    with db.read() as session:
        line_id, sid = session.execute(
            select(PoLine.id, PoLine.supplier_id)
            .where(
                PoLine.status == LineStatus.IN_PRODUCTION,
                PoLine.supplier_id != other_than,
                PoLine.id.in_(select(ProductionReport.po_line_id)),
            )
            .order_by(PoLine.id)
            .limit(1)
        ).one()
    actor = Actor(None, "maker", Role.SUPPLIER, int(sid))
    post_report(db, actor, line_id, report_date=TODAY, good_qty=7, confirm_correction=True, today=TODAY)
    return int(sid)
