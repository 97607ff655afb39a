"""Small builders for test data: files as text, imported through the real import service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from db.engine import Database
from db.models import Backorder, PoLine, Supplier, User
from portal.core.domain import Role
from portal.services.access import Actor
from portal.services.imports import ImportResult, import_table, read_upload
from portal.services.production import ScheduleResult, post_report, revise_schedule
from portal.services.users import create_user

TODAY = dt.date(2026, 3, 6)  # a Friday

SUPPLIERS_CSV = """code,name,country,transit_days,capacity_per_day,email
ACME,Acme Plastics,DE,3,,planner@acme.example
BOLT,Bolt Works,US,5,500,ops@bolt.example;boss@bolt.example
"""
ITEMS_CSV = """sku,description,on_hand
SKU-1,Storage box,0
SKU-2,Steel bolt,40
"""
POS_CSV = """po_number,line,supplier_code,sku,quantity,order_date,need_by_date,promised_date,transit_days
PO-1,1,ACME,SKU-1,1000,2026-02-01,2026-03-20,,
PO-1,2,ACME,SKU-2,300,2026-02-01,2026-03-27,,
PO-2,1,BOLT,SKU-1,800,2026-02-10,2026-04-10,,
"""
SCHEDULES_CSV = """po_number,line,start_date,daily_output,estimated_end_date,reason
PO-1,1,2026-03-02,100,2026-03-13,
PO-2,1,2026-03-09,80,2026-03-20,
"""
REPORTS_CSV = """po_number,line,date,good_qty,rejected_qty,note
PO-1,1,2026-03-02,100,0,
PO-1,1,2026-03-03,100,0,
PO-1,1,2026-03-04,100,2,
PO-1,1,2026-03-05,100,0,
PO-1,1,2026-03-06,100,0,
"""
BACKORDERS_CSV = """order_ref,customer,sku,quantity,order_date,priority,communicated_date
SO-1,Ann,SKU-1,50,2026-02-20,0,
SO-2,Ben,SKU-1,20,2026-02-21,1,2026-03-10
"""


def load(
    db: Database, actor: Actor, kind: str, text: str, *, today: dt.date = TODAY, recompute: bool = True
) -> ImportResult:
    """Import ``text`` as a ``kind`` CSV file through the real service."""
    table = read_upload(text.encode("utf-8"), f"{kind}.csv", kind)
    return import_table(db, actor, table, filename=f"{kind}.csv", today=today, recompute=recompute)


def load_files(db: Database, actor: Actor, files: Iterable[tuple[str, str]], **options: Any) -> None:
    """Import each (kind, CSV text) in order, as :func:`load` does (``options``: its today, recompute);
    every row must be accepted."""
    for kind, text in files:
        result = load(db, actor, kind, text, **options)
        assert result.ok, result.errors


@dataclass
class SmallWorld:
    """Two suppliers, two items, three lines (two of ACME, one of BOLT), users of every role."""

    admin: Actor
    buyer: Actor
    manager: Actor
    acme_user: Actor
    bolt_user: Actor
    acme_id: int
    bolt_id: int
    line_ids: dict[str, int]


def actor_of(db: Database, username: str) -> Actor:
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return Actor(user.id, user.username, user.role, user.supplier_id, user.display_name)


#: The small world's files, in the order they load (each names what the one before created).
SMALL_WORLD_FILES = (
    ("suppliers", SUPPLIERS_CSV),
    ("items", ITEMS_CSV),
    ("pos", POS_CSV),
    ("schedules", SCHEDULES_CSV),
    ("reports", REPORTS_CSV),
    ("backorders", BACKORDERS_CSV),
)

#: More lines for the sweep's tests: two items, three lines (one of BOLT, due next week), two
#: backorders of the new items (one told a date).
MORE_ITEMS_CSV = "sku,description,on_hand\nSKU-3,Hinge,5\nSKU-4,Spring,0\n"
MORE_POS_CSV = """po_number,line,supplier_code,sku,quantity,order_date,need_by_date
PO-7,1,BOLT,SKU-3,400,2026-02-05,2026-03-09
PO-7,2,ACME,SKU-4,900,2026-02-05,2026-05-15
PO-8,1,ACME,SKU-3,250,2026-02-06,2026-03-31
"""
MORE_BACKORDERS_CSV = """order_ref,customer,sku,quantity,order_date,priority,communicated_date
SO-7,Cy,SKU-3,120,2026-02-22,0,2026-03-05
SO-8,Di,SKU-4,60,2026-02-23,1,
"""
MORE_LINES_FILES = (("items", MORE_ITEMS_CSV), ("pos", MORE_POS_CSV), ("backorders", MORE_BACKORDERS_CSV))


def small_world(db: Database, *, recompute: bool = True) -> SmallWorld:
    """Load the small world through the import service, as a buyer would."""
    system = Actor.system("test")
    load_files(db, system, SMALL_WORLD_FILES, recompute=recompute)
    for username, role, supplier in (
        ("admin", Role.ADMIN, None),
        ("buyer", Role.BUYER, None),
        ("manager", Role.MANAGER, None),
        ("acme", Role.SUPPLIER, "ACME"),
        ("bolt", Role.SUPPLIER, "BOLT"),
    ):
        create_user(db, system, username, f"{username}-password-1", role, supplier_code=supplier)
    with db.read() as session:
        ids = dict(session.execute(select(Supplier.code, Supplier.id)).all())
        lines = {
            f"{po}/{ln}": lid
            for po, ln, lid in session.execute(select(PoLine.po_number, PoLine.line, PoLine.id))
        }
    return SmallWorld(
        admin=actor_of(db, "admin"),
        buyer=actor_of(db, "buyer"),
        manager=actor_of(db, "manager"),
        acme_user=actor_of(db, "acme"),
        bolt_user=actor_of(db, "bolt"),
        acme_id=ids["ACME"],
        bolt_id=ids["BOLT"],
        line_ids=lines,
    )


#: A late line (PO-3/1: need-by 03-10, 20 a day from 03-09: arrives 03-23) on its own item SKU-3,
#: which one customer waits on (SO-3) and another cannot get (SO-4, unpromisable).
LATE_ITEM_CSV = "sku,description,on_hand\nSKU-3,Hinge,0\n"
LATE_PO_CSV = (
    "po_number,line,supplier_code,sku,quantity,order_date,need_by_date\n"
    "PO-3,1,ACME,SKU-3,200,2026-02-01,2026-03-10\n"
)
LATE_SCHEDULE_CSV = (
    "po_number,line,start_date,daily_output,estimated_end_date\nPO-3,1,2026-03-09,20,2026-03-20\n"
)
LATE_BACKORDERS_CSV = (
    "order_ref,customer,sku,quantity,order_date,priority\n"
    "SO-3,Cy,SKU-3,60,2026-02-25,0\n"
    "SO-4,Dee,SKU-3,10000,2026-02-26,0\n"
)


@dataclass
class BuyerWorld(SmallWorld):
    """The small world plus a late line that customers wait on."""

    late_line_id: int = 0
    backorder_ids: dict[str, int] = field(default_factory=dict)


def buyer_world(db: Database) -> BuyerWorld:
    """Small world, then the late line PO-3/1 and backorders SO-3, SO-4, imported as files."""
    base = small_world(db)
    files = [("items", LATE_ITEM_CSV), ("pos", LATE_PO_CSV), ("schedules", LATE_SCHEDULE_CSV)]
    load_files(db, Actor.system("test"), [*files, ("backorders", LATE_BACKORDERS_CSV)])
    with db.read() as session:
        late = session.scalars(select(PoLine.id).where(PoLine.po_number == "PO-3")).one()
        backorders = dict(session.execute(select(Backorder.order_ref, Backorder.id)).all())
    return BuyerWorld(**vars(base), late_line_id=int(late), backorder_ids=backorders)


#: A month after the small world's need-by dates: its scorecards have receipts to count.
RECEIVED_AS_OF = dt.date(2026, 4, 15)
#: PO-1/1 (ACME, due 20 March) arrives complete a day early; PO-1/2 (ACME, due 27 March) three days
#: late in two parts; BOLT's PO-2/1 (due 10 April) has nothing yet.
RECEIPTS_CSV = """po_number,line,received_date,quantity,rejected_qty
PO-1,1,2026-03-19,1000,10
PO-1,2,2026-03-25,200,0
PO-1,2,2026-03-30,100,0
"""


def received_world(db: Database) -> SmallWorld:
    """Small world, then :data:`RECEIPTS_CSV` imported as of :data:`RECEIVED_AS_OF`: a world to score."""
    world = small_world(db)
    result = load(db, world.admin, "receipts", RECEIPTS_CSV, today=RECEIVED_AS_OF)
    assert result.ok, result.errors
    return world


def revise(
    db: Database,
    who: Actor,
    line_id: int,
    *,
    end: dt.date,
    reason: str | None = None,
    expected: int | None = 1,
    start: dt.date = dt.date(2026, 3, 2),
    output: int = 100,
) -> ScheduleResult:
    """A line's schedule revised through the real service on TODAY (by default from Monday 2 March,
    100 a day, over revision 1)."""
    return revise_schedule(
        db,
        who,
        line_id,
        start_date=start,
        daily_output=output,
        estimated_end_date=end,
        reason=reason,
        expected_revision=expected,
        today=TODAY,
    )


def post(
    db: Database, who: Actor, line_id: int, day: dt.date, good: int, *, rejected: int = 0
) -> ImportResult:
    """A line's output of ``day`` posted through the real service on TODAY, as a confirmed correction
    where the day is already reported."""
    return post_report(
        db,
        who,
        line_id,
        report_date=day,
        good_qty=good,
        rejected_qty=rejected,
        confirm_correction=True,
        today=TODAY,
    )


# --------------------------------------------------------------------------- frames for the pure core


def forecast_line(**overrides: object) -> dict:
    """An open line as the forecast reads it: 1,000 units at 100 a day from 2 March, needed by the 20th."""
    base = {
        "line_id": 1,
        "supplier_id": 1,
        "quantity": 1000,
        "status": "in_production",
        "transit_days": 3,
        "need_by_date": pd.Timestamp("2026-03-20"),
        "start_date": pd.Timestamp("2026-03-02"),
        "daily_output": 100.0,
    }
    base.update(overrides)
    return base


#: No reports, as the forecast reads them.
NO_REPORTS = pd.DataFrame(
    {"line_id": [], "report_date": pd.to_datetime([]), "good_qty": [], "rejected_qty": []}
)
#: The first working week of :func:`forecast_line`: Monday 2 to Friday 6 March 2026.
WEEK = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"]


def output_reports(
    line_id: int, days: list[str], good: list[int], rejected: list[int] | None = None
) -> pd.DataFrame:
    """A line's daily reports as the forecast reads them (nothing rejected unless ``rejected``)."""
    return pd.DataFrame(
        {
            "line_id": line_id,
            "report_date": pd.to_datetime(days),
            "good_qty": good,
            "rejected_qty": rejected or [0] * len(good),
        }
    )


def random_deliveries(
    seed: int, n: int, *, first_due: str, due_days: int, suppliers: int, slips: list[int]
) -> pd.DataFrame:
    """``n`` delivered lines of suppliers 1..``suppliers``, due on a random day of the ``due_days``
    from ``first_due``, delivered a random one of ``slips`` days after (supplier_id, due_date,
    delivered_date): the history buffers are learned from."""
    rng = np.random.default_rng(seed)
    due = pd.Timestamp(first_due) + pd.to_timedelta(rng.integers(0, due_days, n), unit="D")
    return pd.DataFrame(
        {
            "supplier_id": rng.integers(1, suppliers + 1, n),
            "due_date": due,
            "delivered_date": due + pd.to_timedelta(rng.choice(slips, n), unit="D"),
        }
    )
