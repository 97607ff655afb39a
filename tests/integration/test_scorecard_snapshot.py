"""The stored scorecard snapshot the ranking reads: the same numbers as computing live, on SQLite and
PostgreSQL, for every month; new weights apply at once; a changed tolerance falls back to live."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, select

from db.engine import Database
from db.models import AuditEvent, ScorecardSnapshot, ScorecardTotal
from portal.core.domain import PermissionDenied
from portal.queries.scorecards import Ranking, scorecard_months, supplier_ranking
from portal.services.access import Actor
from portal.services.scorecards import refresh_scorecards
from portal.services.settings import update_settings
from tests.integration.scorecard_writes import demo_without_snapshot

TODAY = dt.date(2026, 3, 6)
COMPARED = ["code", "rank", "score", "grade", "trend", "lines", "otd", "otif", "avg_days_late",
            "schedule_adherence", "promise_reliability", "quality", "responsiveness", "score_note",
            "open_lines", "late_lines", "received_lines"]  # fmt: skip


@pytest.fixture
def demo(db: Database) -> Database:
    return demo_without_snapshot(db)


def _table(ranking: Ranking) -> pd.DataFrame:
    return ranking.table[COMPARED].set_index("code").sort_index()


def test_the_ranking_read_from_the_snapshot_equals_the_live_one_for_every_month(demo: Database) -> None:
    manager = Actor.system("test")
    months, _ = scorecard_months(demo, manager, today=TODAY)
    live = {m: supplier_ranking(demo, manager, m, today=TODAY) for m in months}
    assert all(r.computed_at is None for r in live.values())
    assert any(r.table["score"].notna().any() for r in live.values()), "the demo world scores nobody"

    info = refresh_scorecards(demo, manager, today=TODAY)
    assert info.rows > 0 and info.suppliers > 0
    for month in months:
        stored = supplier_ranking(demo, manager, month, today=TODAY)
        assert stored.computed_at is not None, month
        pd.testing.assert_frame_equal(_table(stored), _table(live[month]), check_dtype=False, obj=month)
        assert stored.table["score_history"].tolist() == live[month].table["score_history"].tolist()


def test_a_refresh_replaces_the_snapshot_and_is_audited(demo: Database) -> None:
    actor = Actor.system("nightly")
    first = refresh_scorecards(demo, actor, today=TODAY)
    second = refresh_scorecards(demo, actor, today=TODAY)
    with demo.read() as session:
        assert session.scalars(select(ScorecardSnapshot.id)).all() == [second.snapshot_id]
        kept = session.scalar(select(func.count()).select_from(ScorecardTotal))
        pointed = set(session.scalars(select(ScorecardTotal.snapshot_id).distinct()))
        audited = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "scorecards.refreshed")
        )
    assert (kept, pointed, audited) == (second.rows, {second.snapshot_id}, 2)
    assert first.rows == second.rows


def test_new_weights_apply_to_the_snapshot_at_once(demo: Database) -> None:
    admin = Actor.system("test")
    refresh_scorecards(demo, admin, today=TODAY)
    _, month = scorecard_months(demo, admin, today=TODAY)
    only_otd = {f"weight_{m}": 0 for m in ("otif", "schedule_adherence", "promise_reliability", "quality",
                                          "responsiveness")}  # fmt: skip
    update_settings(demo, admin, {**only_otd, "weight_otd": 100})
    ranking = supplier_ranking(demo, admin, month, today=TODAY)
    assert ranking.computed_at is not None
    scored = ranking.table[ranking.table["score"].notna()]
    assert len(scored)
    assert (scored["score"] == (scored["otd"] * 100).round(1)).all()


def test_a_changed_on_time_tolerance_is_computed_live_until_the_next_refresh(demo: Database) -> None:
    admin = Actor.system("test")
    refresh_scorecards(demo, admin, today=TODAY)
    _, month = scorecard_months(demo, admin, today=TODAY)
    before = supplier_ranking(demo, admin, month, today=TODAY)
    update_settings(demo, admin, {"on_time_tolerance_days": 10})
    after = supplier_ranking(demo, admin, month, today=TODAY)
    assert after.computed_at is None
    assert (after.table["otd"].fillna(0) >= before.table.set_index("code")["otd"].reindex(
        after.table["code"]).fillna(0).to_numpy()).all()  # fmt: skip
    assert refresh_scorecards(demo, admin, today=TODAY)
    assert supplier_ranking(demo, admin, month, today=TODAY).computed_at is not None


def test_a_month_after_the_snapshot_is_computed_live(demo: Database) -> None:
    actor = Actor.system("test")
    refresh_scorecards(demo, actor, today=TODAY)
    later = TODAY + dt.timedelta(days=31)
    assert supplier_ranking(demo, actor, "2026-04", today=later).computed_at is None


def test_a_buyer_cannot_refresh_scorecards(demo: Database) -> None:
    from portal.core.domain import Role

    buyer = Actor(None, "bea", Role.BUYER)
    with pytest.raises(PermissionDenied):
        refresh_scorecards(demo, buyer, today=TODAY)


def test_the_scheduler_stores_scorecards_once_a_day(demo: Database) -> None:
    from portal.services.scheduler import refresh_stale_scorecards

    assert refresh_stale_scorecards(demo, TODAY) is True
    assert refresh_stale_scorecards(demo, TODAY) is False
    assert refresh_stale_scorecards(demo, TODAY + dt.timedelta(days=1)) is True
    with demo.read() as session:
        assert session.scalars(select(ScorecardSnapshot.as_of)).all() == [TODAY + dt.timedelta(days=1)]
