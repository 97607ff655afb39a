"""The inbox as problems on the demo world; dismissals that stick through a sweep (both databases)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import Alert, Backorder, BackorderAllocation, User
from portal.core.domain import AlertStatus, BackorderStatus
from portal.core.problems import customer_impact, group_problems, waiting_customers
from portal.demo.load import load_demo_world
from portal.queries.alerts import (
    _DETAIL_COLUMNS,
    AlertFilter,
    _details,
    _inbox_ids,
    alert_problems,
    alert_rule_names,
)
from portal.services.access import Actor
from portal.services.alerts import resolve_alerts
from portal.services.auth import actor_for
from portal.services.planning import sweep
from portal.services.planning.problems import rebuild_problems
from tests.builders import small_world
from tests.integration.conftest import DEMO_TODAY

TODAY = DEMO_TODAY
SYSTEM = Actor.system("test")


def _buyer(db: Database) -> Actor:
    with db.read() as session:
        return actor_for(session.scalars(select(User).where(User.username == "buyer")).one())


def _impacts(db: Database) -> pd.Series:
    """Customer impact per subject, computed here from the tables: the orders waiting on each
    subject (allocations for a line, itself for a backorder), weighted 1 + priority, times
    1 + the larger of the subject's days late and the order's slip past the date told."""
    with db.read() as session:
        alerts = pd.DataFrame(
            session.execute(
                select(Alert.subject_key, Alert.days_late).where(
                    Alert.status != AlertStatus.RESOLVED, Alert.severity != "info"
                )
            ).all(),
            columns=["subject_key", "days_late"],
        )
        orders = {
            i: (p, promise, told)
            for i, p, promise, told in session.execute(
                select(
                    Backorder.id, Backorder.priority, Backorder.promise_date, Backorder.communicated_date
                ).where(Backorder.status == BackorderStatus.WAITING)
            )
        }
        allocations = set(
            session.execute(
                select(BackorderAllocation.po_line_id, BackorderAllocation.backorder_id).where(
                    BackorderAllocation.po_line_id.is_not(None)
                )
            ).all()
        )
    late = alerts.groupby("subject_key")["days_late"].max().fillna(0).clip(lower=0)
    impact = {}
    for key, days in late.items():
        kind, _, ident = key.partition(":")
        waiting = (
            [b for (line, b) in allocations if line == int(ident) and b in orders]
            if kind == "line"
            else [int(ident)]
            if kind == "backorder"
            else []
        )
        total = 0.0
        for b in waiting:
            priority, promise, told = orders[b]
            slip = (promise - told).days if promise and told and promise > told else 0
            total += (1 + max(priority, 0)) * (1 + max(days, slip))
        impact[key] = total
    return pd.Series(impact).sort_values(ascending=False)


def test_the_demo_inbox_holds_one_row_per_subject_with_the_top_ten_by_customer_impact(demo: Database) -> None:
    page = alert_problems(demo, _buyer(demo), today=TODAY, limit=10_000)
    rows = page.rows
    assert page.total == len(rows) > 10
    assert rows["subject_key"].is_unique
    assert (rows["severity"] != "info").all()
    assert sum(rows["alerts"]) == page.alerts > page.total  # several alerts folded into one problem
    expected = _impacts(demo)
    assert len(expected) == page.total
    # The top ten are the ten highest impacts, in order (ties may come in either order).
    assert rows["impact"].head(10).tolist() == expected.head(10).tolist()
    assert set(rows["subject_key"].head(10)) <= set(expected[expected >= expected.iloc[9]].index)
    assert rows["impact"].is_monotonic_decreasing
    # A problem's reasons are its other alerts.
    folded = rows[rows["alerts"] > 1].iloc[0]
    assert len(folded["other_rules"]) == folded["alerts"] - 1 and folded["rule"] not in folded["other_rules"]


def test_a_resolved_problem_stays_closed_through_a_sweep_and_reopens_when_it_worsens(demo: Database) -> None:
    buyer = _buyer(demo)
    rows = alert_problems(demo, buyer, today=TODAY, limit=10_000).rows
    late = rows[(rows["rule"] == "PROJECTED_LATE") & (rows["days_late"] > 5)].iloc[0]
    key, ids = late["subject_key"], [int(i) for i in late["alert_ids"]]
    assert resolve_alerts(demo, buyer, ids) == len(ids)
    result = sweep(demo, SYSTEM, as_of=TODAY)
    assert key not in set(alert_problems(demo, buyer, today=TODAY, limit=10_000).rows["subject_key"])
    with demo.read() as session:
        assert not session.scalars(
            select(Alert.id).where(
                Alert.subject_key == key, Alert.status != AlertStatus.RESOLVED, Alert.severity != "info"
            )
        ).all()
    assert result.alerts_opened == 0
    # Pretend it was dismissed when 5 days less late: it has now grown past the threshold (3).
    dismissed_at = int(late["days_late"]) - 5
    with demo.write() as session:
        session.execute(
            update(Alert)
            .where(Alert.subject_key == key, Alert.rule == "PROJECTED_LATE")
            .values(dismissed_days_late=dismissed_at)
        )
        session.commit()
    sweep(demo, SYSTEM, as_of=TODAY)
    with demo.read() as session:
        reopened = session.execute(
            select(Alert.status, Alert.reopen_reason).where(
                Alert.subject_key == key, Alert.rule == "PROJECTED_LATE", Alert.status != AlertStatus.RESOLVED
            )
        ).one()
    assert reopened == (
        AlertStatus.OPEN,
        f"was {dismissed_at} days late when dismissed, now {int(late['days_late'])}",
    )


def _waiting(session: Session, actor: Actor) -> pd.DataFrame:
    """The customer orders waiting on lines and backorders, loaded whole and joined in pandas (the
    inbox's computation before it summed the impact in SQL: the reference)."""
    columns = ["subject_key", "backorder_id", "weight", "slip"]
    if actor.is_supplier:
        return pd.DataFrame(columns=columns)
    waiting = Backorder.status == BackorderStatus.WAITING
    allocated = pd.DataFrame(
        [
            tuple(r)
            for r in session.execute(
                select(BackorderAllocation.po_line_id, BackorderAllocation.backorder_id)
                .join(Backorder, Backorder.id == BackorderAllocation.backorder_id)
                .where(waiting, BackorderAllocation.po_line_id.is_not(None))
            )
        ],
        columns=["po_line_id", "backorder_id"],
    )
    backorders = pd.DataFrame(
        [
            tuple(r)
            for r in session.execute(
                select(
                    Backorder.id, Backorder.priority, Backorder.promise_date, Backorder.communicated_date
                ).where(waiting)
            )
        ],
        columns=["backorder_id", "priority", "promise_date", "communicated_date"],
    )
    slip = pd.to_datetime(backorders["promise_date"]) - pd.to_datetime(backorders["communicated_date"])
    backorders["slip_days"] = slip.dt.days.astype("Float64")
    return waiting_customers(allocated, backorders)


def _grouped_in_pandas(db: Database, actor: Actor, filters: AlertFilter, since: dt.datetime) -> pd.DataFrame:
    """Every problem as the pure core groups the inbox's alerts loaded whole (the reference)."""
    lean = (
        _inbox_ids(actor, filters, TODAY)
        .add_columns(Alert.subject_key, Alert.first_seen)
        .where(Alert.severity != "info")
    )
    with db.read() as session:
        ids = [int(i) for i, _key, _seen in session.execute(lean)]
        new = {key for _i, key, seen in session.execute(lean) if seen > since}
        detail = pd.DataFrame(
            [tuple(r) for r in session.execute(_details(session, ids))] if ids else [],
            columns=_DETAIL_COLUMNS,
        )
        waiting = _waiting(session, actor)
    for col in ("severity", "status"):
        detail[col] = detail[col].map(lambda v: getattr(v, "value", v))
    grouped = group_problems(detail.astype({"days_late": "Float64"}), waiting)
    return grouped.assign(is_new=grouped["subject_key"].isin(new))


@pytest.mark.parametrize("world", ["small", "demo"])
def test_the_problems_summed_in_sql_are_the_pandas_grouping_of_every_alert(db: Database, world: str) -> None:
    if world == "demo":
        load_demo_world(db, SYSTEM, today=TODAY)
        actors = [_buyer(db)]
    else:
        small = small_world(db)
        actors = [small.buyer, small.acme_user]
    with db.write() as session:  # a snoozed alert, so that the filters have one to leave out
        first = session.scalars(select(Alert.id).where(Alert.severity != "info").order_by(Alert.id)).first()
        session.execute(
            update(Alert).where(Alert.id == first).values(snoozed_until=TODAY + dt.timedelta(days=3))
        )
    since = dt.datetime.combine(TODAY, dt.time()) - dt.timedelta(days=2)
    sizes: list[int] = []
    folded = False
    for actor in actors:
        for filters in (
            AlertFilter(),
            AlertFilter(include_snoozed=True),
            AlertFilter(severities=("warning",)),
            AlertFilter(statuses=("open",)),
            AlertFilter(min_age_days=3),
        ):
            expected = _grouped_in_pandas(db, actor, filters, since)
            sizes.append(len(expected))
            folded |= bool((expected["alerts"] > 1).any())
            for limit, offset in ((10_000, 0), (5, 0), (5, 5), (5, 10_000)):
                page = alert_problems(
                    db, actor, filters, today=TODAY, limit=limit, offset=offset, since=since
                )
                want = expected.iloc[offset : offset + limit].reset_index(drop=True)
                if want.empty:  # past the last page
                    assert page.rows.empty
                else:
                    pd.testing.assert_frame_equal(page.rows, want.astype({"po_line_id": "Int64"}))
                assert page.total == len(expected)
                assert page.new == int(expected["is_new"].sum())
                assert page.alerts == int(expected["alerts"].sum())
                counts = expected["severity"].value_counts()
                assert page.by_severity == {s: int(counts.get(s, 0)) for s in ("critical", "warning")}
    assert max(sizes) > 0 and len(set(sizes)) > 1  # problems to compare, and filters that narrow them
    if world == "demo":
        assert max(sizes) > 10 and folded


def test_the_customer_impact_summed_in_sql_is_the_pandas_join_of_every_waiting_order(demo: Database) -> None:
    """The inbox sums each subject's waiting orders in SQL; the reference loads them all."""
    buyer = _buyer(demo)
    # Vary what the impact weighs: priorities (one below 0), dates told before, after and on the
    # promise, none told; and one line's backorder allocated twice (counted once).
    with demo.write() as session:
        waiting = session.scalars(
            select(Backorder).where(Backorder.status == BackorderStatus.WAITING).order_by(Backorder.id)
        ).all()
        assert len(waiting) >= 6
        for i, order in enumerate(waiting):
            order.priority = (-1, 0, 1, 2, 3)[i % 5]
            if order.promise_date is not None:
                order.communicated_date = (
                    None,
                    order.promise_date - dt.timedelta(days=4 + i % 7),
                    order.promise_date + dt.timedelta(days=3),
                    order.promise_date,
                )[i % 4]
        twice = session.scalars(
            select(BackorderAllocation).where(BackorderAllocation.po_line_id.is_not(None)).limit(1)
        ).one()
        session.add(
            BackorderAllocation(
                backorder_id=twice.backorder_id,
                po_line_id=twice.po_line_id,
                quantity=1,
                available_date=twice.available_date,
            )
        )
        # Written here behind the services' backs: the inbox problems are kept again as a sweep would.
        rebuild_problems(session, TODAY)
        session.commit()
    page = alert_problems(demo, buyer, today=TODAY, limit=100_000)
    rows = page.rows.set_index("subject_key")
    with demo.read() as session:
        reference = customer_impact(rows[["days_late"]], _waiting(session, buyer))
    assert (reference["waiting_orders"] > 0).sum() >= 5  # lines and backorders with orders waiting
    assert reference["impact"].nunique() > 3
    pd.testing.assert_frame_equal(
        rows[["customers", "waiting_orders", "impact"]], reference, check_names=False, check_dtype=True
    )
    # The page's order is the reference's order of the same problems.
    assert rows["impact"].is_monotonic_decreasing


def _live_rules(db: Database, *where: ColumnElement[bool]) -> list[str]:
    """The rules of the live alerts, as a DISTINCT over every one of them says."""
    with db.read() as session:
        stmt = select(Alert.rule).where(Alert.status != AlertStatus.RESOLVED, *where).distinct()
        return sorted(session.scalars(stmt))


def test_the_rule_filter_lists_the_rules_of_the_live_alerts_each_reader_may_see(demo: Database) -> None:
    buyer = _buyer(demo)
    rules = alert_rule_names(demo, buyer)
    assert rules == _live_rules(demo) and len(rules) >= 3
    with demo.read() as session:
        supplier = actor_for(session.scalars(select(User).where(User.role == "supplier").limit(1)).one())
    assert alert_rule_names(demo, supplier) == _live_rules(
        demo, Alert.supplier_id == supplier.supplier_id, Alert.backorder_id.is_(None)
    )
    # Every alert of a rule resolved: the rule leaves the filter.
    gone = rules[0]
    with demo.read() as session:
        ids = session.scalars(
            select(Alert.id).where(Alert.rule == gone, Alert.status != AlertStatus.RESOLVED)
        ).all()
    resolve_alerts(demo, buyer, ids)
    assert alert_rule_names(demo, buyer) == [r for r in rules if r != gone] == _live_rules(demo)
