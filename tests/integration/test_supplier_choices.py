"""The suppliers a picker offers, on SQLite and PostgreSQL: a search by code or name in any case done
by the database, at most ``limit`` of its matches, the ones already picked kept, and staff only."""

from __future__ import annotations

import datetime as dt

import pytest

from db.engine import Database
from portal.core.domain import PermissionDenied
from portal.queries.directory import supplier_choices, supplier_codes
from tests.builders import SmallWorld, load

SPARES = (
    "code,name,country,transit_days,capacity_per_day,email\n"
    + "".join(f"S{n:03d},Spare {n:02d},DE,3,,s{n}@spare.example\n" for n in range(30, 0, -1))
    + "P_1,Fifty% Parts,DE,3,,p1@spare.example\n"
    + "UE1,Überland Öl GmbH,DE,3,,ue@spare.example\n"
)


@pytest.fixture
def many(db: Database, world: SmallWorld) -> SmallWorld:
    """The small world (ACME, BOLT) with 32 more suppliers."""
    assert load(db, world.admin, "suppliers", SPARES, today=dt.date(2026, 4, 15)).ok
    return world


def codes(
    db: Database, world: SmallWorld, search: str, *, limit: int, keep: tuple[int, ...] = ()
) -> list[str]:
    return list(supplier_choices(db, world.buyer, search, limit=limit, keep=keep).suppliers["code"])


def test_a_search_finds_suppliers_by_code_or_name_in_any_case(db: Database, many: SmallWorld) -> None:
    assert codes(db, many, "acme", limit=50) == ["ACME"]
    assert codes(db, many, " bolt WORKS ", limit=50) == ["BOLT"]  # the name, trimmed, any case
    assert codes(db, many, "spare 1", limit=50) == [f"S{n:03d}" for n in range(10, 20)]
    assert codes(db, many, "überland öl", limit=50) == ["UE1"]  # every letter folds, not A-Z only
    assert codes(db, many, "ÜBERLAND", limit=50) == ["UE1"]
    choices = supplier_choices(db, many.buyer, "nobody", limit=50)
    assert choices.suppliers.empty and choices.found == 0 and not choices.more


def test_percent_and_underscore_are_searched_as_typed(db: Database, many: SmallWorld) -> None:
    assert codes(db, many, "50%", limit=50) == []
    assert codes(db, many, "y%", limit=50) == ["P_1"]
    assert codes(db, many, "p_", limit=50) == ["P_1"]  # not "any one character": S0.. do not match
    assert codes(db, many, "%", limit=50) == ["P_1"]


def test_at_most_limit_matches_by_code_and_whether_more_match(db: Database, many: SmallWorld) -> None:
    first = supplier_choices(db, many.buyer, "spare", limit=5)
    assert list(first.suppliers["code"]) == ["S001", "S002", "S003", "S004", "S005"]
    assert first.found == 5 and first.more
    every = supplier_choices(db, many.buyer, limit=50)
    assert len(every.suppliers) == 34 and not every.more
    assert supplier_choices(db, many.buyer, limit=34).more is False
    assert supplier_choices(db, many.buyer, limit=33).more is True


def test_the_suppliers_already_picked_are_kept_whatever_the_search(db: Database, many: SmallWorld) -> None:
    kept = (many.acme_id, many.bolt_id, 999_999)  # a supplier gone since: left out
    assert codes(db, many, "spare 0", limit=2, keep=kept) == ["ACME", "BOLT", "S001", "S002"]
    only_kept = supplier_choices(db, many.buyer, "", limit=0, keep=(many.bolt_id,))
    assert list(only_kept.suppliers["code"]) == ["BOLT"] and only_kept.found == 0


def test_a_supplier_user_gets_no_list_of_suppliers(db: Database, many: SmallWorld) -> None:
    with pytest.raises(PermissionDenied):
        supplier_choices(db, many.acme_user, "", limit=50)
    with pytest.raises(PermissionDenied):
        supplier_choices(db, many.acme_user, "bolt", limit=50, keep=(many.bolt_id,))


def test_supplier_codes_looks_up_only_the_codes_asked_for(db: Database, many: SmallWorld) -> None:
    """The API's ``?supplier=`` reads the codes it names, not every supplier."""
    asked = supplier_codes(db, many.buyer, ("S002", "ACME", "NOPE"))
    assert list(asked["code"]) == ["ACME", "S002"]
    assert len(supplier_codes(db, many.buyer)) == 34
    assert supplier_codes(db, many.buyer, ()).empty
