"""Every search box matches "holds what was typed", in any case (portal.queries.text_search): ``%``
and ``_`` are characters, not wildcards, and letters beyond A-Z fold on both databases."""

from __future__ import annotations

from db.engine import Database
from portal.queries.backorders import BackorderFilter, backorder_promises
from portal.queries.late_lines import find_lines
from portal.queries.lines import LineFilter, open_lines
from portal.services.access import Actor
from tests.builders import load_files, small_world

ITEMS = "sku,description,on_hand\nÜBER_1,Bracket,0\nUBERX1,Bracket,0\n"
POS = """po_number,line,supplier_code,sku,quantity,order_date,need_by_date
PO_12,1,ACME,ÜBER_1,100,2026-02-05,2026-09-30
POX12,1,ACME,UBERX1,100,2026-02-05,2026-09-30
"""
BACKORDERS = """order_ref,customer,sku,quantity,order_date,priority
SO_9,Ölwerk Süd,ÜBER_1,10,2026-02-22,0
SOX9,Other,UBERX1,10,2026-02-22,0
"""


def _world(db: Database) -> Actor:
    world = small_world(db)
    load_files(db, Actor.system("test"), [("items", ITEMS), ("pos", POS), ("backorders", BACKORDERS)])
    return world.buyer


def _lines(db: Database, buyer: Actor, text: str) -> list[str]:
    found, _ = open_lines(db, buyer, LineFilter(text=text))
    return sorted(found["line"])


def test_a_line_search_takes_underscore_and_percent_as_typed_and_folds_every_letter(db: Database) -> None:
    buyer = _world(db)
    assert _lines(db, buyer, "po_12") == ["PO_12/1"]  # not POX12: "_" is not "any one character"
    assert _lines(db, buyer, " PO_1 ") == ["PO_12/1"]
    assert _lines(db, buyer, "über") == ["PO_12/1"]  # the SKU ÜBER_1, in any case
    assert _lines(db, buyer, "ÜBER_1") == ["PO_12/1"]
    assert _lines(db, buyer, "PO%12") == []  # "%" is a character too
    assert _lines(db, buyer, "x12") == ["POX12/1"]
    assert sorted(find_lines(db, buyer, "po_12")["line"]) == ["PO_12/1"]
    assert sorted(find_lines(db, buyer, "Über_")["line"]) == ["PO_12/1"]


def test_a_backorder_search_matches_its_reference_and_customer_as_typed(db: Database) -> None:
    buyer = _world(db)

    def refs(text: str) -> list[str]:
        return sorted(backorder_promises(db, buyer, BackorderFilter(text=text))[0]["order_ref"])

    assert refs("so_9") == ["SO_9"]
    assert refs("ÖLWERK") == ["SO_9"]
    assert refs("süd") == ["SO_9"]
    assert refs("SO%9") == []
    assert refs("ox9") == ["SOX9"]
