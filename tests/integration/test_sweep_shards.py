"""``sweep --shard K/N`` on SQLite and PostgreSQL: N shards together store what one full sweep stores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import Database
from portal.core.domain import PortalError
from portal.services.planning import sweep
from portal.services.planning.shard import Shard
from portal.services.production import post_report
from tests.builders import MORE_LINES_FILES, TODAY, SmallWorld, load_files, small_world
from tests.integration.db_state import PLANNED, stored_rows

#: A week after the first sweep: the day the sweeps under test run.
LATER = TODAY + dt.timedelta(days=7)


@pytest.fixture
def world_changed_since_a_sweep(db: Database) -> SmallWorld:
    """A world swept on TODAY, then new data: a line completes early, another falls behind, alerts change."""
    world = small_world(db)
    load_files(db, world.buyer, MORE_LINES_FILES)
    sweep(db, world.admin, TODAY)
    post_report(
        db,
        world.acme_user,
        world.line_ids["PO-1/1"],
        report_date=TODAY,
        good_qty=600,
        confirm_correction=True,
        today=TODAY,
    )
    return world


@pytest.mark.parametrize("n", [2, 3])
def test_n_shards_together_store_what_one_full_sweep_stores(
    db: Database, world_changed_since_a_sweep: SmallWorld, n: int
) -> None:
    world = world_changed_since_a_sweep
    results = [sweep(db, world.admin, LATER, shard=Shard(k, n)) for k in range(1, n + 1)]
    assert sum(r.lines for r in results) == sweep(db, world.admin, LATER, shard=Shard(1, 1)).lines
    sharded = stored_rows(db, PLANNED)
    sweep(db, world.admin, LATER)
    full = stored_rows(db, PLANNED)
    assert sharded == full
    assert full["forecasts"] and full["promises"] and full["alerts"]


def test_a_sweep_in_item_chunks_stores_what_one_pass_stores(
    db: Database, world_changed_since_a_sweep: SmallWorld
) -> None:
    world = world_changed_since_a_sweep
    chunked = sweep(db, world.admin, LATER, chunks=3)
    assert chunked.written > 0
    stored = stored_rows(db, PLANNED)
    again = sweep(db, world.admin, LATER)
    assert again.lines == chunked.lines and again.backorders == chunked.backorders
    assert again.written == 0  # one pass finds nothing to change
    assert stored_rows(db, PLANNED) == stored
    assert stored["forecasts"] and stored["promises"] and stored["alerts"]


def test_a_shard_must_be_k_of_n() -> None:
    assert Shard.parse("2/4") == Shard(2, 4)
    for bad in ("0/4", "5/4", "2", "a/b"):
        with pytest.raises(PortalError):
            Shard.parse(bad)


@pytest.mark.postgres
def test_on_postgresql_shards_run_side_by_side_and_keep_out_a_full_sweep_and_their_items_posts(
    postgres_db: Database,
) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from db.models import Item
    from portal.services.planning.lock import exclusive_planning_lock, shard_planning_lock

    db = postgres_db
    world = small_world(db)
    assert world.line_ids
    with db.read() as session:
        items = sorted(session.scalars(select(Item.id)))
    first = db.write()
    try:
        shard_planning_lock(first, Shard(1, 2))  # held until `first` ends

        def blocked(take: Callable[[Session], object]) -> bool:
            with db.write() as other:
                other.execute(text("SET LOCAL lock_timeout = '300ms'"))
                try:
                    take(other)
                except OperationalError:
                    return True
                other.rollback()
                return False

        assert not blocked(lambda s: shard_planning_lock(s, Shard(2, 2)))  # another shard: side by side
        assert blocked(lambda s: shard_planning_lock(s, Shard(1, 2)))  # the same shard again: waits
        assert blocked(exclusive_planning_lock)  # a full sweep: waits
        mine = [i for i in items if i % 2 == 0]
        theirs = [i for i in items if i % 2 == 1]

        def lock_item(ids: list[int]) -> Callable[[Session], object]:
            return lambda s: s.execute(
                select(Item.id).where(Item.id.in_(ids)).with_for_update(key_share=True)
            ).all()

        assert blocked(lock_item(mine))  # a post of one of its items (lock_scope): waits
        assert not blocked(lock_item(theirs))  # a post of another shard's item: runs on
    finally:
        first.rollback()
        first.close()
