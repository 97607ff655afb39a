"""AppTest of the supplier filter of the alert inbox and the late lines: with many suppliers (more than
it lists whole) a search by code or name offers its matches to pick, picks stay picked whatever is
searched next, and a search that finds nobody says so; with few, one multiselect of every supplier."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from db.engine import Database
from portal.services.access import Actor
from portal.ui.supplier_filter import LISTED, MATCHES
from tests.apptest import texts
from tests.builders import BuyerWorld, buyer_world, load
from tests.ui.test_buyer_pages import open_page

pytestmark = pytest.mark.world(build=buyer_world)

#: More suppliers than the filter lists whole; none of them has a line.
SPARES = "code,name,country,transit_days,capacity_per_day,email\n" + "".join(
    f"S{n:03d},Spare {n:03d},DE,3,,s{n}@spare.example\n" for n in range(1, LISTED + 1)
)


def add_spares(db: Database, admin: Actor) -> None:
    """LISTED more suppliers (SPARES), so the pickers search instead of listing."""
    assert load(db, admin, "suppliers", SPARES, today=dt.date(2026, 4, 15)).ok


@pytest.fixture
def many(sqlite_db: Database, world: BuyerWorld) -> BuyerWorld:
    """The buyer's world (ACME, BOLT) with LISTED more suppliers."""
    add_spares(sqlite_db, world.admin)
    return world


def search_in(at: AppTest, key: str, text: str) -> AppTest:
    """Types ``text`` into the search box of the picker ``key``."""
    at.text_input(key=f"{key}.search").set_value(text).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def search(at: AppTest, page: str, text: str) -> AppTest:
    return search_in(at, f"{page}.suppliers", text)


def pick(at: AppTest, page: str, *supplier_ids: int) -> AppTest:
    at.multiselect(key=f"{page}.suppliers").set_value(list(supplier_ids)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def offered(at: AppTest, page: str) -> list[str]:
    """The codes the supplier multiselect offers (its options read "CODE · name")."""
    return [option.split(" · ")[0] for option in at.multiselect(key=f"{page}.suppliers").options]


def test_the_inbox_finds_suppliers_by_code_or_name_and_narrows_to_the_picked_one(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, many: BuyerWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, many.buyer, "alert_inbox")
    everything = at.dataframe[0].value
    assert "ACME" in set(everything["supplier_code"])
    # Nothing searched yet: nothing to pick from, rather than every supplier.
    assert offered(at, "alert_inbox") == []
    assert "type more" not in texts(at)  # nothing typed: no "first 50 matches are listed"

    search(at, "alert_inbox", "acme pl")  # part of ACME's name, another case
    assert offered(at, "alert_inbox") == ["ACME"]
    pick(at, "alert_inbox", many.acme_id)
    narrowed = at.dataframe[0].value
    assert 0 < len(narrowed) < len(everything) and set(narrowed["supplier_code"]) == {"ACME"}

    # Another search offers its matches beside the pick, which stays picked and keeps narrowing.
    search(at, "alert_inbox", "bolt")
    assert offered(at, "alert_inbox") == ["ACME", "BOLT"]
    assert at.multiselect(key="alert_inbox.suppliers").value == [many.acme_id]
    assert len(at.dataframe[0].value) == len(narrowed)
    pick(at, "alert_inbox", many.bolt_id)  # BOLT has no problem to work
    assert not at.dataframe
    assert "No alerts match these filters." in texts(at)

    # A search that finds nobody says so in words; the picks stay, through other filters' reruns too.
    search(at, "alert_inbox", "acme")
    pick(at, "alert_inbox", many.bolt_id, many.acme_id)
    search(at, "alert_inbox", "nobody")
    assert "No supplier's code or name holds “nobody”." in texts(at)
    assert offered(at, "alert_inbox") == ["ACME", "BOLT"]
    at.multiselect(key="alert_inbox.severities").set_value(["critical", "warning"]).run()
    assert sorted(at.multiselect(key="alert_inbox.suppliers").value) == sorted([many.acme_id, many.bolt_id])
    assert set(at.dataframe[0].value["supplier_code"]) == {"ACME"}


def test_the_late_lines_find_a_supplier_and_keep_the_pick_across_reruns(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, many: BuyerWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, many.buyer, "late_lines")
    assert list(at.dataframe[0].value["line"]) == ["PO-3/1"]  # ACME's
    search(at, "late_lines", "BOLT")
    assert offered(at, "late_lines") == ["BOLT"]
    pick(at, "late_lines", many.bolt_id)
    assert not at.dataframe
    assert "No open line is forecast to arrive after its need-by date with these filters." in texts(at)

    # Searching again keeps BOLT picked: still no line.
    search(at, "late_lines", "acme plastics")
    assert offered(at, "late_lines") == ["ACME", "BOLT"]
    assert at.multiselect(key="late_lines.suppliers").value == [many.bolt_id]
    assert not at.dataframe
    pick(at, "late_lines", many.acme_id)
    assert list(at.dataframe[0].value["line"]) == ["PO-3/1"]
    at.toggle(key="late_lines.backorders").set_value(True).run()
    assert at.multiselect(key="late_lines.suppliers").value == [many.acme_id]
    assert list(at.dataframe[0].value["line"]) == ["PO-3/1"]

    search(at, "late_lines", "zzz")
    assert "No supplier's code or name holds “zzz”." in texts(at)
    assert at.multiselect(key="late_lines.suppliers").value == [many.acme_id]
    assert list(at.dataframe[0].value["line"]) == ["PO-3/1"]


def test_a_search_matching_many_suppliers_offers_the_first_ones_and_says_to_type_more(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, many: BuyerWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, many.buyer, "late_lines")
    search(at, "late_lines", "spare")
    assert offered(at, "late_lines") == [f"S{n:03d}" for n in range(1, MATCHES + 1)]
    assert (
        f"The first {MATCHES} matches are listed: type more of the code or name to find the others."
        in texts(at)
    )
    search(at, "late_lines", "spare 19")
    assert offered(at, "late_lines") == [f"S{n:03d}" for n in range(190, 200)]
    assert "type more" not in texts(at)


def test_with_few_suppliers_the_filter_lists_every_supplier_without_a_search(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: BuyerWorld
) -> None:
    for page in ("alert_inbox", "late_lines", "open_lines"):
        at = open_page(monkeypatch, sqlite_url, world.buyer, page)
        assert at.multiselect(key=f"{page}.suppliers").options == ["ACME", "BOLT"]
        assert not [w for w in at.text_input if w.key == f"{page}.suppliers.search"]
    at = open_page(monkeypatch, sqlite_url, world.buyer, "open_lines")
    every = at.dataframe[0].value
    pick(at, "open_lines", world.bolt_id)
    assert 0 < len(at.dataframe[0].value) < len(every)
    assert set(at.dataframe[0].value["supplier_code"]) == {"BOLT"}
