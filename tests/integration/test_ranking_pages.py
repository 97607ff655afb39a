"""The supplier ranking a page at a time, on SQLite and PostgreSQL: a page (``limit``/``offset``) is the
slice of the whole order, computed live or read from the stored rank rows; ties keep one order; the
header counts and a search are over every supplier."""

from __future__ import annotations

import pandas as pd
import pytest

from db.engine import Database
from portal.queries.scorecards import Ranking, ranking_export, supplier_ranking
from portal.services.scorecards import refresh_scorecards
from portal.services.settings import update_settings
from tests.builders import RECEIVED_AS_OF as AS_OF
from tests.builders import SmallWorld, load, received_world

END = "2026-04"
#: Suppliers without a line: not scored, all tied on score and lines, so only their code orders them.
#: Imported in reverse so that the database's own order is not already the ranking's.
SPARES = "code,name,country,transit_days,capacity_per_day,email\n" + "".join(
    f"S{n:03d},Spare {n:02d},DE,3,,s{n}@spare.example\n" for n in range(60, 0, -1)
)


@pytest.fixture
def world(db: Database) -> SmallWorld:
    w = received_world(db)
    assert load(db, w.admin, "suppliers", SPARES, today=AS_OF).ok
    update_settings(db, w.admin, {"min_lines_for_score": 1})  # ACME and BOLT scored
    return w


def ranking(db: Database, world: SmallWorld, **paging: object) -> Ranking:
    return supplier_ranking(db, world.manager, END, today=AS_OF, **paging)  # type: ignore[arg-type]


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    """A ranking table with lists (the score history) as tuples, so frames compare."""
    return table.assign(score_history=table["score_history"].map(tuple)).reset_index(drop=True)


@pytest.mark.parametrize("stored", [False, True], ids=["live", "stored"])
def test_every_page_of_the_ranking_is_the_slice_of_the_whole_order(
    db: Database, world: SmallWorld, stored: bool
) -> None:
    if stored:
        refresh_scorecards(db, world.manager, today=AS_OF)
    whole = ranking(db, world)
    assert (whole.computed_at is not None) == stored
    assert len(whole.table) == whole.total == 62
    # ACME and BOLT are scored; the spares (no line) are not, and keep their codes' order.
    assert sorted(whole.table["code"].tolist()[:2]) == ["ACME", "BOLT"]
    assert whole.table["code"].tolist()[2:] == [f"S{n:03d}" for n in range(1, 61)]
    assert whole.table["rank"].tolist()[:2] == [1, 2] and whole.table["rank"].iloc[2:].isna().all()
    pages = [ranking(db, world, limit=25, offset=offset) for offset in (0, 25, 50)]
    assert [len(p.table) for p in pages] == [25, 25, 12]
    assert all(p.total == 62 and p.summary == whole.summary for p in pages)
    joined = pd.concat([p.table for p in pages], ignore_index=True)
    pd.testing.assert_frame_equal(comparable(joined), comparable(whole.table))


def test_the_header_counts_every_supplier_whatever_the_page_or_search(
    db: Database, world: SmallWorld
) -> None:
    whole = ranking(db, world)
    assert whole.summary.suppliers == 62 and whole.summary.scored == 2
    assert whole.summary.open_lines == int(whole.table["open_lines"].sum()) > 0
    found = ranking(db, world, search="spare 05", limit=10)
    assert found.table["code"].tolist() == ["S005"] and found.total == 1
    assert found.summary == whole.summary


def test_a_search_finds_a_supplier_by_code_or_name_in_any_case_and_keeps_its_rank(
    db: Database, world: SmallWorld
) -> None:
    refresh_scorecards(db, world.manager, today=AS_OF)
    whole = ranking(db, world).table.set_index("code")
    bolt = ranking(db, world, search="bolt w", limit=50)
    assert bolt.table["code"].tolist() == ["BOLT"]
    assert bolt.table["rank"].tolist() == [whole.loc["BOLT", "rank"]]
    assert bolt.table["score_history"].iloc[0] == whole.loc["BOLT", "score_history"]
    assert any(v is not None for v in bolt.table["score_history"].iloc[0])
    assert ranking(db, world, search="s06", limit=50).table["code"].tolist() == ["S060"]
    assert ranking(db, world, search="nobody", limit=50).total == 0


def test_the_ranking_download_holds_every_supplier_best_first(db: Database, world: SmallWorld) -> None:
    rows = ranking_export(ranking(db, world))
    assert len(rows) == 62 and rows["supplier_code"].tolist()[2:4] == ["S001", "S002"]
    assert rows["rank"].tolist()[:2] == [1, 2]
    assert {"rank", "supplier_name", "score", "grade", "trend", "otd", "open_lines"} <= set(rows.columns)
