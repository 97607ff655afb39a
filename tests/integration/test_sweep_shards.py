"""``sweep --shard K/N`` on SQLite and PostgreSQL: N shards together store what one full sweep stores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import Alert, Backorder, BackorderAllocation, LineForecast, SupplierStats
from portal.core.domain import PortalError
from portal.services.planning import sweep
from portal.services.planning.shard import Shard
from portal.services.production import post_report
from tests.builders import TODAY, load, small_world

MORE_ITEMS = "sku,description,on_hand\nSKU-3,Hinge,5\nSKU-4,Spring,0\n"
MORE_POS = (
    "po_number,line,supplier_code,sku,quantity,order_date,need_by_date\n"
    "PO-7,1,BOLT,SKU-3,400,2026-02-05,2026-03-09\n"
    "PO-7,2,ACME,SKU-4,900,2026-02-05,2026-05-15\n"
    "PO-8,1,ACME,SKU-3,250,2026-02-06,2026-03-31\n"
)
MORE_BACKORDERS = (
    "order_ref,customer,sku,quantity,order_date,priority,communicated_date\n"
    "SO-7,Cy,SKU-3,120,2026-02-22,0,2026-03-05\n"
    "SO-8,Di,SKU-4,60,2026-02-23,1,\n"
)


def stored(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a sweep writes, without its timestamps."""
    with db.read() as session:
        return {
            "forecasts": [
                (
                    *(f.po_line_id, f.produced, f.remaining, f.rate_source, f.completion_p50),
                    *(f.completion_p90, f.arrival_p90, f.days_late_p90),
                )
                for f in session.scalars(select(LineForecast).order_by(LineForecast.po_line_id))
            ],
            "promises": [
                tuple(r)
                for r in session.execute(
                    select(Backorder.id, Backorder.promise_date, Backorder.promise_status).order_by(
                        Backorder.id
                    )
                )
            ],
            "allocations": sorted(
                [
                    tuple(r)
                    for r in session.execute(
                        select(
                            BackorderAllocation.backorder_id,
                            BackorderAllocation.po_line_id,
                            BackorderAllocation.quantity,
                            BackorderAllocation.available_date,
                        )
                    )
                ],
                key=str,
            ),
            "alerts": sorted(
                [
                    tuple(r)
                    for r in session.execute(
                        select(Alert.rule, Alert.subject_key, Alert.severity, Alert.status, Alert.message)
                    )
                ],
                key=str,
            ),
            "stats": [
                tuple(r)
                for r in session.execute(
                    select(
                        SupplierStats.supplier_id,
                        SupplierStats.buffer_days,
                        SupplierStats.forecast_records,
                        SupplierStats.rate_ratio,
                    ).order_by(SupplierStats.supplier_id)
                )
            ],
        }


@pytest.mark.parametrize("n", [2, 3])
def test_n_shards_together_store_what_one_full_sweep_stores(db: Database, n: int) -> None:
    world = small_world(db)
    for kind, text in (("items", MORE_ITEMS), ("pos", MORE_POS), ("backorders", MORE_BACKORDERS)):
        assert load(db, world.buyer, kind, text).ok
    sweep(db, world.admin, TODAY)
    # New data since that sweep: a line completes early, another falls behind, alerts change.
    post_report(
        db,
        world.acme_user,
        world.line_ids["PO-1/1"],
        report_date=TODAY,
        good_qty=600,
        confirm_correction=True,
        today=TODAY,
    )
    later = TODAY + dt.timedelta(days=7)
    results = [sweep(db, world.admin, later, shard=Shard(k, n)) for k in range(1, n + 1)]
    assert sum(r.lines for r in results) == sweep(db, world.admin, later, shard=Shard(1, 1)).lines
    sharded = stored(db)
    sweep(db, world.admin, later)
    full = stored(db)
    assert sharded == full
    assert full["forecasts"] and full["promises"] and full["alerts"]


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
