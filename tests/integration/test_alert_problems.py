"""The inbox as problems on the demo world; dismissals that stick through a sweep (both databases)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select, update

from db.engine import Database
from db.models import Alert, Backorder, BackorderAllocation, User
from portal.core.domain import AlertStatus, BackorderStatus
from portal.demo.load import load_demo_world
from portal.queries.alerts import alert_problems
from portal.services.access import Actor
from portal.services.alerts import resolve_alerts
from portal.services.auth import actor_for
from portal.services.planning import sweep

TODAY = dt.date(2026, 3, 6)
SYSTEM = Actor.system("test")


@pytest.fixture
def demo(db: Database) -> Database:
    load_demo_world(db, SYSTEM, today=TODAY)
    return db


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
