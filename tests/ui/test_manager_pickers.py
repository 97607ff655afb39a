"""AppTest of the manager's supplier pickers (the scorecard's one supplier, the comparison's two to four)
with more suppliers than they list whole: a search by code or name offers its matches, the supplier
picked, or preselected by the page that opened this one, stays picked and offered whatever is searched;
with few suppliers they list every supplier, without a search."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Selectbox

from db.engine import Database
from db.models import Supplier
from portal.ui.supplier_filter import MATCHES
from tests.apptest import texts
from tests.builders import SmallWorld, received_world
from tests.ui.test_manager_pages import COMPARE, END, SCORECARD, open_page
from tests.ui.test_supplier_filter import add_spares
from tests.ui.test_supplier_filter import search_in as search


@pytest.fixture
def few(sqlite_db: Database) -> SmallWorld:
    """The small world (ACME with receipts, BOLT)."""
    return received_world(sqlite_db)


@pytest.fixture
def many(sqlite_db: Database, few: SmallWorld) -> SmallWorld:
    """The small world with LISTED more suppliers."""
    add_spares(sqlite_db, few.admin)
    return few


def codes(options: list[str]) -> list[str]:
    """The codes of a picker's options (they read "CODE · name")."""
    return [option.split(" · ")[0] for option in options]


def supplier_id(db: Database, code: str) -> int:
    with db.read() as session:
        found = session.scalar(select(Supplier.id).where(Supplier.code == code))
    assert found is not None
    return found


def shown(picker: Selectbox[int]) -> str:
    """The code of the supplier a select box shows."""
    assert picker.index is not None
    return picker.options[picker.index].split(" · ")[0]


def compared(at: AppTest) -> list[str]:
    """The codes of the suppliers the comparison's table shows, a column each."""
    table = next(d.value for d in at.dataframe if "number" in d.value.columns)
    return table.columns.tolist()[1:]


def otd(at: AppTest) -> str:
    return {m.label: m.value for m in at.metric}["On-time delivery (OTD)"]


def test_the_scorecard_finds_a_supplier_and_keeps_the_one_shown_whatever_is_searched(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, many: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, many.manager, SCORECARD, scorecard__end_month=END)
    picker = at.selectbox(key="scorecard.supplier")
    # Nothing asked for: the first supplier by code, as with few suppliers, and no other option yet.
    assert picker.value == many.acme_id and codes(picker.options) == ["ACME"]
    assert otd(at) == "66.7%"

    search(at, "scorecard.supplier", "bolt w")  # part of BOLT's name, another case
    assert codes(at.selectbox(key="scorecard.supplier").options) == ["ACME", "BOLT"]
    assert at.selectbox(key="scorecard.supplier").value == many.acme_id
    at.selectbox(key="scorecard.supplier").set_value(many.bolt_id).run()
    assert not at.exception, [e.message for e in at.exception]
    assert otd(at) != "66.7%"  # BOLT has no receipt

    # Other searches offer their matches beside BOLT, which stays shown.
    search(at, "scorecard.supplier", "spare 19")
    picker = at.selectbox(key="scorecard.supplier")
    assert codes(picker.options) == ["BOLT", *(f"S{n:03d}" for n in range(190, 200))]
    assert picker.value == many.bolt_id
    search(at, "scorecard.supplier", "spare")
    assert f"The first {MATCHES} matches are listed" in texts(at)
    assert len(at.selectbox(key="scorecard.supplier").options) == MATCHES + 1
    search(at, "scorecard.supplier", "nobody")
    assert "No supplier's code or name holds “nobody”." in texts(at)
    assert codes(at.selectbox(key="scorecard.supplier").options) == ["BOLT"]
    assert at.selectbox(key="scorecard.supplier").value == many.bolt_id


def test_the_ranking_opens_the_scorecard_of_a_supplier_beyond_the_first_matches(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, many: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, many.manager, ranking__end_month=END)
    at.text_input(key="ranking.search").set_value("spare 150").run()
    assert at.dataframe[0].value["supplier"].tolist() == ["S150 · Spare 150"]
    at.session_state["ranking.table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "Scorecard"
    picker = at.selectbox(key="scorecard.supplier")
    assert codes(picker.options) == ["S150"] and shown(picker) == "S150"
    # A search that does not find S150 offers its matches beside it; S150 stays shown.
    search(at, "scorecard.supplier", "acme")
    picker = at.selectbox(key="scorecard.supplier")
    assert codes(picker.options) == ["ACME", "S150"] and shown(picker) == "S150"


def test_compare_finds_suppliers_and_keeps_the_picked_ones(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, many: SmallWorld
) -> None:
    at = open_page(
        monkeypatch,
        sqlite_url,
        many.manager,
        COMPARE,
        compare__suppliers=[many.acme_id, many.bolt_id],
        compare__end_month=END,
    )
    picker = at.multiselect(key="compare.suppliers")
    assert codes(picker.options) == ["ACME", "BOLT"] and picker.value == [many.acme_id, many.bolt_id]
    assert compared(at) == ["ACME", "BOLT"]

    search(at, "compare.suppliers", "spare 00")
    picker = at.multiselect(key="compare.suppliers")
    assert codes(picker.options) == ["ACME", "BOLT", *(f"S{n:03d}" for n in range(1, 10))]
    assert picker.value == [many.acme_id, many.bolt_id]
    s005 = supplier_id(sqlite_db, "S005")
    picker.select(s005).run()
    assert not at.exception, [e.message for e in at.exception]
    assert compared(at) == ["ACME", "BOLT", "S005"]

    search(at, "compare.suppliers", "spare")
    assert f"The first {MATCHES} matches are listed" in texts(at)
    search(at, "compare.suppliers", "nobody")
    assert "No supplier's code or name holds “nobody”." in texts(at)
    picker = at.multiselect(key="compare.suppliers")
    assert codes(picker.options) == ["ACME", "BOLT", "S005"]
    assert picker.value == [many.acme_id, many.bolt_id, s005]


def test_with_few_suppliers_the_pickers_list_every_supplier_without_a_search(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, few: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, few.manager, SCORECARD, scorecard__end_month=END)
    picker = at.selectbox(key="scorecard.supplier")
    assert picker.options == ["ACME · Acme Plastics", "BOLT · Bolt Works"] and picker.value == few.acme_id
    assert not [w for w in at.text_input if w.key == "scorecard.supplier.search"]
    at = open_page(
        monkeypatch,
        sqlite_url,
        few.manager,
        COMPARE,
        compare__suppliers=[few.bolt_id],
        compare__end_month=END,
    )
    several = at.multiselect(key="compare.suppliers")
    assert several.options == ["ACME · Acme Plastics", "BOLT · Bolt Works"] and several.value == [few.bolt_id]
    assert not [w for w in at.text_input if w.key == "compare.suppliers.search"]
