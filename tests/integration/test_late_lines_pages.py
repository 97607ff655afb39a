"""The late lines a page at a time on the demo world, SQLite and PostgreSQL: each page is the slice of
the whole order (ties broken by line), and the counts over every matching line come with any page,
past the last one too (the page and its counts are one statement)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from db.engine import Database
from db.models import User
from portal.queries.late_lines import AT_RISK, LATE, LateLineFilter, find_lines, late_lines
from portal.services.access import Actor
from portal.services.auth import actor_for


def _user(db: Database, role: str) -> Actor:
    with db.read() as session:
        return actor_for(
            session.scalars(select(User).where(User.role == role).order_by(User.id).limit(1)).one()
        )


def test_every_page_of_late_lines_is_the_slice_of_the_whole_order_with_the_same_counts(
    demo: Database,
) -> None:
    buyer = _user(demo, "buyer")
    whole, total, counts = late_lines(demo, buyer, limit=100_000)
    assert total == len(whole) > 20
    assert counts["late"] == int((whole["risk"] == LATE).sum()) > 0
    assert counts["at_risk"] == int((whole["risk"] == AT_RISK).sum())
    assert counts["backorder_qty"] == int(whole["backorder_qty"].sum()) > 0
    assert counts["backorders"] > 0
    # Latest first, ties by line id: one total order.
    key = whole.assign(p50=whole["days_late_p50"].fillna(-100_000))[["p50", "days_late_p90", "line_id"]]
    expected = key.sort_values(["p50", "days_late_p90", "line_id"], ascending=[False, False, True])
    assert whole["line_id"].tolist() == expected["line_id"].tolist()
    pages = [late_lines(demo, buyer, limit=7, offset=offset) for offset in range(0, total + 7, 7)]
    assert all(page_total == total and page_counts == counts for _, page_total, page_counts in pages)
    assert pages[-1][0].empty  # past the end: no row, the counts all the same
    pd.testing.assert_frame_equal(pd.concat([p[0] for p in pages[:-1]], ignore_index=True), whole)


def test_a_suppliers_late_lines_page_counts_its_own_lines_only(demo: Database) -> None:
    supplier = _user(demo, "supplier")
    whole, total, counts = late_lines(demo, supplier, limit=100_000)
    assert set(counts) == {"late", "at_risk"}
    assert counts["late"] + counts["at_risk"] == total == len(whole)
    assert late_lines(demo, supplier, limit=5, offset=total)[1:] == (total, counts)
    assert late_lines(demo, supplier, LateLineFilter(risks=(LATE,)), limit=3)[1] == counts["late"]


def _holding(frame: pd.DataFrame, text: str) -> list[int]:
    """The rows' line ids whose PO number, SKU or supplier code holds ``text``, in any case."""
    po_numbers = frame["line"].str.rpartition("/")[0]
    held = pd.concat([po_numbers, frame["sku"], frame["supplier_code"]], axis=1).apply(
        lambda column: column.str.lower().str.contains(text.lower(), regex=False)
    )
    return frame.loc[held.any(axis=1), "line_id"].tolist()


def test_a_search_finds_late_lines_and_lines_to_pick_by_po_number_sku_or_supplier_in_any_case(
    demo: Database,
) -> None:
    buyer = _user(demo, "buyer")
    whole, _, _ = late_lines(demo, buyer, limit=100_000)
    first = whole.iloc[0]
    searches = [
        first["line"].rpartition("/")[0].lower(),
        first["sku"].lower(),
        first["supplier_code"].lower(),
    ]
    for text in searches:
        expected = _holding(whole, text)
        found, total, _ = late_lines(demo, buyer, LateLineFilter(text=text.upper()), limit=100_000)
        assert found["line_id"].tolist() == expected and total == len(expected) < len(whole), text
        picked = find_lines(demo, buyer, f" {text.upper()} ", limit=100_000)
        assert set(expected) <= set(picked["line_id"]), text
        assert picked["line_id"].tolist() == _holding(picked, text), text  # every one holds it
