"""Constraints keep bad data out, on both databases, whatever the code above them does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import Item, PoLine, ProductionReport, Receipt, Supplier, User
from portal.core.domain import Role


def _base(session: Session) -> tuple[int, int, int]:
    supplier = Supplier(code="S1", name="Supplier one")
    item = Item(sku="I1", description="Item one")
    session.add_all([supplier, item])
    session.flush()
    line = PoLine(
        po_number="PO-1",
        line=1,
        supplier_id=supplier.id,
        item_id=item.id,
        quantity=10,
        need_by_date=dt.date(2026, 3, 1),
    )
    session.add(line)
    session.flush()
    return supplier.id, item.id, line.id


def _fails(db: Database, build: Callable[[Session, int, int, int], object]) -> None:
    with db.write() as session:
        ids = _base(session)
        session.commit()
    with db.write() as session, pytest.raises(IntegrityError):
        build(session, *ids)
        session.flush()


def test_a_po_line_key_is_unique(db: Database) -> None:
    _fails(
        db,
        lambda s, sid, iid, lid: s.add(
            PoLine(
                po_number="PO-1",
                line=1,
                supplier_id=sid,
                item_id=iid,
                quantity=5,
                need_by_date=dt.date(2026, 3, 1),
            )
        ),
    )


def test_a_quantity_cannot_be_zero_or_negative(db: Database) -> None:
    _fails(
        db,
        lambda s, sid, iid, lid: s.add(
            PoLine(
                po_number="PO-2",
                line=1,
                supplier_id=sid,
                item_id=iid,
                quantity=0,
                need_by_date=dt.date(2026, 3, 1),
            )
        ),
    )


def test_a_line_needs_an_existing_supplier(db: Database) -> None:
    _fails(
        db,
        lambda s, sid, iid, lid: s.add(
            PoLine(
                po_number="PO-2",
                line=1,
                supplier_id=9999,
                item_id=iid,
                quantity=1,
                need_by_date=dt.date(2026, 3, 1),
            )
        ),
    )


def test_negative_output_is_refused(db: Database) -> None:
    _fails(
        db,
        lambda s, sid, iid, lid: s.add(
            ProductionReport(
                po_line_id=lid, report_date=dt.date(2026, 3, 2), good_qty=-1, created_by_name="t"
            )
        ),
    )


def test_two_current_reports_for_one_line_and_day_are_refused(db: Database) -> None:
    def build(s: Session, sid: int, iid: int, lid: int) -> None:
        s.execute(
            insert(ProductionReport),
            [
                {
                    "po_line_id": lid,
                    "report_date": dt.date(2026, 3, 2),
                    "revision": 1,
                    "good_qty": 1,
                    "is_current": True,
                    "created_by_name": "t",
                    "created_at": dt.datetime(2026, 3, 2),
                },
                {
                    "po_line_id": lid,
                    "report_date": dt.date(2026, 3, 2),
                    "revision": 2,
                    "good_qty": 2,
                    "is_current": True,
                    "created_by_name": "t",
                    "created_at": dt.datetime(2026, 3, 2),
                },
            ],
        )

    _fails(db, build)


def test_a_receipt_cannot_reject_more_than_it_received(db: Database) -> None:
    _fails(
        db,
        lambda s, sid, iid, lid: s.add(
            Receipt(po_line_id=lid, received_date=dt.date(2026, 3, 2), quantity=5, rejected_qty=6)
        ),
    )


def test_a_supplier_user_must_belong_to_a_supplier(db: Database) -> None:
    _fails(
        db,
        lambda s, sid, iid, lid: s.add(
            User(username="x", display_name="x", password_hash="h", role=Role.SUPPLIER, supplier_id=None)
        ),
    )


def test_a_buyer_cannot_belong_to_a_supplier(db: Database) -> None:
    _fails(
        db,
        lambda s, sid, iid, lid: s.add(
            User(username="x", display_name="x", password_hash="h", role=Role.BUYER, supplier_id=sid)
        ),
    )
